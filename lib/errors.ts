/**
 * Every error queuewire throws is a `QueuewireError` with a stable `code`, so callers can branch on
 * `err.code` (or `instanceof`) without parsing messages. Messages say what is wrong and how to fix it.
 */
export abstract class QueuewireError extends Error {
  /** A stable, machine-readable identifier; never changes between releases. */
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The definition or start options are invalid. Thrown at start, before any job is touched. */
export class ConfigurationError extends QueuewireError {
  readonly code = 'QW_CONFIGURATION';
}

/** `add` named a queue that the definition does not declare. */
export class UnknownQueueError extends QueuewireError {
  readonly code = 'QW_UNKNOWN_QUEUE';
  constructor(readonly queue: string, known: readonly string[]) {
    super(`Unknown queue "${queue}". Declare it in defineQueues() or use one of: ${known.join(', ') || '(none)'}.`);
  }
}

/** `add` named a job that the queue's definition does not declare. */
export class UnknownJobError extends QueuewireError {
  readonly code = 'QW_UNKNOWN_JOB';
  constructor(readonly queue: string, readonly jobName: string, known: readonly string[]) {
    super(`Queue "${queue}" has no job named "${jobName}". Declare it under queues.${queue}.jobs or use one of: ${known.join(', ')}.`);
  }
}

/**
 * A payload or result holds a value that JSON cannot carry unchanged (BigInt, Date, Map, Set, undefined,
 * NaN, a class instance, …). Refused rather than silently altered; `path` points at the value.
 */
export class UnserializableValueError extends QueuewireError {
  readonly code = 'QW_UNSERIALIZABLE_VALUE';
  constructor(readonly path: string, readonly reason: string) {
    super(`${path} ${reason}. Job data and results must be plain JSON: convert the value (e.g. a Date to an ISO string, a BigInt or Map to a string or plain object) before enqueueing or returning it.`);
  }
}

/** A payload is larger than the configured `maxPayloadBytes`. */
export class PayloadTooLargeError extends QueuewireError {
  readonly code = 'QW_PAYLOAD_TOO_LARGE';
  constructor(readonly bytes: number, readonly limit: number, where: string) {
    super(`${where} is ${bytes} bytes encoded, over the limit of ${limit} bytes. Store large content elsewhere and enqueue a reference to it, or raise maxPayloadBytes in createQueueClient().`);
  }
}

/** One problem a schema found in a job's data: where (`data.items[1].qty`) and what. */
export interface ValidationIssue {
  /** The path of the offending value, rooted at `data`; just `data` for the payload as a whole. */
  readonly path: string;
  /** The schema library's message. */
  readonly message: string;
}

/**
 * A job's data does not match the Standard Schema its job name was declared with. Thrown by `add`
 * (and `addBulk`, `addAndWait`) before Redis is touched, HTTP 400 with the issues in the body. In a
 * worker the same check fails the job without retries (BullMQ's `UnrecoverableError`, this message).
 */
export class ValidationError extends QueuewireError {
  readonly code = 'QW_VALIDATION_FAILED';
  constructor(readonly queue: string, readonly jobName: string, readonly issues: readonly ValidationIssue[], where: string) {
    super(`${where}: the data does not match the schema of "${queue}"/"${jobName}": ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}.`);
  }
}

/**
 * An idempotency key (the `Idempotency-Key` header, or what `withRequest` was given) is empty, too long
 * or holds control characters. Raised by the first add of the request, not by requests that add nothing.
 */
export class InvalidIdempotencyKeyError extends QueuewireError {
  readonly code = 'QW_INVALID_IDEMPOTENCY_KEY';
}

/**
 * A `beforeAdd` hook refused the add (a tenant over quota, a forbidden job). Nothing was enqueued.
 * HTTP 403 unless the hook chose another status (e.g. 429).
 */
export class AddRefusedError extends QueuewireError {
  readonly code = 'QW_ADD_REFUSED';
  /** The HTTP status `queueErrorHandler` answers with; a 4xx. Default 403. */
  readonly status: number;
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    const status = options.status ?? 403;
    this.status = Number.isInteger(status) && status >= 400 && status <= 499 ? status : 403;
  }
}

/** Job options are unknown or out of range. */
export class InvalidJobOptionsError extends QueuewireError {
  readonly code = 'QW_INVALID_JOB_OPTIONS';
}

/**
 * A flow's tree is malformed: a node that is not `{ queue, name, data, options?, children? }`, or a
 * child its parent's definition does not expect (see `.children()`). Nothing was added. HTTP 400.
 */
export class InvalidFlowError extends QueuewireError {
  readonly code = 'QW_INVALID_FLOW';
}

/** Redis could not be reached within the producer's time bound. Safe to retry; maps to HTTP 503. */
export class QueueUnavailableError extends QueuewireError {
  readonly code = 'QW_QUEUE_UNAVAILABLE';
  /**
   * `'not-sent'`: nothing reached Redis, so nothing was stored. `'unknown'`: the command was sent but
   * no answer came in time (Redis slow, or the connection dropped mid-command), so the job may have
   * been stored: retry with the same `jobId` or `Idempotency-Key` so a retry cannot duplicate it.
   */
  readonly outcome: 'not-sent' | 'unknown';

  constructor(message: string, options: { cause?: unknown; outcome?: 'not-sent' | 'unknown' } = {}) {
    super(message, { cause: options.cause });
    this.outcome = options.outcome ?? 'not-sent';
  }
}

/** `addAndWait` gave up before the job finished. The job itself is still queued and may yet run. */
export class WaitTimeoutError extends QueuewireError {
  readonly code = 'QW_WAIT_TIMEOUT';
  constructor(readonly queue: string, readonly jobId: string, readonly timeout: number) {
    super(`Job ${queue}/${jobId} did not finish within ${timeout} ms. It stays queued; raise the timeout or check that a worker serves "${queue}".`);
  }
}

/** The awaited job failed for good; `failedReason` is the handler's error message. */
export class JobFailedError extends QueuewireError {
  readonly code = 'QW_JOB_FAILED';
  constructor(readonly queue: string, readonly jobId: string, readonly failedReason: string) {
    super(`Job ${queue}/${jobId} failed: ${failedReason}`);
  }
}

/** One job as a failed `waitFor` last read it: its id, its state (`missing` once gone) and why it failed. */
export interface WaitedJobState {
  readonly id: string;
  readonly state: string;
  readonly failedReason?: string;
}

/**
 * `waitFor` (from `queuewire/testing`) did not see the job reach the state it waited for: the timeout
 * passed, or the job was removed (by its retention) before it could be read. `jobs` holds what Redis
 * said at the end: the awaited job, or the jobs matching the predicate, each with its actual state.
 */
export class WaitForStateError extends QueuewireError {
  readonly code = 'QW_WAIT_FOR_STATE';
  constructor(message: string, readonly queue: string, readonly state: string, readonly jobs: readonly WaitedJobState[]) {
    super(message);
  }
}

/**
 * An argument of a queue admin call (`client.admin`, the admin routes) is invalid: an unknown job state,
 * a page out of range, a negative age, an unknown option. Thrown before Redis is touched; HTTP 400.
 */
export class InvalidAdminArgumentError extends QueuewireError {
  readonly code = 'QW_INVALID_ADMIN_ARGUMENT';
}

/** An admin call named a job that does not exist (never added, or already removed). HTTP 404. */
export class JobNotFoundError extends QueuewireError {
  readonly code = 'QW_JOB_NOT_FOUND';
  constructor(readonly queue: string, readonly jobId: string) {
    super(`Job ${queue}/${jobId} does not exist (never added, or removed by retention or a clean).`);
  }
}

/** An admin call expected a job in one state and found it in another (e.g. retrying an active job). HTTP 409. */
export class JobStateConflictError extends QueuewireError {
  readonly code = 'QW_JOB_STATE_CONFLICT';
  constructor(readonly queue: string, readonly jobId: string, readonly state: string, readonly expected: string, action: string) {
    super(`Job ${queue}/${jobId} is ${state}, not ${expected}; only ${expected} jobs can be ${action}.`);
  }
}

/** The client or worker group was closed; create a new one to go on. */
export class ClosedError extends QueuewireError {
  readonly code = 'QW_CLOSED';
}

/**
 * An event-stream entry could not be decoded (for instance one written by a foreign producer).
 * The bus reports it on its `error` event and carries on with the next entry.
 */
export class MalformedEventError extends QueuewireError {
  readonly code = 'QW_MALFORMED_EVENT';
  constructor(readonly queue: string, readonly eventId: string, detail: string) {
    super(`Event ${eventId} on queue "${queue}" could not be decoded: ${detail}. The entry was skipped.`);
  }
}

/**
 * A queue's events key holds something other than a stream (written by another client), so the bus
 * cannot read that queue's events. Reported once on the bus's `error` event; the other queues go on,
 * and the queue is read again as soon as the key is a stream again.
 */
export class UnreadableEventStreamError extends QueuewireError {
  readonly code = 'QW_UNREADABLE_EVENT_STREAM';
  constructor(readonly queue: string, readonly key: string, reason: string) {
    super(`The events of queue "${queue}" cannot be read: ${key} is not a stream (${reason}). Delete or repair that key; the other queues are unaffected.`);
  }
}


/**
 * A handler ran longer than its job name's `timeout` (see `QueueDefinition.timeouts`): its signal was
 * aborted and the attempt failed with this error. Retried like any failure while attempts remain.
 */
export class JobTimeoutError extends QueuewireError {
  readonly code = 'QW_JOB_TIMEOUT';
  constructor(readonly queue: string, readonly jobId: string, readonly jobName: string, readonly timeout: number) {
    super(`Job "${jobName}" (${queue}/${jobId}) timed out after ${timeout} ms; its handler's signal was aborted. Raise timeouts.${jobName} for queue "${queue}" if the work needs longer.`);
  }
}

/**
 * The job was cancelled (`cancel()` on a producer) while its handler ran: its signal was aborted and the
 * job failed with this message, without retries. Local `failed` listeners receive BullMQ's
 * `UnrecoverableError` (that is how BullMQ skips retries) with this error as its `cause`.
 */
export class JobCancelledError extends QueuewireError {
  readonly code = 'QW_JOB_CANCELLED';
  constructor(readonly queue: string, readonly jobId: string, readonly jobName: string, readonly reason: string | undefined) {
    super(`Job "${jobName}" (${queue}/${jobId}) was cancelled${reason ? `: ${reason}` : ''}. It is not retried.`);
  }
}

/**
 * A `sandboxed()` handler's child process or worker thread could not load its module, or ended before
 * its job finished. The job fails with this message (and is retried if it has attempts left); the
 * worker goes on, with a fresh child for the next job.
 */
export class SandboxedHandlerError extends QueuewireError {
  readonly code = 'QW_SANDBOXED_HANDLER';
}
