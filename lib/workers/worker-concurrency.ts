import type { Worker } from 'bullmq';

/**
 * Sets a running Worker's concurrency. BullMQ's setter only records the number: a worker already at its
 * old limit sits waiting for one of its jobs to end before it looks at it again, so with long jobs a
 * raise would wait minutes. A settled, empty entry handed to its main loop's queue wakes the loop, which
 * then fetches up to the new limit at once. That queue is BullMQ-internal (`mainLoopQueue`); if a later
 * version lacks it, the raise still applies, only at the next job's end. A lower limit needs no wake-up:
 * running jobs finish and no new one starts until the worker is below it.
 */
export function changeConcurrency(worker: Worker, concurrency: number): void {
  const raised = concurrency > worker.concurrency;
  worker.concurrency = concurrency;
  const loop = (worker as unknown as { mainLoopQueue?: { add?: (item: Promise<undefined>) => void } }).mainLoopQueue;
  if (raised && typeof loop?.add === 'function') loop.add(Promise.resolve(undefined));
}
