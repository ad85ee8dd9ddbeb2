import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Producer, QueueClient } from '../../lib/index';
import { queueErrorHandler, queueMiddleware } from '../../middleware/express';

/** `express` of either major: the default export of 'express' (5) or of its alias 'express4'. */
export type ExpressFactory = typeof import('express');

/**
 * How routes hand async errors to the error handlers. Express 5 forwards a rejected route promise to
 * `next` itself; Express 4 ignores it (the request hangs and the rejection goes unhandled), so there
 * every async route must end in `.catch(next)`.
 */
export type AsyncErrors = 'native' | 'catch-next';

type AsyncRoute = (req: Request, res: Response) => Promise<void>;

// `req.queue` is typed by whatever definition the compilation registered (an example app's); these
// routes take any queue and job name from the URL, so they use the producer untyped.
const producerOf = (req: Request): Producer => req.queue as unknown as Producer;

/**
 * The app every middleware test drives: `queueMiddleware` in front, routes that enqueue, then
 * `queueErrorHandler()` and a last handler that answers any other error with 500 `UNEXPECTED`.
 */
export function buildExpressApp(express: ExpressFactory, client: QueueClient<any>, asyncErrors: AsyncErrors) {
  const route = (handler: AsyncRoute): RequestHandler => asyncErrors === 'native'
    ? handler
    : (req: Request, res: Response, next: NextFunction) => {
      handler(req, res).catch(next);
    };

  const app = express();
  app.use(express.json({ limit: '20mb' }));
  app.use(queueMiddleware(client));

  // Enqueues what the request names, so tests can provoke every error; the Idempotency-Key header
  // becomes the job id, so a retried request cannot enqueue twice.
  app.post('/jobs/:queue/:name', route(async (req, res) => {
    const idempotencyKey = req.get('Idempotency-Key');
    const options = idempotencyKey ? { ...req.body.options, jobId: idempotencyKey } : req.body.options;
    const job = await producerOf(req).add(String(req.params.queue), String(req.params.name), req.body.data, options);
    res.status(202).json({ id: job.id, data: job.data });
  }));
  // A payload JSON cannot carry, which no parsed request body can hold.
  app.post('/dated', route(async (req, res) => {
    const job = await producerOf(req).add('email', 'welcome', { to: 'a@b.c', name: 'A', at: new Date() });
    res.status(202).json({ id: job.id });
  }));
  // An error that is not queuewire's: queueErrorHandler must pass it on.
  app.post('/broken', route(async () => {
    throw new Error('not a queue problem');
  }));

  app.use(queueErrorHandler());
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: { code: 'UNEXPECTED', message: error.message } });
  });
  return app;
}
