import { Job, UnrecoverableError } from 'bullmq';
import { QueuewireError, ValidationError } from '../errors';
import { assertPlainJson } from '../definition/plain-json';
import { validateJobData } from '../definition/validation';
import type { StandardSchemaV1 } from '../definition/standard-schema';
import { JobAttempt } from './job-attempt';
import { HandlerSlots } from './handler-slots';
import { contextOf, runInJobContext } from './job-context';
import type { HookRunner } from './handler-hooks';
import { asJobError } from './thrown-error';

/** A queue's BullMQ processor, plus ways to end the jobs it runs. */
export interface JobRoute {
  /** `signal`, when given, is followed: its abort aborts the job's signal (a sandbox child, a test). */
  (job: Job, token?: string, signal?: AbortSignal): Promise<unknown>;
  /** Aborts a job this process runs and fails it with `JobCancelledError`; false when it runs no such job. */
  cancel(jobId: string, reason: string | undefined): boolean;
  /** Aborts a job's signal without failing it (`Worker.cancelJob()`); false when it runs no such job. */
  abort(jobId: string, reason: string | undefined): boolean;
  /** Aborts the signal of every job it runs, without failing them (a shutdown past its deadline). */
  abortAll(reason: string | undefined): void;
  /** Says the worker's concurrency changed, so jobs waiting for a slot look again. */
  capacityChanged(): void;
  /** How many handlers still run after a timeout or cancel ended their attempt (they ignored it). */
  outliving(): number;
  /** Ids of the jobs taken here and not yet settled (a shutdown names them when it gives up). */
  running(): Iterable<string>;
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
  /** Whether `jobContext()` works in handlers and hooks (an AsyncLocalStorage run per job). */
  readonly trackContext?: boolean;
  /** Job names run whole elsewhere (sandboxed); timeouts and cancels apply to them too. */
  readonly delegated?: ReadonlyMap<string, DelegatedRun>;
  /** Called as each job taken settles here (its outcome is BullMQ's to write next). */
  readonly onEnded?: (jobId: string) => void;
  /** The worker's concurrency now: handlers that outlive their attempt count against it. */
  readonly capacity?: () => number;
}

/**
 * Runs a whole job elsewhere (a sandbox child) and settles with its result or failure. `signal` asks it
 * to stop (the handler decides); `ended` says a timeout or cancel failed the job (stop it for sure).
 */
export type DelegatedRun = (job: Job, token: string | undefined, signal: AbortSignal, ended: AbortSignal) => Promise<unknown>;

/**
 * Builds the BullMQ processor of one queue: it runs the handler registered for `job.name` and stores
 * its result. Jobs that can never succeed fail at once, without retries, with a message that says why:
 * a name with no handler, data its schema refuses, or a result JSON cannot carry unchanged.
 *
 * Declared with two parameters, so BullMQ makes no AbortController per job: each run is a
 * `JobAttempt`, whose signal the handler gets (made on first read), which a job name's timeout, a cancel
 * from any process and a shutdown past its deadline (`abortAll`) abort.
 *
 * The hooks (when any) and the handler run inside the timeout, so a hook that hangs is cut off like a
 * handler; with `trackContext`, in the job's context (`jobContext()`: one AsyncLocalStorage run per job).
 */
export function routeJobs(registry: RoutableHandlers, options: RouteOptions = {}): JobRoute {
  const { hooks, delegated, trackContext = false, onEnded, capacity = () => Infinity } = options;
  const table = registry.handlers as Record<string, (job: Job, context: { readonly signal: AbortSignal }) => Promise<unknown>>;
  const schemas = registry.schemas ?? {};
  const timeouts = registry.timeouts ?? {};
  // Every job taken and not yet settled, from before its data is validated, so a cancel finds it.
  const attempts = new Map<string, JobAttempt>();
  const timeoutOf = (name: string): number | undefined => (Object.hasOwn(timeouts, name) ? timeouts[name] : undefined);
  // A timeout or cancel ends an attempt at once, and BullMQ then hands this worker its next job; a
  // handler that ignores its signal keeps its slot, and the next handler waits for one (C36).
  const slots = new HandlerSlots(capacity);
  const runHandler = async <Result>(attempt: JobAttempt, name: string, work: () => Promise<Result>): Promise<Result> => {
    if (!slots.takeNow() && !(await slots.waitFor(attempt))) throw attempt.notStarted();
    try {
      return await attempt.run(timeoutOf(name), work);
    } finally {
      slots.release(attempt.outliving);
    }
  };
  const route = async (job: Job, token?: string, signal?: AbortSignal): Promise<unknown> => {
    // A sandboxed name runs whole in its child, which loads the same definition and applies the checks
    // below there (schema, result, progress), so the data crosses to the child exactly as stored.
    const delegate = delegated?.get(job.name);
    const handler = delegate ? undefined : Object.hasOwn(table, job.name) ? table[job.name] : undefined;
    if (!delegate && !handler) {
      throw new UnrecoverableError(`No handler for job "${job.name}" on queue "${registry.queue}". Known jobs: ${Object.keys(table).join(', ')}. Deploy a worker whose handlers include it.`);
    }
    const attempt = new JobAttempt(registry.queue, job);
    const follow = signal ? (): void => attempt.abort(signal.reason) : undefined;
    if (signal?.aborted) follow!();
    else signal?.addEventListener('abort', follow!, { once: true });
    attempts.set(job.id!, attempt);
    try {
      if (delegate) return await runHandler(attempt, job.name, () => delegate(job, token, attempt.signal, attempt.endSignal));
      // Data that does not match the job's schema will not match on a retry either. The handler reads
      // the schema's output (transforms and defaults applied); Redis keeps what the producer sent.
      const schema = Object.hasOwn(schemas, job.name) ? schemas[job.name] : undefined;
      if (schema) job.data = await validInWorker(schema, job, registry.queue);
      guardProgress(job);
      // The handler's context is the job's context: it has the signal handlers are promised, and more.
      const context = contextOf(registry.queue, job, attempt);
      const execute = async (): Promise<unknown> => {
        // Awaited inside try, not chained with .catch(): a plain-JavaScript handler that throws before
        // returning a promise, or returns no promise at all, is handled like an async one.
        let result: unknown;
        try {
          result = await handler!(job, context);
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
      const hooked = hooks ? () => hooks(job, context, execute, attempt) : execute;
      return await runHandler(attempt, job.name, trackContext ? () => runInJobContext(context, hooked) : hooked);
    } finally {
      signal?.removeEventListener('abort', follow!);
      // A job that came back through stalled recovery may be run again here before this run ends: the
      // entry is then the later run's.
      if (attempts.get(job.id!) === attempt) attempts.delete(job.id!);
      onEnded?.(job.id!);
    }
  };
  const cancel = (jobId: string, reason: string | undefined): boolean => {
    const attempt = attempts.get(jobId);
    attempt?.cancel(reason);
    return attempt !== undefined;
  };
  const abort = (jobId: string, reason: string | undefined): boolean => {
    const attempt = attempts.get(jobId);
    attempt?.abort(reason);
    return attempt !== undefined;
  };
  const abortAll = (reason: string | undefined): void => {
    for (const attempt of attempts.values()) attempt.abort(reason);
  };
  return Object.assign(route, { cancel, abort, abortAll, capacityChanged: () => slots.capacityChanged(), outliving: () => slots.outlivingCount, running: () => attempts.keys() });
}

async function validInWorker(schema: StandardSchemaV1, job: Job, queue: string): Promise<unknown> {
  try {
    return await validateJobData(schema, job.data, { queue, name: job.name, where: `Job ${queue}/${job.id} in the worker` });
  } catch (error) {
    throw error instanceof ValidationError ? new UnrecoverableError(error.message) : error;
  }
}

// Progress travels as JSON like results do: a value JSON would alter is refused where the handler
// reports it, instead of reaching listeners changed (a Date as a string, a Map as {}). A BullMQ Job
// gets one shared function instead of a closure per job; a sandbox child's job copy, whose
// updateProgress sends to the parent, keeps its own behind the check.
function guardProgress(job: Job): void {
  const report = job.updateProgress;
  if (report === Job.prototype.updateProgress) {
    job.updateProgress = updatePlainProgress;
    return;
  }
  job.updateProgress = (progress) => {
    assertPlainJson(progress, 'progress');
    return report.call(job, progress);
  };
}

function updatePlainProgress(this: Job, progress: Parameters<Job['updateProgress']>[0]): Promise<void> {
  assertPlainJson(progress, 'progress');
  return Job.prototype.updateProgress.call(this, progress);
}
