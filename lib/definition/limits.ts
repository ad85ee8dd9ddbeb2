import { ConfigurationError } from '../errors';
import { isPlainObject } from './job-options';
import { shown } from '../shown-value';

/**
 * A number that may come straight from the environment: `5` or `"5"` (`process.env.X`). A string must
 * be a whole decimal number; `undefined` means "not set here" (an unset variable falls through to the
 * next layer: start options ← definition ← default).
 */
export type NumberSetting = number | string | undefined;

/** At most `max` jobs start per `duration` ms. */
export interface RateLimit {
  readonly max: NumberSetting;
  readonly duration: NumberSetting;
}

/**
 * How fast one queue runs. `concurrency` and `limiter` are options of each worker process; the global
 * ones are stored in Redis (the queue's meta hash) and bind every worker of the queue, in every process.
 * `null` for a global limit removes it from Redis; leaving it out leaves Redis as is.
 */
export interface QueueLimits {
  /** Jobs one worker process runs at once. Default 1. Changeable at run time: `workers.setConcurrency()`. */
  readonly concurrency?: NumberSetting;
  /**
   * BullMQ's rate limiter: at most `max` jobs started per `duration` ms. BullMQ counts the window in
   * Redis, shared by all workers of the queue, but only workers started with a limiter respect it.
   * Give this or `globalRateLimit`, not both (BullMQ would mix the global max with this duration).
   */
  readonly limiter?: RateLimit;
  /** Jobs running at once across all workers of the queue (BullMQ `Queue.setGlobalConcurrency`). */
  readonly globalConcurrency?: NumberSetting | null;
  /** Rate limit across all workers of the queue (BullMQ `Queue.setGlobalRateLimit`). */
  readonly globalRateLimit?: RateLimit | null;
}

/** Limits after checking: plain numbers, `null` meaning "remove from Redis". */
export interface ResolvedLimits {
  concurrency: number;
  limiter?: { max: number; duration: number };
  globalConcurrency?: number | null;
  globalRateLimit?: { max: number; duration: number } | null;
}

const LIMIT_KEYS = ['concurrency', 'limiter', 'globalConcurrency', 'globalRateLimit'] as const;
const RATE_KEYS = ['max', 'duration'];

/**
 * Checks one queue's limits (from the definition or start options) and returns them as numbers.
 * Unknown keys, in the limits or in a rate limit, are refused: a misspelt `limiter.maxx` would
 * otherwise run the queue unthrottled.
 */
export function checkLimits(limits: unknown, where: string): Partial<ResolvedLimits> {
  if (limits === undefined) return {};
  if (!isPlainObject(limits)) throw new ConfigurationError(`${where} must be an object such as { concurrency: 4, limiter: { max: 10, duration: 1000 } }.`);
  const unknown = Object.keys(limits).filter((key) => !(LIMIT_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new ConfigurationError(`${where}: unknown key "${unknown[0]}". Known keys: ${LIMIT_KEYS.join(', ')}.`);
  const checked: Partial<ResolvedLimits> = {};
  const concurrency = wholeNumber(limits.concurrency, `${where}.concurrency`, 1);
  if (concurrency !== undefined) checked.concurrency = concurrency;
  const limiter = rateLimit(limits.limiter, `${where}.limiter`);
  if (limiter) checked.limiter = limiter;
  if (limits.globalConcurrency === null) checked.globalConcurrency = null;
  else {
    const global = wholeNumber(limits.globalConcurrency, `${where}.globalConcurrency`, 1);
    if (global !== undefined) checked.globalConcurrency = global;
  }
  if (limits.globalRateLimit === null) checked.globalRateLimit = null;
  else {
    const global = rateLimit(limits.globalRateLimit, `${where}.globalRateLimit`);
    if (global) checked.globalRateLimit = global;
  }
  refuseBothRateLimits(checked, where);
  return checked;
}

/**
 * A queue with both a worker `limiter` and a `globalRateLimit` is refused: BullMQ takes `max` from the
 * global limit but `duration` from the worker's, a limit nobody wrote down.
 */
export function refuseBothRateLimits(limits: Partial<ResolvedLimits>, where: string): void {
  if (limits.limiter && limits.globalRateLimit) {
    throw new ConfigurationError(`${where}: give limiter or globalRateLimit, not both (BullMQ would combine the max of one with the duration of the other). Use globalRateLimit to bind every worker of the queue.`);
  }
}

/** Layers checked limits, later layers winning key by key; concurrency defaults to 1. */
export function mergeLimits(...layers: Array<Partial<ResolvedLimits>>): ResolvedLimits {
  const merged: ResolvedLimits = { concurrency: 1 };
  for (const layer of layers) {
    for (const key of LIMIT_KEYS) {
      if (layer[key] !== undefined) (merged as unknown as Record<string, unknown>)[key] = layer[key];
    }
  }
  return merged;
}

/**
 * Checks the per-job-name timeouts of one queue: every key a declared job name, every value whole ms >= 1.
 */
export function checkTimeouts(timeouts: unknown, jobNames: readonly string[], where: string): Record<string, number> {
  if (timeouts === undefined) return {};
  if (!isPlainObject(timeouts)) throw new ConfigurationError(`${where} must map job names to milliseconds, e.g. { ${jobNames[0]}: 30000 }.`);
  const checked: Record<string, number> = {};
  for (const [name, value] of Object.entries(timeouts)) {
    if (!jobNames.includes(name)) throw new ConfigurationError(`${where}: "${name}" is not a job of this queue. Jobs: ${jobNames.join(', ')}.`);
    const ms = wholeNumber(value, `${where}.${name}`, 1);
    // setTimeout fires at once past 2^31 - 1 ms.
    if (ms !== undefined && ms > 2 ** 31 - 1) throw new ConfigurationError(`${where}.${name} must be at most 2147483647 ms; got ${ms}.`);
    if (ms !== undefined) checked[name] = ms;
  }
  return checked;
}

/**
 * A whole number >= `min` from a number or a decimal string (as environment variables are); undefined
 * when not set. Anything else, `"5x"`, `""`, `2.5`, is refused rather than read as NaN or truncated.
 */
export function wholeNumber(value: unknown, where: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < min) {
    const hint = typeof value === 'string' ? ' A string (as process.env gives) must hold only digits.' : '';
    throw new ConfigurationError(`${where} must be a whole number >= ${min}; got ${shown(value)}.${hint}`);
  }
  return number;
}

function rateLimit(value: unknown, where: string): { max: number; duration: number } | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new ConfigurationError(`${where} must be { max: jobs, duration: ms }; got ${shown(value)}.`);
  const unknown = Object.keys(value).filter((key) => !RATE_KEYS.includes(key));
  if (unknown.length > 0) throw new ConfigurationError(`${where}: unknown key "${unknown[0]}". A rate limit is { max: jobs, duration: ms }.`);
  const max = wholeNumber(value.max, `${where}.max`, 1);
  const duration = wholeNumber(value.duration, `${where}.duration`, 1);
  if (max === undefined || duration === undefined) throw new ConfigurationError(`${where} needs both max and duration, e.g. { max: 5, duration: 1000 }.`);
  return { max, duration };
}
