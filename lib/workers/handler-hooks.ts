import type { Job } from 'bullmq';
import type { JobHandlerDataOf, JobNameOf, JobResultOf, QueueNameOf, QueueSet } from '../definition/define';
import { ConfigurationError } from '../errors';
import { refuseUnknownOptions } from '../known-options';
import type { Logger } from '../logger';
import type { JobContext } from './job-context';
import { asJobError } from './thrown-error';

/**
 * A job as handler hooks see it: one of the jobs of the queues the workers serve, with `job.data` as its
 * handler reads it (validated, schema output). Narrow on `job.name` (and `context.queue` when two queues
 * share a name) to reach a job's own data type.
 */
export type HookedJob<Queues extends QueueSet = QueueSet, Served extends QueueNameOf<Queues> = QueueNameOf<Queues>> = {
  [Queue in Served]: {
    [Name in JobNameOf<Queues, Queue>]: Job<JobHandlerDataOf<Queues, Queue, Name>, JobResultOf<Queues, Queue, Name>, Name>;
  }[JobNameOf<Queues, Queue>];
}[Served];

/** The result of any job the workers serve, as it will be stored (`null` for a handler that returns nothing). */
export type HookedResult<Queues extends QueueSet = QueueSet, Served extends QueueNameOf<Queues> = QueueNameOf<Queues>> = {
  [Queue in Served]: JobResultOf<Queues, Queue, JobNameOf<Queues, Queue>>;
}[Served];

/** The context hooks receive: what `jobContext()` returns, with the served queue and job names typed. */
export type HookContext<Queues extends QueueSet = QueueSet, Served extends QueueNameOf<Queues> = QueueNameOf<Queues>> = {
  [Queue in Served]: JobContext<Queue, JobNameOf<Queues, Queue>>;
}[Served];

/**
 * Functions run around every handler of `startWorkers({ hooks })`, inside the job's context
 * (`jobContext()` works in them, unless the group is started with `jobContext: false`): the place for structured logs carrying the request id, metrics, or a
 * check that refuses to run a job. All three are optional and may be async (they are awaited, so keep
 * them quick). With several hooks, `before` runs in the order given and `after` / `error` in reverse, so
 * the first hook wraps all the others, as middleware does; a hook's `after` or `error` runs only when
 * its `before` finished (or it has none). Hooks never run for a job the worker refuses before its
 * handler: a name without a handler, or data its schema refuses.
 */
export interface HandlerHooks<Queues extends QueueSet = QueueSet, Served extends QueueNameOf<Queues> = QueueNameOf<Queues>> {
  /**
   * Runs before the handler, after the data was validated. Throwing fails this attempt of the job with
   * that error, exactly as if the handler had thrown it: later `before` hooks and the handler do not run,
   * the `error` hooks of the hooks already entered do, and the job is retried if it has attempts left
   * (throw BullMQ's `UnrecoverableError` to fail it for good).
   */
  readonly before?: (job: HookedJob<Queues, Served>, context: HookContext<Queues, Served>) => void | Promise<void>;
  /**
   * Runs once the handler returned a result that can be stored, before it is stored. It sees the result
   * and cannot change it (its return value is ignored; do not mutate the result). What it throws is
   * logged and changes nothing: the job completes and the other `after` hooks still run — failing the
   * job now would run its handler again for work that is done.
   */
  readonly after?: (job: HookedJob<Queues, Served>, result: HookedResult<Queues, Served>, context: HookContext<Queues, Served>) => void | Promise<void>;
  /**
   * Runs when the attempt fails: a `before` hook or the handler threw, or the result cannot be stored.
   * It sees the error the job fails with and cannot swallow or replace it (its return value is ignored);
   * what it throws is logged and the job still fails with the original error. Whether the job is retried
   * is BullMQ's decision as usual (`context.attemptsMade`, `job.opts.attempts`). After a timeout or
   * cancel it runs, with that error, once the hook or handler then running returns (no `after` then).
   */
  readonly error?: (job: HookedJob<Queues, Served>, error: Error, context: HookContext<Queues, Served>) => void | Promise<void>;
}

type AnyHook = (job: Job, ...rest: any[]) => void | Promise<void>;
interface CheckedHooks {
  readonly before?: AnyHook;
  readonly after?: AnyHook;
  readonly error?: AnyHook;
}

/**
 * Runs a job's handler (`execute`) between its hooks; built once per worker group. `attempt.failure` is
 * set once a timeout or cancel ended the attempt: the job has failed with it, whatever still runs.
 */
export type HookRunner = (job: Job, context: JobContext, execute: () => Promise<unknown>, attempt: EndableAttempt) => Promise<unknown>;

/** What hooks need of the attempt they run in. */
export interface EndableAttempt {
  readonly failure: Error | undefined;
}

const HOOK_KEYS = ['before', 'after', 'error'] as const;

/**
 * Checks `startWorkers({ hooks })` and builds what runs them. Returns `undefined` when there are no
 * hooks, so jobs of a worker group without hooks pay nothing for the feature.
 *
 * @throws ConfigurationError for something other than hook objects, an unknown key, or a non-function
 */
export function handlerHooks(option: unknown, logger: Logger): HookRunner | undefined {
  if (option === undefined) return undefined;
  const list: unknown[] = Array.isArray(option) ? option : [option];
  list.forEach((hooks, index) => {
    const where = Array.isArray(option) ? `startWorkers(): hooks[${index}]` : 'startWorkers(): hooks';
    if (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks)) {
      throw new ConfigurationError(`${where} must be an object of functions { before?, after?, error? }; got ${hooks === null ? 'null' : typeof hooks}.`);
    }
    refuseUnknownOptions(hooks, HOOK_KEYS, where);
    for (const key of HOOK_KEYS) {
      const hook = (hooks as Record<string, unknown>)[key];
      if (hook !== undefined && typeof hook !== 'function') throw new ConfigurationError(`${where}.${key} must be a function; got ${typeof hook}.`);
    }
  });
  if (list.length === 0) return undefined;
  // The functions are read once, here: editing the hook objects later does not change running workers.
  const checked = (list as CheckedHooks[]).map(({ before, after, error }) => ({ before, after, error }));
  return runnerOf(checked, logger);
}

function runnerOf(hooks: readonly CheckedHooks[], logger: Logger): HookRunner {
  // Observers (after, error) may not change the job's outcome: what they throw is only reported.
  const observe = async (stage: 'after' | 'error', job: Job, context: JobContext, call: () => void | Promise<void>): Promise<void> => {
    try {
      await call();
    } catch (thrown) {
      const outcome = stage === 'after' ? 'the job completes' : 'the job fails with its own error';
      logger.error(`[queuewire] an "${stage}" hook threw for job ${context.queue}/${context.jobId} ("${job.name}"): ${thrown instanceof Error ? thrown.message : String(thrown)}; ${outcome}.`);
    }
  };
  return async (job, context, execute, attempt) => {
    // Hooks entered so far: their `before` finished (or they have none), so their after/error are owed.
    let entered = 0;
    let result: unknown;
    try {
      for (; entered < hooks.length; entered += 1) {
        throwIfEnded(attempt);
        const before = hooks[entered]!.before;
        if (before) await callBefore(before, job, context);
      }
      throwIfEnded(attempt);
      result = await execute();
      // A result the attempt no longer waits for (its timeout passed, it was cancelled) is never stored.
      throwIfEnded(attempt);
    } catch (error) {
      // Once the attempt ended, the job failed with that, not with what its handler threw in reaction.
      const failure = attempt.failure ?? error;
      for (let index = entered - 1; index >= 0; index -= 1) {
        const onError = hooks[index]!.error;
        if (onError) await observe('error', job, context, () => onError(job, failure, context));
      }
      throw failure;
    }
    for (let index = hooks.length - 1; index >= 0; index -= 1) {
      const after = hooks[index]!.after;
      if (after) await observe('after', job, context, () => after(job, result, context));
    }
    return result;
  };
}

// A cancel or timeout during a `before` hook: the next hook and the handler must not start.
function throwIfEnded(attempt: EndableAttempt): void {
  if (attempt.failure) throw attempt.failure;
}

// A `before` hook's failure is the job's failure, so it must be an Error BullMQ can store.
async function callBefore(before: AnyHook, job: Job, context: JobContext): Promise<void> {
  try {
    await before(job, context);
  } catch (thrown) {
    throw asJobError(thrown, `A "before" hook for "${job.name}"`);
  }
}
