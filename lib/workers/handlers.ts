import type { Job } from 'bullmq';
import type { JobHandlerDataOf, JobNameOf, JobResultOf, JobReturnOf, QueueNameOf, QueueSet } from '../definition/define';
import type { StandardSchemaV1 } from '../definition/standard-schema';
import { ConfigurationError } from '../errors';
import type { ParentJobOf } from './child-results';
import { checkTimeouts } from '../definition/limits';
import { isSandboxedHandler, type SandboxedHandler } from './sandboxed';

/** What a handler receives besides the job. */
export interface HandlerContext {
  /**
   * Aborted when the job is cancelled (`cancel()` from any process), when its job name's timeout passes,
   * or when a shutdown passes its deadline with the job still running
   * (its result will not be stored; the job returns through stalled recovery). Pass it to fetch, streams, timers.
   */
  readonly signal: AbortSignal;
}

/**
 * The async function that runs one job name. Its return value becomes the job's result. For a job
 * declared with a schema, `job.data` is the schema's output: validated (and transformed) in the worker
 * before the handler runs. A parent job (declared with `.children()`) reads its children's results with
 * `childResults(job)`.
 */
export type JobHandler<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> = (
  job: Job<JobHandlerDataOf<Queues, Queue, Name>, JobResultOf<Queues, Queue, Name>, Name> & ParentJobOf<Queues, Queue, Name>,
  context: HandlerContext,
) => Promise<JobReturnOf<Queues, Queue, Name>>;

/**
 * A handler for every job name of one queue: a function run in the worker's process, or `sandboxed(path)`
 * to run that name's handler from a module in a child process or worker thread.
 */
export type HandlerMap<Queues extends QueueSet, Queue extends QueueNameOf<Queues>> = {
  readonly [Name in JobNameOf<Queues, Queue>]: JobHandler<Queues, Queue, Name> | SandboxedHandler;
};

/** A queue's handlers, ready for `startWorkers`: usually the default export of a module. */
export interface HandlerRegistry<Queues extends QueueSet = QueueSet, Queue extends QueueNameOf<Queues> = QueueNameOf<Queues>> {
  readonly kind: 'queuewire.handlers';
  readonly queue: Queue;
  readonly handlers: HandlerMap<Queues, Queue>;
  /** The schema of each job name declared with one, checked in the worker before its handler runs. */
  readonly schemas: Readonly<Record<string, StandardSchemaV1>>;
  /** Each job name's timeout in ms, from the definition's `timeouts`. */
  readonly timeouts?: Readonly<Record<string, number>>;
}

/**
 * Declares the handlers of one queue. Every job name the definition declares must have a handler, and
 * no other names may appear; handlers receive `job.data` typed from the definition. A handler may be
 * `sandboxed(path)`, and `sandboxed(path)` in place of the map runs the whole queue in child processes.
 *
 * @example export default handlers(queues, 'email', { welcome: async (job) => ({ messageId: await send(job.data.to) }) });
 * @throws ConfigurationError naming the missing or unexpected job names
 */
export function handlers<Queues extends QueueSet, Queue extends QueueNameOf<Queues>>(
  queues: Queues,
  queue: Queue,
  map: HandlerMap<Queues, Queue> | SandboxedHandler,
): HandlerRegistry<Queues, Queue> {
  if (isSandboxedHandler(map)) {
    const definition = Object.hasOwn(queues.definitions, queue) ? queues.definitions[queue] : undefined;
    const names = definition ? Object.keys(definition.jobs) : [];
    return handlers(queues, queue, Object.fromEntries(names.map((name) => [name, map])) as HandlerMap<Queues, Queue>);
  }
  const definition = Object.hasOwn(queues.definitions, queue) ? queues.definitions[queue] : undefined;
  if (!definition) {
    throw new ConfigurationError(`handlers(): unknown queue "${queue}"; declared queues: ${Object.keys(queues.definitions).join(', ')}.`);
  }
  const declared = Object.keys(definition.jobs);
  const given = Object.keys(map);
  const missing = declared.filter((name) => {
    const handler = (map as Record<string, unknown>)[name];
    return typeof handler !== 'function' && !isSandboxedHandler(handler);
  });
  const extra = given.filter((name) => !declared.includes(name));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      missing.length > 0 ? `no handler function for ${missing.map((n) => `"${n}"`).join(', ')}` : '',
      extra.length > 0 ? `handlers for undeclared jobs ${extra.map((n) => `"${n}"`).join(', ')}` : '',
    ].filter(Boolean);
    throw new ConfigurationError(`handlers() for queue "${queue}": ${parts.join('; ')}. Declared jobs: ${declared.join(', ')}.`);
  }
  const timeouts = Object.freeze(checkTimeouts(definition.timeouts, declared, `queues.${queue}.timeouts`));
  return Object.freeze({ kind: 'queuewire.handlers', queue, handlers: map, schemas: schemasOf(definition, declared), timeouts });
}

/** The schema of each of `names` declared with one. */
export function schemasOf(definition: QueueSet['definitions'][string], names: readonly string[]): Readonly<Record<string, StandardSchemaV1>> {
  const schemas: Record<string, StandardSchemaV1> = {};
  for (const name of names) {
    const schema = definition.jobs[name]!.schema;
    if (schema) schemas[name] = schema;
  }
  return Object.freeze(schemas);
}

/** Whether a module export is a handler registry (used by the CLI when loading modules by path). */
export function isHandlerRegistry(value: unknown): value is HandlerRegistry {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'queuewire.handlers';
}
