import { expect } from 'chai';
import { nextEvent } from './support/bus-events';
import { useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { echoHandlers } from './support/queues';
import { servedClient, servedGatedEcho } from './support/served-client';

describe('queue admin: clean and drain', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('clean removes finished jobs older than olderThan, at most limit a call, and says which', async () => {
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers()]);
    const { admin, producer, events } = client;
    const finish = async (value: number) => {
      const completed = nextEvent(events, 'echo:completed');
      const job = await producer.add('echo', 'value', { value });
      await completed;
      return (await admin.getJob('echo', job.id!))!;
    };
    const old = [await finish(1), await finish(2)];
    const lastOldFinish = old[1]!.timestamps.finishedAt!;
    // A clear gap on the clock between the old jobs and the new one, so an age can tell them apart.
    await pollUntil(() => Date.now(), (now) => now >= lastOldFinish + 400);
    const recent = await finish(3);

    expect(await admin.clean('echo', 'completed', { olderThan: 60_000 })).to.deep.equal([]);
    // Older than 200 ms: the two old jobs (≥ 400 ms ago), not the one that just finished.
    expect(await admin.clean('echo', 'completed', { olderThan: 200, limit: 1 })).to.have.length(1);
    expect(await admin.clean('echo', 'completed', { olderThan: 200 })).to.have.length(1);
    expect((await admin.listJobs('echo', 'completed')).jobs.map((job) => job.id)).to.deep.equal([recent.id]);
    expect(await admin.getJob('echo', old[0]!.id)).to.equal(undefined);

    const failed = nextEvent(events, 'echo:failed');
    const broken = await producer.add('echo', 'fail', { message: 'no' });
    await failed;
    expect(await admin.clean('echo', 'failed', { olderThan: 0 })).to.deep.equal([broken.id]);
    expect(await admin.clean('echo', 'completed', { olderThan: 0 })).to.deep.equal([recent.id]);
    expect(await admin.counts('echo')).to.include({ completed: 0, failed: 0 });
  });

  it('clean removes waiting, prioritized and delayed jobs by state, leaving the other states alone', async () => {
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers()]);
    const { admin, producer } = client;
    await admin.pause('echo');
    const waiting = [await producer.add('echo', 'value', { value: 1 }), await producer.add('echo', 'value', { value: 2 })];
    const prioritized = await producer.add('echo', 'value', { value: 3 }, { priority: 5 });
    const delayed = await producer.add('echo', 'value', { value: 4 }, { delay: 86_400_000 });

    expect(await admin.clean('echo', 'waiting', { olderThan: 60_000 })).to.deep.equal([]);
    expect(await admin.clean('echo', 'waiting', { olderThan: 0 })).to.have.members(waiting.map((job) => job.id));
    expect(await admin.counts('echo')).to.include({ waiting: 0, prioritized: 1, delayed: 1 });
    expect(await admin.clean('echo', 'prioritized', { olderThan: 0 })).to.deep.equal([prioritized.id]);
    expect(await admin.clean('echo', 'delayed', { olderThan: 0 })).to.deep.equal([delayed.id]);
    expect(await admin.counts('echo')).to.include({ waiting: 0, prioritized: 0, delayed: 0 });
  });

  it('BullMQ limit: clean of delayed jobs examines only the next `limit` due, so an older job further on stays', async () => {
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers()]);
    const { admin, producer } = client;
    const old = await producer.add('echo', 'value', { value: 'old, due tomorrow' }, { delay: 86_400_000 });
    await pollUntil(() => Date.now(), (now) => now >= old.timestamp + 400);
    const young = await producer.add('echo', 'value', { value: 'young, due in an hour' }, { delay: 3_600_000 });

    // Only the next due (the young job) is looked at: nothing is old enough among it.
    expect(await admin.clean('echo', 'delayed', { olderThan: 200, limit: 1 })).to.deep.equal([]);
    expect(await admin.clean('echo', 'delayed', { olderThan: 200, limit: 2 })).to.deep.equal([old.id]);
    expect((await admin.listJobs('echo', 'delayed')).jobs.map((job) => job.id)).to.deep.equal([young.id]);
  });

  it('drain removes waiting and prioritized jobs, delayed ones only when asked, and never the active job', async () => {
    const { client, gates } = await servedGatedEcho(redis().url, cleanup);
    const { admin, producer, events } = client;
    const activeEvent = nextEvent(events, 'echo:active');
    const running = await producer.add('echo', 'value', { value: 'running' });
    await activeEvent;
    await admin.pause('echo');
    await producer.add('echo', 'value', { value: 'waiting' });
    await producer.add('echo', 'value', { value: 'prioritized' }, { priority: 1 });
    const delayed = await producer.add('echo', 'value', { value: 'delayed' }, { delay: 86_400_000 });

    await admin.drain('echo');
    expect(await admin.counts('echo')).to.include({ active: 1, waiting: 0, prioritized: 0, delayed: 1 });
    expect((await admin.getJob('echo', delayed.id!))?.state).to.equal('delayed');
    await admin.drain('echo', { delayed: true });
    expect(await admin.counts('echo')).to.include({ active: 1, waiting: 0, prioritized: 0, delayed: 0 });

    // The running job was never touched: it finishes normally.
    const completed = nextEvent(events, 'echo:completed', (event) => event.jobId === running.id);
    gates.open(running.id!);
    expect((await completed).returnvalue).to.equal('running');
    expect(await admin.counts('echo')).to.include({ active: 0, completed: 1 });
  });
});
