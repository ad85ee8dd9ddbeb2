import { UnrecoverableError, type Job } from 'bullmq';
import { JobCancelledError, JobTimeoutError } from '../errors';

/** Aborts the running job of one id in this process (a cancel request); see `runAbortable`. */
export type CancelRunning = (reason: string | undefined) => void;

/**
 * Runs one handler under an AbortController of queuewire's own, so that a timeout and a cancel from
 * another process end the attempt however the handler reacts:
 * - the handler's signal follows BullMQ's (aborted by `worker.cancelJob()` or a shutdown past its
 *   deadline; what happens then is up to the handler, as before);
 * - after `timeout` ms the signal is aborted and the attempt fails with `JobTimeoutError` at once;
 * - a cancel (through `cancels`) aborts the signal and fails the job with `JobCancelledError`, wrapped
 *   in BullMQ's `UnrecoverableError` so no retry follows.
 * A handler that ignores its signal keeps running in the background, but its outcome is not waited for
 * and not stored: the worker slot is free again at once.
 */
export async function runAbortable<Result>(options: {
  queue: string;
  job: Job;
  timeout: number | undefined;
  jobSignal: AbortSignal | undefined;
  cancels: Map<string, CancelRunning>;
  /** Set when a cancel for this job came before its handler was called (while its data was validated). */
  cancelledEarly?: { reason: string | undefined };
  run: (signal: AbortSignal) => Promise<Result>;
}): Promise<Result> {
  const { queue, job, timeout, jobSignal, cancels, cancelledEarly, run } = options;
  const controller = new AbortController();
  let stop!: (error: Error) => void;
  const stopped = new Promise<never>((_, reject) => {
    stop = reject;
  });
  stopped.catch(() => undefined);
  // Settle first, abort second: the rejection then wins the race against whatever the handler throws
  // in reaction to the abort, so the job fails with the timeout or cancel error, not an AbortError.
  const end = (error: JobTimeoutError | JobCancelledError): void => {
    stop(error);
    if (!controller.signal.aborted) controller.abort(error);
  };
  const forward = (): void => controller.abort(jobSignal!.reason);
  if (jobSignal?.aborted) forward();
  else jobSignal?.addEventListener('abort', forward, { once: true });
  const timer = timeout === undefined ? undefined : setTimeout(() => end(new JobTimeoutError(queue, job.id!, job.name, timeout)), timeout);
  cancels.set(job.id!, (reason) => end(new JobCancelledError(queue, job.id!, job.name, reason)));
  if (cancelledEarly) cancels.get(job.id!)!(cancelledEarly.reason);
  try {
    const running = run(controller.signal);
    running.catch(() => undefined); // a handler that fails after losing the race is not an unhandled rejection
    return await Promise.race([running, stopped]);
  } catch (error) {
    if (error instanceof JobCancelledError) throw Object.assign(new UnrecoverableError(error.message), { cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
    cancels.delete(job.id!);
    jobSignal?.removeEventListener('abort', forward);
  }
}
