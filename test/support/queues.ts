import { defineQueues, handlers, job, type HandlerMap } from '../../lib/index';

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

/**
 * The `echo` queue's usual handlers — `value` returns its value, `fail` throws its message, `slow`
 * returns `{ slept: ms }` at once — with any of them replaced by `overrides`.
 */
export function echoHandlers(overrides: Partial<HandlerMap<TestQueues, 'echo'>> = {}) {
  return handlers(queues, 'echo', {
    value: async (job) => job.data.value,
    fail: async (job) => {
      throw new Error(job.data.message);
    },
    slow: async (job) => ({ slept: job.data.ms }),
    ...overrides,
  });
}
