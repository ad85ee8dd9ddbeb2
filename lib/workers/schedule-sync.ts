import { Queue, type JobSchedulerJson, type RepeatOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueClient } from '../client';
import type { QueueSet } from '../definition/define';
import { jobDefaultsOf } from '../definition/job-defaults';
import { mergeJobOptions, type JobOptions } from '../definition/job-options';
import { plainJsonBytes } from '../definition/plain-json';
import { scheduleDateMillis, type ScheduleDefinition } from '../definition/schedule';
import { validateJobData } from '../definition/validation';
import { ConfigurationError, ValidationError } from '../errors';

/**
 * The id of the BullMQ Job Scheduler that stands for a declared schedule. The prefix marks the
 * schedulers queuewire owns: a worker start removes those no longer declared and never touches
 * schedulers created another way (by hand, by another tool).
 */
export const SCHEDULER_ID_PREFIX = 'queuewire:';

/** What a worker start did with one schedule. */
export interface ScheduleChange {
  readonly queue: string;
  /** The schedule id of the definition (the BullMQ scheduler id is `queuewire:<id>`). */
  readonly id: string;
  /**
   * `created`: it was not in Redis. `updated`: it was, with other settings (its pending job is replaced).
   * `unchanged`: Redis already had it as declared, so it was left alone. `ended`: its `endDate` has
   * passed, so it was not written (and a scheduler of it with other settings was removed). `removed`: a queuewire scheduler that the definition no longer declares.
   */
  readonly change: 'created' | 'updated' | 'unchanged' | 'ended' | 'removed';
}

/** A declared schedule turned into what BullMQ's `upsertJobScheduler` takes. */
interface PlannedSchedule {
  readonly id: string;
  readonly repeat: Omit<RepeatOptions, 'key'>;
  readonly template: { readonly name: string; readonly data: unknown; readonly opts: JobOptions };
}

/** The schedules of the queues a worker group serves, checked and ready for Redis. */
export type SchedulePlan = ReadonlyMap<string, readonly PlannedSchedule[]>;

// Options a queue's defaults may hold for `add` that a scheduled job cannot take: the schedule sets them.
const NOT_FOR_SCHEDULED_JOBS = ['jobId', 'delay', 'deduplication'];

/**
 * Checks the schedules of `queues` against the client's limits and each job's schema, before Redis is
 * touched: data over `maxPayloadBytes` or refused by the schema would fail every run, so the start fails.
 *
 * @throws ConfigurationError naming the schedule and the problem
 */
export async function planSchedules<Queues extends QueueSet>(client: QueueClient<Queues>, queues: readonly string[]): Promise<SchedulePlan> {
  const plan = new Map<string, PlannedSchedule[]>();
  for (const queue of queues) {
    const definition = client.queues.definitions[queue]!;
    const planned: PlannedSchedule[] = [];
    for (const [id, schedule] of Object.entries(definition.schedules ?? {}) as Array<[string, ScheduleDefinition]>) {
      const where = `queues.${queue}.schedules.${id}`;
      const bytes = plainJsonBytes(schedule.data, 'data', client.maxPayloadBytes);
      if (bytes > client.maxPayloadBytes) {
        throw new ConfigurationError(`${where}: its data is ${bytes} bytes encoded, over maxPayloadBytes (${client.maxPayloadBytes}); store large content elsewhere and schedule a reference to it.`);
      }
      const schema = definition.jobs[schedule.job]!.schema;
      if (schema) {
        try {
          await validateJobData(schema, schedule.data, { queue, name: schedule.job, where });
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          throw new ConfigurationError(`${error.message} Fix the schedule's data.`, { cause: error });
        }
      }
      const defaults: Record<string, unknown> = { ...jobDefaultsOf(client.queues, queue, schedule.job) };
      for (const key of NOT_FOR_SCHEDULED_JOBS) delete defaults[key];
      planned.push({
        id,
        repeat: withoutUndefined({
          pattern: schedule.pattern,
          every: schedule.every,
          // Without a tz BullMQ's cron parser would use this process's local zone: the README promises UTC.
          tz: schedule.pattern === undefined ? undefined : schedule.tz ?? 'UTC',
          startDate: scheduleDateMillis(schedule.startDate),
          endDate: scheduleDateMillis(schedule.endDate),
          limit: schedule.limit,
        }),
        template: { name: schedule.job, data: schedule.data, opts: mergeJobOptions<JobOptions>(defaults, schedule.options) },
      });
    }
    // Even with no schedules left, so that the ones it used to declare are removed.
    plan.set(queue, planned);
  }
  return plan;
}

/**
 * Makes Redis hold exactly the planned schedulers of each queue in `plan`, among those queuewire owns:
 * creates missing ones, updates changed ones, leaves unchanged ones alone (so a restart neither moves
 * the next run nor restarts a `limit` count) and removes the ones no longer declared. Safe to run from
 * several processes at once: each write is one BullMQ script, and the scheduler id fixes the job ids.
 */
export async function applySchedules(connection: Redis, prefix: string, plan: SchedulePlan): Promise<ScheduleChange[]> {
  const changes: ScheduleChange[] = [];
  for (const [queue, planned] of plan) {
    const handle = new Queue(queue, { connection, prefix });
    handle.on('error', () => undefined); // failures reject the calls below
    try {
      for (const schedule of planned) changes.push({ queue, id: schedule.id, change: await applySchedule(handle, schedule) });
      // Read straight from the sorted set of scheduler ids: BullMQ's getJobSchedulers() parses every
      // scheduler, and throws on a legacy repeatable job someone else left in the queue.
      const stored = await connection.zrange(handle.keys.repeat!, 0, -1);
      const declared = new Set(planned.map((schedule) => SCHEDULER_ID_PREFIX + schedule.id));
      for (const schedulerId of stored) {
        if (!schedulerId.startsWith(SCHEDULER_ID_PREFIX) || declared.has(schedulerId)) continue;
        await handle.removeJobScheduler(schedulerId);
        changes.push({ queue, id: schedulerId.slice(SCHEDULER_ID_PREFIX.length), change: 'removed' });
      }
    } finally {
      await handle.close();
    }
  }
  return changes;
}

async function applySchedule(handle: Queue, schedule: PlannedSchedule): Promise<ScheduleChange['change']> {
  const schedulerId = SCHEDULER_ID_PREFIX + schedule.id;
  const stored = await handle.getJobScheduler(schedulerId);
  const unchanged = stored !== undefined && isAsPlanned(stored, schedule);
  const { endDate } = schedule.repeat;
  if (endDate !== undefined && Number(endDate) <= Date.now()) {
    // BullMQ refuses to write a scheduler whose end has passed. One stored with this end stops by
    // itself (its last pending job still runs); one stored with other settings would run on: removed.
    if (stored && !unchanged) await handle.removeJobScheduler(schedulerId);
    return 'ended';
  }
  if (unchanged) return 'unchanged';
  // BullMQ writes nothing and resolves undefined when no run is left before endDate (a pattern whose
  // next match comes after it): nothing runs, so the schedule has ended.
  const written = await handle.upsertJobScheduler(schedulerId, schedule.repeat, schedule.template);
  if (written === undefined) {
    if (stored) await handle.removeJobScheduler(schedulerId);
    return 'ended';
  }
  return stored ? 'updated' : 'created';
}

// Compares what BullMQ stored with what would be written. A difference BullMQ's encoding introduces
// (its Lua JSON keeps 14 significant digits, so a `jitter` of 0.30000000000000004 reads back as 0.3)
// only costs an unneeded update at each start, never a missed one.
function isAsPlanned(stored: JobSchedulerJson, schedule: PlannedSchedule): boolean {
  const { repeat, template } = schedule;
  return stored.name === template.name
    && stored.pattern === repeat.pattern
    && stored.every === repeat.every
    && stored.tz === repeat.tz
    && stored.startDate === repeat.startDate
    && stored.endDate === repeat.endDate
    && stored.limit === repeat.limit
    // BullMQ stores no data for `{}` (and reads none back).
    && canonicalJson(stored.template && 'data' in stored.template ? stored.template.data : {}) === canonicalJson(template.data)
    && canonicalJson(stored.template?.opts ?? {}) === canonicalJson(template.opts);
}

/** JSON with object keys sorted, so two equal values encode the same whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => (
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner));
}

function withoutUndefined<Value extends object>(value: Value): Value {
  return Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as Value;
}
