import type { JobDataOf, JobNameOf, QueueNameOf, QueueSet } from '../definition/define';
import { ConfigurationError } from '../errors';
import type { Logger } from '../logger';
import type { RegisteredQueues } from '../definition/register';

/**
 * The job an `authorize` hook decides on, typed by the registered definition: narrowing on `queue`
 * and `name` narrows `data` to that job's payload. The data is what Redis holds; like any stored
 * input, check it rather than trust its type.
 */
export type JobToAuthorize<Queues extends QueueSet = RegisteredQueues> = {
  [Queue in QueueNameOf<Queues>]: {
    [Name in JobNameOf<Queues, Queue>]: {
      readonly queue: Queue;
      readonly id: string;
      readonly name: Name;
      readonly data: JobDataOf<Queues, Queue, Name>;
    };
  }[JobNameOf<Queues, Queue>];
}[QueueNameOf<Queues>];

/**
 * Who may read a job through the job routes. Exactly one of the two must be given: the routes refuse
 * to start without a decision, because job ids are often guessable (BullMQ numbers them 1, 2, 3…).
 */
export type JobAccessOptions<RequestType> =
  | {
    /**
     * Decides whether the request may see the job (its status, progress and result). Return `false`
     * (or throw) and the caller gets the same 404 as for a job that does not exist, so the answer
     * never tells that the job exists. Runs on every status request and every stream opening.
     */
    authorize: (request: RequestType, job: JobToAuthorize) => boolean | Promise<boolean>;
    unsafePublicAccess?: never;
  }
  | {
    /**
     * Anyone who knows (or guesses) a queue name and job id may read that job's status, progress and
     * result. Only for results that are public anyway; otherwise pass `authorize`.
     */
    unsafePublicAccess: true;
    authorize?: never;
  };

/** The access rule of one set of job routes, checked once when the routes are built. */
export class JobAccess<RequestType> {
  private readonly authorize: ((request: RequestType, job: JobToAuthorize) => boolean | Promise<boolean>) | undefined;

  constructor(options: JobAccessOptions<RequestType> | undefined, private readonly logger: Logger) {
    const given = (options ?? {}) as { authorize?: unknown; unsafePublicAccess?: unknown };
    const hasAuthorize = given.authorize !== undefined;
    const isPublic = given.unsafePublicAccess !== undefined;
    if (hasAuthorize && isPublic) {
      throw new ConfigurationError('Job routes take either authorize(request, job) or unsafePublicAccess: true, not both.');
    }
    if (isPublic && given.unsafePublicAccess !== true) {
      throw new ConfigurationError(`unsafePublicAccess must be exactly true when set; got ${JSON.stringify(given.unsafePublicAccess)}.`);
    }
    if (hasAuthorize && typeof given.authorize !== 'function') {
      throw new ConfigurationError('authorize must be a function (request, job) => boolean | Promise<boolean>.');
    }
    if (!hasAuthorize && !isPublic) {
      throw new ConfigurationError(
        'Job routes need an access rule: pass authorize(request, job) => boolean to decide who may see a job ' +
        '(job ids are guessable), or unsafePublicAccess: true if every job\'s status and result may be public.',
      );
    }
    this.authorize = hasAuthorize ? (given.authorize as typeof this.authorize) : undefined;
  }

  /**
   * Whether the request may see the job. A hook that throws or rejects denies (and is logged), so a
   * failing check neither leaks the job nor tells the caller that it exists.
   */
  async allows(request: RequestType, job: JobToAuthorize<QueueSet>): Promise<boolean> {
    if (!this.authorize) return true;
    try {
      return (await this.authorize(request, job as JobToAuthorize)) === true;
    } catch (error) {
      this.logger.error(`[queuewire] job routes: authorize() threw for job ${job.queue}/${job.id}; answering 404: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }
}
