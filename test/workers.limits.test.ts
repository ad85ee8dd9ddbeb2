import { expect } from 'chai';
import { ConfigurationError, createQueueClient, defineQueues, handlers, job, startWorkers, type QueueClient } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { limitedClient, limitedQueues, type LimitedQueues } from './support/limited-queues';

describe('workers: limits and concurrency from configuration', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  const newClient = (prefix?: string): QueueClient<LimitedQueues> => limitedClient(redis().url, cleanup, { prefix });

  /** Handlers whose `tick` records when it started and how many ran at once, then waits `ms`. */
  function recordingHandlers(ms: number) {
    const record = { starts: [] as number[], running: 0, peak: 0 };
    const registry = handlers(limitedQueues, 'work', {
      tick: async () => {
        record.starts.push(Date.now());
        record.running++;
        record.peak = Math.max(record.peak, record.running);
        await new Promise((resolve) => setTimeout(resolve, ms));
        record.running--;
      },
      sleep: async (job) => ({ slept: job.data.ms }),
      hang: async () => undefined,
    });
    return { record, registry };
  }

  it('C37: a limiter of 5 jobs per second given through startWorkers (as env strings) reaches the worker: no 1-second window runs more than 5', async function () {
    this.timeout(10_000);
    const client = newClient();
    await client.producer.addBulk(Array.from({ length: 15 }, (_, n) => ({ queue: 'work' as const, name: 'tick' as const, data: { n } })));
    const { record, registry } = recordingHandlers(0);
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [registry],
      // As a deployment would pass them: strings straight from process.env.
      concurrency: '10',
      limits: { work: { limiter: { max: '5', duration: '1000' } } },
    });
    cleanup(() => group.close());
    expect(group.workers.get('work')!.opts.limiter).to.deep.equal({ max: 5, duration: 1000 });
    const completed = await pollUntil(() => client.queue('work').getCompletedCount(), (count) => count === 15, { timeout: 8000 });
    expect(completed).to.equal(15);
    // Every window of 1000 ms that starts at a handler's start holds at most 5 starts. BullMQ's limiter
    // counts fixed windows that open when Redis hands out a window's first job, which is a few ms before
    // its handler records its start (2-4 ms measured here, more on a loaded machine); so the next window's
    // jobs can start 996 ms after this one's handlers did. 50 ms are allowed for that. Without the
    // limiter all 15 would start within those first milliseconds.
    const slack = 50;
    const starts = [...record.starts].sort((a, b) => a - b);
    const busiest = Math.max(...starts.map((from) => starts.filter((at) => at >= from && at < from + 1000 - slack).length));
    expect(busiest, `handler starts (ms after the first): ${starts.map((at) => at - starts[0]!).join(', ')}`).to.equal(5);
    // Three windows are needed for 15 jobs, so the last one starts about two seconds after the first.
    expect(starts[14]! - starts[0]!).to.be.at.least(2000 - slack);
  });

  it('C37: unknown keys in a limiter are refused with a ConfigurationError at start, before Redis is touched', async () => {
    // Nothing listens on port 1: reaching Redis would hang or fail differently.
    const client = createQueueClient({ queues: limitedQueues, connection: 'redis://127.0.0.1:1', prefix: uniquePrefix() });
    cleanup(() => client.close());
    const { registry } = recordingHandlers(0);
    const attempts: Array<[string, () => Promise<unknown>, string]> = [
      ['limiter key', () => startWorkers({ client, handleSignals: false, handlers: [registry], limits: { work: { limiter: { max: 5, duration: 1000, groupKey: 'x' } as never } } }),
        'startWorkers() limits.work.limiter: unknown key "groupKey". A rate limit is { max: jobs, duration: ms }.'],
      ['limits key', () => startWorkers({ client, handleSignals: false, handlers: [registry], limits: { work: { rateLimit: { max: 5, duration: 1000 } } as never } }),
        'startWorkers() limits.work: unknown key "rateLimit". Known keys: concurrency, limiter, globalConcurrency, globalRateLimit.'],
      ['env string', () => startWorkers({ client, handleSignals: false, handlers: [registry], limits: { work: { limiter: { max: '5/s', duration: 1000 } } } }),
        'startWorkers() limits.work.limiter.max must be a whole number >= 1; got "5/s". A string (as process.env gives) must hold only digits.'],
      ['missing duration', () => startWorkers({ client, handleSignals: false, handlers: [registry], limits: { work: { limiter: { max: 5 } as never } } }),
        'startWorkers() limits.work.limiter needs both max and duration, e.g. { max: 5, duration: 1000 }.'],
      ['both rate limits', () => startWorkers({ client, handleSignals: false, handlers: [registry], limits: { work: { limiter: { max: 5, duration: 1000 }, globalRateLimit: { max: 9, duration: 60_000 } } } }),
        'startWorkers() limits.work: give limiter or globalRateLimit, not both (BullMQ would combine the max of one with the duration of the other). Use globalRateLimit to bind every worker of the queue.'],
    ];
    for (const [what, start, message] of attempts) {
      const started = Date.now();
      const error = await start().then(() => undefined, (thrown: unknown) => thrown);
      expect(error, what).to.be.instanceOf(ConfigurationError);
      expect((error as Error).message, what).to.equal(message);
      expect(Date.now() - started, what).to.be.below(200);
    }
    expect(client.connections.producer.status).to.not.equal('ready');
    // The same check guards the definition.
    expect(() => defineQueues({ q: { jobs: { a: job() }, limits: { limiter: { max: 5, per: 1000 } as never } } }))
      .to.throw(ConfigurationError, 'queues.q.limits.limiter: unknown key "per". A rate limit is { max: jobs, duration: ms }.');
    expect(() => defineQueues({ q: { jobs: { a: job() }, timeouts: { b: 100 } } }))
      .to.throw(ConfigurationError, 'queues.q.timeouts: "b" is not a job of this queue. Jobs: a.');
  });

  it('limits in the definition (env strings too) reach the worker; start options override them key by key', async () => {
    const definition = defineQueues({
      work: { jobs: { tick: job<{ n: number }>() }, limits: { concurrency: '3', limiter: { max: '2', duration: '500' } } },
    });
    const client = createQueueClient({ queues: definition, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const registry = handlers(definition, 'work', { tick: async () => undefined });
    const fromDefinition = await startWorkers({ client, handleSignals: false, handlers: [registry] });
    expect(fromDefinition.workers.get('work')!.opts).to.include({ concurrency: 3 });
    expect(fromDefinition.workers.get('work')!.opts.limiter).to.deep.equal({ max: 2, duration: 500 });
    await fromDefinition.close();
    const overridden = await startWorkers({ client, handleSignals: false, handlers: [registry], concurrency: 5, limits: { work: { limiter: { max: 7, duration: 1000 } } } });
    expect(overridden.workers.get('work')!.opts).to.include({ concurrency: 5 });
    expect(overridden.workers.get('work')!.opts.limiter).to.deep.equal({ max: 7, duration: 1000 });
    expect(overridden.limits.get('work')).to.deep.equal({ concurrency: 5, limiter: { max: 7, duration: 1000 } });
    await overridden.close();
  });

  it('concurrency from start options overrides the definition, and setConcurrency() changes it while jobs run', async function () {
    this.timeout(10_000);
    const client = newClient();
    let running = 0;
    let peak = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const registry = handlers(limitedQueues, 'work', {
      tick: async () => {
        running++;
        peak = Math.max(peak, running);
        await released;
        running--;
      },
      sleep: async (job) => ({ slept: job.data.ms }),
      hang: async () => undefined,
    });
    await client.producer.addBulk(Array.from({ length: 8 }, (_, n) => ({ queue: 'work' as const, name: 'tick' as const, data: { n } })));
    // The definition says 1; the start options say 2.
    const group = await startWorkers({ client, handleSignals: false, handlers: [registry], limits: { work: { concurrency: '2' } } });
    cleanup(() => group.close());
    cleanup(() => release()); // runs first, so a failed assertion does not leave the close waiting

    expect(group.limits.get('work')!.concurrency).to.equal(2);
    expect(await pollUntil(() => running, (count) => count === 2)).to.equal(2);
    expect(await client.queue('work').getWaitingCount()).to.equal(6);

    group.setConcurrency('work', 5);
    expect(group.workers.get('work')!.concurrency).to.equal(5);
    expect(await pollUntil(() => running, (count) => count === 5)).to.equal(5);
    expect(await client.queue('work').getWaitingCount()).to.equal(3);
    expect(() => group.setConcurrency('work', 0)).to.throw(ConfigurationError, 'setConcurrency("work") must be a whole number >= 1');
    expect(() => group.setConcurrency('email', 2)).to.throw(ConfigurationError, 'does not serve queue "email"');

    release();
    expect(await pollUntil(() => client.queue('work').getCompletedCount(), (count) => count === 8)).to.equal(8);
    expect(peak).to.equal(5);
  });

  it('global concurrency and rate limit reach Redis, bind workers of every process, and null removes them', async function () {
    this.timeout(10_000);
    const prefix = uniquePrefix();
    const first = newClient(prefix);
    const second = newClient(prefix);
    // One record shared by two worker groups on two clients: the limit is across all workers.
    const { record, registry } = recordingHandlers(100);
    await first.producer.addBulk(Array.from({ length: 8 }, (_, n) => ({ queue: 'work' as const, name: 'tick' as const, data: { n } })));
    const limits = { work: { concurrency: 5, globalConcurrency: '2', globalRateLimit: { max: 100, duration: 1000 } } };
    const groups = [
      await startWorkers({ client: first, handleSignals: false, handlers: [registry], limits }),
      await startWorkers({ client: second, handleSignals: false, handlers: [registry], limits }),
    ];
    for (const group of groups) cleanup(() => group.close());
    expect(await first.queue('work').getGlobalConcurrency()).to.equal(2);
    expect(await first.queue('work').getGlobalRateLimit()).to.deep.equal({ max: 100, duration: 1000 });
    expect(await pollUntil(() => first.queue('work').getCompletedCount(), (count) => count === 8)).to.equal(8);
    // Ten slots across the two groups, but never more than two jobs at once.
    expect(record.peak).to.equal(2);
    await Promise.all(groups.map((group) => group.close()));

    // Left out: Redis keeps what it has. null: removed.
    const keep = await startWorkers({ client: first, handleSignals: false, handlers: [registry] });
    await keep.close();
    expect(await first.queue('work').getGlobalConcurrency()).to.equal(2);
    const remove = await startWorkers({ client: first, handleSignals: false, handlers: [registry], limits: { work: { globalConcurrency: null, globalRateLimit: null } } });
    await remove.close();
    expect(await first.queue('work').getGlobalConcurrency()).to.equal(null);
    expect(await first.queue('work').getGlobalRateLimit()).to.equal(null);
  });
});
