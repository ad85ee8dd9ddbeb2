import type { JobState, Queue } from 'bullmq';
import { cancelChannel, encodeCancelRequest } from './cancel-channel';

/**
 * What `cancel()` did:
 * - `removed`: the job had not started (waiting, delayed, prioritized, paused, waiting for children)
 *   and was removed; it will never run.
 * - `signalled`: the job was running; the cancel was published to `listeners` worker processes, and
 *   the one holding the job aborts its handler's signal and fails it with `JobCancelledError`.
 * - `unheard`: the job was running but no worker process listens for cancels (none started with this
 *   version, or all are disconnected); nothing was done.
 * - `finished`: the job had already completed or failed; nothing was done.
 * - `not-found`: no job with this id (never added, or removed by retention).
 * - `scheduled`: the job is a schedule's next run, which BullMQ lets no one remove; nothing was done
 *   (take the schedule out of the definition, or change it, to stop its runs).
 * - `locked`: the job had not started but could not be removed, because a worker holds one of its
 *   flow children (BullMQ keeps a parent while a child is locked); nothing was done. Cancel the
 *   running children, or cancel the parent again once they ended.
 */
export interface CancelResult {
  readonly queue: string;
  readonly jobId: string;
  readonly outcome: 'removed' | 'signalled' | 'unheard' | 'finished' | 'not-found' | 'scheduled' | 'locked';
  /** The job's state when it was cancelled (`unknown` for `not-found`). */
  readonly state: JobState | 'unknown';
  /** For `signalled` / `unheard`: how many worker processes received the request. */
  readonly listeners?: number;
}

/**
 * Cancels one job wherever it is. A job that has not started is removed; BullMQ refuses to remove a
 * job that a worker has meanwhile locked, in which case its state is read again and it is cancelled
 * as a running job. `publish` sends on the producer's connection (PUBLISH needs no connection of its own).
 */
export async function cancelJob(
  handle: Queue,
  jobId: string,
  reason: string | undefined,
  publish: (channel: string, message: string) => Promise<number>,
): Promise<CancelResult> {
  const queue = handle.name;
  // Three tries at removing; a fourth look at the state settles a job that a worker took meanwhile.
  for (let round = 0; ; round++) {
    const state = await handle.getJobState(jobId);
    if (state === 'unknown') return { queue, jobId, outcome: 'not-found', state };
    if (state === 'completed' || state === 'failed') return { queue, jobId, outcome: 'finished', state };
    if (state === 'active') {
      const listeners = await publish(cancelChannel(handle.opts.prefix ?? 'bull'), encodeCancelRequest({ queue, jobId, ...(reason === undefined ? {} : { reason }) }));
      return { queue, jobId, outcome: listeners > 0 ? 'signalled' : 'unheard', state, listeners };
    }
    if (round === 3) return { queue, jobId, outcome: 'locked', state };
    // 0 means the job is locked (a worker took it since the state was read, or holds a flow child of
    // it) or already gone: look again.
    const removed = await handle.remove(jobId).catch(async (error: unknown) => {
      if ((await handle.getJob(jobId))?.repeatJobKey) return 'scheduled' as const;
      throw error;
    });
    if (removed === 'scheduled') return { queue, jobId, outcome: 'scheduled', state };
    if (removed === 1) return { queue, jobId, outcome: 'removed', state };
  }
}
