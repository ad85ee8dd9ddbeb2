// Queue admin: an operator's tools in code (client.admin) and over HTTP (the admin routes), for a mail
// queue whose jobs failed while the mail provider was down. Quoted by the README's "Queue admin".
import express, { type Request } from 'express';
import { createQueueClient, defineQueues, job } from 'queuewire';
import { adminRoutes } from 'queuewire/express';

export const queues = defineQueues({
  mail: { jobs: { send: job<{ to: string; subject: string }, { messageId: string }>() } },
});

export const client = createQueueClient({ queues, connection: process.env.REDIS_URL });

/** Stands for your own authentication: who is asking, from a token only operators or support staff hold. */
function roleOf(req: Request): 'operator' | 'support' | undefined {
  const token = req.get('Authorization')?.replace(/^Bearer /, '');
  if (!token) return undefined;
  if (token === process.env.OPS_TOKEN) return 'operator';
  if (token === process.env.SUPPORT_TOKEN) return 'support';
  return undefined;
}

export const app = express();
app.use(express.json()); // the admin routes use what a body parser read, or read the body themselves
app.use('/ops', adminRoutes(client, {
  // Required: without it the routes refuse to start. Operators may do anything, support staff only look.
  authorize: (req, action) => roleOf(req) === 'operator' || (roleOf(req) === 'support' && action.readOnly),
}));

/** Who did not get their mail, 20 failures a page: job.data is typed by the definition. */
export async function failedRecipients(start = 0): Promise<string[]> {
  const page = await client.admin.listJobs('mail', 'failed', { start, end: start + 19 });
  return page.jobs.map((failed) => `${failed.data.to}: ${failed.failedReason}`);
}

/** Once the provider is back: every failed mail job again, 100 a call, then the workers take them. */
export async function retryAllFailedMail(): Promise<number> {
  await client.admin.pause('mail'); // retried jobs wait, so one that fails again is not met twice
  let retried = 0;
  let ids: string[];
  do {
    ids = await client.admin.retryFailed('mail', { count: 100 });
    retried += ids.length;
  } while (ids.length > 0); // until none is left
  await client.admin.resume('mail');
  return retried;
}

/** A nightly tidy-up: completed mail jobs older than a week go (at most 10 000 a call). */
export async function tidyUp(olderThan = 7 * 24 * 3600 * 1000): Promise<number> {
  const removed = await client.admin.clean('mail', 'completed', { olderThan });
  return removed.length;
}
