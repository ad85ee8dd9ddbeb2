/** Stops what a role started and closes its connections. */
export type Closer = () => Promise<void>;

/** Sends one job and resolves with its result (request-reply). */
export interface Requester {
  call(data: unknown): Promise<unknown>;
  close: Closer;
}

/**
 * One way of writing the same application. Each role runs in its own process; the runner measures it
 * from outside. Every role resolves once it is ready to do its work.
 */
export interface Contender {
  /** HTTP server: `POST /enqueue` adds the body as a job and answers 202 `{ id }`; `POST /control` answers the same without Redis. */
  web(options: { redisUrl: string; port: number }): Promise<Closer>;
  /** Workers for `queues`, each running `handlerWork` with `concurrency`. */
  worker(options: { redisUrl: string; queues: string[]; concurrency: number }): Promise<Closer>;
  /** Listens to `completed` on every queue of `queues` and records each into `listenerSink`. */
  listener(options: { redisUrl: string; queues: string[] }): Promise<Closer>;
  /** The web-process shape for counting connections: a producer for `queues` (one add each) and a `completed` listener on each. */
  webWithEvents(options: { redisUrl: string; queues: string[] }): Promise<Closer>;
  /** Add a job and wait for its result: queuewire's addAndWait, or add + waitUntilFinished. */
  requester(options: { redisUrl: string }): Promise<Requester>;
}

export type ContenderName = 'handwritten' | 'nest' | 'queuewire';

export const CONTENDER_LABELS: Record<ContenderName, string> = {
  handwritten: 'hand-written',
  nest: '@nestjs/bullmq',
  queuewire: 'queuewire',
};
