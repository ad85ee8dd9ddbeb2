import { expect } from 'chai';
import { createQueueClient, handlers, startWorkers, type Logger } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

describe('event bus: a throwing listener', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  async function start(logger?: Logger) {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), ...(logger ? { logger } : {}) });
    cleanup(() => client.close());
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [handlers(queues, 'email', { welcome: async () => ({ messageId: 'm' }), digest: async () => undefined })],
    });
    cleanup(() => group.close());
    return client;
  }

  it('is reported on `error` (sync throw and rejected promise) while the other listeners and later events still arrive', async () => {
    const client = await start();
    const errors: Error[] = [];
    const delivered: string[] = [];
    client.events.on('error', (error) => errors.push(error));
    client.events.on('email:completed', () => {
      throw new Error('sync boom');
    });
    client.events.on('email:completed', async () => {
      throw new Error('async boom');
    });
    client.events.on('email:completed', ({ jobId }) => delivered.push(`email:completed ${jobId}`));
    client.events.on('completed', ({ jobId }) => delivered.push(`completed ${jobId}`));
    await client.events.ready();

    const secondDone = nextEvent(client.events, 'completed', ({ jobId }) => jobId === 'second');
    const fourthError = new Promise<void>((resolve) => client.events.on('error', () => errors.length === 4 && resolve()));
    expect(await client.producer.addAndWait('email', 'welcome', { to: 'a', name: 'A' }, { timeout: 5000, jobId: 'first' })).to.deep.equal({ messageId: 'm' });
    await client.producer.add('email', 'digest', { userId: 2 }, { jobId: 'second' });
    await secondDone;
    // The rejected promise is reported a few microtasks after the sync throw: wait for that fact too.
    await fourthError;

    expect(delivered).to.deep.equal(['email:completed first', 'completed first', 'email:completed second', 'completed second']);
    expect(errors.map((error) => error.message).sort()).to.deep.equal([
      'A listener for "email:completed" threw: async boom',
      'A listener for "email:completed" threw: async boom',
      'A listener for "email:completed" threw: sync boom',
      'A listener for "email:completed" threw: sync boom',
    ]);
    expect((errors[0]!.cause as Error).message).to.match(/boom/);
  });

  it('is logged when nobody listens to `error`, and so is an `error` listener that throws', async () => {
    const logged: string[] = [];
    const client = await start({ info: () => undefined, warn: () => undefined, error: (message) => logged.push(message) });
    client.events.on('email:completed', () => {
      throw new Error('unheard');
    });
    await client.events.ready();
    // Listeners run in the order they were added: once this later one has the event, the throw happened.
    const firstDone = nextEvent(client.events, 'email:completed', ({ jobId }) => jobId === 'first');
    await client.producer.add('email', 'digest', { userId: 1 }, { jobId: 'first' });
    await firstDone;
    expect(logged).to.deep.equal(['[queuewire] event bus: A listener for "email:completed" threw: unheard']);

    client.events.on('error', () => {
      throw new Error('the error listener broke');
    });
    const secondDone = nextEvent(client.events, 'email:completed', ({ jobId }) => jobId === 'second');
    await client.producer.add('email', 'digest', { userId: 2 }, { jobId: 'second' });
    await secondDone;
    expect(logged.slice(1)).to.deep.equal(["[queuewire] an event bus 'error' listener threw: Error: the error listener broke"]);
  });
});
