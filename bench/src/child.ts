// Entry point of every process the runner starts: a contender's role (web, worker, listener, requester,
// web-with-events) or a neutral helper (the steady-rate feeder, the HTTP load generator). The runner
// passes the role as JSON in argv[2] and talks to the process over its IPC channel.
// Only what every role needs is imported here: the load generator, the feeder's BullMQ and each
// contender are loaded by the role that uses them, so a process under test holds nothing else in memory.
import type { Closer, Contender, ContenderName } from './contenders/types.js';
import { connectionOf, handlerWork, JOB, listenerSink, now, payload, QUEUE, RETENTION } from './shared.js';

export type ChildConfig =
  | { role: 'web'; contender: ContenderName; redisUrl: string; port: number }
  | { role: 'worker'; contender: ContenderName; redisUrl: string; queues: string[]; concurrency: number }
  | { role: 'listener'; contender: ContenderName; redisUrl: string; queues: string[]; warmup: number }
  | { role: 'webWithEvents'; contender: ContenderName; redisUrl: string; queues: string[] }
  | { role: 'requester'; contender: ContenderName; redisUrl: string }
  | { role: 'feeder'; redisUrl: string }
  | { role: 'load' };

/** Messages from the runner. */
export type ToChild =
  | { type: 'stop' }
  | { type: 'stats' }
  | { type: 'gc' }
  | { type: 'run'; rate: number; count: number; warmup: number }
  | { type: 'load'; url: string; connections: number; durationSec: number; body: string };

export interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  p50: number;
  p99: number;
  average: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;

function send(message: object): void {
  process.send!(message);
}

async function loadContender(name: ContenderName): Promise<Contender> {
  switch (name) {
    case 'handwritten':
      return (await import('./contenders/handwritten.js')).handwritten;
    case 'nest':
      return (await import('./contenders/nest.js')).nest;
    case 'queuewire':
      return (await import('./contenders/queuewire.js')).queuewire;
  }
}

/**
 * Calls `fire(seq)` `count` times at `rate` per second, open loop: a slow answer never delays the next
 * send, so latencies are not hidden by a waiting sender.
 */
async function steady(rate: number, count: number, fire: (seq: number) => void): Promise<number> {
  const interval = 1000 / rate;
  const start = now();
  let sent = 0;
  while (sent < count) {
    const late = now() - (start + sent * interval);
    if (late >= 0) {
      fire(sent);
      sent += 1;
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.floor(-late))));
  }
  return now() - start;
}

async function main(): Promise<void> {
  let close: Closer = async () => undefined;
  const handlers: Record<string, (message: ToChild) => Promise<void>> = {};

  switch (config.role) {
    case 'web': {
      const contender = await loadContender(config.contender);
      close = await contender.web(config);
      // Memory once the load is over and garbage is collected: what the process keeps (needs --expose-gc).
      handlers.gc = async () => {
        const collect = (globalThis as { gc?: () => void }).gc;
        collect?.();
        collect?.();
        send({ type: 'gc', rssMb: process.memoryUsage.rss() / 2 ** 20, heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20 });
      };
      break;
    }
    case 'worker': {
      const contender = await loadContender(config.contender);
      close = await contender.worker(config);
      handlers.stats = async () => send({ type: 'stats', ...handlerWork.stats() });
      break;
    }
    case 'listener': {
      const contender = await loadContender(config.contender);
      listenerSink.warmup = config.warmup;
      close = await contender.listener(config);
      handlers.stats = async () => send({ type: 'stats', deliveries: [...listenerSink.deliveries], latencies: listenerSink.latencies });
      break;
    }
    case 'webWithEvents': {
      const contender = await loadContender(config.contender);
      close = await contender.webWithEvents(config);
      break;
    }
    case 'requester': {
      const contender = await loadContender(config.contender);
      const requester = await contender.requester(config);
      close = requester.close;
      handlers.run = async (message) => {
        if (message.type !== 'run') return;
        const rtts: number[] = [];
        let errors = 0;
        let firstError: string | undefined;
        const pending: Array<Promise<void>> = [];
        const elapsed = await steady(message.rate, message.count, (seq) => {
          const started = now();
          pending.push(requester.call(payload(seq)).then(
            () => {
              if (seq >= message.warmup) rtts.push(now() - started);
            },
            (error: Error) => {
              errors += 1;
              firstError ??= error.message;
            },
          ));
        });
        await Promise.all(pending);
        send({ type: 'done', rtts, errors, firstError, elapsed });
      };
      break;
    }
    case 'feeder': {
      // Neutral: the same raw BullMQ producer feeds every contender's worker and listener.
      const { Queue } = await import('bullmq');
      const queue = new Queue(QUEUE, { connection: connectionOf(config.redisUrl), defaultJobOptions: RETENTION });
      await queue.waitUntilReady();
      close = () => queue.close();
      handlers.run = async (message) => {
        if (message.type !== 'run') return;
        const ids: string[] = [];
        let errors = 0;
        const pending: Array<Promise<void>> = [];
        const elapsed = await steady(message.rate, message.count, (seq) => {
          pending.push(queue.add(JOB, payload(seq)).then((job) => void ids.push(job.id!), () => void (errors += 1)));
        });
        await Promise.all(pending);
        send({ type: 'done', ids, errors, elapsed });
      };
      break;
    }
    case 'load': {
      const { default: autocannon } = await import('autocannon');
      handlers.load = async (message) => {
        if (message.type !== 'load') return;
        const result = await autocannon({
          url: message.url,
          method: 'POST',
          connections: message.connections,
          duration: message.durationSec,
          headers: { 'content-type': 'application/json' },
          body: message.body,
        });
        const summary: LoadResult = {
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          durationSec: result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          average: result.latency.average,
        };
        send({ type: 'done', ...summary });
      };
      break;
    }
  }

  // The runner is gone (crashed or interrupted): do not linger holding ports and connections.
  process.once('disconnect', () => process.exit(0));
  process.on('message', (message: ToChild) => {
    if (message.type === 'stop') {
      close().then(
        () => process.exit(0),
        (error: Error) => {
          console.error(`[bench ${config.role}] close failed: ${error.message}`);
          process.exit(1);
        },
      );
      return;
    }
    const key = message.type === 'load' ? 'load' : message.type;
    handlers[key]?.(message).catch((error: Error) => send({ type: 'error', message: error.stack ?? error.message }));
  });
  send({ type: 'ready' });
}

main().catch((error: Error) => {
  send({ type: 'error', message: error.stack ?? error.message });
  process.exit(1);
});
