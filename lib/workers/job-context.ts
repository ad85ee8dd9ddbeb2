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
  /** The job's abort signal, the one its handler receives (aborted on cancel, timeout or a shutdown past its deadline). */
  readonly signal: AbortSignal;
}

// The storage is shared by the whole process under a registry symbol, not held by this module: a
// handler that imports a second copy of queuewire (another version in a nested node_modules) still
// sees the context the worker's copy set. The `v1` is the shape above; a change to it takes a new key.
const STORAGE = Symbol.for('queuewire.jobContext.v1');
// Worker groups of this process that run jobs without a context, so jobContext() can say why it has none.
const UNTRACKED = Symbol.for('queuewire.jobContext.untracked.v1');
type ProcessHolder = { [STORAGE]?: AsyncLocalStorage<JobContext>; [UNTRACKED]?: Set<{ warned: boolean; warn: (message: string) => void }> };
const holder = globalThis as ProcessHolder;

function storage(): AsyncLocalStorage<JobContext> {
  return (holder[STORAGE] ??= new AsyncLocalStorage<JobContext>());
}

/**
 * The job this code runs for: `{ queue, name, jobId, attemptsMade, metadata, signal }`, in a handler,
 * in the functions it calls (however deep, after any number of awaits, in timers it sets) and in handler
 * hooks. `undefined` outside a job: in a route, in a bus listener, in a worker event. Cheap to call
 * (no Redis, no parsing), so loggers may call it for every line.
 *
 * Only jobs of a worker group that tracks contexts have one: a group with `hooks`, or started with
 * `jobContext: true` (see `StartWorkersOptions.jobContext` for why it is not on for every group).
 *
 * @example log.info({ requestId: jobContext()?.metadata.requestId }, 'sending the mail')
 */
export function jobContext(): JobContext | undefined {
  const context = holder[STORAGE]?.getStore();
  if (context === undefined && holder[UNTRACKED]?.size) {
    for (const group of holder[UNTRACKED]) {
      if (group.warned) continue;
      group.warned = true;
      group.warn('[queuewire] jobContext() returned undefined while this worker group runs its jobs without contexts. If it was called for one of its jobs, start the group with jobContext: true (the default only for a group with hooks); outside a job, undefined is right. Said once per group.');
    }
  }
  return context;
}

/**
 * Notes a worker group that runs its jobs without contexts, until the returned function is called (when
 * it closes), so a `jobContext()` call that finds none says why once.
 */
export function noteUntrackedGroup(warn: (message: string) => void): () => void {
  const group = { warned: false, warn };
  const groups = (holder[UNTRACKED] ??= new Set());
  groups.add(group);
  return () => groups.delete(group);
}

// Where a context keeps its attempt: a non-enumerable property, so spreads, serializers and deep
// comparisons never see it, that a getter still finds through `Object.create(context)` or a Proxy
// (a private field would throw there).
const ATTEMPT = Symbol('queuewire.attempt');

/**
 * The context of one run of a job: built once per attempt, before its hooks and handler run. Its data
 * are the object's own properties (a logger may spread or serialize them); the signal, made on first
 * read, is an enumerable getter of the prototype, so `for…in` and chai's deep comparisons see it too.
 *
 * A class rather than an object literal with a getter: the literal builds its accessor anew for every
 * job, which cost the worker about 8% of its throughput at concurrency 50 (see BENCHMARKS.md).
 */
class RunContext implements JobContext {
  readonly name: string;
  readonly jobId: string;
  readonly attemptsMade: number;
  readonly metadata: Readonly<JobMetadata>;
  declare private readonly [ATTEMPT]: { readonly signal: AbortSignal };

  constructor(readonly queue: string, job: Job, attempt: { readonly signal: AbortSignal }) {
    this.name = job.name;
    this.jobId = job.id!;
    this.attemptsMade = job.attemptsMade;
    this.metadata = jobMetadata(job);
    Object.defineProperty(this, ATTEMPT, { value: attempt }); // read-only, not enumerable
  }

  get signal(): AbortSignal {
    return this[ATTEMPT].signal;
  }
}
Object.defineProperty(RunContext.prototype, 'signal', { ...Object.getOwnPropertyDescriptor(RunContext.prototype, 'signal'), enumerable: true });

export function contextOf(queue: string, job: Job, attempt: { readonly signal: AbortSignal }): JobContext {
  return new RunContext(queue, job, attempt);
}

/** Runs `work` (a job's hooks and handler) so that `jobContext()` returns `context` within it. */
export function runInJobContext<Result>(context: JobContext, work: () => Promise<Result>): Promise<Result> {
  return storage().run(context, work);
}
