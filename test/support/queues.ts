import { defineQueues, job } from '../../lib/index';

/** The definition most tests share: two queues, results of several shapes. */
export const queues = defineQueues({
  email: {
    jobs: {
      welcome: job<{ to: string; name: string }, { messageId: string }>(),
      digest: job<{ userId: number }>(),
    },
    defaults: { attempts: 1 },
  },
  echo: {
    jobs: {
      value: job<{ value: unknown }, unknown>(),
      fail: job<{ message: string }, never>(),
      slow: job<{ ms: number }, { slept: number }>(),
    },
  },
});

export type TestQueues = typeof queues;
