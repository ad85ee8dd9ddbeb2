import type { QueueClient } from '../client';
import type { JobDataOf, JobNameOf, JobResultOf, QueueNameOf, QueueSet } from '../definition/define';
import type { JobOptions } from '../definition/job-options';
import { ConfigurationError } from '../errors';
import { refuseUnknownOptions } from '../known-options';
import { isHandlerRegistry, type HandlerRegistry } from '../workers/handlers';
import { routeJobs } from '../workers/job-router';
import { isSandboxedHandler } from '../workers/sandboxed';

export interface RunHandlerOptions {
  /** Options of the stored job, as `add` takes them (`jobId`, `attempts`, …); not `delay`, which runHandler sets. */
  jobOptions?: JobOptions;
  /** Given to the handler as its `signal`: abort it to test how the handler stops. */
  signal?: AbortSignal;
}

// Long enough that no worker of the test takes the job while (or after) runHandler runs it.
const PARKED_FOR_MS = 30 * 24 * 3600 * 1000;

/**
 * Runs one handler of a registry on a real BullMQ job, without a worker, and resolves with what the
 * job's result would be (`null` for a handler that returns nothing) or rejects with what the handler
 * threw — the same error object.
 *
 * The job is added through the client's producer, so `data` gets every check an `add` makes (plain
 * JSON, size, the job's schema: bad data rejects with `ValidationError`, and the handler does not run),
 * and stored in Redis under the client's prefix. Then it goes through queuewire's router, as in a
 * worker: the schema's output (transforms, defaults) becomes `job.data`, progress is checked, and a
 * result JSON would alter rejects; `jobContext()` names the job. `job.updateProgress()`, `job.log()`
 * and `job.updateData()` write to Redis and reach the event bus. The job is parked as a delayed job
 * (30 days) so no worker of the test takes it — `job.getState()` in the handler says `'delayed'` — and
 * removed afterwards.
 *
 * @throws ConfigurationError for something that is not a registry of the client's definition, a
 *   `sandboxed()` name, a `delay` option, or a `jobId` that already exists (its job is left alone)
 */
export async function runHandler<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>>(
  client: QueueClient<Queues>,
  registry: HandlerRegistry<Queues, Queue>,
  name: Name,
  data: JobDataOf<Queues, Queue, Name>,
  options: RunHandlerOptions = {},
): Promise<JobResultOf<Queues, Queue, Name>> {
  if (!isHandlerRegistry(registry)) throw new ConfigurationError('runHandler(): registry must come from handlers(queues, queue, { … }).');
  if (!Object.hasOwn(client.queues.definitions, registry.queue)) {
    throw new ConfigurationError(`runHandler(): handlers for queue "${registry.queue}", which this client's definition does not declare.`);
  }
  // It runs handlers in this process, without the child processes a worker group starts for these.
  if (Object.hasOwn(registry.handlers, name) && isSandboxedHandler((registry.handlers as Record<string, unknown>)[name])) {
    throw new ConfigurationError(`runHandler(): "${name}" of queue "${registry.queue}" is sandboxed(), and runHandler runs in-process handlers only. Start workers on the test client (startWorkers) and wait for the job with waitFor().`);
  }
  refuseUnknownOptions(options, ['jobOptions', 'signal'], 'runHandler() options');
  if (options.jobOptions?.delay !== undefined) throw new ConfigurationError('runHandler(): jobOptions.delay is not supported: the handler runs now (the job is parked as delayed so no worker takes it).');
  const job = await client.producer.add(registry.queue, name, data, { ...options.jobOptions, delay: PARKED_FOR_MS });
  if (job.duplicate) {
    throw new ConfigurationError(`runHandler(): a job ${registry.queue}/${job.id} already exists; runHandler runs new jobs only. Use another jobId.`);
  }
  try {
    // jobContext() tracked as in a worker with hooks: a handler's logger that reads it is tested as it runs.
    return (await routeJobs(registry, { trackContext: true })(job, undefined, options.signal)) as JobResultOf<Queues, Queue, Name>;
  } finally {
    // Not allowed to hide the handler's own error; a job left behind goes with the test client's close().
    await job.remove().catch(() => undefined);
  }
}
