import type { Context, Middleware } from 'koa';
import type { QueueClient, RegisteredProducer } from '../lib/index';
import { ConfigurationError } from '../lib/errors';
import { healthAnswer } from '../lib/http/health-answer';
import { toHttpError } from '../lib/http/http-status';
import { createJobRoutes, type JobRoutesOptions } from '../lib/http/job-routes';
import { assertRoleAllows } from '../lib/roles';
import { createAdminRoutes, type AdminRoutesOptions } from '../lib/http/admin-routes';
import { readJsonBody } from '../lib/http/json-body';
import { REQUEST_ID_HEADER, requestScopeReader, type RequestScopeOptions } from '../lib/producer/request-scope';

declare module 'koa' {
  interface DefaultContext {
    /**
     * The typed producer of the process's queue client, as seen by this request (set by
     * `queueMiddleware`): its jobs carry the request id, and its adds honour the Idempotency-Key.
     * Declared here so it wins over @types/koa's `[key: PropertyKey]: any`: a wrong payload fails to compile.
     */
    queue: RegisteredProducer;
  }
}

/** Options of `queueMiddleware`: where a request's id and idempotency key come from. */
export type QueueMiddlewareOptions = RequestScopeOptions<Context>;

/**
 * Puts the client's producer on every context as `ctx.queue`, typed by your `Register` declaration: a
 * cheap per-request view of the one shared producer (requests never open connections of their own).
 * - the request id (`X-Request-Id`, else a generated UUID) goes into the metadata of every job the
 *   request adds, and is echoed in the `X-Request-Id` response header unless a route sets its own;
 * - with an `Idempotency-Key` header, repeating the request within the client's `idempotencyWindow`
 *   adds nothing: its adds resolve with the original jobs, `job.duplicate` true.
 */
export function queueMiddleware(client: QueueClient<any>, options: QueueMiddlewareOptions = {}): Middleware {
  assertRoleAllows(client, 'web', 'queueMiddleware()');
  const producer = client.producer as RegisteredProducer;
  const scopeOf = requestScopeReader<Context>(options, (ctx, name) => ctx.get(name) || undefined);
  return async function queuewireProducer(ctx, next) {
    const scope = scopeOf(ctx as Context);
    ctx.queue = producer.withRequest(scope);
    if (!ctx.response.get(REQUEST_ID_HEADER)) ctx.set(REQUEST_ID_HEADER, scope.requestId);
    await next();
  };
}

/**
 * Answers queuewire errors thrown further down with their HTTP status and `{ error: { code, message } }`:
 * 400 for bad input, 413 for an oversize payload, 503 (with Retry-After) when Redis is unavailable,
 * 504 when a wait timed out. Other errors are rethrown. Mount it before your routes.
 */
export function queueErrorHandler(): Middleware {
  return async function queuewireErrors(ctx, next) {
    try {
      await next();
    } catch (error) {
      const answer = toHttpError(error);
      if (!answer || ctx.headerSent) throw error;
      ctx.status = answer.status;
      if (answer.retryAfter) ctx.set('Retry-After', String(answer.retryAfter));
      ctx.body = answer.body;
    }
  };
}

/** Options of the Koa job routes: those of every adapter, plus the path they live under. */
export type KoaJobRoutesOptions = JobRoutesOptions<Context> & {
  /** Path the routes live under, e.g. `/jobs` for `GET /jobs/:queue/:id` and `/jobs/:queue/:id/events`. */
  prefix: string;
};

/**
 * The job routes under `prefix` (Koa has no mount points without a router):
 * - `GET <prefix>/:queue/:id` → the job's status as JSON;
 * - `GET <prefix>/:queue/:id/events` → its live progress as Server-Sent Events.
 *
 * ```ts
 * app.use(jobRoutes(client, { prefix: '/jobs', authorize: (ctx, job) => job.data.userId === ctx.state.user.id }));
 * ```
 * `authorize(ctx, job)` is required (or `unsafePublicAccess: true`); a refused job, a missing job and an
 * unknown queue all answer the same 404. Redis trouble is thrown as `QueueUnavailableError`, which
 * `queueErrorHandler()` answers with 503. Other requests go on to `next()`.
 *
 * @throws ConfigurationError at once when no access rule is given or `prefix` is malformed
 */
export function jobRoutes(client: QueueClient<any>, options: KoaJobRoutesOptions): Middleware {
  assertRoleAllows(client, 'web', 'jobRoutes()');
  const prefix = options?.prefix;
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || (prefix.length > 1 && prefix.endsWith('/'))) {
    throw new ConfigurationError(`jobRoutes() needs prefix: the path the routes live under, starting with "/" and not ending with it (e.g. "/jobs"); got ${JSON.stringify(prefix)}.`);
  }
  const routes = createJobRoutes<Context>(client, options);
  const base = prefix === '/' ? '' : prefix;
  return async function queuewireJobRoutes(ctx, next) {
    if (!ctx.path.startsWith(`${base}/`)) return next();
    const disconnected = new AbortController();
    ctx.res.once('close', () => disconnected.abort());
    const answer = await routes.handle({
      method: ctx.method,
      path: ctx.path.slice(base.length),
      lastEventId: ctx.get('Last-Event-ID') || undefined,
      request: ctx as Context,
      signal: disconnected.signal,
    });
    if (!answer) return next();
    ctx.status = answer.status;
    ctx.set(answer.headers as Record<string, string>);
    if ('stream' in answer) ctx.body = answer.stream;
    else if ('body' in answer) ctx.body = answer.body;
    else ctx.body = null;
  };
}

/**
 * The queue admin routes under `basePath` (default `/`; see `AdminRoutes` for every route and answer).
 * They refuse to start without `authorize(ctx, action)`: `true` allows the action, anything else
 * answers 403, a throw 500. Changes are POST only and need `Content-Type: application/json`.
 *
 * ```ts
 * app.use(adminRoutes(client, { basePath: '/admin', authorize: (ctx, action) => isOperator(ctx) || action.readOnly && isSupport(ctx) }));
 * ```
 * Bodies are read from the request unless a body parser already set `ctx.request.body`. Job bodies
 * leave out `data` unless `showData: true`. Errors of the routes are answered here as JSON; others are
 * thrown. Other requests go on to `next()`.
 *
 * @throws ConfigurationError at once without `authorize`, or with a malformed option
 */
export function adminRoutes(client: QueueClient<any>, options: AdminRoutesOptions<Context>): Middleware {
  const routes = createAdminRoutes<Context>(client, options);
  return async function queuewireAdminRoutes(ctx, next) {
    const answer = await routes.handle({
      method: ctx.method,
      path: ctx.path,
      query: ctx.querystring,
      contentType: ctx.get('Content-Type') || undefined,
      request: ctx as Context,
      body: () => readJsonBody(ctx.req, (ctx.request as { body?: unknown }).body),
    });
    if (!answer) return next();
    ctx.status = answer.status;
    ctx.set(answer.headers as Record<string, string>);
    ctx.body = answer.body;
  };
}

/**
 * A readiness route at `path` (GET): 200 with `client.health()`'s report, or 503 while Redis is
 * unreachable or a local worker lost its connection for good. The report names queues and Redis
 * errors: serve it where only your infrastructure can reach it.
 *
 * ```ts
 * app.use(healthRoute(client, { path: '/healthz' }));
 * ```
 */
export function healthRoute(client: QueueClient<any>, options: { path: string; timeout?: number }): Middleware {
  if (typeof options?.path !== 'string' || !options.path.startsWith('/')) {
    throw new ConfigurationError(`healthRoute() needs path, starting with "/" (e.g. "/healthz"); got ${JSON.stringify(options?.path)}.`);
  }
  return async function queuewireHealth(ctx, next) {
    if (ctx.method !== 'GET' || ctx.path !== options.path) return next();
    const answer = await healthAnswer(client, options.timeout);
    ctx.status = answer.status;
    ctx.set(answer.headers);
    ctx.body = answer.body;
  };
}
