import { QueueKeys, type JobsOptions } from 'bullmq';
import { InvalidJobOptionsError, type QueuewireError } from '../errors';

/** Options accepted by `add`: BullMQ's job options that make sense per job. */
export type JobOptions = Omit<JobsOptions, 'repeatJobKey' | 'prevMillis' | 'parent' | 'timestamp' | 'telemetry'>;

type ErrorClass = new (message: string) => QueuewireError;

// A job's hash lives at `<prefix>:<queue>:<jobId>`, beside the queue's own keys. An id equal to one of
// their names would be taken for an existing job ('meta') or turn a queue key into a job hash
// ('completed', 'events'), breaking the queue: refused, using BullMQ's own list of those names.
const reservedJobIds = Object.keys(new QueueKeys().getKeys('queue')).filter((name) => name !== '');

// Each known option and the check it must pass; anything else is a typo that BullMQ would silently ignore.
const checks: Record<string, (value: unknown) => string | undefined> = {
  jobId: (v) => (typeof v !== 'string' || v.length === 0 ? 'must be a non-empty string'
    : /^\d+$/.test(v) ? 'must not be an integer string (BullMQ reserves those for generated ids)'
    : v.includes(':') ? "must not contain ':'"
    : reservedJobIds.includes(v) ? `must not be the name of one of BullMQ's queue keys (${reservedJobIds.join(', ')})` : undefined),
  priority: (v) => (isInt(v) && v >= 0 && v <= 2 ** 21 - 1 ? undefined : 'must be an integer from 0 to 2097151'),
  delay: (v) => (isInt(v) && v >= 0 ? undefined : 'must be a whole number of milliseconds >= 0'),
  attempts: (v) => (isInt(v) && v >= 1 ? undefined : 'must be an integer >= 1'),
  backoff: (v) => (isInt(v) && v >= 0) || (isPlainObject(v) && typeof v.type === 'string') ? undefined
    : "must be milliseconds or { type: 'fixed' | 'exponential', delay }",
  lifo: (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean'),
  removeOnComplete: checkKeep,
  removeOnFail: checkKeep,
  keepLogs: (v) => (isInt(v) && v >= 0 ? undefined : 'must be an integer >= 0'),
  stackTraceLimit: (v) => (isInt(v) && v >= 0 ? undefined : 'must be an integer >= 0'),
  sizeLimit: (v) => (isInt(v) && v > 0 ? undefined : 'must be a positive integer of bytes'),
  deduplication: (v) => (isPlainObject(v) && typeof v.id === 'string' && v.id.length > 0 ? undefined : 'must be { id: string, ttl?: ms }'),
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
    if (problem) throw new errorClass(`${where}: option "${key}" ${problem}; got ${describe(value)}.`);
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

function checkKeep(v: unknown): string | undefined {
  if (typeof v === 'boolean' || (isInt(v) && v >= 0)) return undefined;
  if (isPlainObject(v) && Object.keys(v).every((k) => k === 'age' || k === 'count' || k === 'limit')) return undefined;
  return 'must be a boolean, a count, or { age?: seconds, count?: number }';
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

function describe(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
