import { expect } from 'chai';
import { ConfigurationError, handlers, startWorkers } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { limitedClient, limitedQueues } from './support/limited-queues';

// Found in review: "A queue may have limiter or globalRateLimit, not both (refused at start)" is checked
// on this process's configuration only. A global rate limit already in Redis — set by an operator, or by
// the previous deploy, and kept because "left out, Redis keeps what it has" — is combined by BullMQ's
// moveToActive with the worker's limiter (max from Redis, duration from the worker), the mix the README
// says is refused.
describe('workers: a limiter on a queue whose global rate limit is stored in Redis', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('is refused at start (or the stored limit removed), never silently combined', async () => {
    const prefix = uniquePrefix();
    const client = limitedClient(redis().url, cleanup, { prefix });
    await client.queue('work').setGlobalRateLimit(100, 60_000); // an operator's, or the last deploy's
    const started = await startWorkers({
      client,
      handleSignals: false,
      handlers: [handlers(limitedQueues, 'work', { tick: async () => undefined, sleep: async (job) => ({ slept: job.data.ms }), hang: async () => undefined })],
      limits: { work: { limiter: { max: 5, duration: 1000 } } },
    }).then((group) => {
      cleanup(() => group.close());
      return group;
    }, (error: unknown) => error);
    if (started instanceof Error) {
      expect(started).to.be.instanceOf(ConfigurationError);
      return;
    }
    const meta = await client.connections.producer.hmget(`${prefix}:work:meta`, 'max', 'duration');
    expect(meta, 'global rate limit left in Redis beside the worker limiter').to.deep.equal([null, null]);
  });
});
