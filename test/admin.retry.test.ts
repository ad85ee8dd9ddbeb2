import { expect } from 'chai';
import { JobNotFoundError, JobStateConflictError, type QueueClient } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { useCleanup, useRedisServer } from './support/harness';
import { echoHandlers, type TestQueues } from './support/queues';
import { servedClient } from './support/served-client';

describe('queue admin: retry and retryFailed', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  // `value` jobs fail while the outage lasts, then succeed: what retrying is for.
  async function clientWithOutage(): Promise<{ client: QueueClient<TestQueues>; outage: { on: boolean } }> {
    const outage = { on: true };
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers({
      value: async (job) => {
        if (outage.on) throw new Error('downstream is down');
        return job.data.value;
      },
    })]);
    return { client, outage };
  }

  async function failedJobs(client: QueueClient<TestQueues>, values: number[]): Promise<string[]> {
    const ids: string[] = [];
    for (const value of values) {
      // One at a time, so they fail in this order.
      const failed = nextEvent(client.events, 'echo:failed');
      ids.push((await client.producer.add('echo', 'value', { value })).id!);
      expect((await failed).jobId).to.equal(ids.at(-1));
    }
    return ids;
  }

  it('retry runs a failed job again as new: it completes, its attempts count from 0 and its failure is gone', async () => {
    const { client, outage } = await clientWithOutage();
    const [id] = await failedJobs(client, [7]);
    expect(await client.admin.getJob('echo', id!)).to.deep.include({ state: 'failed', attemptsMade: 1, failedReason: 'downstream is down' });

    outage.on = false;
    const completed = nextEvent(client.events, 'echo:completed', (event) => event.jobId === id);
    await client.admin.retry('echo', id!);
    expect((await completed).returnvalue).to.equal(7);
    const job = await client.admin.getJob('echo', id!);
    expect(job).to.deep.include({ state: 'completed', result: 7, attemptsMade: 1 });
    expect(job).to.not.have.property('failedReason');
    expect(await client.admin.counts('echo')).to.include({ failed: 0, completed: 1 });
  });

  it('retry refuses a missing job (JobNotFoundError) and one that is not failed (JobStateConflictError), changing nothing', async () => {
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers()]);
    const missing = await client.admin.retry('echo', 'no-such-job').then(() => undefined, (e: unknown) => e);
    expect(missing).to.be.instanceOf(JobNotFoundError).and.include({ code: 'QW_JOB_NOT_FOUND', queue: 'echo', jobId: 'no-such-job' });

    const completed = nextEvent(client.events, 'echo:completed');
    const done = await client.producer.add('echo', 'value', { value: 1 });
    await completed;
    const conflict = await client.admin.retry('echo', done.id!).then(() => undefined, (e: unknown) => e);
    expect(conflict).to.be.instanceOf(JobStateConflictError).and.include({ code: 'QW_JOB_STATE_CONFLICT', state: 'completed', expected: 'failed' });
    expect((conflict as Error).message).to.equal(`Job echo/${done.id} is completed, not failed; only failed jobs can be retried.`);
    expect(await client.admin.counts('echo')).to.include({ completed: 1, waiting: 0, failed: 0 });
  });

  it('retryFailed retries the earliest failures first, up to count; a second call takes the rest', async () => {
    const { client, outage } = await clientWithOutage();
    const ids = await failedJobs(client, [1, 2, 3, 4, 5]);

    // Paused, so the retried jobs wait where the test can see them.
    await client.admin.pause('echo');
    expect(await client.admin.retryFailed('echo', { count: 3 })).to.deep.equal(ids.slice(0, 3));
    expect(await client.admin.counts('echo')).to.include({ waiting: 3, failed: 2 });
    expect((await client.admin.listJobs('echo', 'failed')).jobs.map((job) => job.id)).to.have.members(ids.slice(3));

    expect(await client.admin.retryFailed('echo')).to.have.members(ids.slice(3));
    expect(await client.admin.retryFailed('echo')).to.deep.equal([]);
    expect(await client.admin.counts('echo')).to.include({ waiting: 5, failed: 0 });

    outage.on = false;
    const completions = ids.map((id) => nextEvent(client.events, 'echo:completed', (event) => event.jobId === id));
    await client.admin.resume('echo');
    expect((await Promise.all(completions)).map((event) => event.returnvalue)).to.deep.equal([1, 2, 3, 4, 5]);
  });
});
