import { UnrecoverableError, type Job } from 'bullmq';
import { QueuewireError, ValidationError } from '../errors';
import { assertPlainJson } from '../definition/plain-json';
import { validateJobData } from '../definition/validation';
import type { StandardSchemaV1 } from '../definition/standard-schema';

/** What a router needs of a registry (or of a sandboxed module's handlers). */
export interface RoutableHandlers {
  readonly queue: string;
  readonly handlers: object;
  readonly schemas?: Readonly<Record<string, StandardSchemaV1>>;
}

/** Runs a whole job elsewhere (a sandbox child) and settles with its result or failure. */
export type DelegatedRun = (job: Job, token: string | undefined, signal: AbortSignal | undefined) => Promise<unknown>;

/**
 * Builds the BullMQ processor of one queue: it runs the handler registered for `job.name` and stores
 * its result. Jobs that can never succeed fail at once, without retries, with a message that says why:
 * a name with no handler, data its schema refuses, or a result JSON cannot carry unchanged.
 *
 * Declared with three parameters so BullMQ passes the job's abort signal (it checks the arity); the
 * handler gets that signal, which BullMQ aborts when the job is cancelled, and which a shutdown past its
 * deadline aborts through `worker.cancelAllJobs()`.
 */
export function routeJobs(registry: RoutableHandlers, active: Set<string>, delegated: ReadonlyMap<string, DelegatedRun> = new Map()) {
  const table = registry.handlers as Record<string, (job: Job, context: { signal: AbortSignal | undefined }) => Promise<unknown>>;
  const schemas = registry.schemas ?? {};
  return async (job: Job, token?: string, jobSignal?: AbortSignal): Promise<unknown> => {
    // A sandboxed name runs whole in its child, which loads the same definition and applies the checks
    // below there (schema, result, progress), so the data crosses to the child exactly as stored.
    const run = delegated.get(job.name);
    if (run) {
      active.add(job.id!);
      try {
        return await run(job, token, jobSignal);
      } finally {
        active.delete(job.id!);
      }
    }
    const handler = Object.hasOwn(table, job.name) ? table[job.name] : undefined;
    if (!handler) {
      throw new UnrecoverableError(`No handler for job "${job.name}" on queue "${registry.queue}". Known jobs: ${Object.keys(table).join(', ')}. Deploy a worker whose handlers include it.`);
    }
    active.add(job.id!);
    try {
      // Data that does not match the job's schema will not match on a retry either. The handler reads
      // the schema's output (transforms and defaults applied); Redis keeps what the producer sent.
      const schema = Object.hasOwn(schemas, job.name) ? schemas[job.name] : undefined;
      if (schema) job.data = await validInWorker(schema, job, registry.queue);
      guardProgress(job);
      const result = await handler(job, { signal: jobSignal }).catch((thrown: unknown) => {
        throw asError(thrown, job.name);
      });
      // JSON has no undefined: a handler that returns nothing stores null, said plainly in the types.
      const stored = result === undefined ? null : result;
      try {
        assertPlainJson(stored, 'returnvalue');
      } catch (error) {
        throw new UnrecoverableError(`Handler for "${job.name}" returned a value that cannot be stored: ${(error as QueuewireError).message}`);
      }
      return stored;
    } finally {
      active.delete(job.id!);
    }
  };
}

async function validInWorker(schema: StandardSchemaV1, job: Job, queue: string): Promise<unknown> {
  try {
    return await validateJobData(schema, job.data, { queue, name: job.name, where: `Job ${queue}/${job.id} in the worker` });
  } catch (error) {
    throw error instanceof ValidationError ? new UnrecoverableError(error.message) : error;
  }
}

// BullMQ reads `.message` of whatever a handler throws: `throw null` would crash its failure handling
// and leave the job active, and `throw 'text'` would be stored as "null". Anything not an Error becomes
// one that says what was thrown.
function asError(thrown: unknown, name: string): Error {
  if (thrown instanceof Error) return thrown;
  let shown: string;
  try {
    shown = typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown);
  } catch {
    shown = String(thrown);
  }
  return new Error(`Handler for "${name}" threw a non-Error value: ${shown}`);
}

// Progress travels as JSON like results do: a value JSON would alter is refused where the handler
// reports it, instead of reaching listeners changed (a Date as a string, a Map as {}).
function guardProgress(job: Job): void {
  const report = job.updateProgress.bind(job);
  job.updateProgress = (progress) => {
    assertPlainJson(progress, 'progress');
    return report(progress);
  };
}
