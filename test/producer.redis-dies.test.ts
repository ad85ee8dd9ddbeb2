import { expect } from 'chai';
import { createQueueClient, QueueUnavailableError } from '../lib/index';
import { faultQueues } from './support/fault-queues';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';

describe('C07 / C25: the moment Redis dies', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C07: an add issued right after Redis died (before the client noticed) fails with QueueUnavailableError, never a raw connection error', async function () {
    this.timeout(30_000);
    const client = createQueueClient({ queues: faultQueues, connection: redis().url, prefix: uniquePrefix(), producerTimeout: 500 });
    cleanup(() => client.close());
    // Which comes first, the socket's close or the next command, is a race: run it a few times.
    const outcomes: string[] = [];
    for (let round = 0; round < 8; round++) {
      const ready = await pollUntil(() => client.producer.add('work', 'quick', { n: round }).then(() => true, () => false), Boolean, { timeout: 10_000, interval: 20 });
      expect(ready, 'the producer reconnected').to.equal(true);
      await redis().stop();
      outcomes.push(await client.producer.add('work', 'quick', { n: -1 }).then(
        () => 'accepted by a dead Redis',
        (error: unknown) => (error instanceof QueueUnavailableError ? 'unavailable' : `${(error as Error).name}: ${(error as Error).message}`),
      ));
      await redis().resume();
    }
    expect(outcomes).to.deep.equal(Array(8).fill('unavailable'));
  });
});
