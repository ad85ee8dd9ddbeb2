import { QueueKeys, type JobsOptions } from 'bullmq';
import { InvalidJobOptionsError, type QueuewireError } from '../errors';
import { shown } from '../shown-value';

/** Options accepted by `add`: BullMQ's job options that make sense per job. */
export type JobOptions = Omit<JobsOptions, 'repeatJobKey' | 'prevMillis' | 'parent' | 'timestamp' | 'telemetry'>;

type ErrorClass = new (message: string) => QueuewireError;

// A job's hash lives at `<prefix>:<queue>:<jobId>`, beside the queue's own keys. An id equal to one of
// their names would be taken for an existing job ('meta') or turn a queue key into a job hash
// ('completed', 'events'), breaking the queue: refused, using BullMQ's own list of those names.
const reservedJobIds = Object.keys(new QueueKeys().getKeys('queue')).filter((name) => name !== '');

/** The longest job id (and deduplication id) accepted, in bytes; the job routes refuse longer ones too. */
export const MAX_JOB_ID_BYTES = 512;

// Each known option and the check it must pass; anything else is a typo that BullMQ would silently ignore.
const checks: Record<string, (value: unknown) => string | undefined> = {
  jobId: (v) => (typeof v !== 'string' || v.length === 0 ? 'must be a non-empty string'
    : Buffer.byteLength(v) > MAX_JOB_ID_BYTES ? `must be at most ${MAX_JOB_ID_BYTES} bytes (use a hash of a longer key)`
    : /^-?\d+$/.test(v) ? 'must not be an integer string (BullMQ reserves those for generated ids)'
    : v.includes(':') ? "must not contain ':'"
    : reservedJobIds.includes(v) ? `must not be the name of one of BullMQ's queue keys (${reservedJobIds.join(', ')})` : undefined),
  priority: (v) => (isInt(v) && v >= 0 && v <= 2 ** 21 - 1 ? undefined : 'must be an integer from 0 to 2097151'),
  delay: (v) => (isInt(v) && v >= 0 ? undefined : 'must be a whole number of milliseconds >= 0'),
  attempts: (v) => (isInt(v) && v >= 1 ? undefined : 'must be an integer >= 1'),
  // Only BullMQ's built-in strategies: an unknown type leaves the failed job stuck active.
  backoff: (v) => (isInt(v) && v >= 0) || (isPlainObject(v) && (v.type === 'fixed' || v.type === 'exponential')
    && (v.delay === undefined || (isInt(v.delay) && v.delay >= 0)) && Object.keys(v).every((k) => ['type', 'delay', 'jitter'].includes(k))
    && (v.jitter === undefined || (typeof v.jitter === 'number' && v.jitter >= 0 && v.jitter <= 1))) ? undefined
    : "must be milliseconds or { type: 'fixed' | 'exponential', delay?: ms, jitter?: 0..1 }",
  lifo: (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean'),
  removeOnComplete: checkKeep,
  removeOnFail: checkKeep,
  keepLogs: (v) => (isInt(v) && v >= 0 ? undefined : 'must be an integer >= 0'),
  stackTraceLimit: (v) => (isInt(v) && v >= 0 ? undefined : 'must be an integer >= 0'),
  sizeLimit: (v) => (isInt(v) && v > 0 ? undefined : 'must be a positive integer of bytes'),
  deduplication: (v) => (isPlainObject(v) && typeof v.id === 'string' && v.id.length > 0 && Buffer.byteLength(v.id) <= MAX_JOB_ID_BYTES
    && (v.ttl === undefined || (isInt(v.ttl) && v.ttl > 0)) && Object.keys(v).every((k) => ['id', 'ttl', 'extend', 'replace', 'keepLastIfActive'].includes(k))
    ? undefined : `must be { id: string (at most ${MAX_JOB_ID_BYTES} bytes), ttl?: ms > 0, extend?, replace? }`),
  failParentOnFailure: isBooleanCheck,
  continueParentOnFailure: isBooleanCheck,
  ignoreDependencyOnFailure: isBooleanCheck,
  removeDependencyOnFailure: isBooleanCheck,
};

/**
 * Checks options before anything reaches Redis. Throws `errorClass` naming the option, what it must be
 * and where it came from (`where`).
 */
export function checkJobOptions(options: unknown, where: string, errorClass: ErrorClass = InvalidJobOptionsError): void {
  if (!isPlainObject(options)) throw new errorClass(`${where} must be a plain object of job options.`);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    // Own keys only: options often come from parsed request bodies, and a key such as "__proto__" or
    // "hasOwnProperty" must be refused as unknown, not resolve to something inherited from Object.prototype.
    const check = Object.hasOwn(checks, key) ? checks[key] : undefined;
    if (!check) {
      throw new errorClass(`${where}: unknown job option "${key}". Known options: ${Object.keys(checks).join(', ')}.`);
    }
    const problem = check(value);
    if (problem) throw new errorClass(`${where}: option "${key}" ${problem}; got ${shown(value)}.`);
  }
}

/**
 * Deep-merges option layers, later layers winning. Plain objects merge key by key so a queue can change
 * `backoff.delay` without restating `backoff.type`; any other value replaces the earlier one.
 */
export function mergeJobOptions<Options extends object>(...layers: Array<Options | undefined>): Options {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const previous = merged[key];
      merged[key] = isPlainObject(previous) && isPlainObject(value) ? mergeJobOptions(previous, value) : value;
    }
  }
  return merged as Options;
}

// BullMQ's retention scripts compare these numbers in Lua: a string or a negative value there makes
// them fail mid-job (losing the job) or delete every finished job of the queue.
function checkKeep(v: unknown): string | undefined {
  const problem = 'must be a boolean, a count >= 0, or { age?: seconds >= 0, count?: number >= 0, limit?: number >= 1 }';
  if (typeof v === 'boolean' || (isInt(v) && v >= 0)) return undefined;
  if (!isPlainObject(v) || Object.keys(v).length === 0) return problem;
  for (const [key, value] of Object.entries(v)) {
    if (key === 'age' || key === 'count') {
      if (!isInt(value) || value < 0) return problem;
    } else if (key === 'limit') {
      if (!isInt(value) || value < 1) return problem;
    } else {
      return problem;
    }
  }
  return undefined;
}

function isBooleanCheck(v: unknown): string | undefined {
  return typeof v === 'boolean' ? undefined : 'must be a boolean';
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

