import { expect } from 'chai';
import { nextEvent } from './support/bus-events';
import { useCleanup, useRedisServer } from './support/harness';
import { echoHandlers } from './support/queues';
import { servedClient } from './support/served-client';

describe('queue admin: counts, getJob and listJobs', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('counts every state, 0 for empty ones; getJob reads a completed, a failed and a waiting job; a missing one is undefined', async () => {
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers()]);
    const { admin, producer, events } = client;
    expect(await admin.counts('echo')).to.deep.equal({ waiting: 0, prioritized: 0, delayed: 0, active: 0, 'waiting-children': 0, completed: 0, failed: 0 });

    const completed = nextEvent(events, 'echo:completed');
    const done = await producer.add('echo', 'value', { value: { answer: 42 } });
    await completed;
    const failed = nextEvent(events, 'echo:failed');
    const broken = await producer.add('echo', 'fail', { message: 'out of paper' });
    await failed;

    // Paused, so the jobs added now stay where they were put.
    await admin.pause('echo');
    const waiting = await producer.add('echo', 'value', { value: 'later' });
    await producer.add('echo', 'value', { value: 'urgent' }, { priority: 1 });
    await producer.add('echo', 'value', { value: 'tomorrow' }, { delay: 86_400_000 });
    expect(await admin.counts('echo')).to.deep.equal({ waiting: 1, prioritized: 1, delayed: 1, active: 0, 'waiting-children': 0, completed: 1, failed: 1 });
    expect(await admin.overview()).to.deep.equal([
      { queue: 'email', paused: false, counts: { waiting: 0, prioritized: 0, delayed: 0, active: 0, 'waiting-children': 0, completed: 0, failed: 0 } },
      { queue: 'echo', paused: true, counts: { waiting: 1, prioritized: 1, delayed: 1, active: 0, 'waiting-children': 0, completed: 1, failed: 1 } },
    ]);

    const doneJob = await admin.getJob('echo', done.id!);
    expect(doneJob).to.deep.include({ id: done.id, queue: 'echo', name: 'value', state: 'completed', data: { value: { answer: 42 } }, result: { answer: 42 }, attemptsMade: 1, attempts: 1, progress: 0, stacktrace: [] });
    expect(doneJob!.timestamps.finishedAt).to.be.a('number').and.at.least(doneJob!.timestamps.createdAt);
    expect(doneJob).to.not.have.property('failedReason');

    const brokenJob = await admin.getJob('echo', broken.id!);
    expect(brokenJob).to.deep.include({ state: 'failed', name: 'fail', failedReason: 'out of paper', attemptsMade: 1 });
    expect(brokenJob!.stacktrace).to.have.length(1);
    expect(brokenJob!.stacktrace[0]).to.include('Error: out of paper');
    expect(brokenJob).to.not.have.property('result');

    const waitingJob = await admin.getJob('echo', waiting.id!);
    expect(waitingJob).to.deep.include({ state: 'waiting', data: { value: 'later' }, attemptsMade: 0 });
    expect(waitingJob!.timestamps).to.deep.include({ processedAt: null, finishedAt: null });

    expect(await admin.getJob('echo', 'no-such-job')).to.equal(undefined);
  });

  it('listJobs pages a state most recent first, with the total to page on; the default page is 50 jobs', async () => {
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers()]);
    const { admin, producer } = client;
    await admin.pause('echo');
    const added: string[] = [];
    for (let value = 0; value < 7; value++) added.push((await producer.add('echo', 'value', { value })).id!);
    const newestFirst = [...added].reverse();

    const first = await admin.listJobs('echo', 'waiting', { start: 0, end: 2 });
    expect(first).to.deep.include({ queue: 'echo', state: 'waiting', start: 0, end: 2, total: 7 });
    expect(first.jobs.map((job) => job.id)).to.deep.equal(newestFirst.slice(0, 3));
    expect(first.jobs.map((job) => job.data)).to.deep.equal([{ value: 6 }, { value: 5 }, { value: 4 }]);
    expect(first.jobs.every((job) => job.state === 'waiting')).to.equal(true);

    const second = await admin.listJobs('echo', 'waiting', { start: first.end + 1, end: first.end + 3 });
    expect(second.jobs.map((job) => job.id)).to.deep.equal(newestFirst.slice(3, 6));
    const last = await admin.listJobs('echo', 'waiting', { start: second.end + 1, end: second.end + 3 });
    expect(last.jobs.map((job) => job.id)).to.deep.equal(newestFirst.slice(6));

    const whole = await admin.listJobs('echo', 'waiting');
    expect(whole).to.deep.include({ start: 0, end: 49, total: 7 });
    expect(whole.jobs.map((job) => job.id)).to.deep.equal(newestFirst);
    expect((await admin.listJobs('echo', 'failed')).jobs).to.deep.equal([]);
  });
});
