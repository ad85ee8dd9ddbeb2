import { getNextMillis } from 'bullmq';
import { ConfigurationError, UnserializableValueError } from '../errors';
import { refuseUnknownOptions } from '../known-options';
import { checkJobOptions, isPlainObject, type JobOptions } from './job-options';
import { assertPlainJson } from './plain-json';
import { shown } from '../shown-value';

/**
 * Job options of the jobs a schedule creates, over the queue's and job name's defaults. The schedule
 * sets each job's id and time, so `jobId`, `delay` and `deduplication` have no meaning here.
 */
export type ScheduleJobOptions = Omit<JobOptions, 'jobId' | 'delay' | 'deduplication'>;

/** A point in time: a `Date`, an ISO 8601 string or milliseconds since the epoch. */
export type ScheduleDate = Date | string | number;

interface ScheduleFields<Name extends string, DataType> {
  /** The job name (of the same queue) each run adds. */
  readonly job: Name;
  /** The data of every job the schedule adds, typed by its job name; stored as given. */
  readonly data: DataType;
  /** No job before this time. */
  readonly startDate?: ScheduleDate;
  /** No job after this time. */
  readonly endDate?: ScheduleDate;
  /** At most this many jobs in all (counted from the last change of the schedule: see the README). */
  readonly limit?: number;
  /** Options of each job, deep-merged over the queue's and job name's defaults (retention included). */
  readonly options?: ScheduleJobOptions;
}

/**
 * A recurring job of one queue: which job name with which data, and when — a cron `pattern` (in `tz`,
 * default UTC) or `every` so many milliseconds (the first run at once). Declared under a queue's
 * `schedules`, keyed by a schedule id; `startWorkers` writes it to Redis as a BullMQ Job Scheduler.
 */
export type ScheduleDefinition<Name extends string = string, DataType = unknown> = ScheduleFields<Name, DataType> & (
  | {
    /** A cron pattern, 5 fields (minute first) or 6 (second first), e.g. `'0 3 * * *'`: 03:00 every day. */
    readonly pattern: string;
    /** The IANA time zone the pattern is read in, e.g. `'Europe/Paris'`. Default UTC. */
    readonly tz?: string;
    readonly every?: never;
  }
  | {
    /** Milliseconds between runs; the first run comes at once (or at `startDate`). */
    readonly every: number;
    readonly pattern?: never;
    readonly tz?: never;
  });

const SCHEDULE_KEYS = ['job', 'data', 'pattern', 'every', 'tz', 'startDate', 'endDate', 'limit', 'options'];

/**
 * Checks the `schedules` of one queue when the definition is made, before anything connects: each
 * names a job of the queue, has exactly one of `pattern` (a cron pattern that can fire, in a known
 * time zone) and `every`, valid dates and limit, plain-JSON data and known job options.
 *
 * @throws ConfigurationError naming the schedule, what is wrong and how to fix it
 */
export function checkSchedules(queue: string, schedules: unknown, jobNames: readonly string[]): void {
  const where = `queues.${queue}.schedules`;
  if (!isPlainObject(schedules)) {
    throw new ConfigurationError(`${where} must be an object of schedule id → { job, data, pattern | every }, e.g. { nightly: { job: '${jobNames[0]}', data: {…}, pattern: '0 3 * * *' } }.`);
  }
  for (const [id, schedule] of Object.entries(schedules)) {
    const at = `${where}.${id}`;
    // The id becomes part of BullMQ's scheduler id and of every job id it creates (`repeat:<id>:<time>`).
    if (id.length === 0 || id.includes(':') || id.trim() !== id) {
      throw new ConfigurationError(`${where}: schedule id "${id}" is invalid: use a non-empty id without ':' or surrounding spaces.`);
    }
    if (!isPlainObject(schedule)) throw new ConfigurationError(`${at} must be an object { job, data, pattern | every }.`);
    refuseUnknownOptions(schedule, SCHEDULE_KEYS, at);
    if (typeof schedule.job !== 'string' || !jobNames.includes(schedule.job)) {
      throw new ConfigurationError(`${at}: job ${JSON.stringify(schedule.job)} is not a job of queue "${queue}"; use one of: ${jobNames.join(', ')}.`);
    }
    checkTiming(schedule, at);
    if (!Object.hasOwn(schedule, 'data')) {
      throw new ConfigurationError(`${at}: data is missing; give the data each job gets (e.g. data: {}).`);
    }
    // BullMQ's upsertJobScheduler stores `data ?? {}`: null would reach the handler as {} and never
    // compare equal to what Redis holds, so every start would rewrite the scheduler.
    if (schedule.data === null) {
      throw new ConfigurationError(`${at}: data is null, which BullMQ's job schedulers store as {}; give an object (e.g. data: {}) or another JSON value.`);
    }
    try {
      assertPlainJson(schedule.data, 'data');
    } catch (error) {
      if (!(error instanceof UnserializableValueError)) throw error;
      throw new ConfigurationError(`${at}: ${error.path} ${error.reason}; schedule data must be plain JSON.`, { cause: error });
    }
    const options = schedule.options ?? {};
    checkJobOptions(options, `${at}.options`, ConfigurationError);
    for (const key of ['jobId', 'delay', 'deduplication']) {
      if (Object.hasOwn(options, key)) {
        throw new ConfigurationError(`${at}.options: "${key}" cannot be set on a schedule, which sets each job's id and time itself; remove it.`);
      }
    }
  }
}

function checkTiming(schedule: Record<string, unknown>, at: string): void {
  const { pattern, every, tz, limit } = schedule;
  if ((pattern === undefined) === (every === undefined)) {
    throw new ConfigurationError(`${at}: give exactly one of pattern (a cron pattern, e.g. '0 3 * * *') or every (milliseconds between runs); it has ${pattern === undefined ? 'neither' : 'both'}.`);
  }
  if (every !== undefined && (!Number.isInteger(every) || (every as number) < 1 || (every as number) > MAX_EVERY)) {
    throw new ConfigurationError(`${at}: every must be a whole number of milliseconds from 1 to ${MAX_EVERY}; got ${JSON.stringify(every)}.`);
  }
  if (tz !== undefined) {
    if (pattern === undefined) throw new ConfigurationError(`${at}: tz applies to a cron pattern only; remove it (every counts milliseconds).`);
    if (typeof tz !== 'string' || !isTimeZone(tz)) {
      throw new ConfigurationError(`${at}: tz ${JSON.stringify(tz)} is not a known IANA time zone; use one such as 'Europe/Paris' or 'UTC'.`);
    }
  }
  if (pattern !== undefined) {
    // BullMQ treats an empty pattern as no pattern at all and refuses the scheduler at start.
    if (typeof pattern !== 'string' || pattern.trim() === '') throw new ConfigurationError(`${at}: pattern must be a cron pattern string, e.g. '0 3 * * *'; got ${JSON.stringify(pattern)}.`);
    // BullMQ's own computation of the next run, so a pattern refused here is one BullMQ would refuse at start.
    let next: number | undefined;
    try {
      next = getNextMillis(Date.now(), { pattern, tz: tz === undefined ? 'UTC' : tz as string });
    } catch (error) {
      throw new ConfigurationError(`${at}: pattern "${pattern}" is not a valid cron pattern (${(error as Error).message}); use 5 fields (minute hour day month weekday) or 6 (seconds first).`, { cause: error });
    }
    if (next === undefined) throw new ConfigurationError(`${at}: pattern "${pattern}" never fires; check its fields.`);
  }
  const start = checkDate(schedule.startDate, 'startDate', at);
  const end = checkDate(schedule.endDate, 'endDate', at);
  if (start !== undefined && end !== undefined && end <= start) {
    throw new ConfigurationError(`${at}: endDate must be after startDate.`);
  }
  // Safe integers only: BullMQ's Lua reads a larger one back as another number, so every start would update it.
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 1)) {
    throw new ConfigurationError(`${at}: limit must be a whole number >= 1; got ${JSON.stringify(limit)}.`);
  }
}

// Longer than any sensible interval (a year and more) and within what BullMQ's delay arithmetic handles exactly.
const MAX_EVERY = 2 ** 31 - 1;

/** A schedule date in milliseconds since the epoch, or undefined when not given. */
export function scheduleDateMillis(value: ScheduleDate | undefined): number | undefined {
  return value === undefined ? undefined : new Date(value).getTime();
}

function checkDate(value: unknown, name: string, at: string): number | undefined {
  if (value === undefined) return undefined;
  const valid = value instanceof Date || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
  const millis = valid ? scheduleDateMillis(value as ScheduleDate)! : NaN;
  if (Number.isNaN(millis)) {
    throw new ConfigurationError(`${at}: ${name} must be a Date, an ISO 8601 string or milliseconds since the epoch; got ${shown(value)}.`);
  }
  return millis;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
