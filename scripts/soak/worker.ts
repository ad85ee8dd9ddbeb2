// The soak's worker process: startWorkers with default signal handling. The handler's side effect is
// a line `<businessId> <jobId>` appended to this process's own file (synchronously, before the job
// can complete), so the soak can count executions even of jobs whose worker was killed afterwards.
// Usage: node worker.js '{"url":…,"prefix":…,"effectsDir":…,"concurrency":…,"lockDuration":…,"stalledInterval":…}'.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createQueueClient, handlers, startWorkers } from '../../lib/index';
import { soakQueues } from './queues';

interface WorkerConfig {
  url: string;
  prefix: string;
  effectsDir: string;
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
}
const config = JSON.parse(process.argv[2]!) as WorkerConfig;
const effects = join(config.effectsDir, `effects-${process.pid}.log`);
const client = createQueueClient({ queues: soakQueues, connection: config.url, prefix: config.prefix });

const orders = handlers(soakQueues, 'orders', {
  fulfil: async (job) => {
    await new Promise((resolve) => setTimeout(resolve, job.data.workMs));
    appendFileSync(effects, `${job.data.businessId} ${job.id}\n`);
    return { businessId: job.data.businessId, pid: process.pid };
  },
});

startWorkers({
  client,
  handlers: [orders],
  concurrency: config.concurrency,
  lockDuration: config.lockDuration,
  stalledInterval: config.stalledInterval,
}).then(() => {
  process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid })}\n`);
});
