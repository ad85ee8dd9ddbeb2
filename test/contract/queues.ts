import { defineQueues, job } from '../../lib/index';

/**
 * The contract suite's definition: every job carries the user who may see it (`owner`), which the
 * suite's `authorize` compares with the request's `x-user` header.
 */
export const contractQueues = defineQueues({
  work: {
    jobs: {
      /** Reports progress after each step; each step waits until the test opens its gate. */
      steps: job<{ owner: string; steps: number }, { total: number }>(),
      /** Waits for one gate, then throws `message`. */
      fail: job<{ owner: string; message: string }, never>(),
    },
    defaults: { attempts: 1 },
  },
  other: {
    jobs: { noop: job<{ owner: string }>() },
  },
});
