import { expect } from 'chai';
import { createQueueClient, handlers, startWorkers, type QueueClient, type WorkerGroup } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { queues } from './support/queues';

/** A promise the test settles by hand. */
function gate<Value = void>(): { promise: Promise<Value>; open: (value: Value) => void } {
  let open!: (value: Value) => void;
  const promise = new Promise<Value>((resolve) => (open = resolve));
  return { promise, open };
}

describe('workers: graceful shutdown', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  /** Workers for `echo` whose `slow` handler reports when it starts and runs until `release` opens (or it is aborted). */
  async function start(shutdownTimeout: number, recovery: { lockDuration?: number; stalledInterval?: number } = {}) {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    cleanup(() => client.close());
    const started = gate<AbortSignal | undefined>();
    const release = gate();
    const returned = gate();
    const group = await startWorkers({
      client,
      handleSignals: false,
      shutdownTimeout,
      ...recovery,
      handlers: [handlers(queues, 'echo', {
        value: async (job) => job.data.value,
        fail: async (job) => {
          throw new Error(job.data.message);
        },
        slow: async (job, { signal }) => {
          started.open(signal);
          await new Promise<void>((resolve) => {
            void release.promise.then(resolve);
            signal?.addEventListener('abort', () => resolve());
          });
          returned.open();
          return { slept: job.data.ms };
        },
      })],
    });
    cleanup(() => {
      release.open();
      return group.close();
    });
    let workerClosed = false;
    group.workers.get('echo')!.on('closed', () => (workerClosed = true));
    return { client, group, started: started.promise, release: release.open, returned: returned.promise, workerClosed: () => workerClosed };
  }

  async function state(client: QueueClient<typeof queues>, jobId: string): Promise<string> {
    return client.queue('echo').getJobState(jobId);
  }

  it('close() stops taking jobs, lets the active one finish, and every call returns the same promise', async () => {
    const { client, group, started, release, workerClosed } = await start(10_000);
    const active = await client.producer.add('echo', 'slow', { ms: 0 });
    await started;

    const closing = group.close();
    expect(group.close(), 'second call').to.equal(closing);
    let closed = false;
    void closing.then(() => (closed = true));
    const waiting = await client.producer.add('echo', 'value', { value: 'after close' });
    // A round trip to Redis later, the job still runs and close() still waits for it.
    expect(await state(client, active.id!)).to.equal('active');
    expect(closed, 'close() resolved while its job was running').to.equal(false);

    release();
    const report = await closing;
    expect(report).to.deep.equal({ abandoned: [], clean: true });
    expect(await state(client, active.id!), 'the active job').to.equal('completed');
    expect(await state(client, waiting.id!), 'a job added after close()').to.equal('waiting');
    expect(workerClosed(), 'BullMQ worker closed').to.equal(true);
    expect(group.close(), 'a call after close').to.equal(closing);
  });

  it("a handler's signal also aborts when BullMQ cancels its job", async () => {
    const { client, group, started, returned } = await start(10_000);
    const job = await client.producer.add('echo', 'slow', { ms: 0 });
    const signal = await started;
    expect(signal?.aborted).to.equal(false);
    expect(group.workers.get('echo')!.cancelJob(job.id!, 'no longer needed')).to.equal(true);
    await returned;
    expect(signal?.aborted).to.equal(true);
    expect(signal?.reason).to.equal('no longer needed');
  });

  it('C12: with a short shutdownTimeout, a job still running at the deadline is abandoned (named, aborted, left to stalled recovery), and another worker runs it', async () => {
    // A short lock and check, so the abandoned job comes back within the test (the defaults are 30 s;
    // the check's interval is shared through Redis by every worker of the queue, this one's included).
    const { client, group, started, returned, workerClosed } = await start(100, { lockDuration: 1000, stalledInterval: 300 });
    const job = await client.producer.add('echo', 'slow', { ms: 0 });
    const signal = await started;

    const report: Awaited<ReturnType<WorkerGroup['close']>> = await group.close();
    expect(report).to.deep.equal({ abandoned: [`echo/${job.id}`], clean: false });
    expect(workerClosed(), 'BullMQ worker closed when close() resolves').to.equal(true);
    expect(signal?.aborted, "the handler's signal is aborted").to.equal(true);
    await returned;
    // Its result is not written by a closed worker: the job stays active until the stalled check
    // hands it to another worker, instead of failing for good because of a deploy.
    expect(await state(client, job.id!)).to.equal('active');

    // The next deploy's worker: its stalled check finds the expired lock and runs the job to the end.
    const next = await startWorkers({
      client,
      handleSignals: false,
      stalledInterval: 300,
      handlers: [handlers(queues, 'echo', {
        value: async (ran) => ran.data.value,
        fail: async (ran) => {
          throw new Error(ran.data.message);
        },
        slow: async (ran) => ({ slept: ran.data.ms }),
      })],
    });
    cleanup(() => next.close());
    expect(await pollUntil(() => state(client, job.id!), (now) => now === 'completed', { timeout: 8000 })).to.equal('completed');
    expect((await client.queue('echo').getJob(job.id!))?.returnvalue).to.deep.equal({ slept: 0 });
  });
});
