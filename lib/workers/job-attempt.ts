import { UnrecoverableError, type Job } from 'bullmq';
import { JobCancelledError, JobTimeoutError } from '../errors';

/**
 * One attempt of a job in this process, and the ways it may end before its handler returns:
 * - after the job name's `timeout` the signal is aborted and the attempt fails with `JobTimeoutError`;
 * - a cancel (from any process, through the router) aborts the signal and fails the job with
 *   `JobCancelledError`, wrapped in BullMQ's `UnrecoverableError` so no retry follows; a cancel that
 *   comes while the job's data is still validated ends the attempt as soon as it runs;
 * - a shutdown past its deadline only aborts the signal: the handler decides how to end.
 * A handler that ignores its signal keeps running in the background, but its outcome is not waited
 * for and not stored (`outliving` hands it to the router, which keeps its slot taken until it returns).
 *
 * The AbortController is made the first time someone reads the signal or aborts it, not per job:
 * most handlers never look at it, and BullMQ is not asked for one either (the processor takes two
 * parameters), so an attempt that nobody aborts costs no controller at all.
 */
export class JobAttempt {
  private controller: AbortController | undefined;
  private ending: AbortController | undefined;
  private stop: ((failure: Error) => void) | undefined;
  private failedWith: Error | undefined;
  private outlived: Promise<unknown> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly queue: string,
    private readonly job: Job,
  ) {}

  /** The signal the handler and its hooks receive. */
  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  /**
   * Aborted only when a timeout or cancel ends the attempt, even after `signal` was aborted by a plain
   * abort: a sandbox child that ignored that request is killed on this one. Made for sandboxed jobs.
   */
  get endSignal(): AbortSignal {
    return (this.ending ??= new AbortController()).signal;
  }

  /** Aborts the signal without ending the attempt (a shutdown past its deadline). */
  abort(reason: unknown): void {
    const controller = (this.controller ??= new AbortController());
    if (!controller.signal.aborted) controller.abort(reason);
  }

  /** What the job failed with when a timeout or cancel ended the attempt; undefined while it runs. */
  get failure(): Error | undefined {
    return this.failedWith;
  }

  /** Whether the attempt was ended (timeout, cancel) or its signal aborted (shutdown, `Worker.cancelJob()`). */
  get stopped(): boolean {
    return this.controller?.signal.aborted === true;
  }

  /** Resolves once `stopped`: made only for a job that waits for a worker slot. */
  whenStopped(): Promise<void> {
    return (this.stopping ??= new Promise((resolve) => {
      if (this.signal.aborted) resolve();
      else this.signal.addEventListener('abort', () => resolve(), { once: true });
    }));
  }

  /** The failure of an attempt stopped before its handler started (while it waited for a slot). */
  notStarted(): Error {
    if (this.failedWith) return this.failedWith;
    const reason: unknown = this.controller?.signal.reason;
    return new Error(`Job ${this.queue}/${this.job.id} ("${this.job.name}") was not started: its signal was aborted while it waited for a worker slot (${reason instanceof Error ? reason.message : String(reason)}).`);
  }

  /**
   * The handler's work when the attempt ended (timeout, cancel) before it did: it still runs, and the
   * router keeps its worker slot taken until it settles (C36: concurrency counts handlers, not jobs).
   */
  get outliving(): Promise<unknown> | undefined {
    return this.outlived;
  }

  /** Ends the attempt because of a cancel request; see the class comment. */
  cancel(reason: string | undefined): void {
    this.end(new JobCancelledError(this.queue, this.job.id!, this.job.name, reason));
  }

  /**
   * Runs `work` (hooks and handler, or a sandboxed run) until it settles or the attempt is ended. Not
   * an async function: one promise per attempt, not one per layer.
   */
  run<Result>(timeout: number | undefined, work: () => Promise<Result>): Promise<Result> {
    if (this.failedWith) return Promise.reject(this.failedWith);
    return new Promise<Result>((resolve, reject) => {
      const timer = timeout === undefined ? undefined : setTimeout(() => this.end(new JobTimeoutError(this.queue, this.job.id!, this.job.name, timeout)), timeout);
      let running: Promise<Result> | undefined;
      let finished = false;
      const settle = (): void => {
        clearTimeout(timer);
        this.stop = undefined;
      };
      this.stop = (failure) => {
        settle();
        if (!finished) this.outlived = running;
        reject(failure);
      };
      // Once the attempt was ended, the handler's later outcome settles nothing (and is not unhandled).
      running = work();
      running.then(
        (result) => {
          finished = true;
          settle();
          resolve(result);
        },
        (error: unknown) => {
          finished = true;
          settle();
          reject(error);
        },
      );
    });
  }

  // Settle first, abort second: the rejection then wins over whatever the handler throws in reaction
  // to the abort, so the job fails with the timeout or cancel error, not an AbortError.
  private end(error: JobTimeoutError | JobCancelledError): void {
    if (this.failedWith) return;
    this.failedWith = failureOf(error);
    this.stop?.(this.failedWith);
    this.ending?.abort(error);
    this.abort(error);
  }
}

// BullMQ skips retries only for its own UnrecoverableError: a cancel is one, with the cancel as its cause.
function failureOf(error: JobTimeoutError | JobCancelledError): Error {
  return error instanceof JobCancelledError ? Object.assign(new UnrecoverableError(error.message), { cause: error }) : error;
}
