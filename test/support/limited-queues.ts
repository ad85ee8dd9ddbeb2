import { defineQueues, job } from '../../lib/index';

/**
 * A definition with limits and timeouts in it, for the limits, timeout and cancel tests: `tick` is a
 * quick job, `sleep` has a 300 ms timeout, `hang` has none (its handler runs until cancelled).
 */
export const limitedQueues = defineQueues({
  work: {
    jobs: {
      tick: job<{ n: number }>(),
      sleep: job<{ ms: number }, { slept: number }>(),
      hang: job<{ label: string }>(),
    },
    defaults: { attempts: 1 },
    limits: { concurrency: 1 },
    timeouts: { sleep: 300 },
  },
});

export type LimitedQueues = typeof limitedQueues;
