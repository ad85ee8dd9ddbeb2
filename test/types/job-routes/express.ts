// The Express job routes as the README shows them, compiled against the published types.
import express from 'express';
import { createQueueClient } from 'queuewire';
import { jobRoutes, queueErrorHandler } from 'queuewire/express';
import { currentUserId, queues } from './queues';

const client = createQueueClient({ queues });
const app = express();

app.use('/jobs', jobRoutes(client, {
  // job.data is typed by your definition: narrow on job.queue (or job.name) when payloads differ.
  authorize: (req, job) => job.queue === 'reports' && job.data.owner === currentUserId(req),
}));
app.use(queueErrorHandler()); // 503 when Redis is unavailable

app.use('/public-jobs', jobRoutes(client, { unsafePublicAccess: true }));
// @ts-expect-error an access rule is required
app.use('/jobs', jobRoutes(client, {}));
