import type { Server } from 'node:http';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { createQueueClient, type QueueClient } from 'queuewire';
import { queueErrorHandler, queueMiddleware } from 'queuewire/express';
import { queues, type RenderInput } from './queues';

export interface DocumentsAppOptions {
  /** Largest JSON body accepted (express.json's `limit`). Default `1mb`, the queue client's payload limit. */
  bodyLimit?: string;
  /** How long `POST /documents/sync` waits for the result before answering 504 (ms). Default 10 000. */
  syncTimeout?: number;
}

/**
 * The documents web app: `POST /documents` queues a render and answers 202 `{ id }`;
 * `POST /documents/sync` queues one and answers 200 with its result once a worker has rendered it.
 * Both take JSON `{ path, markdown }`. Queue errors become their HTTP status (400, 413, 503, 504).
 */
export function createDocumentsApp(client: QueueClient<typeof queues>, options: DocumentsAppOptions = {}): Express {
  const { bodyLimit = '1mb', syncTimeout = 10_000 } = options;
  const app = express();
  app.use(express.json({ limit: bodyLimit }));
  app.use(queueMiddleware(client));

  app.post('/documents', async (req, res) => {
    const input = readRenderInput(req.body);
    if (typeof input === 'string') {
      res.status(400).json({ error: { code: 'BAD_DOCUMENT', message: input } });
      return;
    }
    const job = await req.queue.add('documents', 'render', input);
    res.status(202).json({ id: job.id });
  });

  app.post('/documents/sync', async (req, res) => {
    const input = readRenderInput(req.body);
    if (typeof input === 'string') {
      res.status(400).json({ error: { code: 'BAD_DOCUMENT', message: input } });
      return;
    }
    const result = await req.queue.addAndWait('documents', 'render', input, { timeout: syncTimeout });
    res.json(result);
  });

  app.use(queueErrorHandler());
  app.use(requestErrors);
  return app;
}

// express.json() rejects a malformed or oversize body with a 4xx error; answer it as JSON like the rest
// of the API (Express's default handler would send an HTML page with a stack trace).
const requestErrors: ErrorRequestHandler = (error: { status?: unknown; type?: unknown; message?: string }, _req, res, next) => {
  const status = typeof error.status === 'number' ? error.status : 500;
  if (status < 400 || status >= 500 || typeof error.type !== 'string' || res.headersSent) return next(error);
  res.status(status).json({ error: { code: error.type.toUpperCase().replace(/\W+/g, '_'), message: error.message } });
};

// The types describe what clients should send; the body is whatever arrived, so check it.
function readRenderInput(body: unknown): RenderInput | string {
  const { path, markdown } = (body ?? {}) as Partial<Record<keyof RenderInput, unknown>>;
  if (typeof path !== 'string' || path.length === 0 || typeof markdown !== 'string') {
    return 'Send JSON { "path": "<non-empty string>", "markdown": "<string>" } with Content-Type: application/json.';
  }
  return { path, markdown };
}

/**
 * Runs the web process: `PORT` (default 3000; 0 picks a free one), `REDIS_URL`, `QUEUE_PREFIX`.
 * Prints `web <pid>: listening on http://127.0.0.1:<port>` once it accepts connections, and on
 * SIGTERM/SIGINT stops accepting, finishes open requests, closes its Redis connections and exits 0.
 */
export async function main(): Promise<void> {
  const client = createQueueClient({ queues, connection: process.env.REDIS_URL, prefix: process.env.QUEUE_PREFIX });
  const app = createDocumentsApp(client);
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : process.env.PORT;
  console.log(`web ${process.pid}: listening on http://127.0.0.1:${port}`);

  const stop = (signal: NodeJS.Signals): void => {
    console.log(`web ${process.pid}: ${signal}, closing`);
    server.close(() => {
      client.close().then(() => process.exit(0), () => process.exit(1));
    });
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`web: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
