import { createQueueClient, defineQueues, job, type Logger, type QueueClient } from '../../lib/index';
import { uniquePrefix } from './harness';

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

/** A client of `limitedQueues` on `url` under its own prefix (or `prefix`), closed by the test's cleanup. */
export function limitedClient(
  url: string,
  cleanup: (close: () => unknown) => void,
  options: { prefix?: string; logger?: Logger } = {},
): QueueClient<LimitedQueues> {
  const client = createQueueClient({ queues: limitedQueues, connection: url, prefix: options.prefix ?? uniquePrefix(), ...(options.logger ? { logger: options.logger } : {}) });
  cleanup(() => client.close());
  return client;
}
