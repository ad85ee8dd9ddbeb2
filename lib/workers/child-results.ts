import type { Job } from 'bullmq';
import type { ChildJobsOf } from '../definition/child-jobs';
import type { JobNameOf, JobResultOf, QueueNameOf, QueueSet } from '../definition/define';

/**
 * The stored result of one completed child, typed by the parent's `.children()` declaration: narrow on
 * `queue` to read `result` (e.g. `child.queue === 'media' ? child.result.url : …`).
 */
export type ChildResult<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  ChildJobsOf<Queues, Queue, Name> extends infer Child
    ? Child extends { queue: infer ChildQueue extends QueueNameOf<Queues> }
      ? Child extends { name: infer ChildName extends JobNameOf<Queues, ChildQueue> } ? {
        /** The child's queue; it decides the type of `result` (one job name per queue, see `.children()`). */
        readonly queue: ChildQueue;
        /** The child's job id. */
        readonly id: string;
        /** What the child's handler returned, as stored (`null` for a handler that returns nothing). */
        readonly result: JobResultOf<Queues, ChildQueue, ChildName>;
      } : never
      : never
    : never;

declare const childResultType: unique symbol;

/**
 * Marks the job a parent's handler receives (a job name declared with `.children()`), so that
 * `childResults(job)` knows its children's result types. A compile-time mark only: nothing of it
 * exists at run time.
 */
export interface ParentJob<ChildResultType> {
  readonly [childResultType]: ChildResultType;
}

/** The mark a handler's job carries: `ParentJob` for a job name that declared children, else nothing. */
export type ParentJobOf<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  [ChildJobsOf<Queues, Queue, Name>] extends [never] ? unknown : ParentJob<ChildResult<Queues, Queue, Name>>;

/**
 * The results of a parent's completed children, read in its handler: one entry per completed child,
 * `{ queue, id, result }`, typed from the parent's `.children()` declaration; in no particular order
 * (have children return what the parent needs to match them up). One Redis read (BullMQ's
 * `getChildrenValues`, which BullMQ's sandboxed job proxies too).
 *
 * Only completed children are listed: a child that failed and was let go (`ignoreDependencyOnFailure`,
 * `removeDependencyOnFailure`, `continueParentOnFailure`) is not; `job.getIgnoredChildrenFailures()`
 * gives the failures the first one recorded.
 *
 * @example const sizes = (await childResults(job)).filter((child) => child.queue === 'media').map((child) => child.result.bytes);
 */
export async function childResults<ChildResultType>(job: ParentJob<ChildResultType> & Pick<Job, 'getChildrenValues'>): Promise<ChildResultType[]> {
  const values: Record<string, unknown> = (await job.getChildrenValues()) ?? {};
  // BullMQ keys each result by the child's job key, `<prefix>:<queue>:<id>`. Queue names and job ids
  // hold no ':' (queuewire refuses them), so the last two segments are the queue and the id even
  // when the prefix has colons of its own.
  return Object.entries(values).map(([key, result]) => {
    const idAt = key.lastIndexOf(':');
    const queueAt = key.lastIndexOf(':', idAt - 1);
    return { queue: key.slice(queueAt + 1, idAt), id: key.slice(idAt + 1), result } as ChildResultType;
  });
}
