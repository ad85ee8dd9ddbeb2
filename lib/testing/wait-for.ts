import type { Job, JobState, Queue as BullQueue } from 'bullmq';
import type { QueueClient } from '../client';
import type { JobDataOf, JobNameOf, JobResultOf, QueueNameOf, QueueSet } from '../definition/define';
import { ConfigurationError, UnknownQueueError, WaitForStateError, type WaitedJobState } from '../errors';
import { refuseUnknownOptions } from '../known-options';

/**
 * The states `waitFor` can wait for. Each is entered with the bus event of the same name:
 * - `'waiting'`: waiting for a worker, in the wait list or with a priority (BullMQ's `prioritized`);
 * - `'delayed'`: waiting for its delay or its retry backoff;
 * - `'active'`: a worker started it — a job that already ran (finished, or waiting for a retry) counts;
 * - `'completed'`, `'failed'` (for good: no attempts left, or unrecoverable);
 * - `'waiting-children'`: a parent waiting for its children.
 */
export type WaitableState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'waiting-children';

/** A stored job of one queue, typed by the definition: narrow on `name` to narrow `data` and `returnvalue`. */
export type StoredJob<Queues extends QueueSet, Queue extends QueueNameOf<Queues>> = {
  [Name in JobNameOf<Queues, Queue>]: Job<JobDataOf<Queues, Queue, Name>, JobResultOf<Queues, Queue, Name>, Name>;
}[JobNameOf<Queues, Queue>];

/** Picks the awaited job among a queue's jobs when its id is not known (say, a route added it). */
export type JobMatcher<Queues extends QueueSet, Queue extends QueueNameOf<Queues>> = (job: StoredJob<Queues, Queue>) => boolean | Promise<boolean>;

export interface WaitForOptions {
  /**
   * Milliseconds to wait before rejecting with `WaitForStateError`, which names the job's actual state.
   * Default 5000. Keep it below your test framework's own timeout (mocha's default is 2000) so that
   * message is the one you read.
   */
  timeout?: number;
}

const WAITABLE: readonly WaitableState[] = ['waiting', 'delayed', 'active', 'completed', 'failed', 'waiting-children'];
// The stored states that count as being in each waitable state.
const STORED: Record<WaitableState, readonly JobState[]> = {
  waiting: ['waiting', 'prioritized'],
  delayed: ['delayed'],
  active: ['active'],
  completed: ['completed'],
  failed: ['failed'],
  'waiting-children': ['waiting-children'],
};
// Every state a job can be read in, for the timeout's report of the jobs matching a predicate.
const ALL_STATES: readonly JobState[] = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed', 'waiting-children'];
/** How many of a queue's jobs a predicate is tried on when `waitFor` starts and when it reports. */
const SCAN_LIMIT = 1000;
const DEFAULT_TIMEOUT = 5000;

/**
 * Resolves with the job once it is in `state`, read back from Redis: for a test, a fact to wait for
 * instead of a sleep. `job` is a job id, or a predicate that picks the job among the queue's jobs (the
 * first job matching it that is in `state` wins).
 *
 * Cannot miss a job that got there first: it subscribes to the client's event bus, waits until the bus
 * is reading, and only then reads the stored state (for a predicate: the queue's first 1000 jobs in
 * that state). After that, each event of `state` on the queue is checked. A job that passes through a
 * state quickly (`'active'`, `'waiting'`) is seen when `waitFor` was called before the job got there;
 * for `'active'` a job that already started counts too.
 *
 * @throws WaitForStateError after `timeout`, naming the job's actual state (or, for a predicate, the
 *   matching jobs and their states), or at once when the awaited job was removed before it could be
 *   read (e.g. `removeOnComplete: true`)
 * @throws ConfigurationError for an unknown state or option; UnknownQueueError for an undeclared queue
 */
export function waitFor<Queues extends QueueSet, Queue extends QueueNameOf<Queues>>(
  client: QueueClient<Queues>,
  queue: Queue,
  // `undefined` is accepted so `waitFor(client, q, added.id, …)` type-checks (BullMQ types `Job.id` as
  // optional); it is refused at run time with a ConfigurationError.
  job: string | undefined | JobMatcher<Queues, Queue>,
  state: WaitableState,
  options: WaitForOptions = {},
): Promise<StoredJob<Queues, Queue>> {
  if (!Object.hasOwn(client.queues.definitions, queue)) throw new UnknownQueueError(String(queue), Object.keys(client.queues.definitions));
  if (!WAITABLE.includes(state)) throw new ConfigurationError(`waitFor(): state must be one of ${WAITABLE.join(', ')}; got ${JSON.stringify(state)}.`);
  if (typeof job !== 'function' && (typeof job !== 'string' || job.length === 0)) {
    throw new ConfigurationError(`waitFor(): job must be a job id or a predicate (job) => boolean; got ${JSON.stringify(job)}.`);
  }
  refuseUnknownOptions(options, ['timeout'], 'waitFor() options');
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  if (!Number.isInteger(timeout) || timeout <= 0 || timeout > 2 ** 31 - 1) {
    throw new ConfigurationError(`waitFor(): timeout must be a whole number of milliseconds from 1 to 2147483647; got ${String(timeout)}.`);
  }
  const wait = new StateWait(client.queue(queue), client.prefix, queue, job as string | JobMatcher<QueueSet, string>, state, timeout);
  return wait.run(client.events as unknown as WaitBus) as Promise<StoredJob<Queues, Queue>>;
}

/** The part of the event bus a wait uses. */
interface WaitBus {
  on(event: string, listener: (payload: { jobId?: string }) => void): unknown;
  off(event: string, listener: (payload: { jobId?: string }) => void): unknown;
  ready(): Promise<void>;
}

// One wait: settles exactly once, then removes its listeners and timer.
class StateWait {
  private settled = false;
  private resolve!: (job: Job) => void;
  private reject!: (error: unknown) => void;
  private readonly matcher: JobMatcher<QueueSet, string> | undefined;
  private readonly jobId: string | undefined;

  constructor(
    private readonly handle: BullQueue,
    private readonly prefix: string,
    private readonly queue: string,
    target: string | JobMatcher<QueueSet, string>,
    private readonly state: WaitableState,
    private readonly timeout: number,
  ) {
    this.matcher = typeof target === 'function' ? target : undefined;
    this.jobId = typeof target === 'string' ? target : undefined;
  }

  run(bus: WaitBus): Promise<Job> {
    const promise = new Promise<Job>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    const entered = (payload: { jobId?: string }): void => {
      const { jobId } = payload;
      if (jobId === undefined || (this.jobId !== undefined && jobId !== this.jobId)) return;
      this.handle.getJob(jobId).then((found) => this.consider(found, jobId, true)).catch((error: unknown) => this.fail(error));
    };
    const recheck = (): void => {
      this.readStored().catch((error: unknown) => this.fail(error));
    };
    const timer = setTimeout(() => {
      this.giveUp().catch((error: unknown) => this.fail(error));
    }, this.timeout);
    const stop = (): void => {
      clearTimeout(timer);
      bus.off(`${this.queue}:${this.state}`, entered);
      bus.off(`${this.queue}:events-lost`, recheck);
    };
    promise.then(stop, stop);
    // Subscribed first, read second: whatever happens between the two is in the events.
    bus.on(`${this.queue}:${this.state}`, entered);
    bus.on(`${this.queue}:events-lost`, recheck);
    bus.ready().then(recheck, (error: unknown) => this.fail(error));
    return promise;
  }

  // The job as Redis holds it now, for an id, or the queue's jobs in the state, for a predicate.
  private async readStored(): Promise<void> {
    if (this.jobId !== undefined) {
      await this.consider(await this.handle.getJob(this.jobId), this.jobId, false);
      return;
    }
    // Jobs that already ran count as having been active.
    const states = this.state === 'active' ? ['active', 'completed', 'failed'] as const : STORED[this.state];
    for (const found of await this.handle.getJobs([...states], 0, SCAN_LIMIT - 1)) {
      if (this.settled) return;
      await this.consider(found, found.id!, false);
    }
  }

  // `entered`: an event said the job just got to the state (it may have moved on since).
  private async consider(found: Job | undefined, jobId: string, entered: boolean): Promise<void> {
    if (this.settled) return;
    if (!found) {
      // Only an awaited id can be reported: a removed job can no longer be matched against a predicate.
      if (entered && this.matcher === undefined) {
        this.fail(new WaitForStateError(
          `waitFor: job ${this.queue}/${jobId} reached "${this.state}" but was removed before it could be read (removeOnComplete / removeOnFail: true?). Keep the job (the default retention does) to wait for it.`,
          this.queue, this.state, [{ id: jobId, state: 'missing' }],
        ));
      }
      return;
    }
    if (this.matcher && !(await this.matcher(found as never))) return;
    if (entered || (await this.isInState(found))) {
      if (this.settled) return;
      this.settled = true;
      this.resolve(found);
    }
  }

  private async isInState(found: Job): Promise<boolean> {
    if (this.state === 'active' && found.processedOn) return true;
    return STORED[this.state].includes((await found.getState()) as JobState);
  }

  // At the deadline: one last read (the bus may lag), then the report of where the job actually is.
  private async giveUp(): Promise<void> {
    await this.readStored();
    if (this.settled) return;
    const jobs = await this.currentStates();
    const message = this.jobId !== undefined
      ? `waitFor: job ${this.queue}/${this.jobId} did not reach "${this.state}" within ${this.timeout} ms; ${jobs[0]!.state === 'missing' ? `no such job exists in queue "${this.queue}" under prefix "${this.prefix}"` : `it is ${describeState(jobs[0]!)}`}.${hint(jobs[0]!.state, this.queue, this.prefix)}`
      : `waitFor: no job of queue "${this.queue}" matching the predicate reached "${this.state}" within ${this.timeout} ms; ${jobs.length === 0 ? `no job matches it (of the first ${SCAN_LIMIT} jobs of the queue)` : `jobs matching it: ${jobs.map((matching) => `${matching.id} is ${describeState(matching)}`).join(', ')}`}.`;
    this.fail(new WaitForStateError(message, this.queue, this.state, jobs));
  }

  private async currentStates(): Promise<WaitedJobState[]> {
    if (this.jobId !== undefined) {
      const found = await this.handle.getJob(this.jobId);
      return [found ? await stateOf(found) : { id: this.jobId, state: 'missing' }];
    }
    const matching: WaitedJobState[] = [];
    for (const found of await this.handle.getJobs([...ALL_STATES], 0, SCAN_LIMIT - 1)) {
      if (await this.matcher!(found as never)) matching.push(await stateOf(found));
    }
    return matching;
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

async function stateOf(found: Job): Promise<WaitedJobState> {
  const state = await found.getState();
  return state === 'failed' ? { id: found.id!, state, failedReason: found.failedReason } : { id: found.id!, state };
}

function describeState(job: WaitedJobState): string {
  return `"${job.state}"${job.failedReason !== undefined ? ` (failedReason: ${job.failedReason})` : ''}`;
}

// A job that stays waiting in a test usually has no worker on its queue and prefix.
function hint(state: string, queue: string, prefix: string): string {
  return state === 'waiting' || state === 'prioritized'
    ? ` Is a worker running for "${queue}" on prefix "${prefix}" (startWorkers with this client)?`
    : '';
}
