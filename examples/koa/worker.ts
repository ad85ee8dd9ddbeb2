import { createQueueClient, startWorkers, type QueueClient, type WorkerGroup } from 'queuewire';
import { textHandlers, type AnalyseOptions } from './handlers';
import { queues } from './queues';

export interface WorkerOptions extends AnalyseOptions {
  /** The queue client to use; default one from `REDIS_URL` and `QUEUE_PREFIX`. */
  client?: QueueClient<typeof queues>;
  /** Exit on SIGTERM/SIGINT after active jobs finish (default true; false when embedded, e.g. in tests). */
  handleSignals?: boolean;
}

/**
 * Runs the worker of the Koa example: `REDIS_URL`, `QUEUE_PREFIX`, `STEP_DELAY_MS` (default 300).
 * Prints `worker <pid>: serving text` once it takes jobs.
 */
export async function main(options: WorkerOptions = {}): Promise<WorkerGroup> {
  const client = options.client ?? createQueueClient({ queues, connection: process.env.REDIS_URL, prefix: process.env.QUEUE_PREFIX });
  const stepDelayMs = options.stepDelayMs ?? (process.env.STEP_DELAY_MS ? Number(process.env.STEP_DELAY_MS) : undefined);
  const group = await startWorkers({ client, handlers: [textHandlers({ stepDelayMs })], concurrency: 4, handleSignals: options.handleSignals ?? true });
  console.log(`worker ${process.pid}: serving text`);
  return group;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`worker: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
