import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { defineQueues, handlers, job, startWorkers, ConfigurationError, UnserializableValueError } from '../lib/index';
import { createTestClient, runHandler, waitFor, WaitForStateError, type TestQueueClient } from '../lib/testing/index';
import { useCleanup, useRedisServer } from './support/harness';
import { echoHandlers, queues, type TestQueues } from './support/queues';

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  return redis.keys(`${prefix}:*`);
}

describe('C40: queuewire/testing — test client, waitFor, runHandler on a real Redis', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();
  let client: TestQueueClient<TestQueues>;

  beforeEach(() => {
    client = createTestClient({ queues, connection: redis().url });
    cleanup(() => client.close());
  });

  describe('createTestClient', () => {
    it('gives each client a prefix of its own, and refuses a prefix option', () => {
      const other = createTestClient({ queues, connection: redis().url });
      cleanup(() => other.close());
      expect(client.prefix).to.match(/^qwtest-[0-9a-f]{12}$/);
      expect(other.prefix).to.not.equal(client.prefix);
      expect(() => createTestClient({ queues, connection: redis().url, prefix: 'x' } as never)).to.throw(ConfigurationError, /chooses a unique prefix/);
    });

    it('close() stops its workers, deletes every key under its prefix (and no other) and closes every connection', async () => {
      const probe = redis().connect();
      cleanup(() => probe.disconnect());
      await probe.set('someone-else:key', '1');
      const before = await redis().clientCount(); // the probe and the test client's producer connection
      await startWorkers({ client, handlers: [echoHandlers()], handleSignals: false });
      const job = await client.producer.add('echo', 'value', { value: 1 });
      await waitFor(client, 'echo', job.id, 'completed');
      expect(await keysUnder(probe, client.prefix)).to.not.be.empty;
      expect(await redis().clientCount()).to.be.greaterThan(before);

      await client.close();

      expect(await keysUnder(probe, client.prefix)).to.deep.equal([]);
      expect(await probe.get('someone-else:key')).to.equal('1');
      expect(await redis().clientCount()).to.equal(1); // the probe alone
      await client.close(); // idempotent
    });
  });

  describe('waitFor', () => {
    it('resolves with the stored job once a worker completed it, even when it got there before waitFor was called', async () => {
      await startWorkers({ client, handlers: [echoHandlers()], handleSignals: false });
      const early = await client.producer.add('echo', 'value', { value: 'early' });
      const done = await waitFor(client, 'echo', early.id, 'completed');
      expect(done.returnvalue).to.equal('early');
      // Already completed: read back from Redis, not waited for.
      const again = await waitFor(client, 'echo', early.id, 'completed', { timeout: 200 });
      expect(again.id).to.equal(early.id);
    });

    it('finds a job by a predicate on what it holds (the id is not known to the test)', async () => {
      await startWorkers({ client, handlers: [echoHandlers()], handleSignals: false });
      await client.producer.add('echo', 'fail', { message: 'first' });
      await client.producer.add('echo', 'fail', { message: 'second' });
      const failed = await waitFor(client, 'echo', (job) => job.name === 'fail' && job.data.message === 'second', 'failed');
      expect(failed.failedReason).to.equal('second');
    });

    it('rejects after the timeout with WaitForStateError naming the actual state and the missing worker', async () => {
      const job = await client.producer.add('echo', 'value', { value: 1 }); // no worker: stays waiting
      const started = Date.now();
      const error = await waitFor(client, 'echo', job.id, 'completed', { timeout: 300 }).then(() => undefined, (caught: unknown) => caught);
      expect(Date.now() - started).to.be.within(280, 3000);
      expect(error).to.be.instanceOf(WaitForStateError);
      const failure = error as WaitForStateError;
      expect(failure.message).to.contain(`job echo/${job.id} did not reach "completed" within 300 ms; it is "waiting"`);
      expect(failure.message).to.contain('Is a worker running for "echo"');
      expect(failure.jobs).to.deep.equal([{ id: job.id, state: 'waiting' }]);
    });

    it('says a job that failed is failed, with its reason, when the test waited for completed', async () => {
      await startWorkers({ client, handlers: [echoHandlers()], handleSignals: false });
      const job = await client.producer.add('echo', 'fail', { message: 'boom' });
      await waitFor(client, 'echo', job.id, 'failed');
      const error = await waitFor(client, 'echo', job.id, 'completed', { timeout: 200 }).catch((caught: unknown) => caught) as WaitForStateError;
      expect(error).to.be.instanceOf(WaitForStateError);
      expect(error.jobs).to.deep.equal([{ id: job.id, state: 'failed', failedReason: 'boom' }]);
    });

    it('reports a job removed on completion at once instead of timing out', async () => {
      const waiting = client.producer.add('echo', 'value', { value: 1 }, { jobId: 'gone', removeOnComplete: true });
      const wait = waitFor(client, 'echo', 'gone', 'completed', { timeout: 8000 });
      await waiting;
      await client.events.ready(); // waitFor reads events from here on: the completion cannot come before
      await startWorkers({ client, handlers: [echoHandlers()], handleSignals: false });
      const error = await wait.catch((caught: unknown) => caught) as WaitForStateError;
      expect(error).to.be.instanceOf(WaitForStateError);
      expect(error.message).to.contain('was removed before it could be read');
    });

    it('refuses bad arguments before touching Redis', () => {
      expect(() => waitFor(client, 'nope' as never, 'x', 'completed')).to.throw(/nope/);
      expect(() => waitFor(client, 'echo', 'x', 'done' as never)).to.throw(ConfigurationError, /state must be one of/);
      expect(() => waitFor(client, 'echo', 'x', 'completed', { timeout: -1 })).to.throw(ConfigurationError, /timeout/);
      expect(() => waitFor(client, 'echo', 'x', 'completed', { tiemout: 5 } as never)).to.throw(ConfigurationError, /tiemout/);
    });
  });

  describe('runHandler', () => {
    it('returns what the handler returns, on a real job that no worker takes and that is removed afterwards', async () => {
      // A worker on the same queue and prefix must not run the job runHandler stored.
      let workerRan = 0;
      await startWorkers({ client, handlers: [echoHandlers({ slow: async (job) => { workerRan++; return { slept: job.data.ms }; } })], handleSignals: false });
      let seen: { state: string; id: string | undefined } | undefined;
      const registry = echoHandlers({
        slow: async (job) => {
          seen = { state: await job.getState(), id: job.id };
          await job.updateProgress(50);
          return { slept: job.data.ms * 2 };
        },
      });
      expect(await runHandler(client, registry, 'slow', { ms: 21 })).to.deep.equal({ slept: 42 });
      expect(seen!.state).to.equal('delayed');
      expect(await client.queue('echo').getJob(seen!.id!)).to.equal(undefined);
      expect(workerRan).to.equal(0);
    });

    it('rejects with the very error the handler threw', async () => {
      const thrown = new TypeError('bad input');
      const registry = echoHandlers({ fail: async () => { throw thrown; } });
      const error = await runHandler(client, registry, 'fail', { message: 'x' }).catch((caught: unknown) => caught);
      expect(error).to.equal(thrown);
    });

    it('checks the data as add does: a payload that is not JSON is refused (UnserializableValueError) and the handler does not run', async () => {
      let ran = false;
      const registry = echoHandlers({ value: async () => { ran = true; } });
      await runHandler(client, registry, 'value', { value: (() => 1) as unknown }).then(
        () => expect.fail('resolved'),
        (error: unknown) => expect(error).to.be.instanceOf(UnserializableValueError),
      );
      expect(ran).to.equal(false);
    });

    it('refuses a registry of another definition, a delay and unknown options', async () => {
      const elsewhere = defineQueues({ mail: { jobs: { send: job<{ to: string }>() } } });
      const foreign = handlers(elsewhere, 'mail', { send: async () => undefined });
      for (const registry of [{ queue: 'echo' }, foreign]) {
        await runHandler(client, registry as never, 'value' as never, { value: 1 } as never).then(
          () => expect.fail('resolved'),
          (error: unknown) => expect(error).to.be.instanceOf(ConfigurationError),
        );
      }
      await runHandler(client, echoHandlers(), 'value', { value: 1 }, { jobOptions: { delay: 5 } }).then(
        () => expect.fail('resolved'),
        (error: unknown) => expect(error).to.be.instanceOf(ConfigurationError),
      );
      await runHandler(client, echoHandlers(), 'value', { value: 1 }, { retries: 1 } as never).then(
        () => expect.fail('resolved'),
        (error: unknown) => expect((error as Error).message).to.contain('retries'),
      );
    });
  });
});
