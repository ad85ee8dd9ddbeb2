import { expect } from 'chai';
import { createQueueClient, handlers, startWorkers } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

describe('workers: concurrency', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  /**
   * Queues `count` email jobs (alternating job names) before any worker runs, then serves them with
   * handlers that each do a little simulated work, and returns the most handlers seen running at once.
   */
  async function peakRunning(concurrency: number | { email: number }, count: number): Promise<{ peak: number; names: Set<string> }> {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    await client.producer.addBulk(Array.from({ length: count }, (_, index) => (index % 2 === 0
      ? { queue: 'email' as const, name: 'welcome' as const, data: { to: `u${index}`, name: 'U' } }
      : { queue: 'email' as const, name: 'digest' as const, data: { userId: index } })));
    let running = 0;
    let peak = 0;
    const names = new Set<string>();
    const work = async (name: string): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      names.add(name);
      await new Promise((resolve) => setTimeout(resolve, 50));
      running--;
    };
    const lastDone = nextEvent(client.events, 'email:completed', ({ jobId }) => jobId === 'last');
    await client.events.ready();
    await client.producer.add('email', 'digest', { userId: -1 }, { jobId: 'last' });
    const group = await startWorkers({
      client,
      handleSignals: false,
      concurrency,
      handlers: [handlers(queues, 'email', {
        welcome: async (job) => {
          await work(job.name);
          return { messageId: job.data.to };
        },
        digest: async (job) => {
          await work(job.name);
        },
      })],
    });
    cleanup(() => group.close());
    await lastDone;
    // The last job may finish while a few others still run: wait until every job is done.
    await group.close();
    return { peak, names };
  }

  it('C36: with concurrency 1, never more than one handler runs at once, across the job names of a queue', async () => {
    const { peak, names } = await peakRunning(1, 12);
    expect([...names].sort()).to.deep.equal(['digest', 'welcome']);
    expect(peak).to.equal(1);
  });

  it('C36: with concurrency 4 for the queue, up to 4 handlers run at once and never more', async () => {
    const { peak, names } = await peakRunning({ email: 4 }, 24);
    expect([...names].sort()).to.deep.equal(['digest', 'welcome']);
    expect(peak).to.equal(4);
  });
});
