import type { QueueNameOf, QueueSet } from '../definition/define';
import type { RegisteredQueues } from '../definition/register';
import { ConfigurationError } from '../errors';
import type { Logger } from '../logger';

/** The operations of the admin routes, named after the `client.admin` method each one calls. */
export type AdminAction = 'overview' | 'counts' | 'listJobs' | 'getJob' | 'pause' | 'resume' | 'retry' | 'retryFailed' | 'clean' | 'drain';

/**
 * What an admin request asks to do, as `authorize` sees it: the action, the queue (typed by the
 * registered definition; absent for `overview`, which covers every queue), the job id for `getJob` and
 * `retry`, and `readOnly` — true for the four reading actions, false for the six that change queues.
 */
export type AdminActionToAuthorize<Queues extends QueueSet = RegisteredQueues> =
  | { readonly action: 'overview'; readonly readOnly: true; readonly queue?: undefined; readonly jobId?: undefined }
  | { readonly action: 'counts' | 'listJobs'; readonly readOnly: true; readonly queue: QueueNameOf<Queues>; readonly jobId?: undefined }
  | { readonly action: 'getJob'; readonly readOnly: true; readonly queue: QueueNameOf<Queues>; readonly jobId: string }
  | { readonly action: 'retry'; readonly readOnly: false; readonly queue: QueueNameOf<Queues>; readonly jobId: string }
  | { readonly action: 'pause' | 'resume' | 'retryFailed' | 'clean' | 'drain'; readonly readOnly: false; readonly queue: QueueNameOf<Queues>; readonly jobId?: undefined };

/**
 * Decides whether a request may perform an admin action. Only `true` allows it; `false` (or anything
 * else) answers 403. A hook that throws or rejects answers 500 and is logged. Runs before the request's
 * body is read and before Redis is touched.
 */
export type AdminAuthorize<RequestType> = (request: RequestType, action: AdminActionToAuthorize) => boolean | Promise<boolean>;

/** How the admin routes' hook decided: allowed, refused, or it failed. */
export type AdminDecision = 'allowed' | 'denied' | 'failed';

/** The access rule of one set of admin routes, checked once when the routes are built. */
export class AdminAccess<RequestType> {
  private readonly authorize: AdminAuthorize<RequestType>;

  /** @throws ConfigurationError when `authorize` is missing or not a function: the routes are deny-by-default */
  constructor(authorize: unknown, private readonly logger: Logger) {
    if (typeof authorize !== 'function') {
      throw new ConfigurationError(
        'Admin routes need authorize(request, action) => boolean: they pause, drain and delete jobs, so they ' +
        `refuse to start without deciding who may (e.g. check an admin session or token). Got ${authorize === undefined ? 'no authorize' : typeof authorize}.`,
      );
    }
    this.authorize = authorize as AdminAuthorize<RequestType>;
  }

  async decide(request: RequestType, action: AdminActionToAuthorize<QueueSet>): Promise<AdminDecision> {
    try {
      return (await this.authorize(request, action as AdminActionToAuthorize)) === true ? 'allowed' : 'denied';
    } catch (error) {
      this.logger.error(`[queuewire] admin routes: authorize() threw for ${action.action}${action.queue === undefined ? '' : ` on "${action.queue}"`}; answering 500, nothing done: ${error instanceof Error ? error.message : String(error)}`);
      return 'failed';
    }
  }
}
