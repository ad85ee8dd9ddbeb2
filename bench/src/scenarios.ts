// The scenarios. Each runs one contender once (one repetition) and records its figures; the runner
// calls them for every contender in rotating order, repetition after repetition.
import { Queue } from 'bullmq';
import getPort from 'get-port';
import type { LoadResult } from './child.js';
import type { ContenderName } from './contenders/types.js';
import { Child } from './processes.js';
import type { BenchRedis } from './redis.js';
import { connectionOf, JOB, now, payload, QUEUE, queueNames, RETENTION } from './shared.js';
import { percentile } from './stats.js';

export interface Settings {
  reps: number;
  httpConnections: number;
  httpWarmupSec: number;
  httpSec: number;
  controlWarmupSec: number;
  controlSec: number;
  workerJobs: number;
  workerConcurrency: number[];
  eventsRate: number;
  eventsWarmupJobs: number;
  eventsJobs: number;
  eventsWorkerConcurrency: number;
  replyRate: number;
  replyWarmupJobs: number;
  replyJobs: number;
  replyWorkerConcurrency: number;
  connectionQueues: number[];
  scaleProcesses: number[];
  scaleConcurrency: number;
  scaleJobs: number;
}

export const FULL: Settings = {
  reps: 3,
  httpConnections: 50,
  httpWarmupSec: 2,
  httpSec: 10,
  controlWarmupSec: 1,
  controlSec: 5,
  workerJobs: 20_000,
  workerConcurrency: [1, 50],
  eventsRate: 500,
  eventsWarmupJobs: 250,
  eventsJobs: 4_000,
  eventsWorkerConcurrency: 10,
  replyRate: 200,
  replyWarmupJobs: 100,
  replyJobs: 1_600,
  replyWorkerConcurrency: 10,
  connectionQueues: [1, 20, 100],
  scaleProcesses: [1, 2, 4],
  scaleConcurrency: 10,
  scaleJobs: 10_000,
};

/** CI-sized: every code path once, in seconds; the figures mean nothing. */
export const SMOKE: Settings = {
  reps: 1,
  httpConnections: 10,
  httpWarmupSec: 0.5,
  httpSec: 1,
  controlWarmupSec: 0.5,
  controlSec: 1,
  workerJobs: 300,
  workerConcurrency: [1, 50],
  eventsRate: 200,
  eventsWarmupJobs: 20,
  eventsJobs: 100,
  eventsWorkerConcurrency: 10,
  replyRate: 100,
  replyWarmupJobs: 10,
  replyJobs: 50,
  replyWorkerConcurrency: 10,
  connectionQueues: [1, 20],
  scaleProcesses: [1, 2],
  scaleConcurrency: 10,
  scaleJobs: 300,
};

export interface Context {
  readonly settings: Settings;
  readonly redis: BenchRedis;
  /** The runner's own handle on the bench queue: pre-filling, pausing, counting. */
  readonly queue: Queue;
  /** Directory for CPU profiles of the processes under test, when profiling. */
  readonly cpuProfDir: string | undefined;
  record(figure: string, contender: ContenderName, round: number, value: number): void;
  log(message: string): void;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  run(context: Context, contender: ContenderName, round: number): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Adds `count` jobs with the shared payload, 500 per addBulk, four batches in flight (≈1 s for 20k). */
async function prefill(queue: Queue, count: number): Promise<void> {
  const batches: Array<Array<{ name: string; data: unknown }>> = [];
  for (let start = 0; start < count; start += 500) {
    batches.push(Array.from({ length: Math.min(500, count - start) }, (_, index) => ({ name: JOB, data: payload(start + index) })));
  }
  const next = async (): Promise<void> => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) await queue.addBulk(batch);
  };
  await Promise.all([next(), next(), next(), next()]);
}

/** Resolves once no job is waiting or active (polled every 20 ms from the runner's connection). */
async function drained(queue: Queue, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queue.getJobCounts('wait', 'active', 'prioritized');
    if (Object.values(counts).every((count) => count === 0)) return;
    if (Date.now() > deadline) throw new Error(`jobs still pending after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    await sleep(20);
  }
}

/** Waits until Redis's connection count has not changed for 300 ms; resolves with it. */
async function stableClientCount(redis: BenchRedis, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await redis.clientCount();
  let since = Date.now();
  while (Date.now() - since < 300 && Date.now() < deadline) {
    await sleep(50);
    const count = await redis.clientCount();
    if (count !== last) {
      last = count;
      since = Date.now();
    }
  }
  return last;
}

/**
 * Pre-fills a paused queue, starts the worker processes, resumes the queue and measures jobs/s from the
 * resume to the last handler return in any process. Start-up (process, Nest bootstrap) is not counted.
 */
async function drainRate(context: Context, contender: ContenderName, jobs: number, processes: number, concurrency: number): Promise<{ rate: number; cpuPer1k: number }> {
  const { redis, queue } = context;
  await redis.flush();
  await queue.pause();
  await prefill(queue, jobs);
  const workers = await Promise.all(Array.from({ length: processes }, () => Child.start(
    { role: 'worker', contender, redisUrl: redis.url, queues: [QUEUE], concurrency },
    { cpuProfDir: context.cpuProfDir },
  )));
  try {
    await stableClientCount(redis);
    const cpuBefore = workers.reduce((sum, worker) => sum + worker.cpuMs(), 0);
    const started = now();
    await queue.resume();
    await drained(queue, 300_000);
    const cpuMs = workers.reduce((sum, worker) => sum + worker.cpuMs(), 0) - cpuBefore;
    const stats = await Promise.all(workers.map((worker) => worker.ask<{ count: number; last: number }>({ type: 'stats' }, 'stats')));
    const done = stats.reduce((sum, one) => sum + one.count, 0);
    if (done !== jobs) throw new Error(`${contender}: ${done} of ${jobs} jobs ran`);
    const last = Math.max(...stats.map((one) => one.last));
    return { rate: jobs / ((last - started) / 1000), cpuPer1k: (cpuMs / jobs) * 1000 };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}

export const http: Scenario = {
  id: 'http',
  title: 'HTTP enqueue',
  async run(context, contender, round) {
    const { settings, redis } = context;
    await redis.flush();
    const port = await getPort();
    const server = await Child.start({ role: 'web', contender, redisUrl: redis.url, port }, { cpuProfDir: context.cpuProfDir, exposeGc: true });
    const load = await Child.start({ role: 'load' });
    const body = JSON.stringify(payload());
    const hit = (path: string, durationSec: number): Promise<LoadResult> => load.ask<LoadResult>(
      { type: 'load', url: `http://127.0.0.1:${port}${path}`, connections: settings.httpConnections, durationSec, body },
      'done',
      (durationSec + 30) * 1000,
    );
    try {
      await hit('/enqueue', settings.httpWarmupSec);
      const cpuBefore = server.cpuMs();
      const enqueue = await hit('/enqueue', settings.httpSec);
      const cpuMs = server.cpuMs() - cpuBefore;
      const rss = server.rssMb();
      await hit('/control', settings.controlWarmupSec);
      const controlCpuBefore = server.cpuMs();
      const control = await hit('/control', settings.controlSec);
      const controlCpuMs = server.cpuMs() - controlCpuBefore;
      const settled = await server.ask<{ rssMb: number; heapUsedMb: number }>({ type: 'gc' }, 'gc');
      const enqueueRps = enqueue.ok / enqueue.durationSec;
      const controlRps = control.ok / control.durationSec;
      const stored = await context.queue.count();
      context.record('http.enqueue.rps', contender, round, enqueueRps);
      context.record('http.enqueue.p50', contender, round, enqueue.p50);
      context.record('http.enqueue.p99', contender, round, enqueue.p99);
      context.record('http.enqueue.errors', contender, round, enqueue.errors + enqueue.timeouts + enqueue.non2xx);
      context.record('http.enqueue.cpu', contender, round, enqueue.ok > 0 ? cpuMs / enqueue.ok * 1000 : NaN);
      context.record('http.enqueue.rss', contender, round, rss);
      context.record('http.settled.rss', contender, round, settled.rssMb);
      context.record('http.settled.heap', contender, round, settled.heapUsedMb);
      context.record('http.control.rps', contender, round, controlRps);
      context.record('http.control.p99', contender, round, control.p99);
      context.record('http.control.cpu', contender, round, control.ok > 0 ? controlCpuMs / control.ok * 1000 : NaN);
      context.record('http.control.errors', contender, round, control.errors + control.timeouts + control.non2xx);
      context.record('http.enqueue.share', contender, round, enqueueRps / controlRps);
      context.log(`enqueue ${enqueueRps.toFixed(0)} req/s p99 ${enqueue.p99} ms (${stored} jobs stored), control ${controlRps.toFixed(0)} req/s, RSS ${rss.toFixed(1)} MB`);
    } finally {
      await load.stop();
      await server.stop();
    }
  },
};

export const worker: Scenario = {
  id: 'worker',
  title: 'Worker throughput',
  async run(context, contender, round) {
    const parts: string[] = [];
    for (const concurrency of context.settings.workerConcurrency) {
      const { rate, cpuPer1k } = await drainRate(context, contender, context.settings.workerJobs, 1, concurrency);
      context.record(`worker.c${concurrency}`, contender, round, rate);
      context.record(`worker.c${concurrency}.cpu`, contender, round, cpuPer1k);
      parts.push(`c=${concurrency}: ${rate.toFixed(0)} jobs/s`);
    }
    context.log(parts.join(', '));
  },
};

export const events: Scenario = {
  id: 'events',
  title: 'Event delivery',
  async run(context, contender, round) {
    const { settings, redis } = context;
    await redis.flush();
    const worker = await Child.start({ role: 'worker', contender, redisUrl: redis.url, queues: [QUEUE], concurrency: settings.eventsWorkerConcurrency }, { cpuProfDir: context.cpuProfDir });
    const listener = await Child.start({ role: 'listener', contender, redisUrl: redis.url, queues: [QUEUE], warmup: settings.eventsWarmupJobs }, { cpuProfDir: context.cpuProfDir });
    const feeder = await Child.start({ role: 'feeder', redisUrl: redis.url });
    try {
      // QueueEvents starts reading at '$' once connected: give every listener time to issue its first read.
      await sleep(500);
      const total = settings.eventsWarmupJobs + settings.eventsJobs;
      const listenerCpuBefore = listener.cpuMs();
      const fed = await feeder.ask<{ ids: string[]; errors: number; elapsed: number }>(
        { type: 'run', rate: settings.eventsRate, count: total, warmup: 0 }, 'done', (total / settings.eventsRate + 60) * 1000);
      await drained(context.queue, 60_000);
      await sleep(1000);
      const listenerCpuMs = listener.cpuMs() - listenerCpuBefore;
      const seen = await listener.ask<{ deliveries: Array<[string, number]>; latencies: number[] }>({ type: 'stats' }, 'stats');
      const deliveries = new Map(seen.deliveries);
      let missed = 0;
      let duplicated = 0;
      for (const id of fed.ids) {
        const times = deliveries.get(`${QUEUE}/${id}`) ?? 0;
        if (times === 0) missed += 1;
        else duplicated += times - 1;
      }
      const p99 = percentile(seen.latencies, 99);
      context.record('events.p50', contender, round, percentile(seen.latencies, 50));
      context.record('events.p95', contender, round, percentile(seen.latencies, 95));
      context.record('events.p99', contender, round, p99);
      context.record('events.missed', contender, round, missed + fed.errors);
      context.record('events.duplicated', contender, round, duplicated);
      context.record('events.rate', contender, round, total / (fed.elapsed / 1000));
      context.record('events.cpu', contender, round, (listenerCpuMs / total) * 1000);
      context.log(`${fed.ids.length} jobs at ${(total / (fed.elapsed / 1000)).toFixed(0)}/s: p99 ${p99.toFixed(2)} ms, missed ${missed}, duplicated ${duplicated}`);
    } finally {
      await Promise.all([feeder.stop(), listener.stop(), worker.stop()]);
    }
  },
};

export const reply: Scenario = {
  id: 'reply',
  title: 'Request-reply',
  async run(context, contender, round) {
    const { settings, redis } = context;
    await redis.flush();
    const worker = await Child.start({ role: 'worker', contender, redisUrl: redis.url, queues: [QUEUE], concurrency: settings.replyWorkerConcurrency }, { cpuProfDir: context.cpuProfDir });
    const requester = await Child.start({ role: 'requester', contender, redisUrl: redis.url }, { cpuProfDir: context.cpuProfDir });
    try {
      const total = settings.replyWarmupJobs + settings.replyJobs;
      const cpuBefore = requester.cpuMs();
      const result = await requester.ask<{ rtts: number[]; errors: number; firstError?: string; elapsed: number }>(
        { type: 'run', rate: settings.replyRate, count: total, warmup: settings.replyWarmupJobs }, 'done', (total / settings.replyRate + 60) * 1000);
      const p99 = percentile(result.rtts, 99);
      context.record('reply.p50', contender, round, percentile(result.rtts, 50));
      context.record('reply.p99', contender, round, p99);
      context.record('reply.errors', contender, round, result.errors);
      context.record('reply.cpu', contender, round, ((requester.cpuMs() - cpuBefore) / total) * 1000);
      context.log(`${total} calls at ${(total / (result.elapsed / 1000)).toFixed(0)}/s: p50 ${percentile(result.rtts, 50).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, errors ${result.errors}${result.firstError ? ` (${result.firstError})` : ''}`);
    } finally {
      await Promise.all([requester.stop(), worker.stop()]);
    }
  },
};

export const connections: Scenario = {
  id: 'connections',
  title: 'Connections',
  async run(context, contender, round) {
    const { redis } = context;
    const parts: string[] = [];
    for (const count of context.settings.connectionQueues) {
      const queues = queueNames(count);
      for (const role of ['webWithEvents', 'worker'] as const) {
        await redis.flush();
        const before = await stableClientCount(redis);
        const child = await Child.start(role === 'worker'
          ? { role, contender, redisUrl: redis.url, queues, concurrency: 1 }
          : { role, contender, redisUrl: redis.url, queues });
        try {
          const held = (await stableClientCount(redis)) - before;
          const figure = `connections.${role === 'worker' ? 'worker' : 'web'}.q${count}`;
          context.record(figure, contender, round, held);
          parts.push(`${role === 'worker' ? 'worker' : 'web'} q${count}: ${held}`);
        } finally {
          await child.stop();
          await redis.settleClients(before);
        }
      }
    }
    context.log(parts.join(', '));
  },
};

export const scale: Scenario = {
  id: 'scale',
  title: 'Scale',
  async run(context, contender, round) {
    const parts: string[] = [];
    for (const processes of context.settings.scaleProcesses) {
      const { rate } = await drainRate(context, contender, context.settings.scaleJobs, processes, context.settings.scaleConcurrency);
      context.record(`scale.p${processes}`, contender, round, rate);
      parts.push(`${processes} process(es): ${rate.toFixed(0)} jobs/s`);
    }
    context.log(parts.join(', '));
  },
};

export const SCENARIOS: Scenario[] = [http, worker, events, reply, connections, scale];

/** The runner's queue handle, with the shared job options. */
export function adminQueue(redisUrl: string): Queue {
  return new Queue(QUEUE, { connection: connectionOf(redisUrl), defaultJobOptions: RETENTION });
}
