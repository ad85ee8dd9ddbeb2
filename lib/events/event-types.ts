import type { JobNameOf, JobResultOf, QueueNameOf, QueueSet } from '../definition/define';

/** Progress as a handler reports it through `job.updateProgress()`. */
export type JobProgress = number | string | boolean | object;

/**
 * Fields every job event carries. `name` is the job's name when the bus could learn it (from the
 * job's `added` event or the job record); it is `undefined` once a job was removed before its
 * events were read.
 */
interface JobEventBase<Queue extends string, Name extends string | undefined> {
  /** The queue the event happened on. */
  readonly queue: Queue;
  readonly jobId: string;
  readonly name: Name;
  /** The event's id in the queue's Redis stream (`<ms>-<seq>`), in stream order. */
  readonly eventId: string;
}

/** The extra fields of each BullMQ job event, as decoded by the bus. */
interface JobEventFields<Result> {
  /** The job was added to the queue. */
  added: {};
  /** The job is waiting to be processed (`prev` is the state it left, if any). */
  waiting: { readonly prev?: string };
  /** A worker started the job. */
  active: { readonly prev?: string };
  /** The handler reported progress. */
  progress: { readonly data: JobProgress };
  /** The handler returned; `returnvalue` is the decoded value it returned (`null` for nothing). */
  completed: { readonly returnvalue: Result; readonly prev?: string };
  /** The job failed for good (no retries left, or unrecoverable). */
  failed: { readonly failedReason: string; readonly prev?: string };
  /** A worker lost the job's lock (it crashed or blocked); BullMQ moved the job back to wait. */
  stalled: {};
  /** The job will run after `delay` (the timestamp in ms when it becomes due). */
  delayed: { readonly delay: number };
  /** The job was removed (`prev` is the state it was in). */
  removed: { readonly prev?: string };
  /** An add with an existing job id was ignored; this is the existing job. */
  duplicated: {};
  /** An add was dropped by deduplication in favour of this job. */
  deduplicated: { readonly deduplicationId: string; readonly deduplicatedJobId: string };
  /** The job failed its last attempt. */
  'retries-exhausted': { readonly attemptsMade: number };
  /** A parent job now waits for its children. */
  'waiting-children': {};
}

/** Event names that concern one job. */
export type JobEventName = keyof JobEventFields<unknown>;

/** Event names that concern a whole queue. */
export interface QueueEventFields {
  /** The queue has no more waiting jobs. */
  drained: {};
  /**
   * This process's bus fell behind and Redis trimmed `lost` events it had not read, between
   * `afterEventId` and `resumedAtEventId`. Whatever they said must be re-read from job state (waits do
   * so themselves). Raise the stream cap (BullMQ's `streams.events.maxLen`) or lighten listeners.
   */
  'events-lost': { readonly afterEventId: string; readonly resumedAtEventId: string; readonly lost: number };
  /** Finished jobs were cleaned. */
  cleaned: { readonly count: number };
  paused: {};
  resumed: {};
}
export type QueueEventName = keyof QueueEventFields;

export const JOB_EVENT_NAMES: readonly JobEventName[] = [
  'added', 'waiting', 'active', 'progress', 'completed', 'failed', 'stalled', 'delayed', 'removed',
  'duplicated', 'deduplicated', 'retries-exhausted', 'waiting-children',
];
// Names BullMQ writes to a queue's stream; 'events-lost' is the bus's own and never read from Redis.
export const QUEUE_EVENT_NAMES: readonly QueueEventName[] = ['drained', 'cleaned', 'paused', 'resumed'];

/**
 * The payload of a job event on one queue. For each known job name it is a separate variant, so
 * checking `event.name === 'welcome'` narrows `returnvalue` to that job's result type.
 */
export type JobEvent<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Event extends JobEventName> =
  | { [Name in JobNameOf<Queues, Queue>]: JobEventBase<Queue, Name> & JobEventFields<JobResultOf<Queues, Queue, Name>>[Event] }[JobNameOf<Queues, Queue>]
  | (JobEventBase<Queue, undefined> & JobEventFields<JobResultOf<Queues, Queue, JobNameOf<Queues, Queue>>>[Event]);

/** The payload of a queue-wide event. */
export type QueueEvent<Queue extends string, Event extends QueueEventName> =
  { readonly queue: Queue; readonly eventId: string } & QueueEventFields[Event];

/**
 * Every event the bus emits, each name mapped to its listener:
 * - `'<queue>:<event>'` — one queue's events, typed by that queue's jobs;
 * - `'<event>'` — the same events of every queue;
 * - `'error'` — a listener threw, the connection failed, or an entry was malformed.
 */
export type EventMap<Queues extends QueueSet> = {
  [Key in EventName<Queues>]: (event: EventPayload<Queues, Key>) => void;
};

/** Every event name the bus of a definition emits. */
export type EventName<Queues extends QueueSet> =
  | `${QueueNameOf<Queues>}:${JobEventName | QueueEventName}`
  | JobEventName
  | QueueEventName
  | 'error';

/** The payload of one event name. */
export type EventPayload<Queues extends QueueSet, Key extends string> =
  Key extends 'error' ? Error
  : Key extends JobEventName ? { [Queue in QueueNameOf<Queues>]: JobEvent<Queues, Queue, Key> }[QueueNameOf<Queues>]
  : Key extends QueueEventName ? QueueEvent<QueueNameOf<Queues>, Key>
  : Key extends `${infer Queue extends QueueNameOf<Queues>}:${infer Event extends JobEventName}` ? JobEvent<Queues, Queue, Event>
  : Key extends `${infer Queue extends QueueNameOf<Queues>}:${infer Event extends QueueEventName}` ? QueueEvent<Queue, Event>
  : never;
