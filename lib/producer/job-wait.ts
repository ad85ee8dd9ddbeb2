import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobFailedError, WaitTimeoutError } from '../errors';
import type { EventBus, JobOutcome } from '../events/event-bus';

export interface JobWait {
  readonly bus: EventBus<any>;
  readonly handle: Queue;
  /** The connection `handle` uses, for the cheap "finished yet?" read. */
  readonly redis: Redis;
  readonly queue: string;
  readonly jobId: string;
  readonly timeout: number;
  /** Ends the wait early (rejecting with the signal's reason) and removes its watch and timer. */
  readonly signal?: AbortSignal;
}

/**
 * Resolves with the job's result when it completes, rejects with `JobFailedError` when it fails for
 * good, or with `WaitTimeoutError` after `timeout`.
 *
 * Race-free by construction: it watches the bus first, then reads the job's stored state, so a job that
 * finished before the watch began is seen too. Whichever answers first settles the wait exactly once;
 * the watch and timer are then removed. Before timing out it reads the state once more, so a wait
 * never depends on the event alone (the bus may have fallen behind a trimmed stream).
 */
export function waitForJob({ bus, handle, redis, queue, jobId, timeout, signal }: JobWait): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const cancel = (): void => {
      if (settled) return;
      settled = true;
      stopWatching();
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const settle = (outcome: JobOutcome): void => {
      if (settled) return;
      settled = true;
      stopWatching();
      clearTimeout(timer);
      if (outcome.state === 'completed') resolve(outcome.returnvalue);
      else reject(new JobFailedError(queue, jobId, outcome.failedReason));
    };
    const stopWatching = bus.watchJob(queue, jobId, {
      onOutcome: settle,
      onEventsLost: () => readOutcome(handle, redis, jobId).then((outcome) => outcome && settle(outcome), () => undefined),
    });
    const timer = setTimeout(() => {
      readOutcome(handle, redis, jobId)
        .catch(() => undefined)
        .then((outcome) => {
          if (outcome) return settle(outcome);
          if (settled) return;
          settled = true;
          stopWatching();
          reject(new WaitTimeoutError(queue, jobId, timeout));
        });
    }, timeout);
    signal?.addEventListener('abort', cancel, { once: true });
    if (signal?.aborted) cancel();
    readOutcome(handle, redis, jobId).then((outcome) => outcome && settle(outcome), () => undefined);
  });
}

/** The job's outcome if it has finished, from its stored state; `undefined` while it is not done. */
async function readOutcome(handle: Queue, redis: Redis, jobId: string): Promise<JobOutcome | undefined> {
  // Most reads happen right after the add, with the job still waiting: one field says so, without
  // fetching and decoding the whole job.
  if (await redis.hget(handle.toKey(jobId), 'finishedOn') === null) return undefined;
  const job = await handle.getJob(jobId);
  if (!job || !job.finishedOn) return undefined;
  const state = await job.getState();
  if (state === 'completed') return { state, returnvalue: job.returnvalue };
  if (state === 'failed') return { state, failedReason: job.failedReason };
  return undefined;
}
