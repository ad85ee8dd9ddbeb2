import type { JobState } from 'bullmq';
import { MAX_JOB_ID_BYTES } from '../definition/job-options';
import { InvalidAdminArgumentError } from '../errors';

/** Every state a job can be in, as BullMQ counts and lists them. */
export const JOB_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children', 'completed', 'failed'] as const satisfies readonly JobState[];

/** A state `listJobs` and `counts` know: `waiting`, `prioritized`, `delayed`, `active`, `waiting-children`, `completed`, `failed`. */
export type QueueJobState = (typeof JOB_STATES)[number];

/** The number of jobs in each state of one queue. */
export type JobCounts = { readonly [State in QueueJobState]: number };

/**
 * The states `clean` may remove jobs from. Active jobs are held by workers and are not cleaned;
 * `waiting-children` jobs belong to flows, whose parents would wait for them for ever.
 */
export const CLEANABLE_STATES = ['completed', 'failed', 'delayed', 'waiting', 'prioritized'] as const;

/** A state `clean` removes jobs from. */
export type CleanableState = (typeof CLEANABLE_STATES)[number];

/** The most jobs one `listJobs` page holds (`end - start + 1`): pages of job data stay small. */
export const MAX_PAGE_SIZE = 100;
/** Jobs in a page when only `start` (or nothing) is given. */
export const DEFAULT_PAGE_SIZE = 50;
/** The most failed jobs one `retryFailed` call retries; also its default. */
export const MAX_RETRY_COUNT = 1000;
/** The most jobs one `clean` call removes; also its default. */
export const MAX_CLEAN_LIMIT = 10_000;

/**
 * A page of a job list: positions `start` to `end`, both included. Position 0 is the most recent job:
 * the last to finish (completed, failed), the last to start (active), the last in line (waiting,
 * prioritized, delayed).
 */
export interface JobPage {
  /** Position of the first job, from 0. Default 0. */
  start?: number;
  /** Position of the last job, included; at most `start + 99`. Default `start + 49`. */
  end?: number;
}

/** Options of `retryFailed`. */
export interface RetryFailedOptions {
  /** How many failed jobs to retry, oldest failure first: 1 to 1000. Default 1000. */
  count?: number;
}

/** Options of `clean`. */
export interface CleanOptions {
  /**
   * Only jobs older than this many milliseconds are removed (0: all). Completed and failed jobs are aged
   * by when they finished; waiting and delayed jobs by when they were last attempted, or else created;
   * prioritized jobs by when they were created (BullMQ's rule).
   */
  olderThan: number;
  /** The most jobs to remove: 1 to 10 000. Default 10 000. */
  limit?: number;
}

/** Options of `drain`. */
export interface DrainOptions {
  /** Also remove delayed jobs (those waiting for their delay or a retry's backoff). Default false. */
  delayed?: boolean;
}

export function checkJobId(jobId: unknown, where: string): string {
  if (typeof jobId !== 'string' || jobId.length === 0 || Buffer.byteLength(jobId) > MAX_JOB_ID_BYTES) {
    throw new InvalidAdminArgumentError(`${where}: the job id must be a non-empty string of at most ${MAX_JOB_ID_BYTES} bytes; got ${describe(jobId)}.`);
  }
  return jobId;
}

export function checkState<State extends string>(state: unknown, known: readonly State[], where: string): State {
  if (typeof state !== 'string' || !(known as readonly string[]).includes(state)) {
    throw new InvalidAdminArgumentError(`${where}: state must be one of ${known.join(', ')}; got ${describe(state)}.`);
  }
  return state as State;
}

/** `[start, end]` of a page, defaults applied, or InvalidAdminArgumentError. */
export function checkPage(page: JobPage | undefined, where: string): { start: number; end: number } {
  const given = checkOptions(page, ['start', 'end'], where);
  const start = given.start === undefined ? 0 : wholeNumber(given.start, 0, Number.MAX_SAFE_INTEGER, `${where}: start`);
  const end = given.end === undefined ? start + DEFAULT_PAGE_SIZE - 1 : wholeNumber(given.end, start, Number.MAX_SAFE_INTEGER, `${where}: end`);
  if (end - start + 1 > MAX_PAGE_SIZE) {
    throw new InvalidAdminArgumentError(`${where}: a page holds at most ${MAX_PAGE_SIZE} jobs (end - start + 1); got start ${start}, end ${end}. Ask for the next page instead.`);
  }
  return { start, end };
}

export function checkRetryFailed(options: RetryFailedOptions | undefined, where: string): { count: number } {
  const given = checkOptions(options, ['count'], where);
  return { count: given.count === undefined ? MAX_RETRY_COUNT : wholeNumber(given.count, 1, MAX_RETRY_COUNT, `${where}: count`) };
}

export function checkClean(options: CleanOptions | undefined, where: string): { olderThan: number; limit: number } {
  if (options === undefined) throw new InvalidAdminArgumentError(`${where}: pass { olderThan } (ms; 0 removes every job of the state).`);
  const given = checkOptions(options, ['olderThan', 'limit'], where);
  if (given.olderThan === undefined) throw new InvalidAdminArgumentError(`${where}: olderThan is required (ms; 0 removes every job of the state).`);
  return {
    olderThan: wholeNumber(given.olderThan, 0, Number.MAX_SAFE_INTEGER, `${where}: olderThan`),
    limit: given.limit === undefined ? MAX_CLEAN_LIMIT : wholeNumber(given.limit, 1, MAX_CLEAN_LIMIT, `${where}: limit`),
  };
}

export function checkDrain(options: DrainOptions | undefined, where: string): { delayed: boolean } {
  const given = checkOptions(options, ['delayed'], where);
  if (given.delayed !== undefined && typeof given.delayed !== 'boolean') {
    throw new InvalidAdminArgumentError(`${where}: delayed must be true or false; got ${describe(given.delayed)}.`);
  }
  return { delayed: given.delayed === true };
}

// An options object with only known keys, as a record to read; a misspelt key is refused, not ignored.
function checkOptions(options: object | undefined, known: readonly string[], where: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidAdminArgumentError(`${where}: options must be an object; got ${describe(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new InvalidAdminArgumentError(`${where}: unknown option "${key}". Known options: ${known.join(', ')}.`);
  }
  return options as Record<string, unknown>;
}

function wholeNumber(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new InvalidAdminArgumentError(`${what} must be a whole number ${range}; got ${describe(value)}.`);
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
