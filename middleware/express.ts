import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { QueueClient, RegisteredProducer } from '../lib/index';
import { healthAnswer } from '../lib/http/health-answer';
import { toHttpError } from '../lib/http/http-status';
import { createJobRoutes, type JobRouteAnswer, type JobRoutesOptions } from '../lib/http/job-routes';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The typed producer of the process's queue client (set by `queueMiddleware`). */
      queue: RegisteredProducer;
    }
  }
}

/**
 * Puts the client's producer on every request as `req.queue`. The producer is shared: requests never
 * open connections of their own.
 */
export function queueMiddleware(client: QueueClient<any>): RequestHandler {
  const producer = client.producer as RegisteredProducer;
  return function queuewireProducer(req, _res, next) {
    req.queue = producer;
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
