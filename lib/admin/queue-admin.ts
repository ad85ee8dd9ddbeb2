import type { Job, Queue } from 'bullmq';
import { withinRedisTimeout } from '../connection/bounded-redis';
import type { Connections } from '../connection/connections';
import type { QueueNameOf, QueueSet } from '../definition/define';
import { ClosedError, JobNotFoundError, JobStateConflictError, UnknownQueueError } from '../errors';
import { readJobStatus } from '../http/job-status';
import {
  CLEANABLE_STATES, JOB_STATES, checkClean, checkDrain, checkJobId, checkPage, checkRetryFailed, checkState,
  type CleanOptions, type CleanableState, type DrainOptions, type JobCounts, type JobPage, type QueueJobState, type RetryFailedOptions,
} from './admin-arguments';
import { toAdminJob, type AdminJob } from './admin-job';

/** What the queue admin needs from its client. */
export interface QueueAdminContext {
  readonly queues: QueueSet;
  readonly connections: Connections;
  readonly queueHandle: (queue: string) => Queue;
  readonly isClosed: () => boolean;
  /** Upper bound (ms) of every call: the client's `producerTimeout`. */
  readonly timeout: number;
}

/** One queue at a glance: whether it is paused and how many jobs each state holds. */
export interface QueueOverview<Queues extends QueueSet = QueueSet> {
  readonly queue: QueueNameOf<Queues>;
  readonly paused: boolean;
  readonly counts: JobCounts;
}

/** A page of the jobs of one state, and how many jobs that state holds in all. */
export interface JobList<Queues extends QueueSet, Queue extends QueueNameOf<Queues>> {
  readonly queue: Queue;
  readonly state: QueueJobState;
  readonly start: number;
  readonly end: number;
  /** Jobs in the state when it was counted; page on with `start: end + 1` while `end + 1 < total`. */
  readonly total: number;
  readonly jobs: ReadonlyArray<AdminJob<Queues, Queue>>;
}

// A retried job runs as if new: its full attempts (and backoff) again, not just what was left of them.
const AS_NEW = { resetAttemptsMade: true, resetAttemptsStarted: true } as const;
// Failed jobs read and retried at a time by retryFailed, so job data in memory stays bounded.
const RETRY_BATCH = 50;

/**
 * Operates the queues of one definition (`client.admin`): pause and resume, counts, reading and listing
 * jobs, retrying failed jobs, cleaning old ones and draining waiting ones.
 *
 * Every call checks its arguments before Redis is touched (`UnknownQueueError`,
 * `InvalidAdminArgumentError`) and settles within the client's `producerTimeout`: with Redis away it
 * rejects with `QueueUnavailableError` instead of hanging. It uses the client's one producer connection.
 * A call that times out after it was sent may still complete in Redis (`outcome: 'unknown'`).
 */
export class QueueAdmin<Queues extends QueueSet = QueueSet> {
  /** @internal Created by the client: use `client.admin`. */
  constructor(private readonly context: QueueAdminContext) {}

  /** Every declared queue, in definition order, with its paused flag and its counts. */
  async overview(): Promise<Array<QueueOverview<Queues>>> {
    this.assertOpen();
    const names = Object.keys(this.context.queues.definitions) as Array<QueueNameOf<Queues>>;
    return this.bounded(() => Promise.all(names.map(async (queue) => {
      const handle = this.context.queueHandle(queue);
      const [paused, counts] = await Promise.all([handle.isPaused(), readCounts(handle)]);
      return { queue, paused, counts };
    })));
  }

  /** The number of jobs in each state of `queue` (every state, 0 for an empty one). */
  async counts(queue: QueueNameOf<Queues>): Promise<JobCounts> {
    const handle = this.handle(queue);
    return this.bounded(() => readCounts(handle));
  }

  /**
   * Pauses `queue` for every worker of every process (BullMQ's global pause, a flag in Redis that
   * outlives restarts): active jobs run to their end, no new job starts until `resume`. Adds go on;
   * their jobs wait. The bus emits `<queue>:paused`. Pausing a paused queue changes nothing.
   */
  async pause(queue: QueueNameOf<Queues>): Promise<void> {
    const handle = this.handle(queue);
    await this.bounded(() => handle.pause());
  }

  /** Lets workers take jobs of `queue` again; the bus emits `<queue>:resumed`. Resuming a running queue changes nothing. */
  async resume(queue: QueueNameOf<Queues>): Promise<void> {
    const handle = this.handle(queue);
    await this.bounded(() => handle.resume());
  }

  /** Whether `queue` is paused. */
  async isPaused(queue: QueueNameOf<Queues>): Promise<boolean> {
    const handle = this.handle(queue);
    return this.bounded(() => handle.isPaused());
  }

  /**
   * One job with its state, data, progress, result or failure, or `undefined` when it does not exist.
   * A job read as `completed` always carries its result, a `failed` one its reason.
   */
  async getJob<Queue extends QueueNameOf<Queues>>(queue: Queue, jobId: string): Promise<AdminJob<Queues, Queue> | undefined> {
    const handle = this.handle(queue);
    const id = checkJobId(jobId, `admin.getJob("${queue}")`);
    const found = await this.bounded(() => readJobStatus(handle, id));
    return found ? (toAdminJob(found.job, found.status.state) as AdminJob<Queues, Queue>) : undefined;
  }

  /**
   * A page of the jobs in `state`, most recent first (see `JobPage`), at most 100 jobs: by default
   * positions 0 to 49. With `total`, the number of jobs in the state, to page on.
   */
  async listJobs<Queue extends QueueNameOf<Queues>>(queue: Queue, state: QueueJobState, page?: JobPage): Promise<JobList<Queues, Queue>> {
    const handle = this.handle(queue);
    const where = `admin.listJobs("${queue}")`;
    const listed = checkState(state, JOB_STATES, where);
    const { start, end } = checkPage(page, where);
    const [jobs, total] = await this.bounded(() => Promise.all([handle.getJobs([listed], start, end, false), handle.getJobCountByTypes(listed)]));
    return { queue, state: listed, start, end, total, jobs: jobs.map((job) => toAdminJob(job, listed) as AdminJob<Queues, Queue>) };
  }

  /**
   * Moves one failed job back to waiting (or prioritized), as if new: its attempts count from 0 again
   * and its failure reason is cleared. Resolves once Redis moved it; a worker then runs it.
   *
   * @throws JobNotFoundError when the job does not exist, JobStateConflictError when it is not failed
   */
  async retry(queue: QueueNameOf<Queues>, jobId: string): Promise<void> {
    const handle = this.handle(queue);
    const id = checkJobId(jobId, `admin.retry("${queue}")`);
    await this.bounded(async () => {
      const job = await handle.getJob(id);
      if (!job) throw new JobNotFoundError(queue, id);
      await retryFailedJob(handle, queue, job);
    });
  }

  /**
   * Retries up to `count` failed jobs (default and at most 1000), those that failed first first, each as
   * `retry` does. Resolves with the ids retried; jobs that left the failed state meanwhile are skipped.
   * When as many ids come back as `count`, more failed jobs may remain: call again.
   */
  async retryFailed(queue: QueueNameOf<Queues>, options?: RetryFailedOptions): Promise<string[]> {
    const handle = this.handle(queue);
    const { count } = checkRetryFailed(options, `admin.retryFailed("${queue}")`);
    return this.bounded(async () => {
      // The ids first: a retried job that fails again re-enters the failed set and must not be retried twice.
      const ids = await handle.getRanges(['failed'], 0, count - 1, true);
      const retried: string[] = [];
      for (let from = 0; from < ids.length; from += RETRY_BATCH) {
        const batch = ids.slice(from, from + RETRY_BATCH);
        const jobs = await Promise.all(batch.map((id) => handle.getJob(id)));
        const outcomes = await Promise.all(jobs.map((job) => (job
          ? retryFailedJob(handle, queue, job).then(() => true, (error: unknown) => {
            if (error instanceof JobNotFoundError || error instanceof JobStateConflictError) return false;
            throw error;
          })
          : false)));
        batch.forEach((id, index) => outcomes[index] && retried.push(id));
      }
      return retried;
    });
  }

  /**
   * Removes jobs of `state` older than `olderThan` ms, at most `limit` (default and at most 10 000),
   * and resolves with their ids. Active and waiting-children jobs are never cleaned; jobs a scheduler
   * holds are kept (BullMQ's rule).
   *
   * Completed and failed jobs are found by age, oldest first. For waiting, delayed and prioritized jobs
   * BullMQ examines only `limit` of them — the next in line, the next due, the most urgent — and removes
   * those old enough: a call may remove fewer than `limit` while older jobs remain further on.
   */
  async clean(queue: QueueNameOf<Queues>, state: CleanableState, options: CleanOptions): Promise<string[]> {
    const handle = this.handle(queue);
    const where = `admin.clean("${queue}")`;
    const cleaned = checkState(state, CLEANABLE_STATES, where);
    const { olderThan, limit } = checkClean(options, where);
    return this.bounded(() => handle.clean(olderThan, limit, cleaned));
  }

  /**
   * Removes every waiting and prioritized job of `queue` — and with `delayed: true` the delayed ones —
   * leaving active, completed and failed jobs. Jobs of schedulers are kept. One Redis script: on a
   * queue of millions of jobs it holds Redis for a while.
   */
  async drain(queue: QueueNameOf<Queues>, options?: DrainOptions): Promise<void> {
    const handle = this.handle(queue);
    const { delayed } = checkDrain(options, `admin.drain("${queue}")`);
    await this.bounded(() => handle.drain(delayed));
  }

  // The BullMQ handle of a declared queue; refuses an unknown name and a closed client before Redis.
  private handle(queue: string): Queue {
    this.assertOpen();
    if (typeof queue !== 'string' || !Object.hasOwn(this.context.queues.definitions, queue)) {
      throw new UnknownQueueError(String(queue), Object.keys(this.context.queues.definitions));
    }
    return this.context.queueHandle(queue);
  }

  private assertOpen(): void {
    if (this.context.isClosed()) throw new ClosedError('This queue client is closed; create a new one to administer queues.');
  }

  private bounded<Result>(work: () => Promise<Result>): Promise<Result> {
    return withinRedisTimeout(this.context.connections, this.context.timeout, work);
  }
}

async function readCounts(handle: Queue): Promise<JobCounts> {
  const counts = await handle.getJobCounts(...JOB_STATES);
  return Object.fromEntries(JOB_STATES.map((state) => [state, counts[state] ?? 0])) as unknown as JobCounts;
}

// BullMQ's retry is one script that moves the job only if it is in the failed set; when it refuses,
// the job's state says why.
async function retryFailedJob(handle: Queue, queue: string, job: Job): Promise<void> {
  try {
    await job.retry('failed', AS_NEW);
  } catch (error) {
    const state = await handle.getJobState(job.id!);
    if (state === 'unknown') throw new JobNotFoundError(queue, job.id!);
    if (state !== 'failed') throw new JobStateConflictError(queue, job.id!, state, 'failed', 'retried');
    throw error;
  }
}
