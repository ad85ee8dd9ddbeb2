// The application examples/features/testing.test.ts tests: a definition, its handlers, and an Express
// app built from a queue client (a function of the client, so a test can hand it a test client).
import express from 'express';
import { defineQueues, handlers, job, type QueueClient } from 'queuewire';
import { queueErrorHandler, queueMiddleware } from 'queuewire/express';
import { z } from 'zod';

export const queues = defineQueues({
  invoices: {
    jobs: {
      render: job(z.object({
        invoiceId: z.string().min(1),
        lines: z.array(z.object({ cents: z.number().int().positive() })).min(1),
      })).returns<{ totalCents: number }>(),
    },
  },
});

export const invoiceHandlers = handlers(queues, 'invoices', {
  render: async (job) => {
    if (job.data.invoiceId.startsWith('void-')) throw new Error(`invoice ${job.data.invoiceId} is void`);
    await job.updateProgress(50);
    return { totalCents: job.data.lines.reduce((sum, line) => sum + line.cents, 0) };
  },
});

export function buildApp(client: QueueClient<typeof queues>): express.Express {
  const app = express();
  app.use(express.json());
  app.use(queueMiddleware(client));
  app.post('/invoices/:id/render', async (req, res) => {
    const job = await req.queue.add('invoices', 'render', { invoiceId: req.params.id, lines: req.body.lines });
    res.status(202).json({ id: job.id });
  });
  app.use(queueErrorHandler());
  return app;
}
