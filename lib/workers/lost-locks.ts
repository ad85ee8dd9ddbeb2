import type { Worker } from 'bullmq';
import type { Logger } from '../logger';

// BullMQ says a job lost its lock in several ways, each on the worker's 'error' event: the renewal that
// failed, then the completion or failure that could not be written. One cause, one line.
const LOST_LOCK = /^(?:could not renew lock for job (\S+)$|Missing lock for job (\S+)\.|Lock mismatch for job (\S+)\.)/;

/** Whether a worker error is one of BullMQ's lost-lock messages (reported once by `reportLostLocks`). */
export function isLostLockEcho(error: Error): boolean {
  return LOST_LOCK.test(error.message);
}

/**
 * Logs one warning per job that lost its lock, saying what it means and what to do. A job loses its
 * lock when the worker could not renew it within `lockDuration`: usually a handler that blocks the
 * event loop (CPU-bound work), sometimes Redis away for that long. BullMQ's stalled check then takes
 * the job back, so it may run again; its first outcome is not written. The worker never crashes for it.
 */
export function reportLostLocks(worker: Worker, queue: string, logger: Logger): void {
  const reported = new Set<string>();
  const report = (jobId: string): void => {
    if (reported.has(jobId)) return;
    reported.add(jobId);
    // Bounded: a job id is only repeated within a short time, so the oldest entries can go.
    if (reported.size > 1000) reported.delete(reported.values().next().value!);
    logger.warn(`[queuewire] worker "${queue}": job ${queue}/${jobId} lost its lock (not renewed within lockDuration ${worker.opts.lockDuration} ms, usually because its handler blocked the event loop). Stalled recovery may run it again and its outcome here is not stored. Run CPU-bound handlers with sandboxed(), or raise lockDuration.`);
  };
  worker.on('lockRenewalFailed', (jobIds) => jobIds.forEach(report));
  worker.on('error', (error) => {
    const match = LOST_LOCK.exec(error.message);
    if (match) report(match[1] ?? match[2] ?? match[3]!);
  });
}
