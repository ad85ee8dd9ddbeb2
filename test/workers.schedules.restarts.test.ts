import { expect } from 'chai';
import { createQueueClient, type ScheduleChange } from '../lib/index';
import { fixturePath, NodeChild } from './support/child-process';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { scheduleQueues, TICK_EVERY } from './support/schedule-queues';

describe('schedules: restarts and concurrent instances', function () {
  this.timeout(60_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C39: upserted at every start, 10 restarts (some by SIGKILL) with two instances at once leave exactly one scheduler and no scheduled time runs twice', async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues: scheduleQueues, connection: redis().url, prefix });
    cleanup(() => client.close());
    const clock = client.queue('clock');
    const children = new Set<NodeChild>();
    cleanup(() => Promise.all([...children].map((child) => child.stop())));
    const changes: Array<ScheduleChange['change']> = [];
    const startInstance = async (): Promise<NodeChild> => {
      const child = new NodeChild(fixturePath('schedule-worker'), [redis().url, prefix]);
      children.add(child);
      const ready = await child.waitForLine((line) => typeof line === 'object' && line.event === 'ready', 'ready line') as { schedules: ScheduleChange[] };
      changes.push(...ready.schedules.map((schedule) => schedule.change));
      return child;
    };
    const stopInstance = async (child: NodeChild, signal: NodeJS.Signals): Promise<void> => {
      child.kill(signal);
      await child.exited;
      children.delete(child);
    };
    // Ids of the scheduler's jobs that ran: `repeat:queuewire:tick:<scheduled time>`.
    const completed = async (): Promise<string[]> => (await clock.getJobs(['completed'])).map((job) => job.id!);

    // Two instances at once on an empty Redis: both may find no scheduler and write it.
    let running = await Promise.all([startInstance(), startInstance()]);
    for (let restart = 1; restart <= 10; restart++) {
      if (restart % 4 === 0) {
        // Both at once: killed together, started together.
        await Promise.all(running.map((child) => stopInstance(child, 'SIGKILL')));
        running = await Promise.all([startInstance(), startInstance()]);
      } else {
        const [oldest, other] = running as [NodeChild, NodeChild];
        await stopInstance(oldest, restart % 2 === 0 ? 'SIGKILL' : 'SIGTERM');
        running = [other, await startInstance()];
      }
      // The schedule goes on after each restart: one more job runs.
      const ranBefore = (await completed()).length;
      const ran = await pollUntil(completed, (ids) => ids.length > ranBefore, { timeout: 10_000 });
      expect(ran.length, `jobs run after restart ${restart}`).to.be.above(ranBefore);
    }
    await Promise.all(running.map((child) => stopInstance(child, 'SIGTERM')));

    expect(changes, 'what each start did').to.have.length(14);
    expect(changes.every((change) => change === 'created' || change === 'unchanged'), changes.join(', ')).to.equal(true);
    expect(await client.connections.producer.zrange(clock.keys.repeat!, 0, -1), 'schedulers in Redis').to.deep.equal(['queuewire:tick']);
    const all = await clock.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized']);
    expect(all.every((job) => job.id!.startsWith('repeat:queuewire:tick:')), 'only scheduled jobs').to.equal(true);
    expect(all.filter((job) => job.failedReason), 'failed jobs').to.deep.equal([]);
    // One job per scheduled time, and scheduled times a full interval apart: no run was added twice.
    const times = all.map((job) => Number(job.id!.slice('repeat:queuewire:tick:'.length))).sort((a, b) => a - b);
    expect(new Set(times).size, 'distinct scheduled times').to.equal(times.length);
    const gaps = times.slice(1).map((time, index) => time - times[index]!);
    expect(gaps.filter((gap) => gap < TICK_EVERY), `gaps between scheduled times: ${gaps.join(', ')}`).to.deep.equal([]);
    const pending = await clock.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(pending.map((job) => job.id), 'next runs waiting').to.have.length(1);
  });
});
