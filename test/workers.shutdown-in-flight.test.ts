import { expect } from 'chai';
import { createQueueClient, handlers, startWorkers } from '../lib/index';
import { isLine, startFaultProcess } from './support/fault-children';
import { faultQueues } from './support/fault-queues';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';

describe('workers: jobs that are still running when a graceful shutdown begins', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  async function setUp(concurrency: number) {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues: faultQueues, connection: redis().url, prefix });
    cleanup(() => client.close());
    await client.events.ready();
    const child = await startFaultProcess({ url: redis().url, prefix, roles: ['worker', 'bus'], worker: { concurrency, shutdownTimeout: 10_000 } });
    cleanup(() => child.stop());
    return { client, child };
  }

  it('C11: SIGTERM while jobs are about to throw: after exit each is failed or waiting for its retry, never active', async () => {
    const { client, child } = await setUp(2);
    const lastAttempt = await client.producer.add('work', 'throwOnShutdown', { message: 'broke during deploy' });
    const retried = await client.producer.add('work', 'throwOnShutdown', { message: 'broke, will retry' }, { attempts: 3, backoff: { type: 'fixed', delay: 60_000 } });
    for (const job of [lastAttempt, retried]) {
      await child.waitForLine((line) => isLine(line, 'job-started', { jobId: job.id }), `job ${job.id} starting`);
    }
    child.kill('SIGTERM');

    // Both jobs ended (by throwing) within the grace period: a clean shutdown.
    expect(await child.exited).to.deep.equal({ code: 0, signal: null });
    const queue = client.queue('work');
    expect(await queue.getJobState(lastAttempt.id!)).to.equal('failed');
    expect((await queue.getJob(lastAttempt.id!))!.failedReason).to.equal('broke during deploy');
    expect(await queue.getJobState(retried.id!), 'a job with attempts left').to.equal('delayed');
    expect((await queue.getJob(retried.id!))!.attemptsMade).to.equal(1);
    expect(await queue.getActiveCount(), 'active jobs').to.equal(0);
    // The worker's own bus saw the failure before it closed.
    expect(child.events('bus:failed').map((line) => [line.jobId, line.failedReason])).to.deep.equal([[lastAttempt.id, 'broke during deploy']]);
    expect(child.stderr).to.equal('');
  });

  it('graceful shutdown: an in-flight job can still enqueue follow-up jobs, and they run to completion in another worker', async () => {
    const { client, child } = await setUp(1);
    const parent = await client.producer.add('work', 'fanOutOnShutdown', { count: 3 });
    await child.waitForLine((line) => isLine(line, 'job-started', { jobId: parent.id }), 'the parent job starting');
    child.kill('SIGTERM');

    expect(await child.exited).to.deep.equal({ code: 0, signal: null });
    expect(child.stderr).to.equal('');
    const stored = (await client.queue('work').getJob(parent.id!))!;
    expect(await stored.getState()).to.equal('completed');
    const { followUps } = stored.returnvalue as { followUps: string[] };
    expect(followUps).to.have.length(3);
    // The shut-down worker fetched none of them: they wait for the next worker.
    expect(await Promise.all(followUps.map((id) => client.queue('work').getJobState(id)))).to.deep.equal(['waiting', 'waiting', 'waiting']);

    const next = await startWorkers({ client, handleSignals: false, handlers: [handlers(faultQueues, 'work', {
      quick: async () => ({ pid: process.pid }),
      hold: async () => ({ pid: process.pid }),
      throwOnShutdown: async () => {
        throw new Error('unused');
      },
      fanOutOnShutdown: async () => ({ followUps: [] }),
      followUp: async (job) => job.data,
    })] });
    cleanup(() => next.close());
    const states = await pollUntil(
      () => Promise.all(followUps.map((id) => client.queue('work').getJobState(id))),
      (all) => all.every((state) => state === 'completed'),
    );
    expect(states).to.deep.equal(['completed', 'completed', 'completed']);
    const results = await Promise.all(followUps.map(async (id) => (await client.queue('work').getJob(id))!.returnvalue));
    expect(results).to.deep.equal([0, 1, 2].map((index) => ({ parent: parent.id, index })));
  });
});
