import { createQueueClient, startWorkers, type HandlerRegistry, type QueueClient, type WorkerGroup } from '../../lib/index';
import { uniquePrefix } from './harness';
import { Gates } from '../contract/gates';
import { echoHandlers, queues, type TestQueues } from './queues';

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

/**
 * A served client whose `echo:value` jobs each wait for the test to open their gate (`gates.open(id)`)
 * before returning their value; every gate is opened before the cleanup closes the workers.
 */
export async function servedGatedEcho(
  url: string,
  cleanup: (close: () => unknown) => void,
): Promise<{ client: QueueClient<TestQueues>; gates: Gates }> {
  const gates = new Gates();
  cleanup(() => gates.openAll());
  const { client } = await servedClient(url, cleanup, [echoHandlers({
    value: async (job) => {
      await gates.pass(job.id!);
      return job.data.value;
    },
  })]);
  return { client, gates };
}
