import type { Job } from 'bullmq';
import type { JobDataOf, JobNameOf, JobResultOf, QueueNameOf, QueueSet } from '../definition/define';
import type { JobProgress } from '../events/event-types';
import type { PublicJobState } from '../http/job-status';
import { jobMetadata, type JobMetadata } from '../producer/job-metadata';

/**
 * One job as the queue admin reports it: a plain snapshot (JSON as it stands, no methods), typed by the
 * definition, so narrowing on `name` narrows `data` and `result` to that job's types. Like any stored
 * input, the data is what Redis holds: the types are a promise, not a check.
 */
export type AdminJob<Queues extends QueueSet, Queue extends QueueNameOf<Queues>> = {
  [Name in JobNameOf<Queues, Queue>]: {
    readonly id: string;
    readonly queue: Queue;
    readonly name: Name;
    /** The job's state when it was read (for `listJobs`, the state that was listed). */
    readonly state: PublicJobState;
    /** The payload as stored (for a job declared with a schema, the schema's input). */
    readonly data: JobDataOf<Queues, Queue, Name>;
    /** The last value passed to `job.updateProgress()`; 0 before any. */
    readonly progress: JobProgress;
    /** The handler's result, present once `state` is `completed`. */
    readonly result?: JobResultOf<Queues, Queue, Name>;
    /** The last failed attempt's error message, present when an attempt failed (also on a job waiting to be retried). */
    readonly failedReason?: string;
    /** Stack traces of failed attempts, newest last; empty when none failed. */
    readonly stacktrace: readonly string[];
    /** Attempts that have finished, successfully or not. */
    readonly attemptsMade: number;
    /** Attempts the job may make in all (its `attempts` option). */
    readonly attempts: number;
    /** The job's metadata: the request id of the request that added it, and what `beforeAdd` hooks added. */
    readonly metadata: Readonly<JobMetadata>;
    /** Milliseconds since the epoch; `null` until the job was first processed / has finished. */
    readonly timestamps: { readonly createdAt: number; readonly processedAt: number | null; readonly finishedAt: number | null };
  };
}[JobNameOf<Queues, Queue>];

/** The snapshot of a BullMQ job read in `state`. */
export function toAdminJob(job: Job, state: PublicJobState): AdminJob<QueueSet, string> {
  return {
    id: String(job.id),
    queue: job.queueName,
    name: job.name,
    state,
    data: job.data,
    progress: job.progress ?? 0,
    ...(state === 'completed' ? { result: job.returnvalue ?? null } : {}),
    ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    stacktrace: job.stacktrace ?? [],
    attemptsMade: job.attemptsMade ?? 0,
    // BullMQ stores 0 for a job added without `attempts`, and runs it once.
    attempts: Math.max(1, job.opts.attempts ?? 1),
    metadata: jobMetadata(job),
    timestamps: {
      createdAt: job.timestamp,
      processedAt: job.processedOn ?? null,
      finishedAt: job.finishedOn ?? null,
    },
  };
}
