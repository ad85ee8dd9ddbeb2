import { UnrecoverableError, type Job } from 'bullmq';
import { QueuewireError } from './errors';
import type { HandlerRegistry } from './handlers';
import { assertPlainJson } from './plain-json';

/**
 * Builds the BullMQ processor of one queue: it runs the handler registered for `job.name` and stores
 * its result. Jobs that can never succeed fail at once, without retries, with a message that says why:
 * a name with no handler, or a result JSON cannot carry unchanged.
 *
 * Declared with three parameters so BullMQ passes the abort signal (it checks the arity).
 */
export function routeJobs(registry: HandlerRegistry, active: Set<string>) {
  const table = registry.handlers as Record<string, (job: Job, context: { signal: AbortSignal | undefined }) => Promise<unknown>>;
  return async (job: Job, _token?: string, signal?: AbortSignal): Promise<unknown> => {
    const handler = Object.hasOwn(table, job.name) ? table[job.name] : undefined;
    if (!handler) {
      throw new UnrecoverableError(`No handler for job "${job.name}" on queue "${registry.queue}". Known jobs: ${Object.keys(table).join(', ')}. Deploy a worker whose handlers include it.`);
    }
    active.add(job.id!);
    try {
      const result = await handler(job, { signal });
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
