import { availableParallelism } from 'node:os';
import { createQueueClient, startWorkers } from 'queuewire';
import documents from './handlers';
import { queues } from './queues';

/**
 * Runs the worker process: `REDIS_URL`, `QUEUE_PREFIX`, `WORKER_CONCURRENCY` (default: the number of
 * CPUs, at most 8). Prints `worker <pid>: serving documents (concurrency <n>)` once it takes jobs;
 * on SIGTERM/SIGINT it stops fetching, lets active jobs finish and exits (startWorkers handles the
 * signals). The same worker, without this file:
 *
 *   queuewire worker --queues dist/examples/express/queues.js --handlers dist/examples/express/handlers.js
 */
export async function main(): Promise<void> {
  const concurrency = Number(process.env.WORKER_CONCURRENCY ?? Math.min(availableParallelism(), 8));
  const client = createQueueClient({ queues, connection: process.env.REDIS_URL, prefix: process.env.QUEUE_PREFIX });
  await startWorkers({ client, handlers: [documents], concurrency }).catch(async (error: unknown) => {
    await client.close();
    throw error;
  });
  console.log(`worker ${process.pid}: serving documents (concurrency ${concurrency})`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`worker: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
