import type { Readable } from 'node:stream';
import type { Job } from 'bullmq';
import { withinRedisTimeout } from '../connection/bounded-redis';
import { MAX_JOB_ID_BYTES } from '../definition/job-options';
import type { QueueClient } from '../client';
import type { QueueSet } from '../definition/define';
import { ConfigurationError } from '../errors';
import { JobAccess, type JobAccessOptions, type JobToAuthorize } from './job-access';
import { JobEventFeed } from './job-event-feed';
import { openJobProgressStream } from './job-progress-stream';
import { readJobStatus } from './job-status';
import { SSE_HEADERS } from './sse-frames';
import { decodeSegment } from './path-segment';

/** Options of the job routes: who may see a job (required), and timings. */
export type JobRoutesOptions<RequestType> = JobAccessOptions<RequestType> & {
  /** Milliseconds between `: ping` comments on an open progress stream, so proxies keep it open. Default 15 000. */
  heartbeatInterval?: number;
  /** Upper bound (ms) for the Redis reads of one request before it fails with `QueueUnavailableError` (503). Default 2000. */
  redisTimeout?: number;
};

/** A request as a framework adapter hands it to the routes. */
export interface JobRouteRequest<RequestType> {
  readonly method: string;
  /** The URL path below the routes' mount point, still percent-encoded: `/<queue>/<id>` or `/<queue>/<id>/events`. */
  readonly path: string;
  /** The `Last-Event-ID` request header, if any. */
  readonly lastEventId: string | undefined;
  /** The framework's request object (Express `req`, Koa `ctx`), passed to `authorize`. */
  readonly request: RequestType;
  /** Aborted when the client disconnects; an open progress stream then stops. */
  readonly signal?: AbortSignal;
}

/** What an adapter sends back: a JSON body, an empty 204, or an event stream to pipe. */
export type JobRouteAnswer =
  | { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: unknown }
  | { readonly status: 204; readonly headers: Readonly<Record<string, string>> }
  | { readonly status: 200; readonly headers: Readonly<Record<string, string>>; readonly stream: Readable };

// One body for every job a caller cannot read: unknown queue, no such job, or not theirs.
const NOT_FOUND: JobRouteAnswer = Object.freeze({
  status: 404,
  headers: Object.freeze({ 'Cache-Control': 'no-store' }),
  body: Object.freeze({ error: Object.freeze({ code: 'QW_JOB_NOT_FOUND', message: 'No such job.' }) }),
});
const NO_STORE = Object.freeze({ 'Cache-Control': 'no-store' });


/**
 * The framework-neutral job routes, which the Express and Koa adapters mount:
 * - `GET /<queue>/<id>` → 200 with the job's `JobStatus` as JSON;
 * - `GET /<queue>/<id>/events` → the job's progress as Server-Sent Events (see `openJobProgressStream`).
 *
 * A queue the definition does not declare, a job that does not exist and a job the caller may not
 * see all get the same 404, so the answer never reveals that a job exists. Other requests are not
 * handled (`undefined`), so the application's next routes see them. Redis trouble rejects with
 * `QueueUnavailableError` (503 through the adapters' error handlers).
 */
export class JobRoutes<RequestType> {
  private readonly access: JobAccess<RequestType>;
  private readonly feed: JobEventFeed;
  private readonly heartbeatInterval: number;
  private readonly redisTimeout: number;

  /** @throws ConfigurationError without an access rule (`authorize` or `unsafePublicAccess: true`), or with bad timings */
  constructor(private readonly client: QueueClient<any>, options: JobRoutesOptions<RequestType>) {
    if (!client || typeof client.queue !== 'function') throw new ConfigurationError('Job routes need the queue client from createQueueClient().');
    this.access = new JobAccess(options, client.logger);
    this.heartbeatInterval = positiveInteger(options.heartbeatInterval, 15_000, 'heartbeatInterval');
    this.redisTimeout = positiveInteger(options.redisTimeout, 2000, 'redisTimeout');
    this.feed = new JobEventFeed(client.events as never);
  }

  /** Answers a request for one of the routes, or resolves `undefined` when it is not one of them. */
  async handle(request: JobRouteRequest<RequestType>): Promise<JobRouteAnswer | undefined> {
    if (request.method !== 'GET') return undefined;
    const target = parsePath(request.path);
    if (!target) return undefined;
    const { queue, jobId, events } = target;
    if (queue === undefined || jobId === undefined || !Object.hasOwn(this.client.queues.definitions, queue)
      || jobId.length === 0 || Buffer.byteLength(jobId) > MAX_JOB_ID_BYTES) {
      return NOT_FOUND;
    }
    const canSee = (job: Job) => this.access.allows(request.request, toAuthorize(queue, job));
    if (!events) {
      const found = await withinRedisTimeout(this.client.connections, this.redisTimeout, () => readJobStatus(this.client.queue(queue), jobId));
      if (!found || !(await canSee(found.job))) return NOT_FOUND;
      return { status: 200, headers: NO_STORE, body: found.status };
    }
    const opening = await openJobProgressStream({
      connections: this.client.connections,
      bus: this.client.events,
      feed: this.feed,
      eventsKey: (name) => `${this.client.prefix}:${name}:events`,
      handle: (name) => this.client.queue(name),
      redisTimeout: this.redisTimeout,
      heartbeatInterval: this.heartbeatInterval,
    }, { queue, jobId, lastEventId: request.lastEventId, signal: request.signal, canSee });
    if (opening.kind === 'hidden') return NOT_FOUND;
    if (opening.kind === 'seen-to-end') return { status: 204, headers: NO_STORE };
    return { status: 200, headers: SSE_HEADERS, stream: opening.stream };
  }
}

/** Builds the framework-neutral job routes; adapters call this. See `JobRoutes`. */
export function createJobRoutes<RequestType>(client: QueueClient<any>, options: JobRoutesOptions<RequestType>): JobRoutes<RequestType> {
  return new JobRoutes(client, options);
}

/**
 * `/<queue>/<id>` or `/<queue>/<id>/events`, segments percent-decoded (so ids holding `/` work as
 * `%2F`); `undefined` for any other shape. A segment that does not decode leaves queue or id undefined,
 * which answers 404 like any unknown job.
 */
function parsePath(path: string): { queue: string | undefined; jobId: string | undefined; events: boolean } | undefined {
  const segments = path.split('/');
  if (segments[0] !== '') return undefined;
  segments.shift();
  if (segments.length === 3 && segments[2] === 'events') return { queue: decodeSegment(segments[0]!), jobId: decodeSegment(segments[1]!), events: true };
  if (segments.length === 2) return { queue: decodeSegment(segments[0]!), jobId: decodeSegment(segments[1]!), events: false };
  return undefined;
}


function toAuthorize(queue: string, job: Job): JobToAuthorize<QueueSet> {
  return { queue, id: String(job.id), name: job.name, data: job.data };
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new ConfigurationError(`${name} must be a positive whole number of milliseconds; got ${String(value)}.`);
  return value;
}
