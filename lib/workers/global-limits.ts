import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ResolvedLimits } from '../definition/limits';

/**
 * Writes each queue's global concurrency and rate limit to Redis (BullMQ keeps them in the queue's meta
 * hash, read by every worker of the queue in every process). A limit left out of the configuration is
 * left as Redis has it, so a value set by an operator or another tool survives a deploy; `null` removes it.
 *
 * Uses the workers' command connection (it queues commands until Redis answers, as a worker process
 * starting before Redis needs), through a BullMQ Queue that borrows it and is closed right after.
 */
export async function applyGlobalLimits(connection: Redis, prefix: string, limits: ReadonlyMap<string, ResolvedLimits>): Promise<void> {
  await Promise.all([...limits].map(async ([queue, { globalConcurrency, globalRateLimit }]) => {
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
