import express from 'express';
import { AddRefusedError, createQueueClient, jobMetadata } from 'queuewire';
import { queueErrorHandler, queueMiddleware } from 'queuewire/express';
import { queues } from './queues';

export const client = createQueueClient({
  queues,
  idempotencyWindow: 24 * 3600 * 1000, // the default: a repeated Idempotency-Key returns the original for 24 h
  beforeAdd: (job) => {
    if (!job.metadata.tenant) throw new AddRefusedError('Send X-Tenant.', { status: 401 });
    if (job.data.quantity > 100) throw new AddRefusedError('Orders over 100 items go through sales.', { status: 422 });
  },
});

export const app = express();
app.use(express.json());
// req.queue: the request id (X-Request-Id, or a generated one) and X-Tenant go into each job's metadata.
app.use(queueMiddleware(client, { metadata: (req) => ({ tenant: req.get('X-Tenant') }) }));

app.post('/orders', async (req, res) => {
  const job = await req.queue.add('orders', 'place', req.body);
  if (job.duplicate) {
    // A repeat of a request whose Idempotency-Key was seen: nothing added, the original answers.
    res.status(200).json({ id: job.id, state: await job.getState() });
  } else {
    res.status(202).json({ id: job.id });
  }
});

app.use(queueErrorHandler()); // 400 with the schema's issues, 401/422 from the hook, 503 Redis down

client.events.on('orders:failed', async (event) => {
  const job = await client.queue('orders').getJob(event.jobId); // events carry ids: read the job
  console.error(`order ${event.jobId} of request ${jobMetadata(job).requestId} failed: ${event.failedReason}`);
});
