// Hooks around handlers and the job context: a web route adds a job with the request's id and tenant;
// the worker's hooks log, time and gate every job, and code deep in a handler logs with the job's
// request id without being handed the job. Run by test/example.features.hooks.test.ts.
import express, { type Express } from 'express';
import {
  defineQueues, handlers, job, jobContext, startWorkers, UnrecoverableError,
  type HandlerHooks, type QueueClient, type WorkerGroup,
} from 'queuewire';
import { queueErrorHandler, queueMiddleware } from 'queuewire/express';

export const queues = defineQueues({
  email: { jobs: { welcome: job<{ to: string }, { messageId: string }>({ attempts: 2 }) } },
});

/** Where log lines go: standard output, unless something (a test) points it elsewhere. */
export const logSink = { write: (line: string): void => console.log(line) };

// A logger like any other, except that each line carries the job it was written for: jobContext()
// is the job this code runs for, however deep, and undefined outside a job.
export function log(message: string): void {
  const job = jobContext();
  logSink.write(JSON.stringify({ message, jobId: job?.jobId, requestId: job?.metadata.requestId, tenant: job?.metadata.tenant }));
}

// Handler code that calls a helper: neither passes the job or its request id down.
async function sendMail(to: string): Promise<string> {
  log(`sending to ${to}`);
  return `m-${to}`;
}

const emailHandlers = handlers(queues, 'email', {
  welcome: async (job) => ({ messageId: await sendMail(job.data.to) }),
});

export const suspendedTenants = new Set<string>();

// The outer hook times every job and logs how it ended; it wraps the inner one, which refuses jobs of
// suspended tenants: a `before` that throws fails the job (UnrecoverableError: no retries).
const timing: HandlerHooks<typeof queues> = {
  before: () => log('start'),
  after: (_job, result) => log(`done: ${result.messageId}`),
  error: (_job, error, context) => log(`attempt ${context.attemptsMade + 1} failed: ${error.message}`),
};
const tenantGate: HandlerHooks<typeof queues> = {
  before: (_job, context) => {
    const tenant = context.metadata.tenant;
    if (!tenant || suspendedTenants.has(tenant)) throw new UnrecoverableError(`tenant "${tenant ?? ''}" may not send mail`);
  },
};

export function startEmailWorkers(client: QueueClient<typeof queues>): Promise<WorkerGroup> {
  return startWorkers({ client, handlers: [emailHandlers], hooks: [timing, tenantGate], handleSignals: false });
}

/** The web side: the request id (X-Request-Id) and X-Tenant go into the metadata of the jobs it adds. */
export function webApp(client: QueueClient<typeof queues>): Express {
  const app = express();
  app.use(express.json());
  app.use(queueMiddleware(client, { metadata: (req) => ({ tenant: req.get('X-Tenant') }) }));
  app.post('/signup', async (req, res) => {
    // This program registers no definition for req.queue (see README.md here): its request scope
    // (request id, metadata) goes on the client's typed producer instead.
    const job = await client.producer.withRequest(req.queue.request!).add('email', 'welcome', { to: req.body.to });
    res.status(202).json({ id: job.id });
  });
  app.use(queueErrorHandler());
  return app;
}

// On the bus, events carry job ids; metadataOf reads the job's metadata (one HGET) when asked.
export function logFailures(client: QueueClient<typeof queues>): void {
  client.events.on('email:failed', async (event) => {
    const { requestId } = await client.events.metadataOf(event);
    logSink.write(JSON.stringify({ message: `job ${event.jobId} failed: ${event.failedReason}`, requestId }));
  });
}
