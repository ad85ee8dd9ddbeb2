import { expect } from 'chai';
import { nextEvent } from './support/bus-events';
import { useCleanup, useRedisServer } from './support/harness';
import { echoHandlers } from './support/queues';
import { servedClient, servedGatedEcho } from './support/served-client';

describe('queue admin: pause and resume', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('pause lets the active job finish and keeps the running worker from taking the next one; resume restarts it', async () => {
    // Concurrency 1: while the first job runs, the second waits in line behind it.
    const { client, gates } = await servedGatedEcho(redis().url, cleanup);
    const { admin, producer, events } = client;

    const firstActive = nextEvent(events, 'echo:active');
    const first = await producer.add('echo', 'value', { value: 1 });
    expect((await firstActive).jobId).to.equal(first.id);
    const second = await producer.add('echo', 'value', { value: 2 });

    const paused = nextEvent(events, 'echo:paused');
    await admin.pause('echo');
    await paused;
    expect(await admin.isPaused('echo')).to.equal(true);

    // BullMQ finishes a job and fetches the next in one script: had the pause not held, the second
    // job would be active by the time the first one's completion is seen.
    const firstCompleted = nextEvent(events, 'echo:completed', (event) => event.jobId === first.id);
    gates.open(first.id!);
    expect((await firstCompleted).returnvalue).to.equal(1);
    expect(await admin.counts('echo')).to.deep.equal({ waiting: 1, prioritized: 0, delayed: 0, active: 0, 'waiting-children': 0, completed: 1, failed: 0 });
    expect((await admin.getJob('echo', second.id!))?.state).to.equal('waiting');

    // Adds go on while paused; their jobs wait too.
    const third = await producer.add('echo', 'value', { value: 3 });
    expect((await admin.counts('echo')).waiting).to.equal(2);

    gates.open(second.id!);
    gates.open(third.id!);
    const resumed = nextEvent(events, 'echo:resumed');
    const secondCompleted = nextEvent(events, 'echo:completed', (event) => event.jobId === second.id);
    const thirdCompleted = nextEvent(events, 'echo:completed', (event) => event.jobId === third.id);
    await admin.resume('echo');
    await resumed;
    expect(await admin.isPaused('echo')).to.equal(false);
    expect((await secondCompleted).returnvalue).to.equal(2);
    expect((await thirdCompleted).returnvalue).to.equal(3);
    expect(await admin.counts('echo')).to.include({ waiting: 0, active: 0, completed: 3 });
  });

  it('pause and resume are per queue and repeatable: pausing twice, resuming twice change nothing more', async () => {
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers()]);
    const { admin } = client;
    await admin.pause('email');
    await admin.pause('email');
    expect(await admin.isPaused('email')).to.equal(true);
    expect(await admin.isPaused('echo')).to.equal(false);
    expect((await admin.overview()).map(({ queue, paused }) => ({ queue, paused }))).to.deep.equal([
      { queue: 'email', paused: true },
      { queue: 'echo', paused: false },
    ]);
    await admin.resume('email');
    await admin.resume('email');
    expect(await admin.isPaused('email')).to.equal(false);
  });
});
