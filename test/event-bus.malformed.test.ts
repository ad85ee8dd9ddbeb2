import { expect } from 'chai';
import { createQueueClient, handlers, MalformedEventError, startWorkers, type Logger } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

const echo = handlers(queues, 'echo', {
  value: async (job) => job.data.value,
  fail: async (job) => {
    throw new Error(job.data.message);
  },
  slow: async (job) => ({ slept: job.data.ms }),
});

// Entries a foreign writer might XADD into a queue's events stream, and what is wrong with each.
const malformed: Array<{ fields: string[]; problem: RegExp }> = [
  { fields: ['event', 'completed', 'jobId', '1', 'returnvalue', '{not json'], problem: /"returnvalue" is not JSON/ },
  { fields: ['event', 'completed', 'jobId', '1'], problem: /without a "returnvalue" field/ },
  { fields: ['event', 'completed', 'returnvalue', '1'], problem: /without a jobId/ },
  { fields: ['jobId', '1', 'returnvalue', '1'], problem: /no "event" field/ },
  { fields: ['event', 'progress', 'jobId', '1', 'data', 'undefined'], problem: /"data" is not JSON/ },
  { fields: ['event', 'delayed', 'jobId', '1', 'delay', 'soon'], problem: /"delay" is not a number/ },
];

describe('event bus: malformed stream entries', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C46: each malformed entry becomes one MalformedEventError on `error`; later events are still delivered', async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    const group = await startWorkers({ client, handlers: [echo], handleSignals: false });
    cleanup(() => group.close());
    const errors: Error[] = [];
    const completed: unknown[] = [];
    client.events.on('error', (error) => errors.push(error));
    client.events.on('echo:completed', ({ jobId, returnvalue }) => completed.push({ jobId, returnvalue }));
    await client.events.ready();

    const writer = redis().connect();
    cleanup(() => writer.disconnect());
    const ids: string[] = [];
    for (const { fields } of malformed) ids.push((await writer.xadd(`${prefix}:echo:events`, '*', ...fields))!);
    const done = nextEvent(client.events, 'echo:completed', ({ jobId }) => jobId === 'after');
    await client.producer.add('echo', 'value', { value: { after: 'the bad entries' } }, { jobId: 'after' });
    await done;

    expect(completed, 'only the real job completed').to.deep.equal([{ jobId: 'after', returnvalue: { after: 'the bad entries' } }]);
    expect(errors).to.have.lengthOf(malformed.length);
    errors.forEach((error, index) => {
      expect(error).to.be.instanceOf(MalformedEventError);
      expect(error).to.include({ code: 'QW_MALFORMED_EVENT', queue: 'echo', eventId: ids[index] });
      expect(error.message).to.match(malformed[index]!.problem);
    });
  });

  it('C46: event names the bus does not know are skipped, whatever they are called', async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    const group = await startWorkers({ client, handlers: [echo], handleSignals: false });
    cleanup(() => group.close());
    const errors: Error[] = [];
    client.events.on('error', (error) => errors.push(error));
    await client.events.ready();

    const writer = redis().connect();
    cleanup(() => writer.disconnect());
    // A future BullMQ event, and names that happen to be Object.prototype members.
    for (const event of ['some-future-event', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      await writer.xadd(`${prefix}:echo:events`, '*', 'event', event, 'jobId', '1');
    }
    const done = nextEvent(client.events, 'echo:completed');
    await client.producer.add('echo', 'value', { value: 1 });
    await done;
    expect(errors.map((error) => error.message)).to.deep.equal([]);
  });

  it('C46: with no `error` listener a malformed entry is logged, and the bus goes on', async () => {
    const prefix = uniquePrefix();
    const logged: string[] = [];
    const logger: Logger = { info: () => undefined, warn: () => undefined, error: (message) => logged.push(message) };
    const client = createQueueClient({ queues, connection: redis().url, prefix, logger });
    cleanup(() => client.close());
    const group = await startWorkers({ client, handlers: [echo], handleSignals: false });
    cleanup(() => group.close());
    const completed = nextEvent(client.events, 'echo:completed').then(({ returnvalue }) => returnvalue);
    await client.events.ready();

    const writer = redis().connect();
    cleanup(() => writer.disconnect());
    await writer.xadd(`${prefix}:echo:events`, '*', 'event', 'completed', 'jobId', '9', 'returnvalue', 'NaN?');
    await client.producer.add('echo', 'value', { value: 'still here' });
    expect(await completed).to.equal('still here');
    expect(logged).to.have.lengthOf(1);
    expect(logged[0]).to.match(/event bus: Event \S+ on queue "echo" could not be decoded: "returnvalue" is not JSON/);
  });
});
