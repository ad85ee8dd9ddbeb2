import { join, dirname } from 'node:path';
import { ChildCommand, ChildPool, ParentCommand, UnrecoverableError, type Child, type Job } from 'bullmq';
import { SandboxedHandlerError } from '../errors';
import type { DelegatedRun } from './job-router';
import { SANDBOX_ENV } from './sandbox-env';

/** The router file every sandbox child loads (compiled next to this file). */
const ROUTER_FILE = join(__dirname, 'sandbox-router.js');

// BullMQ's own entry files for a child process / worker thread, which speak its parent-child protocol.
// Its Worker finds them next to its classes; so do we, from the package that is actually installed.
const BULLMQ_CLASSES = join(dirname(require.resolve('bullmq')), 'classes');

interface PendingMessage {
  cmd: number;
  value?: unknown;
  err?: unknown;
}

/**
 * The children (processes or threads) that run one queue's sandboxed handlers from one module. Each
 * job gets a child to itself for its duration (children are reused, and forked on demand up to the
 * worker's concurrency); the worker process keeps the job's lock while the child runs it. Built on
 * BullMQ's ChildPool and child entry files; queuewire only speaks the parent side, so it can say why a
 * job failed when its child could not load the module or died.
 */
export class SandboxPool {
  private readonly pool: ChildPool;
  private readonly where: string;
  private readonly guarded = new WeakSet<Child>();

  constructor(readonly queue: string, readonly module: string, jobs: readonly string[], readonly useWorkerThreads: boolean) {
    const env = { ...process.env, [SANDBOX_ENV.module]: module, [SANDBOX_ENV.queue]: queue, [SANDBOX_ENV.jobs]: JSON.stringify(jobs) };
    this.pool = new ChildPool({
      mainFile: join(BULLMQ_CLASSES, useWorkerThreads ? 'main-worker.js' : 'main.js'),
      useWorkerThreads,
      workerForkOptions: { env },
      workerThreadsOptions: { env },
    });
    this.where = useWorkerThreads ? 'worker thread' : 'child process';
  }

  /** Runs one job in a child; resolves with its result, rejects with why it failed. */
  readonly run: DelegatedRun = async (job, token, signal, ended) => {
    const child = await this.retain(job);
    try {
      return await this.runIn(child, job, token, signal, ended);
    } finally {
      // A child that died is already out of the pool; a live one is reused for the next job.
      if (!child.hasProcessExited()) this.pool.release(child);
    }
  };

  /**
   * Ends every child. Idle ones exit at once; with `force` (a shutdown past its deadline) busy ones are
   * killed too, else they finish their job first (BullMQ's SIGTERM handling in the child).
   */
  async close(force: boolean): Promise<void> {
    if (!force) return this.pool.clean();
    const children = [...Object.values(this.pool.retained), ...this.pool.getAllFree()];
    await Promise.all(children.map((child) => this.pool.kill(child, 'SIGKILL')));
  }

  private async retain(job: Job): Promise<Child> {
    let child: Child;
    try {
      child = await this.pool.retain(ROUTER_FILE);
    } catch (error) {
      throw new SandboxedHandlerError(`The sandboxed handler module for job "${job.name}" of queue "${this.queue}" could not be loaded in a ${this.where}: ${messageOf(error)}. Job ${this.queue}/${job.id} failed without running; later jobs start a fresh ${this.where}.`);
    }
    // The pool keeps no 'error' listener of its own; an EventEmitter without one would throw the error
    // into the worker process (an IPC write to a child that just died, say). Its 'exit' says enough.
    if (!this.guarded.has(child)) {
      this.guarded.add(child);
      child.on('error', () => undefined);
    }
    return child;
  }

  private runIn(child: Child, job: Job, token: string | undefined, signal: AbortSignal, ended: AbortSignal): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // Settles once, and detaches on either outcome so a reused child's next job is not answered by
      // this job's listeners.
      let settled = false;
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        child.off('exit', onExit);
        child.off('message', onMessage);
        signal.removeEventListener('abort', onAbort);
        ended.removeEventListener('abort', onEnd);
        settle();
      };
      // In the order sent: a progress update is written before the completion that follows it.
      let answered: Promise<unknown> = Promise.resolve();
      const onMessage = (message: PendingMessage): void => {
        answered = answered.then(() => this.answer(job, message)).then(
          (outcome) => {
            if (outcome === 'completed') finish(() => resolve(message.value));
            else if (outcome) finish(() => reject(outcome));
          },
          (error: unknown) => finish(() => reject(error)),
        );
      };
      const onExit = (code: number | null, exitSignal: string | null): void => {
        const how = exitSignal ? `was killed by ${exitSignal}` : `exited with code ${code}`;
        const error = new SandboxedHandlerError(`The ${this.where} running job "${job.name}" (${this.queue}/${job.id}) ${how} before the job finished (killed from outside, out of memory, or process.exit() in the handler). Later jobs start a fresh ${this.where}.`);
        // Messages the child sent before it ended count first: a result it sent just before exiting stands.
        void answered.then(() => finish(() => reject(error)));
      };
      // A timeout or cancel has already failed the job; a handler that ignores its signal would keep the
      // child busy for ever, so the child goes (the next job forks a fresh one), even when an earlier
      // plain abort already asked it to stop. Plain aborts (Worker.cancelJob(), a shutdown past its
      // deadline) leave the ending to the handler, as in-process.
      const onEnd = (): void => void this.pool.kill(child, 'SIGKILL').catch(() => undefined);
      const onAbort = (): void => {
        if (!ended.aborted) child.send({ cmd: ChildCommand.Cancel, value: signal.reason }).catch(() => undefined);
      };
      child.on('exit', onExit);
      child.on('message', onMessage);
      // A child that died before it got the job reports through 'exit'.
      child.send({ cmd: ChildCommand.Start, job: job.asJSONSandbox(), token }).catch(() => undefined);
      if (ended.aborted) onEnd();
      else ended.addEventListener('abort', onEnd, { once: true });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  // What a child's message means for its job: 'completed', an Error to fail it with, or undefined (go on).
  private async answer(job: Job, message: PendingMessage): Promise<'completed' | Error | undefined> {
    switch (message.cmd) {
      case ParentCommand.Completed:
        return 'completed';
      case ParentCommand.Failed:
      case ParentCommand.Error:
        return revive(message.value ?? message.err);
      case ParentCommand.Progress:
        await job.updateProgress(message.value as number | object);
        return undefined;
      case ParentCommand.Log:
        await job.log(String(message.value));
        return undefined;
      default:
        // Moving the job or reading its flow children from a child needs a reply protocol queuewire
        // does not speak; say so instead of letting the child's call time out.
        return new SandboxedHandlerError(`Job ${this.queue}/${job.id}: a sandboxed handler may report progress and logs, but not move the job or read its flow (BullMQ command ${ParentCommand[message.cmd] ?? message.cmd}). Run this job name in-process.`);
    }
  }
}

// The child sends errors as plain objects; keep BullMQ's UnrecoverableError so the job is not retried.
function revive(sent: unknown): Error {
  const fields = (typeof sent === 'object' && sent !== null ? sent : { message: String(sent) }) as { name?: string; message?: string; stack?: string };
  const error = fields.name === 'UnrecoverableError' ? new UnrecoverableError(fields.message) : new Error(fields.message);
  if (fields.name && fields.name !== 'UnrecoverableError') error.name = fields.name;
  if (fields.stack) error.stack = fields.stack;
  return error;
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
}
