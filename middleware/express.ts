import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { QueueClient, RegisteredProducer } from '../lib/index';
import { toHttpError } from '../lib/http-status';

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
