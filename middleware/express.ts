import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { QueueClient, RegisteredProducer } from '../lib/index';
import { healthAnswer } from '../lib/http/health-answer';
import { toHttpError } from '../lib/http/http-status';
import { createJobRoutes, type JobRouteAnswer, type JobRoutesOptions } from '../lib/http/job-routes';
import { assertRoleAllows } from '../lib/roles';
import { createAdminRoutes, type AdminRoutesOptions } from '../lib/http/admin-routes';
import { readJsonBody } from '../lib/http/json-body';
import { REQUEST_ID_HEADER, requestScopeReader, type RequestScopeOptions } from '../lib/producer/request-scope';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The typed producer of the process's queue client, as seen by this request (set by
       * `queueMiddleware`): its jobs carry the request id, and its adds honour the Idempotency-Key.
       */
      queue: RegisteredProducer;
    }
  }
}

/** Options of `queueMiddleware`: where a request's id and idempotency key come from. */
export type QueueMiddlewareOptions = RequestScopeOptions<Request>;

/**
 * Puts the client's producer on every request as `req.queue`, a cheap per-request view of the one
 * shared producer (requests never open connections of their own):
 * - the request id (`X-Request-Id`, else a generated UUID) goes into the metadata of every job the
 *   request adds, and is echoed in the `X-Request-Id` response header unless a route sets its own;
 * - with an `Idempotency-Key` header, repeating the request within the client's `idempotencyWindow`
 *   adds nothing: its adds resolve with the original jobs, `job.duplicate` true.
 */
export function queueMiddleware(client: QueueClient<any>, options: QueueMiddlewareOptions = {}): RequestHandler {
  assertRoleAllows(client, 'web', 'queueMiddleware()');
  const producer = client.producer as RegisteredProducer;
  const scopeOf = requestScopeReader<Request>(options, (req, name) => req.get(name));
  return function queuewireProducer(req, res, next) {
    const scope = scopeOf(req);
    req.queue = producer.withRequest(scope);
    if (!res.hasHeader(REQUEST_ID_HEADER)) res.setHeader(REQUEST_ID_HEADER, scope.requestId);
    next();
  };
}

/**
 * Answers queuewire errors with their HTTP status and `{ error: { code, message } }`: 400 for bad
 * input, 413 for an oversize payload, 503 (with Retry-After) when Redis is unavailable, 504 when a wait
 * timed out. Other errors go on to the next error handler. Mount it after your routes.
 */
export function queueErrorHandler(): ErrorRequestHandler {
  return function queuewireErrors(error, _req, res, next) {
    const answer = toHttpError(error);
    if (!answer || res.headersSent) return next(error);
    if (answer.retryAfter) res.set('Retry-After', String(answer.retryAfter));
    res.status(answer.status).json(answer.body);
  };
}

/**
 * The job routes, to mount under a path of your choice:
 * - `GET <mount>/:queue/:id` → the job's status as JSON (state, progress, result or failure reason,
 *   attempts, timestamps);
 * - `GET <mount>/:queue/:id/events` → its live progress as Server-Sent Events.
 *
 * ```ts
 * app.use('/jobs', jobRoutes(client, { authorize: (req, job) => job.data.userId === req.user.id }));
 * ```
 * `authorize(req, job)` is required (or `unsafePublicAccess: true`): a job it refuses, a job that does
 * not exist and an unknown queue all answer the same 404. Redis trouble goes to `next(error)`, which
 * `queueErrorHandler()` answers with 503. The behaviour lives in the core (`createJobRoutes`); this
 * only translates requests and answers.
 *
 * @throws ConfigurationError at once when no access rule is given
 */
export function jobRoutes(client: QueueClient<any>, options: JobRoutesOptions<Request>): RequestHandler {
  assertRoleAllows(client, 'web', 'jobRoutes()');
  const routes = createJobRoutes<Request>(client, options);
  return function queuewireJobRoutes(req, res, next) {
    const disconnected = new AbortController();
    res.once('close', () => disconnected.abort());
    routes.handle({ method: req.method, path: req.path, lastEventId: req.get('Last-Event-ID'), request: req, signal: disconnected.signal })
      .then((answer) => (answer ? send(res, answer) : next()))
      .catch(next);
  };
}

function send(res: Response, answer: JobRouteAnswer): void {
  if ('stream' in answer) {
    // The client may have left while the stream was being prepared.
    if (res.destroyed) return void answer.stream.destroy();
    res.writeHead(answer.status, answer.headers);
    res.flushHeaders();
    answer.stream.pipe(res);
    res.once('close', () => answer.stream.destroy());
    return;
  }
  res.status(answer.status).set(answer.headers);
  if ('body' in answer) res.json(answer.body);
  else res.end();
}

/**
 * The queue admin routes (see `AdminRoutes` for every route and answer), to mount where your operators
 * reach them. They refuse to start without `authorize(req, action)`: `true` allows the action, anything
 * else answers 403, a throw 500. Changes are POST only and need `Content-Type: application/json`.
 *
 * ```ts
 * app.use('/admin', adminRoutes(client, { authorize: (req, action) => isOperator(req) || action.readOnly && isSupport(req) }));
 * ```
 * Bodies are read from the request unless a body parser (`express.json()`) already did. Job bodies
 * leave out `data` unless `showData: true`. Errors of the routes are answered here as JSON; others go
 * to `next(error)`.
 *
 * @throws ConfigurationError at once without `authorize`, or with a malformed option
 */
export function adminRoutes(client: QueueClient<any>, options: AdminRoutesOptions<Request>): RequestHandler {
  const routes = createAdminRoutes<Request>(client, options);
  return function queuewireAdminRoutes(req, res, next) {
    const queryAt = req.url.indexOf('?');
    routes.handle({
      method: req.method,
      path: req.path,
      query: queryAt === -1 ? '' : req.url.slice(queryAt + 1),
      contentType: req.get('Content-Type'),
      request: req,
      body: () => readJsonBody(req, req.body),
    })
      .then((answer) => (answer ? void res.status(answer.status).set(answer.headers).json(answer.body) : next()))
      .catch(next);
  };
}

/**
 * A readiness route: 200 with `client.health()`'s report, or 503 while Redis is unreachable or a local
 * worker lost its connection for good. The report names queues and Redis errors: mount it where only
 * your infrastructure can reach it.
 *
 * ```ts
 * app.get('/healthz', healthRoute(client));
 * ```
 */
export function healthRoute(client: QueueClient<any>, options: { timeout?: number } = {}): RequestHandler {
  return function queuewireHealth(_req, res, next) {
    healthAnswer(client, options.timeout)
      .then((answer) => void res.status(answer.status).set(answer.headers).json(answer.body))
      .catch(next);
  };
}
