import type { JobType } from 'bullmq';
import { expect } from 'chai';
import { z } from 'zod';
import {
  ConfigurationError, createQueueClient, DEFAULT_RETENTION, defineQueues, handlers, job, startWorkers,
  type QueueClient, type SchedulesOf,
} from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { recordingLogger } from './support/recording-logger';

const jobs = {
  tick: job<{ n: number }, { n: number }>(),
  checked: job(z.object({ n: z.number().int() })),
};

/** The definition under test: the `reports` queue with `schedules`, and an `other` queue with one of its own. */
function definitionWith(schedules: SchedulesOf<typeof jobs>) {
  return defineQueues({
    reports: { jobs, schedules },
    other: { jobs: { tick: job<{ n: number }>() }, schedules: { elsewhere: { job: 'tick', data: { n: 0 }, every: 60_000 } } },
  });
}
type Definition = ReturnType<typeof definitionWith>;

const reportHandlers = (queues: Definition) => handlers(queues, 'reports', { tick: async (job) => job.data, checked: async () => undefined });

// The job ids a scheduler gives its jobs: `repeat:<scheduler id>:<scheduled time in ms>`.
const jobIdPrefix = (id: string): string => `repeat:queuewire:${id}:`;

describe('workers: schedules are written to Redis at start', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  /** A client under `prefix` with the `reports` workers started (the `other` queue is not served). */
  async function start(queues: Definition, prefix: string, options: { maxPayloadBytes?: number } = {}) {
    const logger = recordingLogger();
    const client = createQueueClient({ queues, connection: redis().url, prefix, logger, ...options });
    cleanup(() => client.close());
    const group = await startWorkers({ client, handlers: [reportHandlers(queues)], handleSignals: false });
    cleanup(() => group.close());
    return { client, group, logger };
  }

  /** The jobs of one scheduler in the given states. */
  async function jobsOf(client: QueueClient<Definition>, id: string, states: JobType[]) {
    const found = await client.queue('reports').getJobs(states);
    return found.filter((stored) => stored.id!.startsWith(jobIdPrefix(id)));
  }

  it('creates a BullMQ Job Scheduler "queuewire:<id>" per declared schedule, for the served queues only; its jobs run the handler', async () => {
    const queues = definitionWith({
      tick: { job: 'tick', data: { n: 7 }, every: 200, options: { attempts: 2 } },
      nightly: { job: 'tick', data: { n: 1 }, pattern: '0 3 * * *', tz: 'Europe/Paris' },
    });
    const { client, group, logger } = await start(queues, uniquePrefix());
    expect(group.schedules).to.deep.equal([
      { queue: 'reports', id: 'tick', change: 'created' },
      { queue: 'reports', id: 'nightly', change: 'created' },
    ]);
    expect(logger.lines).to.deep.include({ level: 'info', message: '[queuewire] schedules of queue "reports": tick created, nightly created.' });

    const reports = client.queue('reports');
    const tick = (await reports.getJobScheduler('queuewire:tick'))!;
    expect(tick).to.deep.include({ key: 'queuewire:tick', name: 'tick', every: 200 });
    // The job's options are the defaults (retention) under the schedule's own, as for an add.
    expect(tick.template).to.deep.equal({ data: { n: 7 }, opts: { ...DEFAULT_RETENTION, attempts: 2 } });
    expect(await reports.getJobScheduler('queuewire:nightly')).to.deep.include({ pattern: '0 3 * * *', tz: 'Europe/Paris', name: 'tick' });
    expect(await client.queue('other').getJobSchedulersCount(), 'schedulers of the queue this group does not serve').to.equal(0);

    const ran = await pollUntil(() => jobsOf(client, 'tick', ['completed']), (done) => done.length >= 2);
    expect(ran.map((done) => done.returnvalue)).to.deep.equal([{ n: 7 }, { n: 7 }]);
  });

  it('a restart leaves an unchanged schedule alone: the same pending job, not a new one', async () => {
    const queues = definitionWith({ nightly: { job: 'tick', data: { n: 1 }, pattern: '0 3 * * *' } });
    const prefix = uniquePrefix();
    const first = await start(queues, prefix);
    const [pending] = await jobsOf(first.client, 'nightly', ['delayed']);
    await first.client.close();

    const second = await start(queues, prefix);
    expect(second.group.schedules).to.deep.equal([{ queue: 'reports', id: 'nightly', change: 'unchanged' }]);
    const after = await jobsOf(second.client, 'nightly', ['delayed', 'waiting']);
    // BullMQ's upsert would have replaced the job (same id, new timestamp).
    expect(after.map((stored) => [stored.id, stored.timestamp])).to.deep.equal([[pending!.id, pending!.timestamp]]);
    expect(await second.client.queue('reports').getJobSchedulersCount()).to.equal(1);
  });

  it('a schedule that reached its limit stays finished after a restart (BullMQ\'s upsert would count again from 0)', async () => {
    const queues = definitionWith({ twice: { job: 'tick', data: { n: 2 }, every: 100, limit: 2 } });
    const prefix = uniquePrefix();
    const first = await start(queues, prefix);
    const ran = await pollUntil(() => jobsOf(first.client, 'twice', ['completed']), (done) => done.length >= 2);
    expect(ran).to.have.length(2);
    expect(await jobsOf(first.client, 'twice', ['delayed', 'waiting', 'active']), 'pending jobs after the limit').to.deep.equal([]);
    await first.client.close();

    const second = await start(queues, prefix);
    expect(second.group.schedules).to.deep.equal([{ queue: 'reports', id: 'twice', change: 'unchanged' }]);
    expect(await jobsOf(second.client, 'twice', ['delayed', 'waiting', 'active']), 'pending jobs after the restart').to.deep.equal([]);
  });

  it('a changed schedule is updated: its pending job is replaced by one with the new data', async () => {
    const prefix = uniquePrefix();
    const first = await start(definitionWith({ nightly: { job: 'tick', data: { n: 1 }, pattern: '0 3 * * *' } }), prefix);
    await first.client.close();

    const second = await start(definitionWith({ nightly: { job: 'tick', data: { n: 2 }, pattern: '0 3 * * *', options: { priority: 5 } } }), prefix);
    expect(second.group.schedules).to.deep.equal([{ queue: 'reports', id: 'nightly', change: 'updated' }]);
    const pending = await jobsOf(second.client, 'nightly', ['delayed', 'waiting', 'prioritized']);
    expect(pending.map((stored) => [stored.data, stored.opts.priority])).to.deep.equal([[{ n: 2 }, 5]]);
    expect(await second.client.queue('reports').getJobSchedulersCount()).to.equal(1);
  });

  it('a schedule no longer declared is removed with its pending job; schedulers queuewire did not create are kept', async () => {
    const prefix = uniquePrefix();
    const first = await start(definitionWith({
      kept: { job: 'tick', data: { n: 1 }, pattern: '0 3 * * *' },
      dropped: { job: 'tick', data: { n: 2 }, pattern: '0 4 * * *' },
    }), prefix);
    // A scheduler made by hand (an admin script, another tool) on the same queue.
    await first.client.queue('reports').upsertJobScheduler('by-hand', { every: 60_000 }, { name: 'tick', data: { n: 3 } });
    const [droppedJob] = await jobsOf(first.client, 'dropped', ['delayed']);
    await first.client.close();

    const second = await start(definitionWith({ kept: { job: 'tick', data: { n: 1 }, pattern: '0 3 * * *' } }), prefix);
    expect(second.group.schedules).to.deep.equal([
      { queue: 'reports', id: 'kept', change: 'unchanged' },
      { queue: 'reports', id: 'dropped', change: 'removed' },
    ]);
    const schedulers = await second.client.queue('reports').getJobSchedulers();
    expect(schedulers.map((scheduler) => scheduler.key).sort()).to.deep.equal(['by-hand', 'queuewire:kept']);
    expect(await second.client.queue('reports').getJob(droppedJob!.id!)).to.equal(undefined);
  });

  it('a schedule whose endDate has passed is not written, and its scheduler with other settings is removed', async () => {
    const prefix = uniquePrefix();
    const first = await start(definitionWith({ over: { job: 'tick', data: { n: 1 }, pattern: '0 3 * * *' } }), prefix);
    await first.client.close();

    const { client, group } = await start(definitionWith({ over: { job: 'tick', data: { n: 1 }, pattern: '0 3 * * *', endDate: Date.now() - 1000 } }), prefix);
    expect(group.schedules).to.deep.equal([{ queue: 'reports', id: 'over', change: 'ended' }]);
    expect(await client.queue('reports').getJobSchedulersCount()).to.equal(0);
    expect(await jobsOf(client, 'over', ['delayed', 'waiting']), 'pending jobs').to.deep.equal([]);
  });

  // Found in review: BullMQ's upsertJobScheduler writes nothing (and resolves undefined) when a pattern's
  // next run falls after endDate, yet the start reported 'created', and 'created' again at every start.
  it('a schedule whose end comes before its next run is reported ended, not created, since BullMQ writes nothing', async () => {
    const prefix = uniquePrefix();
    // 00:00 on 1 January: never within the next minute, unless the test runs at that very moment.
    const schedules = { yearly: { job: 'tick' as const, data: { n: 1 }, pattern: '0 0 1 1 *', endDate: Date.now() + 60_000 } };
    const { client, group } = await start(definitionWith(schedules), prefix);
    expect(await client.queue('reports').getJobSchedulersCount(), 'schedulers in Redis').to.equal(0);
    expect(group.schedules).to.deep.equal([{ queue: 'reports', id: 'yearly', change: 'ended' }]);
  });

  // Found in review: the README says a pattern is read in tz, "default UTC", but without tz BullMQ's cron
  // parser uses the worker process's local time zone, so '0 3 * * *' runs at 03:00 New York time on a
  // server whose TZ is America/New_York (and at different instants on servers in different zones).
  it('a pattern without tz is read in UTC, whatever the worker process\'s time zone', async () => {
    const previous = process.env.TZ;
    process.env.TZ = 'America/New_York'; // Node applies a change of TZ at once
    cleanup(() => (previous === undefined ? delete process.env.TZ : (process.env.TZ = previous)));
    const { client } = await start(definitionWith({ nightly: { job: 'tick', data: { n: 1 }, pattern: '0 3 * * *' } }), uniquePrefix());
    const scheduler = await client.queue('reports').getJobScheduler('queuewire:nightly');
    const next = new Date(scheduler!.next!);
    expect(next.toISOString().slice(11), `next run ${next.toISOString()}`).to.equal('03:00:00.000Z');
  });

  describe('data that would fail every run refuses the start, before anything is written', () => {
    const refusals = [
      {
        what: 'data its job\'s schema refuses',
        schedules: { bad: { job: 'checked', data: { n: 1.5 }, every: 1000 } },
        options: {},
        message: 'queues.reports.schedules.bad: the data does not match the schema of "reports"/"checked": data.n:',
      },
      {
        what: 'data over maxPayloadBytes',
        schedules: { big: { job: 'tick', data: { n: 1, pad: 'x'.repeat(200) }, every: 1000 } },
        options: { maxPayloadBytes: 100 },
        message: `queues.reports.schedules.big: its data is ${JSON.stringify({ n: 1, pad: 'x'.repeat(200) }).length} bytes encoded, over maxPayloadBytes (100); store large content elsewhere and schedule a reference to it.`,
      },
    ];
    for (const { what, schedules, options, message } of refusals) {
      it(`refuses ${what} with a ConfigurationError`, async () => {
        const prefix = uniquePrefix();
        const queues = definitionWith(schedules as unknown as SchedulesOf<typeof jobs>);
        const client = createQueueClient({ queues, connection: redis().url, prefix, ...options });
        cleanup(() => client.close());
        const error = await startWorkers({ client, handlers: [reportHandlers(queues)], handleSignals: false }).then(() => undefined, (thrown: unknown) => thrown);
        expect(error).to.be.instanceOf(ConfigurationError);
        expect((error as Error).message).to.include(message);
        await client.connections.waitForProducer(2000);
        expect(await client.connections.producer.keys(`${prefix}:*`), 'keys written').to.deep.equal([]);
      });
    }
  });
});
