import express from 'express';
import { createQueueClient } from 'queuewire';
import { queueErrorHandler, queueMiddleware } from 'queuewire/express';
import { queues } from './queues';

export const client = createQueueClient({ queues }); // REDIS_URL, else redis://127.0.0.1:6379

export const app = express();
app.use(express.json());
app.use(queueMiddleware(client));

app.post('/signup', async (req, res) => {
  const { email, name } = (req.body ?? {}) as { email: string; name: string }; // a missing field → 400
  const job = await req.queue.add('email', 'welcome', { to: email, name });
  res.status(202).json({ id: job.id });
});

app.use(queueErrorHandler()); // 400 bad input, 413 too large, 503 Redis unavailable

client.events.on('email:completed', (event) => {
  if (event.name === 'welcome') console.log(`sent ${event.returnvalue.messageId}`);
});

if (require.main === module) app.listen(Number(process.env.PORT ?? 3000));
