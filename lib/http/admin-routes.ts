import type { AdminJob } from '../admin/admin-job';
import type { QueueAdmin } from '../admin/queue-admin';
import type { QueueClient } from '../client';
import type { QueueSet } from '../definition/define';
import { ConfigurationError, InvalidAdminArgumentError, JobNotFoundError } from '../errors';
import { refuseUnknownOptions } from '../known-options';
import { assertRoleAllows } from '../roles';
import { AdminAccess, type AdminAction, type AdminActionToAuthorize, type AdminAuthorize } from './admin-access';
import { toHttpError } from './http-status';
import { decodeSegment } from './path-segment';

/** Options of the admin routes. `authorize` is required: without it the routes refuse to start. */
export interface AdminRoutesOptions<RequestType> {
  /**
   * Decides whether the request may perform the action (see `AdminActionToAuthorize`): `true` allows,
   * anything else answers 403, a throw answers 500. Runs before the body is read and Redis is touched.
   */
  authorize: AdminAuthorize<RequestType>;
  /** The path the routes live under, below the framework's mount point: `'/admin'` serves `/admin/queues`. Default `'/'`. */
  basePath?: string;
  /**
   * Whether job bodies in answers include `data`. Default `false`: payloads often hold personal data
   * or secrets that an operator looking at a failure need not see; everything else (name, state,
   * result, failure reason and stack, attempts, metadata, timestamps) is shown.
   */
  showData?: boolean;
}

/** A request as a framework adapter hands it to the admin routes. */
export interface AdminRouteRequest<RequestType> {
  readonly method: string;
  /** The URL path below the framework's mount point, still percent-encoded. */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  /** The `Content-Type` request header, if any. */
  readonly contentType: string | undefined;
  /** The framework's request object (Express `req`, Koa `ctx`), passed to `authorize`. */
  readonly request: RequestType;
  /** Reads the JSON body (`undefined` when empty); only called for routes that take one. */
  readonly body: () => Promise<unknown>;
}

/** What an adapter sends back: always a JSON body. */
export interface AdminRouteAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** A job as the routes answer it: without `data` unless `showData` is set. */
export type AdminJobView = Omit<AdminJob<QueueSet, string>, 'data'> & { readonly data?: unknown };

interface Route {
  readonly action: AdminAction;
  readonly method: 'GET' | 'POST';
  readonly queue?: string | undefined;
  readonly jobId?: string | undefined;
  /** A job id segment that does not decode: it names no job (404, after `authorize` like any missing job). */
  readonly unreadableJobId?: string;
}

const OPTIONS = ['authorize', 'basePath', 'showData'];
const READ_ONLY = new Set<AdminAction>(['overview', 'counts', 'listJobs', 'getJob']);
// `POST /queues/:queue/<segment>` → action.
const QUEUE_COMMANDS: Readonly<Record<string, AdminAction>> = { pause: 'pause', resume: 'resume', 'retry-failed': 'retryFailed', clean: 'clean', drain: 'drain' };
const NO_STORE = Object.freeze({ 'Cache-Control': 'no-store' });

/**
 * The framework-neutral admin routes, which the Express and Koa adapters mount (paths below
 * `basePath`; `:queue` and `:id` percent-encoded):
 * - `GET /queues` → `{ queues: [{ queue, paused, counts }] }` for every declared queue;
 * - `GET /queues/:queue` → `{ queue, paused, counts }`;
 * - `POST /queues/:queue/pause`, `POST /queues/:queue/resume` → `{ queue, paused }`;
 * - `GET /queues/:queue/jobs?state=failed&start=0&end=49` → `{ queue, state, start, end, total, jobs }`;
 * - `GET /queues/:queue/jobs/:id` → the job;
 * - `POST /queues/:queue/jobs/:id/retry` → `{ queue, retried: [id] }`;
 * - `POST /queues/:queue/retry-failed` with `{ count? }` → `{ queue, retried: [ids] }`;
 * - `POST /queues/:queue/clean` with `{ state, olderThan, limit? }` → `{ queue, state, removed: [ids] }`;
 * - `POST /queues/:queue/drain` with `{ delayed? }` → `{ queue, drained: true, delayed }`.
 *
 * In this order: an unknown queue answers 404 (`QW_UNKNOWN_QUEUE`); the wrong method 405 (changes are
 * POST only, never GET; HEAD is answered as GET); a POST without `Content-Type: application/json` 415 (browsers cannot send
 * that cross-site without a CORS preflight, so a forged form or link changes nothing); then
 * `authorize` (403 / 500); then bad arguments 400, a missing job 404, retrying a job that is not
 * failed 409, Redis unavailable 503 with `Retry-After`. Errors are `{ error: { code, message } }`.
 * The first three need no decision about the caller (and `authorize` is only ever asked about a
 * declared queue), so whoever reaches the routes can tell declared queue names from others.
 * Other paths are not handled (`undefined`), so the application's next routes see them.
 */
export class AdminRoutes<RequestType> {
  private readonly admin: QueueAdmin<QueueSet>;
  private readonly queues: QueueSet;
  private readonly access: AdminAccess<RequestType>;
  private readonly basePath: string;
  private readonly showData: boolean;

  /** @throws ConfigurationError without `authorize`, or with a malformed `basePath`, `showData` or an unknown option */
  constructor(client: QueueClient<any>, options: AdminRoutesOptions<RequestType>) {
    if (!client || typeof client.admin !== 'object') throw new ConfigurationError('Admin routes need the queue client from createQueueClient().');
    assertRoleAllows(client, 'web', 'adminRoutes()');
    if (typeof options !== 'object' || options === null) throw new ConfigurationError('Admin routes need options with authorize(request, action) => boolean.');
    refuseUnknownOptions(options, OPTIONS, 'adminRoutes()');
    this.access = new AdminAccess<RequestType>(options.authorize, client.logger);
    const basePath = options.basePath ?? '/';
    if (typeof basePath !== 'string' || !/^\/[^?#]*$/.test(basePath) || (basePath.length > 1 && basePath.endsWith('/'))) {
      throw new ConfigurationError(`adminRoutes() basePath must start with "/" and not end with it (e.g. "/admin"); got ${JSON.stringify(basePath)}.`);
    }
    if (options.showData !== undefined && typeof options.showData !== 'boolean') {
      throw new ConfigurationError(`adminRoutes() showData must be true or false; got ${JSON.stringify(options.showData)}.`);
    }
    this.basePath = basePath === '/' ? '' : basePath;
    this.showData = options.showData === true;
    this.admin = client.admin;
    this.queues = client.queues;
  }

  /** Answers a request for one of the routes, or resolves `undefined` when it is not one of them. */
  async handle(request: AdminRouteRequest<RequestType>): Promise<AdminRouteAnswer | undefined> {
    const route = this.match(request.path);
    if (!route) return undefined;
    if (route.queue !== undefined && !Object.hasOwn(this.queues.definitions, route.queue)) {
      return refusal(404, 'QW_UNKNOWN_QUEUE', 'No such queue.');
    }
    // HEAD is a GET without the body, as the frameworks answer it for their own GET routes.
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    if (method !== route.method) {
      return refusal(405, 'QW_METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${route.method}.`, { Allow: route.method === 'GET' ? 'GET, HEAD' : route.method });
    }
    if (route.method === 'POST' && !isJson(request.contentType)) {
      return refusal(415, 'QW_UNSUPPORTED_MEDIA_TYPE', 'Send admin changes with Content-Type: application/json (an empty body is fine).');
    }
    const decision = await this.access.decide(request.request, toAuthorize(route));
    if (decision === 'denied') return refusal(403, 'QW_ADMIN_FORBIDDEN', `Not allowed to ${route.action}.`);
    if (decision === 'failed') return refusal(500, 'QW_ADMIN_AUTHORIZE_FAILED', 'The authorize hook failed; nothing was done. See the server log.');
    try {
      return { status: 200, headers: NO_STORE, body: await this.perform(route, request) };
    } catch (error) {
      const answer = toHttpError(error);
      if (!answer) throw error;
      return { status: answer.status, headers: answer.retryAfter ? { ...NO_STORE, 'Retry-After': String(answer.retryAfter) } : NO_STORE, body: answer.body };
    }
  }

  private async perform(route: Route, request: AdminRouteRequest<RequestType>): Promise<unknown> {
    const admin = this.admin;
    const queue = route.queue!;
    if (route.unreadableJobId !== undefined) throw new JobNotFoundError(queue, route.unreadableJobId);
    switch (route.action) {
      case 'overview':
        return { queues: await admin.overview() };
      case 'counts': {
        const [paused, counts] = await Promise.all([admin.isPaused(queue), admin.counts(queue)]);
        return { queue, paused, counts };
      }
      case 'pause':
        await admin.pause(queue);
        return { queue, paused: true };
      case 'resume':
        await admin.resume(queue);
        return { queue, paused: false };
      case 'listJobs': {
        const query = new URLSearchParams(request.query);
        const list = await admin.listJobs(queue, query.get('state') as never, { start: position(query.get('start'), 'start'), end: position(query.get('end'), 'end') });
        return { ...list, jobs: list.jobs.map((job) => this.view(job)) };
      }
      case 'getJob': {
        const job = await admin.getJob(queue, route.jobId!);
        if (!job) throw new JobNotFoundError(queue, route.jobId!);
        return this.view(job);
      }
      case 'retry':
        await admin.retry(queue, route.jobId!);
        return { queue, retried: [route.jobId] };
      case 'retryFailed':
        return { queue, retried: await admin.retryFailed(queue, (await request.body()) as never) };
      case 'clean': {
        const { state, ...options } = objectBody(await request.body());
        return { queue, state, removed: await admin.clean(queue, state as never, options as never) };
      }
      case 'drain': {
        const options = (await request.body()) as { delayed?: boolean } | undefined;
        await admin.drain(queue, options);
        return { queue, drained: true, delayed: options?.delayed === true };
      }
    }
  }

  private view(job: AdminJob<QueueSet, string>): AdminJobView {
    if (this.showData) return job;
    const { data: _hidden, ...rest } = job;
    return rest;
  }

  // The route a path names, below basePath; `undefined` for any other path.
  private match(path: string): Route | undefined {
    if (this.basePath !== '') {
      if (path !== this.basePath && !path.startsWith(`${this.basePath}/`)) return undefined;
      path = path.slice(this.basePath.length);
    }
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const segments = path.split('/');
    if (segments.shift() !== '' || segments[0] !== 'queues') return undefined;
    const [, rawQueue, part, rawJobId, jobPart] = segments;
    if (rawQueue === undefined) return segments.length === 1 ? { action: 'overview', method: 'GET' } : undefined;
    // A segment that does not decode names no queue (404) or no job (404): never a crash.
    const queue = decodeSegment(rawQueue) ?? '\0';
    if (part === undefined) return { action: 'counts', method: 'GET', queue };
    if (segments.length === 3) {
      if (part === 'jobs') return { action: 'listJobs', method: 'GET', queue };
      const action = Object.hasOwn(QUEUE_COMMANDS, part) ? QUEUE_COMMANDS[part] : undefined;
      return action ? { action, method: 'POST', queue } : undefined;
    }
    if (part !== 'jobs' || rawJobId === undefined) return undefined;
    const decoded = decodeSegment(rawJobId);
    const jobId = decoded ?? '';
    const unreadable = decoded === undefined ? { unreadableJobId: rawJobId } : {};
    if (segments.length === 4) return { action: 'getJob', method: 'GET', queue, jobId, ...unreadable };
    if (segments.length === 5 && jobPart === 'retry') return { action: 'retry', method: 'POST', queue, jobId, ...unreadable };
    return undefined;
  }
}

/** Builds the framework-neutral admin routes; adapters call this. See `AdminRoutes`. */
export function createAdminRoutes<RequestType>(client: QueueClient<any>, options: AdminRoutesOptions<RequestType>): AdminRoutes<RequestType> {
  return new AdminRoutes(client, options);
}

function toAuthorize(route: Route): AdminActionToAuthorize<QueueSet> {
  return {
    action: route.action,
    readOnly: READ_ONLY.has(route.action),
    ...(route.queue !== undefined ? { queue: route.queue } : {}),
    ...(route.jobId !== undefined ? { jobId: route.jobId } : {}),
  } as AdminActionToAuthorize<QueueSet>;
}

function refusal(status: number, code: string, message: string, headers: Record<string, string> = {}): AdminRouteAnswer {
  return { status, headers: { ...NO_STORE, ...headers }, body: { error: { code, message } } };
}

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

// A page position from the query string: digits only, else a 400 naming the parameter.
function position(value: string | null, name: string): number | undefined {
  if (value === null) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new InvalidAdminArgumentError(`Query parameter ${name} must be a whole number >= 0; got ${JSON.stringify(value)}.`);
  return Number(value);
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidAdminArgumentError('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

