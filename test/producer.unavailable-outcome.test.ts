import { expect } from 'chai';
import { createQueueClient, QueueUnavailableError } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { queues } from './support/queues';

async function refusal(work: () => Promise<unknown>): Promise<QueueUnavailableError> {
  const error = await work().then(() => undefined, (e: unknown) => e);
  expect(error).to.be.instanceOf(QueueUnavailableError);
  return error as QueueUnavailableError;
}

describe('producer: what "unavailable" says about the job', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C07: Redis down → outcome "not-sent" (nothing stored); Redis slow past the timeout → outcome "unknown", never "not accepted"', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), producerTimeout: 500 });
    cleanup(() => client.close());
    await client.producer.add('email', 'digest', { userId: 0 });

    // Slow: Redis takes the command but answers only after the timeout (CLIENT PAUSE holds writes).
    const admin = redis().connect();
    cleanup(() => admin.disconnect());
    await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    const slow = await refusal(() => client.producer.add('email', 'digest', { userId: 1 }, { jobId: 'slow-1' }));
    expect(slow.outcome).to.equal('unknown');
    expect(slow.message).to.include('may or may not have been stored').and.include('same jobId');
    // Once Redis catches up the job is there: which is why the error could not say "nothing stored".
    const stored = await pollUntil(() => client.queue('email').getJob('slow-1'), (job) => job !== undefined, { timeout: 5000 });
    expect(stored?.data).to.deep.equal({ userId: 1 });

    await redis().stop();
    // "Down" as the client knows it. An add made in the moment before the client has seen the socket
    // close may already be written into it (the producer pipelines the adds of a turn): that one is
    // answered "unknown", the answer that never wrongly says nothing was stored.
    await pollUntil(() => client.connections.producer.status, (status) => status !== 'ready', { timeout: 5000 });
    try {
      const down = await refusal(() => client.producer.add('email', 'digest', { userId: 2 }));
      expect(down.outcome).to.equal('not-sent');
      expect(down.message).to.include('Nothing was stored');
    } finally {
      await redis().resume();
    }
  });
});
