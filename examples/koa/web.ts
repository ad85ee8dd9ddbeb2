import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import Koa, { type Context } from 'koa';
import { createQueueClient, type QueueClient } from 'queuewire';
import { jobRoutes, queueErrorHandler, queueMiddleware } from 'queuewire/koa';
import { progressPage } from './page';
import { queues } from './queues';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * The Koa example: `GET /` serves the progress page; `POST /analyse` with JSON `{ text }` queues an
 * analysis owned by the visitor and answers 202 `{ id }`; `/jobs/text/:id` and `/jobs/text/:id/events`
 * give the visitor the status and live progress of their own jobs — anyone else gets 404.
 */
export function createTextApp(client: QueueClient<typeof queues>): Koa {
  const app = new Koa();
  app.use(queueErrorHandler());
  app.use(queueMiddleware(client));

  // Jobs belong to the visitor who queued them. A real app would use its session; EventSource
  // sends cookies (not custom headers), so whatever identifies the user must travel in one.
  app.use(jobRoutes(client, {
    prefix: '/jobs',
    authorize: (ctx, job) => job.data.owner === visitorOf(ctx),
  }));

  app.use(async function routes(ctx, next) {
    if (ctx.method === 'GET' && ctx.path === '/') {
      if (!visitorOf(ctx)) ctx.cookies.set('visitor', randomUUID(), { httpOnly: true, sameSite: 'strict' });
      ctx.type = 'html';
      ctx.body = progressPage;
      return;
    }
    if (ctx.method === 'POST' && ctx.path === '/analyse') {
      const owner = visitorOf(ctx);
      if (!owner) return ctx.throw(401, 'Open the page first: it gives you a visitor cookie.');
      const text = await readText(ctx);
      const job = await ctx.queue.add('text', 'analyse', { owner, text });
      ctx.status = 202;
      ctx.body = { id: job.id };
      return;
    }
    await next();
  });
  return app;
}

function visitorOf(ctx: Context): string | undefined {
  return ctx.cookies.get('visitor') || undefined;
}

// Koa parses no bodies itself; this app takes one small JSON document.
async function readText(ctx: Context): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) ctx.throw(413, `Send at most ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  let text: unknown;
  try {
    text = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: unknown }).text;
  } catch {
    // handled below
  }
  if (typeof text !== 'string' || text.trim() === '') ctx.throw(400, 'Send JSON { "text": "<some words>" }.');
  return text as string;
}

/**
 * Runs the web process: `PORT` (default 3000), `REDIS_URL`, `QUEUE_PREFIX`. Prints
 * `web <pid>: listening on http://127.0.0.1:<port>`.
 */
export async function main(): Promise<Server> {
  const client = createQueueClient({ queues, connection: process.env.REDIS_URL, prefix: process.env.QUEUE_PREFIX });
  const server = createTextApp(client).listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  console.log(`web ${process.pid}: listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : ''}`);
  const stop = () => {
    server.close(() => void client.close());
    // Open event streams do not end by themselves; cut them after a moment (EventSource reconnects).
    setTimeout(() => server.closeAllConnections(), 1000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`web: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
