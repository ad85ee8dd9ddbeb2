import type { Job, JobState, Queue } from 'bullmq';
import type { JobProgress } from '../events/event-types';

/** Where a job is in its life, as BullMQ reports it (`unknown` for a job in no list, e.g. mid-removal). */
export type PublicJobState = JobState | 'unknown';

/**
 * What the job status route answers, and the first frame of a job's progress stream: the facts a
 * caller needs to follow a job, never its input data (which may be private or large).
 */
export interface JobStatus {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly state: PublicJobState;
  /** The last value the handler passed to `job.updateProgress()`; 0 before any. */
  readonly progress: JobProgress;
  /** The handler's decoded result, present once `state` is `completed` (`null` for a handler that returned nothing). */
  readonly result?: unknown;
  /** The last attempt's error message, present once `state` is `failed`. */
  readonly failedReason?: string;
  /** Attempts that have finished, successfully or not. */
  readonly attemptsMade: number;
  /** Milliseconds since the epoch; `null` until the job was first processed / has finished. */
  readonly timestamps: { readonly createdAt: number; readonly processedAt: number | null; readonly finishedAt: number | null };
}

/**
 * Reads one job and its state from Redis. Resolves with `undefined` when the job does not exist (never
 * added, or already removed by retention).
 *
 * The job's fields and its state are two reads. A job that finishes between them would show a finished
 * state without its result, so in that case the fields are read again: a `completed` status always
 * carries its result and a `failed` one its reason.
 */
export async function readJobStatus(handle: Queue, jobId: string): Promise<{ job: Job; status: JobStatus } | undefined> {
  let job = await handle.getJob(jobId);
  if (!job) return undefined;
  const state = await job.getState();
  if ((state === 'completed' || state === 'failed') && !job.finishedOn) {
    job = await handle.getJob(jobId);
    if (!job) return undefined;
  }
  return { job, status: toJobStatus(job, state) };
}

function toJobStatus(job: Job, state: PublicJobState): JobStatus {
  return {
    id: String(job.id),
    queue: job.queueName,
    name: job.name,
    state,
    progress: job.progress ?? 0,
    ...(state === 'completed' ? { result: job.returnvalue ?? null } : {}),
    ...(state === 'failed' ? { failedReason: job.failedReason ?? '' } : {}),
    attemptsMade: job.attemptsMade ?? 0,
    timestamps: {
      createdAt: job.timestamp,
      processedAt: job.processedOn ?? null,
      finishedAt: job.finishedOn ?? null,
    },
  };
}
