import { AsyncLocalStorage } from 'node:async_hooks';
import type { Job } from 'bullmq';
import { jobMetadata, type JobMetadata } from '../producer/job-metadata';

/**
 * The job being run, as `jobContext()` returns it anywhere in the call tree of its handler and its
 * hooks (across awaits, timers and callbacks), and as handler hooks receive it.
 */
export interface JobContext<QueueName extends string = string, JobName extends string = string> {
  /** The queue the job came from. */
  readonly queue: QueueName;
  /** The job's name. */
  readonly name: JobName;
  readonly jobId: string;
  /** Attempts that ended before this one: 0 on the first run, 1 on the first retry, … */
  readonly attemptsMade: number;
  /**
   * The job's metadata, as `jobMetadata(job)` reads it: `requestId` of the request that added the job
   * (the `X-Request-Id` header, or the id generated for it), and whatever `beforeAdd` hooks added.
   * `{}` for a job added without any.
   */
  readonly metadata: Readonly<JobMetadata>;
  /** The job's abort signal, the one its handler receives (aborted on cancel or a shutdown past its deadline). */
  readonly signal: AbortSignal | undefined;
}

// The storage is shared by the whole process under a registry symbol, not held by this module: a
// handler that imports a second copy of queuewire (another version in a nested node_modules) still
// sees the context the worker's copy set. The `v1` is the shape above; a change to it takes a new key.
const STORAGE = Symbol.for('queuewire.jobContext.v1');
type StorageHolder = { [STORAGE]?: AsyncLocalStorage<JobContext> };

function storage(): AsyncLocalStorage<JobContext> {
  const holder = globalThis as StorageHolder;
  return (holder[STORAGE] ??= new AsyncLocalStorage<JobContext>());
}

/**
 * The job this code runs for: `{ queue, name, jobId, attemptsMade, metadata, signal }`, in a handler,
 * in the functions it calls (however deep, after any number of awaits, in timers it sets) and in handler
 * hooks. `undefined` outside a job: in a route, in a bus listener, in a worker event. Cheap to call
 * (no Redis, no parsing), so loggers may call it for every line.
 *
 * @example log.info({ requestId: jobContext()?.metadata.requestId }, 'sending the mail')
 */
export function jobContext(): JobContext | undefined {
  return storage().getStore();
}

/** The context of one run of a job: built once per attempt, before its hooks and handler run. */
export function contextOf(queue: string, job: Job, signal: AbortSignal | undefined): JobContext {
  return { queue, name: job.name, jobId: job.id!, attemptsMade: job.attemptsMade, metadata: jobMetadata(job), signal };
}

/** Runs `work` (a job's hooks and handler) so that `jobContext()` returns `context` within it. */
export function runInJobContext<Result>(context: JobContext, work: () => Promise<Result>): Promise<Result> {
  return storage().run(context, work);
}
