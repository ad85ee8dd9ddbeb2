// The Express job routes as the README shows them, compiled against the published types.
import express from 'express';
import { createQueueClient } from 'queuewire';
import { adminRoutes, jobRoutes, queueErrorHandler } from 'queuewire/express';
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

// The admin routes: authorize sees the action with the queue named by the registered definition.
app.use('/admin', adminRoutes(client, {
  authorize: (req, action) => {
    // @ts-expect-error `sms` is not a declared queue
    if (action.queue === 'sms') return false;
    return action.readOnly || (action.queue === 'reports' && currentUserId(req) === 'ops');
  },
}));
// @ts-expect-error admin routes are deny-by-default: authorize is required
app.use('/admin', adminRoutes(client, {}));
