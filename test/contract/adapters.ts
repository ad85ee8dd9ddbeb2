import type http from 'node:http';
import express5, { type NextFunction, type Request, type Response } from 'express';
import express4 from 'express4';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import type { AdminActionToAuthorize, JobToAuthorize, Producer, QueueClient } from '../../lib/index';
import * as forExpress from '../../middleware/express';
import * as forKoa from '../../middleware/koa';

/** Who may see a job in a contract app: decided from the `x-user` header, or everyone, or (for the refusal test) nothing said. */
export type ContractAccess =
  | { authorize: (user: string | undefined, job: JobToAuthorize) => boolean | Promise<boolean> }
  | { unsafePublicAccess: true }
  | Record<string, never>;

export interface ContractAppOptions {
  access: ContractAccess;
  heartbeatInterval?: number;
  redisTimeout?: number;
  /** Options of the framework's `queueMiddleware` (request id, idempotency key, metadata), as framework-neutral readers. */
  middleware?: { metadata?: (header: (name: string) => string | undefined) => Record<string, string | undefined> };
}

/**
 * One framework as the contract suite sees it. Every adapter builds the same app:
 * - the producer middleware and the error handler of its framework;
 * - `POST /work/:queue/:name` with `{ data, options? }` → `req.queue.add` / `ctx.queue.add` → 202 `{ id }`,
 *   or 200 `{ id, state }` when the add was a duplicate (a repeated Idempotency-Key);
 * - the job routes at `/jobs`;
 * - the health route at `/health`;
 * - any other error → 500 `{ error: { code: 'UNEXPECTED' } }`.
 */
export interface FrameworkAdapter {
  readonly name: string;
  buildApp(client: QueueClient<any>, options: ContractAppOptions): http.RequestListener;
  /**
   * An app with only the admin routes at `/admin`, and any other error → 500 `{ error: { code:
   * 'UNEXPECTED' } }`. No body parser (the routes read their JSON bodies) unless `parseBodies`: then
   * the framework's usual one reads them first. Building it throws what the adapter throws (no
   * `authorize`: ConfigurationError).
   */
  buildAdminApp(client: QueueClient<any>, options: ContractAdminOptions): http.RequestListener;
}

/** The admin routes' options, framework-neutral: `authorize` decides from the `x-user` header. */
export interface ContractAdminOptions {
  authorize?: ((user: string | undefined, action: AdminActionToAuthorize) => boolean | Promise<boolean>) | undefined;
  showData?: boolean;
  parseBodies?: boolean;
}

function adminAccessFor<RequestType>(options: ContractAdminOptions, userOf: (request: RequestType) => string | undefined) {
  const { authorize, parseBodies: _parseBodies, ...rest } = options;
  // Passed on as given when it is not a function, so the suite sees how the adapter refuses it.
  return { ...rest, authorize: (typeof authorize === 'function' ? (request: RequestType, action: AdminActionToAuthorize) => authorize(userOf(request), action) : authorize) as never };
}

// The routes take any queue and job name from the URL, so they use the producer untyped.
const untyped = (producer: unknown) => producer as Producer;

function accessFor<RequestType>(access: ContractAccess, userOf: (request: RequestType) => string | undefined) {
  if ('authorize' in access) return { authorize: (request: RequestType, job: JobToAuthorize) => access.authorize!(userOf(request), job) };
  return access as { unsafePublicAccess: true };
}

// Any error the app's own routes do not answer → 500 UNEXPECTED.
function unexpectedExpressErrors(error: Error, _req: Request, res: Response, _next: NextFunction): void {
  res.status(500).json({ error: { code: 'UNEXPECTED', message: error.message } });
}

function expressAdapter(name: string, express: typeof express5, asyncErrors: 'native' | 'catch-next'): FrameworkAdapter {
  return {
    name,
    buildApp(client, options) {
      type Route = (req: Request, res: Response) => Promise<void>;
      // Express 4 ignores a rejected route promise; there every async route ends in .catch(next).
      const route = (handler: Route) => asyncErrors === 'native'
        ? handler
        : (req: Request, res: Response, next: NextFunction) => void handler(req, res).catch(next);
      const app = express();
      app.use(express.json({ limit: '20mb' }));
      const metadata = options.middleware?.metadata;
      app.use(forExpress.queueMiddleware(client, metadata ? { metadata: (req) => metadata((name) => req.get(name)) } : {}));
      app.post('/work/:queue/:name', route(async (req, res) => {
        const job = await untyped(req.queue).add(String(req.params.queue), String(req.params.name), req.body.data, req.body.options);
        // A repeated Idempotency-Key: the original job, 200 instead of 202.
        if (job.duplicate) res.status(200).json({ id: job.id, state: await job.getState() });
        else res.status(202).json({ id: job.id });
      }));
      app.use('/jobs', forExpress.jobRoutes(client, {
        ...accessFor<Request>(options.access, (req) => req.get('x-user')),
        heartbeatInterval: options.heartbeatInterval,
        redisTimeout: options.redisTimeout,
      }));
      app.get('/health', forExpress.healthRoute(client, { timeout: 500 }));
      app.use(forExpress.queueErrorHandler());
      app.use(unexpectedExpressErrors);
      return app;
    },
    buildAdminApp(client, options) {
      const app = express();
      if (options.parseBodies) app.use(express.json());
      app.use('/admin', forExpress.adminRoutes(client, adminAccessFor<Request>(options, (req) => req.get('x-user'))));
      app.use(unexpectedExpressErrors);
      return app;
    },
  };
}

function koaAdapter(name: string, Koa: typeof Koa3): FrameworkAdapter {
  return {
    name,
    buildApp(client, options) {
      const app = new Koa();
      app.silent = true;
      app.use(unexpectedErrors);
      app.use(forKoa.queueErrorHandler());
      const metadata = options.middleware?.metadata;
      app.use(forKoa.queueMiddleware(client, metadata ? { metadata: (ctx) => metadata((name) => ctx.get(name) || undefined) } : {}));
      app.use(forKoa.healthRoute(client, { path: '/health', timeout: 500 }));
      app.use(forKoa.jobRoutes(client, {
        prefix: '/jobs',
        ...accessFor<Koa3.Context>(options.access, (ctx) => ctx.get('x-user') || undefined),
        heartbeatInterval: options.heartbeatInterval,
        redisTimeout: options.redisTimeout,
      }));
      app.use(async function enqueue(ctx, next) {
        const match = /^\/work\/([^/]+)\/([^/]+)$/.exec(ctx.path);
        if (ctx.method !== 'POST' || !match) return next();
        const body = (await readJson(ctx.req)) as { data: unknown; options?: object };
        const job = await untyped(ctx.queue).add(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!), body.data, body.options);
        // A repeated Idempotency-Key: the original job, 200 instead of 202.
        ctx.status = job.duplicate ? 200 : 202;
        ctx.body = job.duplicate ? { id: job.id, state: await job.getState() } : { id: job.id };
      });
      return app.callback();
    },
    buildAdminApp(client, options) {
      const app = new Koa();
      app.silent = true;
      app.use(unexpectedErrors);
      if (options.parseBodies) {
        app.use(async function bodyParser(ctx, next) {
          if (ctx.is('json')) (ctx.request as { body?: unknown }).body = await readJson(ctx.req);
          await next();
        });
      }
      app.use(forKoa.adminRoutes(client, { basePath: '/admin', ...adminAccessFor<Koa3.Context>(options, (ctx) => ctx.get('x-user') || undefined) }));
      return app.callback();
    },
  };
}

// Any error the app's own middleware does not answer → 500 UNEXPECTED.
async function unexpectedErrors(ctx: Koa3.Context, next: Koa3.Next): Promise<void> {
  try {
    await next();
  } catch (error) {
    ctx.status = 500;
    ctx.body = { error: { code: 'UNEXPECTED', message: (error as Error).message } };
  }
}

// Koa has no body parser of its own; the suite's bodies are small JSON documents.
async function readJson(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/** The four framework versions every contract test runs against, unchanged. */
export const adapters: readonly FrameworkAdapter[] = [
  expressAdapter('Express 5', express5, 'native'),
  expressAdapter('Express 4', express4, 'catch-next'),
  koaAdapter('Koa 3', Koa3),
  koaAdapter('Koa 2', Koa2),
];
