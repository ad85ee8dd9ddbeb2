import { expect } from 'chai';
import { UnrecoverableError, type Job } from 'bullmq';
import { handlers, InvalidJobOptionsError, JobCancelledError, startWorkers, type QueueClient, UnknownQueueError } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { fixturePath, runNode } from './support/child-process';
import { limitedClient, limitedQueues, type LimitedQueues } from './support/limited-queues';

describe('workers: job timeouts and cancel', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  const newClient = (prefix?: string): QueueClient<LimitedQueues> => limitedClient(redis().url, cleanup, { prefix });

  /**
   * Workers for the `work` queue whose `sleep` and `hang` handlers record their signal and wait for it
   * to abort (`sleep` waits `ms`, or for ever when `ignoreSignal`), and the failed jobs' errors as the
   * worker saw them.
   */
  async function serve(client: QueueClient<LimitedQueues>, { ignoreSignal = false } = {}) {
    const seen = { signals: new Map<string, AbortSignal>(), runs: 0, errors: new Map<string, Error>() };
    const untilAborted = (signal: AbortSignal | undefined): Promise<never> => new Promise((_, reject) => {
      if (ignoreSignal) return; // never settles: only queuewire's timeout or cancel can end the attempt
      signal!.addEventListener('abort', () => reject(new Error('aborted by signal')));
    });
    const group = await startWorkers({
      client,
      handleSignals: false,
      concurrency: 4,
      handlers: [handlers(limitedQueues, 'work', {
        tick: async () => undefined,
        sleep: async (job, { signal }) => {
          seen.runs++;
          seen.signals.set(job.id!, signal!);
          await Promise.race([new Promise((resolve) => setTimeout(resolve, job.data.ms)), untilAborted(signal)]);
          return { slept: job.data.ms };
        },
        hang: async (job, { signal }) => {
          seen.signals.set(job.id!, signal!);
          await untilAborted(signal);
        },
      })],
    });
    cleanup(() => group.close());
    group.workers.get('work')!.on('failed', (job: Job | undefined, error: Error) => job && seen.errors.set(job.id!, error));
    return { group, seen };
  }

  async function finalState(client: QueueClient<LimitedQueues>, jobId: string): Promise<{ state: string; failedReason?: string; attemptsMade?: number }> {
    return pollUntil(async () => {
      // State first: a job read before it finished would pair an old hash with a new state.
      const state = await client.queue('work').getJobState(jobId);
      const job = await client.queue('work').getJob(jobId);
      return { state, failedReason: job?.failedReason, attemptsMade: job?.attemptsMade };
    }, ({ state }) => state === 'failed' || state === 'completed');
  }

  it('a job running past its timeout has its signal aborted and fails with the timeout error, retried while attempts remain', async () => {
    const client = newClient();
    const { seen } = await serve(client);
    const slow = await client.producer.add('work', 'sleep', { ms: 5000 }, { attempts: 2 });
    const quick = await client.producer.add('work', 'sleep', { ms: 10 });
    const outcome = await finalState(client, slow.id!);
    expect(outcome).to.deep.equal({
      state: 'failed',
      attemptsMade: 2,
      failedReason: `Job "sleep" (work/${slow.id}) timed out after 300 ms; its handler's signal was aborted. Raise timeouts.sleep for queue "work" if the work needs longer.`,
    });
    expect(seen.signals.get(slow.id!)!.aborted).to.equal(true);
    expect(seen.errors.get(slow.id!)).to.have.property('code', 'QW_JOB_TIMEOUT');
    expect((await finalState(client, quick.id!)).state).to.equal('completed');
    expect(seen.signals.get(quick.id!)!.aborted).to.equal(false);
  });

  it('a handler that ignores its signal still fails at the timeout, and the worker goes on with other jobs', async () => {
    const client = newClient();
    await serve(client, { ignoreSignal: true });
    const started = Date.now();
    const stuck = await client.producer.add('work', 'sleep', { ms: 60_000 });
    const outcome = await finalState(client, stuck.id!);
    expect(outcome.state).to.equal('failed');
    expect(outcome.failedReason).to.match(/^Job "sleep" \(work\/\d+\) timed out after 300 ms/);
    expect(Date.now() - started).to.be.below(3000);
    const next = await client.producer.add('work', 'tick', { n: 1 });
    expect((await finalState(client, next.id!)).state).to.equal('completed');
  });

  it('req.queue.cancel from another client aborts the running job on the worker; it fails with the cancel error and is not retried', async () => {
    const prefix = uniquePrefix();
    const workerClient = newClient(prefix);
    const { seen } = await serve(workerClient);
    const web = newClient(prefix); // a different client instance, as a web process would hold
    const job = await web.producer.add('work', 'hang', { label: 'report' }, { attempts: 3 });
    await pollUntil(() => seen.signals.has(job.id!), Boolean);
    // What the middleware puts on req.queue / ctx.queue: the producer's view for one request.
    const reqQueue = web.producer.withRequest({ requestId: 'req-7' });
    const result = await reqQueue.cancel('work', job.id!, { reason: 'user pressed stop' });
    expect(result).to.deep.equal({ queue: 'work', jobId: job.id, outcome: 'signalled', state: 'active', listeners: 1 });
    expect(await finalState(web, job.id!)).to.deep.equal({
      state: 'failed',
      attemptsMade: 1,
      failedReason: `Job "hang" (work/${job.id}) was cancelled: user pressed stop. It is not retried.`,
    });
    expect(seen.signals.get(job.id!)!.aborted).to.equal(true);
    const error = seen.errors.get(job.id!)!;
    expect(error).to.be.instanceOf(UnrecoverableError);
    expect(error.cause).to.be.instanceOf(JobCancelledError);
    // Once finished, a cancel says so instead of throwing.
    expect(await web.producer.cancel('work', job.id!)).to.deep.equal({ queue: 'work', jobId: job.id, outcome: 'finished', state: 'failed' });
  });

  it('cancel from a child process reaches the worker of this process', async () => {
    const prefix = uniquePrefix();
    const client = newClient(prefix);
    const { seen } = await serve(client);
    const job = await client.producer.add('work', 'hang', { label: 'child' });
    await pollUntil(() => seen.signals.has(job.id!), Boolean);
    const run = await runNode(fixturePath('cancel-job'), [redis().url, prefix, 'work', job.id!, 'from another process']);
    expect(run.code, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal({ event: 'cancelled', queue: 'work', jobId: job.id, outcome: 'signalled', state: 'active', listeners: 1 });
    expect(await finalState(client, job.id!)).to.deep.equal({
      state: 'failed',
      attemptsMade: 1,
      failedReason: `Job "hang" (work/${job.id}) was cancelled: from another process. It is not retried.`,
    });
  });

  it('cancel of a waiting or delayed job removes it; an unknown id, or a running job no worker hears, is reported, not thrown', async () => {
    const client = newClient();
    const waiting = await client.producer.add('work', 'tick', { n: 1 });
    const delayed = await client.producer.add('work', 'tick', { n: 2 }, { delay: 60_000 });
    expect(await client.producer.cancel('work', waiting.id!)).to.deep.equal({ queue: 'work', jobId: waiting.id, outcome: 'removed', state: 'waiting' });
    expect(await client.producer.cancel('work', delayed.id!)).to.deep.equal({ queue: 'work', jobId: delayed.id, outcome: 'removed', state: 'delayed' });
    expect(await client.queue('work').getJob(waiting.id!)).to.equal(undefined);
    expect(await client.queue('work').getJob(delayed.id!)).to.equal(undefined);
    expect(await client.producer.cancel('work', 'no-such-job')).to.deep.equal({ queue: 'work', jobId: 'no-such-job', outcome: 'not-found', state: 'unknown' });
    // A job left active by a worker that is gone (no worker process listens under this prefix).
    const orphan = await client.producer.add('work', 'tick', { n: 3 });
    const taken = await startWorkerless(client, orphan.id!);
    expect(taken).to.equal(true);
    expect(await client.producer.cancel('work', orphan.id!)).to.deep.equal({ queue: 'work', jobId: orphan.id, outcome: 'unheard', state: 'active', listeners: 0 });
    // Bad input is refused before Redis.
    await expectRejection(client.producer.cancel('nope' as 'work', '1'), UnknownQueueError);
    await expectRejection(client.producer.cancel('work', ''), InvalidJobOptionsError);
    await expectRejection(client.producer.cancel('work', '1', { force: true } as never), InvalidJobOptionsError);
    await expectRejection(client.producer.cancel('work', '1', 'uploaded again' as never), InvalidJobOptionsError, /options must be an object such as \{ reason: 'uploaded again' \}; got "uploaded again"/);
  });

  // Moves a job to active with BullMQ's getNextJob on a bare Worker that has no processor loop, so the
  // job is active with nobody subscribed to cancels; the worker is closed at once (the job stays active).
  async function startWorkerless(client: QueueClient<LimitedQueues>, jobId: string): Promise<boolean> {
    const { Worker } = await import('bullmq');
    const worker = new Worker('work', null, { connection: { url: redis().url }, prefix: client.prefix, autorun: false });
    try {
      const job = await worker.getNextJob('orphan-token');
      return job?.id === jobId;
    } finally {
      await worker.close(true);
    }
  }

  async function expectRejection(promise: Promise<unknown>, type: new (...args: never[]) => Error, message?: RegExp): Promise<void> {
    const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
    expect(error).to.be.instanceOf(type);
    if (message) expect((error as Error).message).to.match(message);
  }
});
