import { Queue } from 'bullmq';
import { expect } from 'chai';
import { ConfigurationError, createQueueClient, defineQueues, handlers, job, startWorkers, type HandlerRegistry } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

const email = handlers(queues, 'email', {
  welcome: async (job) => ({ messageId: `m-${job.data.to}` }),
  digest: async () => undefined,
});

describe('workers: routing jobs by name', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('a job whose name has no handler fails at once with an unrecoverable error, never completes, never retries', async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    const group = await startWorkers({ client, handlers: [email], handleSignals: false });
    cleanup(() => group.close());
    // Another deployment (or plain BullMQ) enqueues a name this worker's definition lacks.
    const raw = new Queue('email', { connection: { host: '127.0.0.1', port: redis().port }, prefix });
    cleanup(() => raw.close());
    const failed = nextEvent(client.events, 'email:failed');
    await client.events.ready();
    const ghost = await raw.add('ghost', { to: 'x' }, { attempts: 3, backoff: 0 });

    const event = await failed;
    const expected = 'No handler for job "ghost" on queue "email". Known jobs: welcome, digest. Deploy a worker whose handlers include it.';
    expect(event).to.deep.include({ jobId: ghost.id, name: 'ghost', failedReason: expected });
    const stored = (await raw.getJob(ghost.id!))!;
    expect(await stored.getState()).to.equal('failed');
    expect(stored.attemptsMade, 'attempts made of 3').to.equal(1);
    expect(stored.returnvalue).to.equal(null);
  });

  it('handlers() refuses a missing handler, an undeclared name and an unknown queue, naming them', () => {
    const build = (map: object, queue = 'email') => () => handlers(queues, queue as 'email', map as never);
    expect(build({ welcome: async () => ({ messageId: '' }) })).to.throw(ConfigurationError, 'handlers() for queue "email": no handler function for "digest". Declared jobs: welcome, digest.');
    expect(build({ welcome: async () => ({ messageId: '' }), digest: 'not a function' })).to.throw(ConfigurationError, 'no handler function for "digest"');
    expect(build({ welcome: async () => ({ messageId: '' }), digest: async () => undefined, digets: async () => undefined }))
      .to.throw(ConfigurationError, 'handlers() for queue "email": handlers for undeclared jobs "digets". Declared jobs: welcome, digest.');
    expect(build({ welcome: async () => undefined }, 'sms')).to.throw(ConfigurationError, 'handlers(): unknown queue "sms"; declared queues: email, echo.');
  });

  describe('startWorkers() checks its options before connecting', () => {
    const refusals: Array<{ what: string; options: object; message: string }> = [
      { what: 'no registries', options: { handlers: [] }, message: 'startWorkers() needs handlers' },
      { what: 'a registry given twice', options: { handlers: [email, email] }, message: 'two handler registries for queue "email"; merge them into one.' },
      { what: 'something not from handlers()', options: { handlers: [{ queue: 'email', handlers: {} }] }, message: 'every entry of handlers must come from handlers(' },
      { what: 'a queue of another definition', options: { handlers: [otherRegistry()] }, message: 'handlers for queue "sms", which this client\'s definition does not declare.' },
      { what: 'an unknown queue in concurrency', options: { handlers: [email], concurrency: { emial: 2 } }, message: 'concurrency names queue "emial", which the definition does not declare.' },
      { what: 'concurrency 0', options: { handlers: [email], concurrency: 0 }, message: 'concurrency must be a whole number >= 1; got 0.' },
      { what: 'a fractional per-queue concurrency', options: { handlers: [email], concurrency: { email: 1.5 } }, message: 'concurrency.email must be a whole number >= 1; got 1.5.' },
      { what: 'a negative shutdownTimeout', options: { handlers: [email], shutdownTimeout: -1 }, message: 'shutdownTimeout must be a whole number of ms >= 0; got -1.' },
    ];
    for (const { what, options, message } of refusals) {
      it(`refuses ${what} with a ConfigurationError`, async () => {
        // Nothing listens there: a start that connected before checking would hang, not reject.
        const client = createQueueClient({ queues, connection: 'redis://127.0.0.1:1', prefix: uniquePrefix(), logger: silent });
        cleanup(() => client.close());
        const error = await startWorkers({ client, handleSignals: false, ...options } as never).then(
          (group: { close(): Promise<unknown> }) => group.close().then(() => undefined),
          (caught: Error) => caught,
        );
        expect(error).to.be.instanceOf(ConfigurationError);
        expect(error!.message).to.contain(message);
      });
    }
  });
});

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function otherRegistry(): HandlerRegistry {
  const other = defineQueues({ sms: { jobs: { send: job<{ to: string }>() } } });
  return handlers(other, 'sms', { send: async () => undefined }) as unknown as HandlerRegistry;
}
