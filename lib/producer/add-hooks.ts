import type { JobDataOf, JobNameOf, QueueNameOf, QueueSet } from '../definition/define';
import type { JobOptions } from '../definition/job-options';
import type { JobMetadata } from './job-metadata';
import type { RequestScope } from './request-scope';

/**
 * A job about to be added, as `beforeAdd` hooks see it: typed per queue and job name (narrow on
 * `queue` and `name`), already validated, not yet sent to Redis.
 */
export type PendingJob<Queues extends QueueSet = QueueSet> = {
  [Queue in QueueNameOf<Queues>]: {
    [Name in JobNameOf<Queues, Queue>]: {
      readonly queue: Queue;
      readonly name: Name;
      /** The data as it will be stored (validated, when the job has a schema). Do not change it. */
      readonly data: JobDataOf<Queues, Queue, Name>;
      /** The job's options once defaults are merged, minus queuewire's own additions. */
      readonly options: Readonly<JobOptions>;
      /** The request the add comes from, when made through a per-request producer (`req.queue`). */
      readonly request: RequestScope | undefined;
      /**
       * Stored with the job; for adds made on a request it already holds the request's `metadata` and
       * `requestId`. Set keys (string values) here; read them in handlers and listeners with
       * `jobMetadata(job)`.
       */
      readonly metadata: JobMetadata;
    };
  }[JobNameOf<Queues, Queue>];
}[QueueNameOf<Queues>];

/**
 * Runs before each job is added (in `add`, every entry of `addBulk`, `addAndWait`), in the order given
 * to `createQueueClient({ beforeAdd })`, after validation and before Redis is touched. It may add
 * metadata, or refuse the add by throwing — `AddRefusedError` answers 403 (or the status it carries)
 * through the error handlers; anything else propagates unchanged. In `addBulk` a refusal adds none of
 * the jobs. May be async.
 */
export type BeforeAddHook<Queues extends QueueSet = QueueSet> = (job: PendingJob<Queues>) => void | Promise<void>;
