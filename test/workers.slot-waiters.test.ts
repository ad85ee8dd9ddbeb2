import { expect } from 'chai';
import { handlers, startWorkers, type Logger, type WorkerGroup } from '../lib/index';
import { Gates } from './contract/gates';
import { useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { recordingLogger } from './support/recording-logger';
import { limitedClient, limitedQueues } from './support/limited-queues';

// Found in review of c08514b (C36): a job whose handler waits for a slot held by a handler that
// outlived its attempt (timeout: `sleep` times out after 300 ms) is active in Redis, so it must still
// obey what ends or changes an attempt: two waiters woken by one freed slot, a cancel, a raise of
// concurrency and a shutdown past its deadline.
describe('workers: jobs waiting for a slot held by a handler that outlived its attempt', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  async function serve(concurrency: number, shutdownTimeout?: number, logger?: Logger) {
    const client = limitedClient(redis().url, cleanup, { logger });
    const gates = new Gates();
    const seen = { running: 0, peak: 0, entered: new Set<string>(), returned: new Set<string>() };
    const group: WorkerGroup = await startWorkers({
      client,
      handleSignals: false,
      concurrency,
      ...(shutdownTimeout === undefined ? {} : { shutdownTimeout }),
      handlers: [handlers(limitedQueues, 'work', {
        tick: async () => undefined,
        hang: async (job) => {
          seen.entered.add(job.id!);
          await gates.pass(job.id!); // no timeout: returns when the test says
        },
        sleep: async (job) => {
          seen.entered.add(job.id!);
          seen.running++;
          seen.peak = Math.max(seen.peak, seen.running);
          await gates.pass(job.id!); // ignores its signal: only the test ends it
          seen.running--;
          seen.returned.add(job.id!);
          return { slept: job.data.ms };
        },
      })],
    });
    cleanup(() => group.close());
    cleanup(() => gates.openAll()); // before the group closes
    const state = (id: string) => client.queue('work').getJobState(id);
    return { client, group, gates, seen, state };
  }

  it('one freed slot lets one waiting job start, not every waiting job (concurrency 2)', async () => {
    const { client, gates, seen, state } = await serve(2);
    const first = await client.producer.add('work', 'sleep', { ms: 1 });
    const second = await client.producer.add('work', 'sleep', { ms: 2 });
    await pollUntil(async () => [await state(first.id!), await state(second.id!)], (states) => states.every((s) => s === 'failed'));
    const third = await client.producer.add('work', 'sleep', { ms: 3 });
    const fourth = await client.producer.add('work', 'sleep', { ms: 4 });
    // Both taken by the worker, both waiting: the two timed-out handlers hold the two slots.
    await pollUntil(async () => [await state(third.id!), await state(fourth.id!)], (states) => states.every((s) => s === 'active'));
    expect(seen.entered.size, 'handlers called').to.equal(2);
    gates.open(first.id!);
    await pollUntil(() => seen.entered.size, (size) => size >= 3);
    expect(seen.running, 'handlers running once the first returned (the second still holds a slot)').to.equal(2);
    gates.openAll();
    await pollUntil(async () => [await state(third.id!), await state(fourth.id!)], (states) => states.every((s) => s === 'completed' || s === 'failed'));
    expect(seen.peak, 'handlers running at once').to.equal(2);
  });

  it('a slot that a handler returning in time frees goes to the job waiting for one (concurrency 2)', async () => {
    const { client, gates, seen, state } = await serve(2);
    const outliving = await client.producer.add('work', 'sleep', { ms: 1 });
    const inTime = await client.producer.add('work', 'hang', { label: 'in time' });
    await pollUntil(() => state(outliving.id!), (s) => s === 'failed');
    const waiting = await client.producer.add('work', 'sleep', { ms: 2 });
    await pollUntil(() => state(waiting.id!), (s) => s === 'active');
    gates.open(inTime.id!);
    await pollUntil(() => state(inTime.id!), (s) => s === 'completed');
    const entered = await pollUntil(() => seen.entered.has(waiting.id!), Boolean, { timeout: 2000 });
    expect(entered, 'waiting handler called once the in-time handler returned, while the outliving one runs').to.equal(true);
  });

  it('a cancel fails a job waiting for a slot at once, without running its handler', async () => {
    const { client, gates, seen, state } = await serve(1);
    const first = await client.producer.add('work', 'sleep', { ms: 1 });
    await pollUntil(() => state(first.id!), (s) => s === 'failed');
    const second = await client.producer.add('work', 'sleep', { ms: 2 });
    await pollUntil(() => state(second.id!), (s) => s === 'active');
    const cancelled = await client.producer.cancel('work', second.id!, { reason: 'not needed' });
    expect(cancelled.outcome).to.equal('signalled');
    const after = await pollUntil(() => state(second.id!), (s) => s === 'failed', { timeout: 2000 });
    expect(after, 'state of the cancelled job while the first handler still runs').to.equal('failed');
    expect((await client.queue('work').getJob(second.id!))!.failedReason).to.include('was cancelled: not needed');
    gates.openAll();
    await pollUntil(() => seen.returned.has(first.id!), Boolean);
    expect([...seen.entered], 'handlers called').to.deep.equal([first.id]);
  });

  it('a raise of concurrency starts a job already waiting for a slot', async () => {
    const { client, group, seen, state } = await serve(1);
    const first = await client.producer.add('work', 'sleep', { ms: 1 });
    await pollUntil(() => state(first.id!), (s) => s === 'failed');
    const second = await client.producer.add('work', 'sleep', { ms: 2 });
    await pollUntil(() => state(second.id!), (s) => s === 'active');
    group.setConcurrency('work', 2);
    const entered = await pollUntil(() => seen.entered.has(second.id!), Boolean, { timeout: 2000 });
    expect(entered, 'second handler called after the raise, while the first still runs').to.equal(true);
  });

  it('a shutdown past its deadline does not start the handler of a job waiting for a slot', async () => {
    const { client, group, gates, seen, state } = await serve(1, 200);
    const first = await client.producer.add('work', 'sleep', { ms: 1 });
    await pollUntil(() => state(first.id!), (s) => s === 'failed');
    const second = await client.producer.add('work', 'sleep', { ms: 2 });
    await pollUntil(() => state(second.id!), (s) => s === 'active');
    const report = await group.close();
    expect(report.abandoned).to.deep.equal([`work/${second.id}`]);
    gates.open(first.id!);
    await pollUntil(() => seen.returned.has(first.id!), Boolean);
    // Whatever the freed slot would start happens within the same turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect([...seen.entered], 'handlers called (the second after its group closed?)').to.deep.equal([first.id]);
  });

  it('a close while a handler still runs after its timeout is not clean, and says so', async () => {
    const logger = recordingLogger();
    const { client, group, gates, state } = await serve(1, undefined, logger);
    const slow = await client.producer.add('work', 'sleep', { ms: 1 });
    await pollUntil(() => state(slow.id!), (now) => now === 'failed');
    expect(await group.close()).to.deep.equal({ abandoned: [], clean: false });
    expect(logger.lines.filter(({ level, message }) => level === 'warn' && message.includes('1 handler(s) still running after a timeout or cancel'))).to.have.length(1);
    gates.open(slow.id!);
  });
});
