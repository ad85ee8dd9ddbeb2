import { defineQueues, job } from '../../lib/index';

/**
 * The definition of the fault-injection tests: one queue whose jobs behave in ways a fault needs
 * (hold a job active until the process is killed, throw or enqueue follow-ups once shutdown begins).
 * The handlers live in test/fixtures/fault-process.ts.
 */
export const faultQueues = defineQueues({
  work: {
    jobs: {
      /** Returns at once, naming the process that ran it. */
      quick: job<{ n: number }, { pid: number }>(),
      /**
       * Runs `firstRunMs` when it starts for the first time; after stalled recovery (its worker was
       * killed) it returns at once. Names the process that ran it.
       */
      hold: job<{ firstRunMs: number }, { pid: number }>(),
      /** Waits until its process gets SIGTERM, then throws `message` (a job that fails during shutdown). */
      throwOnShutdown: job<{ message: string }, never>(),
      /** Waits until its process gets SIGTERM, then enqueues `count` follow-up jobs and returns their ids. */
      fanOutOnShutdown: job<{ count: number }, { followUps: string[] }>(),
      /** A follow-up job; returns at once. */
      followUp: job<{ parent: string; index: number }, { parent: string; index: number }>(),
    },
    defaults: { attempts: 1 },
  },
});

export type FaultQueues = typeof faultQueues;
