import { expect } from 'chai';
import { createQueueClient, QueuewireError, type QueueClient } from '../../lib/index';
import { uniquePrefix } from './harness';
import { queues, type TestQueues } from './queues';
import { RedisServer } from './redis-server';

/**
 * A client of the shared test definition whose Redis does not exist: a call that reached for Redis would
 * fail with QW_QUEUE_UNAVAILABLE only after its producer timeout (default 5 s), so a refusal that comes
 * at once was made before Redis was asked anything. Closed by `cleanup`.
 */
export async function clientWithoutRedis(cleanup: (close: () => unknown) => void, producerTimeout = 5000): Promise<QueueClient<TestQueues>> {
  const nowhere = await RedisServer.unstarted();
  const client = createQueueClient({ queues, connection: nowhere.url, prefix: uniquePrefix(), producerTimeout });
  cleanup(() => client.close());
  return client;
}

/** The QueuewireError `call` rejects with, asserting it came without waiting for Redis. */
export async function refusal(call: () => Promise<unknown>): Promise<QueuewireError> {
  const started = Date.now();
  const error = await call().then(() => undefined, (e: unknown) => e);
  expect(Date.now() - started, 'refused without waiting for Redis').to.be.below(1000);
  expect(error).to.be.instanceOf(QueuewireError);
  return error as QueuewireError;
}
