import { UnrecoverableError, type Job } from 'bullmq';
import { QueuewireError, ValidationError } from '../errors';
import { assertPlainJson } from '../definition/plain-json';
import { validateJobData } from '../definition/validation';
import type { StandardSchemaV1 } from '../definition/standard-schema';
import { runAbortable, type CancelRunning } from './abortable-run';
import { contextOf, runInJobContext } from './job-context';
import type { HookRunner } from './handler-hooks';
import { asJobError } from './thrown-error';

/** A queue's BullMQ processor, plus a way to cancel one of its running jobs. */
export interface JobRoute {
  (job: Job, token?: string, signal?: AbortSignal): Promise<unknown>;
  /** Aborts a job this process runs and fails it with `JobCancelledError`; false when it runs no such job. */
  cancel(jobId: string, reason: string | undefined): boolean;
}

/** What a router needs of a registry (or of a sandboxed module's handlers). */
export interface RoutableHandlers {
  readonly queue: string;
  readonly handlers: object;
  readonly schemas?: Readonly<Record<string, StandardSchemaV1>>;
  readonly timeouts?: Readonly<Record<string, number>>;
}

/** What runs around or instead of a queue's in-process handlers. */
export interface RouteOptions {
  /** Runs hooks around in-process handlers, in the job's context. */
  readonly hooks?: HookRunner;
  /** Job names run whole elsewhere (sandboxed); timeouts and cancels apply to them too. */
  readonly delegated?: ReadonlyMap<string, DelegatedRun>;
}

/** Runs a whole job elsewhere (a sandbox child) and settles with its result or failure. */
export type DelegatedRun = (job: Job, token: string | undefined, signal: AbortSignal | undefined) => Promise<unknown>;

/**
 * Builds the BullMQ processor of one queue: it runs the handler registered for `job.name` and stores
 * its result. Jobs that can never succeed fail at once, without retries, with a message that says why:
 * a name with no handler, data its schema refuses, or a result JSON cannot carry unchanged.
 *
 * Declared with three parameters so BullMQ passes the job's abort signal (it checks the arity); the
 * handler gets that signal, which BullMQ aborts when the job is cancelled, and which a shutdown past its
 * deadline aborts through `worker.cancelAllJobs()`. A job name's timeout and a cancel from any process
 * abort it too, and fail the job (see `runAbortable`).
 *
 * The hooks (when any) and the handler run in the job's context (`jobContext()`): one
 * AsyncLocalStorage run per job, inside the timeout, so a hook that hangs is cut off like a handler.
 */
export function routeJobs(registry: RoutableHandlers, active: Set<string>, options: RouteOptions = {}): JobRoute {
  const { hooks, delegated } = options;
  const table = registry.handlers as Record<string, (job: Job, context: { signal: AbortSignal | undefined }) => Promise<unknown>>;
  const schemas = registry.schemas ?? {};
  const timeouts = registry.timeouts ?? {};
  const cancels = new Map<string, CancelRunning>();
  // Cancels for jobs taken but whose handler has not been called yet (schema validation is async).
  const early = new Map<string, { reason: string | undefined }>();
  const abortable = (job: Job, jobSignal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<unknown>): Promise<unknown> =>
    runAbortable({
      queue: registry.queue,
      job,
      timeout: Object.hasOwn(timeouts, job.name) ? timeouts[job.name] : undefined,
      jobSignal,
      cancels,
      cancelledEarly: early.get(job.id!),
      run,
    });
  const route = async (job: Job, token?: string, jobSignal?: AbortSignal): Promise<unknown> => {
    // A sandboxed name runs whole in its child, which loads the same definition and applies the checks
    // below there (schema, result, progress), so the data crosses to the child exactly as stored.
    const delegate = delegated?.get(job.name);
    if (delegate) {
      active.add(job.id!);
      try {
        return await abortable(job, jobSignal, (signal) => delegate(job, token, signal));
      } finally {
        active.delete(job.id!);
        early.delete(job.id!);
      }
    }
    const handler = Object.hasOwn(table, job.name) ? table[job.name] : undefined;
    if (!handler) {
      throw new UnrecoverableError(`No handler for job "${job.name}" on queue "${registry.queue}". Known jobs: ${Object.keys(table).join(', ')}. Deploy a worker whose handlers include it.`);
    }
    active.add(job.id!);
    try {
      // Data that does not match the job's schema will not match on a retry either. The handler reads
      // the schema's output (transforms and defaults applied); Redis keeps what the producer sent.
      const schema = Object.hasOwn(schemas, job.name) ? schemas[job.name] : undefined;
      if (schema) job.data = await validInWorker(schema, job, registry.queue);
      guardProgress(job);
      return await abortable(job, jobSignal, (signal) => {
        const execute = async (): Promise<unknown> => {
          // Awaited inside try, not chained with .catch(): a plain-JavaScript handler that throws before
          // returning a promise, or returns no promise at all, is handled like an async one.
          let result: unknown;
          try {
            result = await handler(job, { signal });
          } catch (thrown) {
            throw asJobError(thrown, `Handler for "${job.name}"`);
          }
          // JSON has no undefined: a handler that returns nothing stores null, said plainly in the types.
          const stored = result === undefined ? null : result;
          try {
            assertPlainJson(stored, 'returnvalue');
          } catch (error) {
            throw new UnrecoverableError(`Handler for "${job.name}" returned a value that cannot be stored: ${(error as QueuewireError).message}`);
          }
          return stored;
        };
        const context = contextOf(registry.queue, job, signal);
        return runInJobContext(context, hooks ? () => hooks(job, context, execute) : execute);
      });
    } finally {
      active.delete(job.id!);
      early.delete(job.id!);
    }
  };
  const cancel = (jobId: string, reason: string | undefined): boolean => {
    const running = cancels.get(jobId);
    if (running) running(reason);
    else if (active.has(jobId)) early.set(jobId, { reason });
    return running !== undefined || active.has(jobId);
  };
  return Object.assign(route, { cancel });
}

async function validInWorker(schema: StandardSchemaV1, job: Job, queue: string): Promise<unknown> {
  try {
    return await validateJobData(schema, job.data, { queue, name: job.name, where: `Job ${queue}/${job.id} in the worker` });
  } catch (error) {
    throw error instanceof ValidationError ? new UnrecoverableError(error.message) : error;
  }
}

// Progress travels as JSON like results do: a value JSON would alter is refused where the handler
// reports it, instead of reaching listeners changed (a Date as a string, a Map as {}).
function guardProgress(job: Job): void {
  const report = job.updateProgress.bind(job);
  job.updateProgress = (progress) => {
    assertPlainJson(progress, 'progress');
    return report(progress);
  };
}
