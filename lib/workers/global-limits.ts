import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ResolvedLimits } from '../definition/limits';
import { ConfigurationError } from '../errors';

/**
 * Writes each queue's global concurrency and rate limit to Redis (BullMQ keeps them in the queue's meta
 * hash, read by every worker of the queue in every process). A limit left out of the configuration is
 * left as Redis has it, so a value set by an operator or another tool survives a deploy; `null` removes it.
 *
 * Uses the workers' command connection (it queues commands until Redis answers, as a worker process
 * starting before Redis needs), through a BullMQ Queue that borrows it and is closed right after.
 */
export async function applyGlobalLimits(connection: Redis, prefix: string, limits: ReadonlyMap<string, ResolvedLimits>): Promise<void> {
  await Promise.all([...limits].map(async ([queue, { globalConcurrency, globalRateLimit, limiter }]) => {
    if (limiter && globalRateLimit === undefined) await refuseStoredRateLimit(connection, prefix, queue);
    if (globalConcurrency === undefined && globalRateLimit === undefined) return;
    const handle = new Queue(queue, { connection, prefix });
    handle.on('error', () => undefined); // reported by the workers sharing the connection
    try {
      if (globalConcurrency === null) await handle.removeGlobalConcurrency();
      else if (globalConcurrency !== undefined) await handle.setGlobalConcurrency(globalConcurrency);
      if (globalRateLimit === null) await handle.removeGlobalRateLimit();
      else if (globalRateLimit !== undefined) await handle.setGlobalRateLimit(globalRateLimit.max, globalRateLimit.duration);
    } finally {
      await handle.close();
    }
  }));
}

// BullMQ combines a global rate limit stored in Redis with a worker's limiter: the max from Redis, the
// duration from the worker, which is neither limit. Left out of the configuration, a stored one (an
// operator's, the last deploy's) would be kept, so a worker with a limiter refuses to start beside it.
async function refuseStoredRateLimit(connection: Redis, prefix: string, queue: string): Promise<void> {
  const [max, duration] = await connection.hmget(`${prefix}:${queue}:meta`, 'max', 'duration');
  if (max === null) return;
  throw new ConfigurationError(`Queue "${queue}" has a global rate limit stored in Redis (${max} jobs per ${duration ?? '?'} ms), and this worker has a limiter: BullMQ would mix the two (the max of one, the duration of the other). Remove the stored limit with limits.${queue}.globalRateLimit: null, or use it instead of the limiter.`);
}
