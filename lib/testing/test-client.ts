import { randomBytes } from 'node:crypto';
import { QueueClient, type QueueClientOptions } from '../client';
import { withinRedisTimeout } from '../connection/bounded-redis';
import type { QueueSet } from '../definition/define';
import { ConfigurationError, QueueUnavailableError } from '../errors';
import { deleteKeysUnder } from './delete-keys';

/**
 * Options of `createTestClient`: those of `createQueueClient`, except `prefix`, which it chooses.
 * `role` defaults to `'both'` (a test plays web and worker at once), whatever `QUEUEWIRE_ROLE` says.
 */
export type TestClientOptions<Queues extends QueueSet> = Omit<QueueClientOptions<Queues>, 'prefix'>;

/** How long `close()` may take to delete a test prefix's keys before it gives up and says so. */
const CLEANUP_TIMEOUT = 5000;

/**
 * A queue client of its own for one test: every key it writes lives under a prefix no other client
 * uses (`qwtest-<random>`), so tests sharing a Redis never see each other's jobs, and `close()` leaves
 * nothing behind. Everything else is a `QueueClient`: pass it to `startWorkers`, `queueMiddleware`,
 * `waitFor` and `runHandler`.
 */
export class TestQueueClient<Queues extends QueueSet = QueueSet> extends QueueClient<Queues> {
  private cleanup: Promise<void> | undefined;

  /**
   * Closes the worker groups started on this client (gracefully, as their own `close()`), then deletes
   * every key under its prefix (SCAN + UNLINK in small steps, within 5 s), then closes the event bus,
   * the queue handles and the connections it opened. Idempotent. Rejects, after closing everything,
   * with `QueueUnavailableError` when Redis could not be reached to delete the keys.
   */
  override close(): Promise<void> {
    this.cleanup ??= (async () => {
      // Workers first: a worker still running could write keys back after they were deleted.
      await Promise.allSettled([...this.localWorkerGroups].map((closeGroup) => closeGroup()));
      let failure: unknown;
      try {
        await withinRedisTimeout(this.connections, CLEANUP_TIMEOUT, () => deleteKeysUnder(this.connections.producer, this.prefix));
      } catch (error) {
        failure = error;
      }
      await super.close();
      if (failure instanceof QueueUnavailableError) {
        throw new QueueUnavailableError(`The test client could not delete its keys under "${this.prefix}:", which may remain in Redis: ${failure.message}`, { cause: failure, outcome: 'unknown' });
      }
      if (failure !== undefined) throw failure;
    })();
    return this.cleanup;
  }
}

/**
 * Creates a queue client for one test, under a fresh prefix (`qwtest-` and 12 random hex digits), in
 * role `'both'` unless `role` says otherwise. Close it after the test (`await client.close()` in an
 * `afterEach`): that closes its workers, bus and connections and deletes every key under its prefix.
 * A second client of the same keys (a "web" and a "worker" process in one test) is
 * `createQueueClient({ queues, prefix: testClient.prefix })`, closed by the test.
 *
 * @throws ConfigurationError for a `prefix` option (the test client chooses it) or any option
 *   `createQueueClient` refuses
 */
export function createTestClient<Queues extends QueueSet>(options: TestClientOptions<Queues>): TestQueueClient<Queues> {
  if (options && Object.hasOwn(options, 'prefix')) {
    throw new ConfigurationError('createTestClient() chooses a unique prefix itself; to reach the same keys from another client, create it with { prefix: testClient.prefix }.');
  }
  const prefix = `qwtest-${randomBytes(6).toString('hex')}`;
  return new TestQueueClient<Queues>({ ...options, role: options?.role ?? 'both', prefix });
}
