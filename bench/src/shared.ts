// What every contender shares, so that only the queue layer differs: queue and job names, the payload,
// the job options, the handler's work and the clock.

/** The queue of every single-queue scenario. */
export const QUEUE = 'bench';
/** The job name every job carries. */
export const JOB = 'work';

/**
 * The request body and job data: a realistic ≈200-byte JSON object (checked at start-up by the runner).
 * `seq` numbers jobs in the scenarios that need to tell them apart.
 */
export function payload(seq = 0): Record<string, unknown> {
  return {
    seq,
    userId: 48213,
    email: 'ada.lovelace@example.com',
    plan: 'pro',
    locale: 'en-GB',
    tags: ['welcome', 'onboarding', 'trial'],
    source: 'signup-form',
    referrer: 'https://example.com/pricing?ref=news',
    createdAt: '2024-05-01T12:00:00.000Z',
  };
}

/**
 * queuewire's default retention (checked equal to `DEFAULT_RETENTION` at start-up), given to the other
 * contenders as their queue's `defaultJobOptions`: the same job options for all, as a careful hand-written
 * app would set them, so the worker's trimming work is the same everywhere.
 */
export const RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
};

/**
 * Milliseconds on the machine's monotonic clock (CLOCK_MONOTONIC), with sub-millisecond precision. One
 * clock for every process on the machine, so a time taken in a worker can be compared with one taken
 * in a listener process.
 */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** What a handler returns: when it returned, and which job it was. */
export interface WorkResult {
  t: number;
  seq: number | null;
}

/**
 * The handler of every contender: no work beyond counting and stamping the result with the time of
 * return (read by the event-delivery scenario).
 */
export class HandlerWork {
  count = 0;
  first = 0;
  last = 0;

  run(data: unknown): WorkResult {
    const t = now();
    if (this.count === 0) this.first = t;
    this.count += 1;
    this.last = t;
    const seq = (data as { seq?: unknown } | null)?.seq;
    return { t, seq: typeof seq === 'number' ? seq : null };
  }

  stats(): { count: number; first: number; last: number } {
    return { count: this.count, first: this.first, last: this.last };
  }
}

/** The one handler of a worker process. */
export const handlerWork = new HandlerWork();

/**
 * What a listener process saw: every `completed` event, once per delivery, and the delay from the
 * handler's return to the listener for the jobs after the warm-up.
 */
export class ListenerSink {
  readonly deliveries = new Map<string, number>();
  readonly latencies: number[] = [];
  warmup = 0;

  record(queue: string, jobId: string, returnvalue: unknown): void {
    const received = now();
    const key = `${queue}/${jobId}`;
    this.deliveries.set(key, (this.deliveries.get(key) ?? 0) + 1);
    const result = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as WorkResult | null;
    if (result && typeof result.t === 'number' && (result.seq ?? 0) >= this.warmup) this.latencies.push(received - result.t);
  }
}

/** The one sink of a listener process. */
export const listenerSink = new ListenerSink();

/** BullMQ connection options for a `redis://host:port` URL. */
export function connectionOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/** Queue names for the connection scenario: q0 … q(n-1). */
export function queueNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `q${index}`);
}
