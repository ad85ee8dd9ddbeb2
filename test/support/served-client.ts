import { createQueueClient, startWorkers, type HandlerRegistry, type QueueClient, type WorkerGroup } from '../../lib/index';
import { uniquePrefix } from './harness';
import { queues, type TestQueues } from './queues';

/**
 * A client of the shared test definition under a fresh prefix, with workers for `registries` (no signal
 * handling) and its event bus ready; both are closed by `cleanup` after the test.
 */
export async function servedClient(
  url: string,
  cleanup: (close: () => unknown) => void,
  registries: ReadonlyArray<HandlerRegistry<TestQueues, any>>,
): Promise<{ client: QueueClient<TestQueues>; group: WorkerGroup }> {
  const client = createQueueClient({ queues, connection: url, prefix: uniquePrefix() });
  cleanup(() => client.close());
  const group = await startWorkers({ client, handleSignals: false, handlers: registries });
  cleanup(() => group.close());
  await client.events.ready();
  return { client, group };
}
