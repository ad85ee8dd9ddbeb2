// The soak's web process: Express with queuewire's middleware. POST /orders { businessId } enqueues
// one job and answers 202 { jobId }, or 503 while Redis is unavailable (queueErrorHandler), with headers
// X-Add-Ms (time spent in add) and, on a 503, X-Add-Outcome (not-sent, or unknown: may be stored).
// Usage: node web.js '{"url":…,"prefix":…}'. Prints {"event":"ready","port":…} once listening.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createQueueClient, QueueUnavailableError, type Producer } from '../../lib/index';
import { queueErrorHandler, queueMiddleware } from '../../middleware/express';
import { soakQueues, type SoakQueues } from './queues';

const { url, prefix } = JSON.parse(process.argv[2]!) as { url: string; prefix: string };
const client = createQueueClient({ queues: soakQueues, connection: url, prefix, logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });

const app = express();
app.use(express.json());
app.use(queueMiddleware(client));
app.post('/orders', async (req, res) => {
  const { businessId, workMs } = req.body as { businessId: string; workMs: number };
  const started = Date.now();
  // req.queue is typed by the app's registered definition; the soak registers none, so type it here.
  const job = await (req.queue as unknown as Producer<SoakQueues>).add('orders', 'fulfil', { businessId, workMs }).then(
    (added) => added,
    (error: unknown) => {
      // Whether a refused job may have been stored anyway, for the soak to check against side effects.
      if (error instanceof QueueUnavailableError) res.set('X-Add-Outcome', error.outcome);
      throw error;
    },
  ).finally(() => res.set('X-Add-Ms', String(Date.now() - started)));
  res.status(202).json({ jobId: job.id });
});
app.use(queueErrorHandler());

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid, port: (server.address() as AddressInfo).port })}\n`);
});
server.keepAliveTimeout = 60_000;
