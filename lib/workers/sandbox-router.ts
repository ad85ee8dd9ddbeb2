// The processor file BullMQ's child process (or worker thread) loads for `sandboxed()` handlers. BullMQ
// runs one processor file per child; this one loads the user's handler module named in the environment
// the worker gave the child, and routes each job by `job.name` with the same checks as in-process
// handlers (schema, plain-JSON result, progress). Loading fails, with a message naming the module and
// what is wrong, when the module lacks a handler for a job name sent to it; the worker fails the job with it.
import type { Job } from 'bullmq';
import { isHandlerRegistry } from './handlers';
import { routeJobs, type RoutableHandlers } from './job-router';
import { isSandboxHandlerModule } from './sandbox-handlers';
import { isSandboxedHandler } from './sandboxed';
import { SANDBOX_ENV } from './sandbox-env';

function loadHandlers(): RoutableHandlers {
  const modulePath = process.env[SANDBOX_ENV.module];
  const queue = process.env[SANDBOX_ENV.queue];
  const jobs = JSON.parse(process.env[SANDBOX_ENV.jobs] ?? '[]') as string[];
  if (!modulePath || !queue) {
    throw new Error(`queuewire's sandbox router was started without ${SANDBOX_ENV.module} / ${SANDBOX_ENV.queue}; it is only meant to be run by startWorkers() for sandboxed() handlers.`);
  }
  let exported: Record<string, unknown>;
  try {
    exported = require(modulePath) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`loading ${modulePath} threw: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  const candidates = [exported, ...Object.values(exported ?? {})];
  const found = candidates.find((value) => (isSandboxHandlerModule(value) || isHandlerRegistry(value)) && value.queue === queue) as RoutableHandlers | undefined;
  if (!found) {
    throw new Error(`${modulePath} exports no handlers for queue "${queue}": make its default export sandboxHandlers(queues, '${queue}', { … }).`);
  }
  const table = found.handlers as Record<string, unknown>;
  const missing = jobs.filter((name) => typeof table[name] !== 'function');
  if (missing.length > 0) {
    const nested = missing.filter((name) => isSandboxedHandler(table[name]));
    const why = nested.length > 0 ? ` (${nested.join(', ')} ${nested.length > 1 ? 'are' : 'is'} sandboxed() again there: the module must hold the handler functions themselves)` : '';
    throw new Error(`${modulePath} has no handler function for ${missing.map((n) => `"${n}"`).join(', ')} of queue "${queue}"${why}.`);
  }
  // Timeouts and cancels are the parent's: it races them against this child and tells it to stop.
  return { queue: found.queue, handlers: found.handlers, schemas: found.schemas };
}

const route = routeJobs(loadHandlers());

/** The processor BullMQ's child calls with each job (a plain copy of it, with progress and log relayed to the worker). */
export default function processSandboxedJob(job: Job, token?: string, signal?: AbortSignal): Promise<unknown> {
  return route(job, token, signal);
}
