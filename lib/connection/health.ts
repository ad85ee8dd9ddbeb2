import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { readEvictionPolicy, type EvictionPolicyFinding } from './eviction-policy';

/** One queue as health sees it. */
export interface QueueHealth {
  readonly queue: string;
  /** Jobs waiting to run (waiting or prioritized); `null` when Redis could not be asked. */
  readonly waiting: number | null;
  /** Jobs scheduled for later; they too need a worker to ever run. */
  readonly delayed: number | null;
  /** Workers connected for this queue under the configured prefix, in any process. */
  readonly workers: number | null;
  /** Waiting or delayed jobs and no worker to run them: a deployment or prefix mistake. */
  readonly unserved: boolean;
}

/** The workers this process runs, as health sees them. */
export interface LocalWorkerHealth {
  readonly queue: string;
  readonly state: 'running' | 'paused' | 'closed';
  /** False when the worker's Redis connection ended for good (it will not reconnect by itself). */
  readonly connected: boolean;
}

/** What `client.health()` reports. */
export interface HealthReport {
  /** Ready to serve: Redis answered, and no local worker lost its connection for good. */
  readonly ok: boolean;
  readonly redis: { readonly reachable: boolean; readonly latencyMs: number | null; readonly error?: string };
  readonly evictionPolicy: EvictionPolicyFinding | null;
  readonly queues: readonly QueueHealth[];
  readonly workers: readonly LocalWorkerHealth[];
  /** Every finding that needs a person's attention, one sentence each. */
  readonly warnings: readonly string[];
}

export interface HealthSources {
  readonly redis: Redis;
  /** Resolves once the connection is ready to take commands (it may be reconnecting). */
  readonly connected: (timeout: number) => Promise<void>;
  readonly queues: ReadonlyArray<{ name: string; handle: Queue }>;
  readonly localWorkers: () => LocalWorkerHealth[];
  readonly timeout: number;
}

/**
 * Checks Redis (PING latency, eviction policy), each queue (waiting jobs, connected workers) and this
 * process's workers. Bounded by `timeout`: with Redis down it answers `ok: false` instead of hanging.
 */
export async function checkHealth({ redis, connected, queues, localWorkers, timeout }: HealthSources): Promise<HealthReport> {
  const workers = localWorkers();
  const lostWorkers = workers.filter((worker) => !worker.connected);
  const warnings = lostWorkers.map((worker) => `Worker for "${worker.queue}" lost its Redis connection for good; restart the process.`);
  const started = performance.now();
  try {
    await withTimeout(connected(timeout).then(() => redis.ping()), timeout);
  } catch (error) {
    const message = (error as Error).message;
    return {
      ok: false,
      redis: { reachable: false, latencyMs: null, error: message },
      evictionPolicy: null,
      queues: queues.map(({ name }) => ({ queue: name, waiting: null, delayed: null, workers: null, unserved: false })),
      workers,
      warnings: [`Redis is unreachable: ${message}`, ...warnings],
    };
  }
  const latencyMs = Math.round((performance.now() - started) * 100) / 100;
  const [evictionPolicy, queueHealth] = await Promise.all([
    withTimeout(readEvictionPolicy(redis), timeout).catch(() => null),
    Promise.all(queues.map(({ name, handle }) => readQueue(name, handle, timeout))),
  ]);
  if (evictionPolicy?.warning) warnings.push(evictionPolicy.warning);
  for (const queue of queueHealth) {
    if (queue.unserved) {
      warnings.push(`Queue "${queue.queue}" has ${queue.waiting} waiting and ${queue.delayed} delayed job(s) and no worker under this prefix.`);
    }
  }
  return { ok: lostWorkers.length === 0, redis: { reachable: true, latencyMs }, evictionPolicy, queues: queueHealth, workers, warnings };
}

async function readQueue(name: string, handle: Queue, timeout: number): Promise<QueueHealth> {
  const [counts, workers] = await Promise.all([
    withTimeout(handle.getJobCounts('wait', 'prioritized', 'delayed'), timeout).catch(() => null),
    // CLIENT LIST may be disabled on managed Redis; then the worker count is unknown, not zero.
    withTimeout(handle.getWorkersCount(), timeout).catch(() => null),
  ]);
  const waiting = counts ? (counts.wait ?? 0) + (counts.prioritized ?? 0) : null;
  const delayed = counts ? counts.delayed ?? 0 : null;
  const pending = (waiting ?? 0) + (delayed ?? 0);
  return { queue: name, waiting, delayed, workers, unserved: pending > 0 && workers === 0 };
}

function withTimeout<Value>(promise: Promise<Value>, ms: number): Promise<Value> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
