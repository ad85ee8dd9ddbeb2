import { expect } from 'chai';
import { handlers, startWorkers } from '../lib/index';
import { Gates } from './contract/gates';
import { useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { limitedClient, limitedQueues } from './support/limited-queues';

// Found in review: C36 says that with concurrency 1 the number of handlers running at once never exceeds
// 1. A timeout (or cancel) frees the worker slot at once while a handler that ignores its signal keeps
// running, so the next job's handler starts beside it: two at once, and more with every timeout. The
// README states the freed slot as a design choice; the case list is the spec it contradicts.
describe('workers: concurrency with handlers that outlive their timeout', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C36: with concurrency 1, a handler still running after its timeout is not joined by the next job\'s handler', async () => {
    const client = limitedClient(redis().url, cleanup);
    const gates = new Gates();
    let running = 0;
    let peak = 0;
    const group = await startWorkers({
      client,
      handleSignals: false, // concurrency 1 from the definition; `sleep` times out after 300 ms
      handlers: [handlers(limitedQueues, 'work', {
        tick: async () => undefined,
        hang: async () => undefined,
        sleep: async (job) => {
          running++;
          peak = Math.max(peak, running);
          await gates.pass(job.id!); // ignores its signal: only the test ends it
          running--;
          return { slept: job.data.ms };
        },
      })],
    });
    cleanup(() => group.close());
    cleanup(() => gates.openAll()); // before the group closes
    const first = await client.producer.add('work', 'sleep', { ms: 1 });
    const second = await client.producer.add('work', 'sleep', { ms: 2 });
    // The first attempt times out after 300 ms; then the worker may take the second job.
    await pollUntil(() => client.queue('work').getJobState(first.id!), (state) => state === 'failed');
    const secondState = await pollUntil(() => client.queue('work').getJobState(second.id!), (state) => state !== 'waiting', { timeout: 1000 });
    gates.openAll();
    await pollUntil(() => client.queue('work').getJobState(second.id!), (state) => state === 'failed' || state === 'completed');
    expect(peak, `handlers running at once (second job was ${secondState} while the first handler ran)`).to.equal(1);
  });
});
