import type { JobNameOf, QueueNameOf, QueueSet } from '../definition/define';
import type { StandardSchemaV1 } from '../definition/standard-schema';
import { ConfigurationError } from '../errors';
import { schemasOf, type JobHandler } from './handlers';

/** Handlers for some job names of one queue, each a function typed from the definition. */
export type SandboxHandlerMap<Queues extends QueueSet, Queue extends QueueNameOf<Queues>> = {
  readonly [Name in JobNameOf<Queues, Queue>]?: JobHandler<Queues, Queue, Name>;
};

/**
 * The default export of a module that `sandboxed(path)` runs in a child process or worker thread: the
 * handlers of the job names that point at this module. Not a registry for `startWorkers`.
 */
export interface SandboxHandlerModule<Queues extends QueueSet = QueueSet, Queue extends QueueNameOf<Queues> = QueueNameOf<Queues>> {
  readonly kind: 'queuewire.sandbox-handlers';
  readonly queue: Queue;
  readonly handlers: SandboxHandlerMap<Queues, Queue>;
  readonly schemas: Readonly<Record<string, StandardSchemaV1>>;
}

/**
 * Declares the handlers a sandboxed module runs: any of the queue's job names (those the worker's
 * `handlers()` map sends here with `sandboxed(path)`), typed from the definition exactly as in
 * `handlers()`. Data is validated against a job's schema in the child, before its handler runs.
 *
 * @example export default sandboxHandlers(queues, 'media', { thumbnail: async (job) => ({ out: await resize(job.data.path) }) });
 * @throws ConfigurationError for an unknown queue, a name the queue does not declare, or a value that is not a function
 */
export function sandboxHandlers<Queues extends QueueSet, Queue extends QueueNameOf<Queues>>(
  queues: Queues,
  queue: Queue,
  map: SandboxHandlerMap<Queues, Queue>,
): SandboxHandlerModule<Queues, Queue> {
  const definition = Object.hasOwn(queues.definitions, queue) ? queues.definitions[queue] : undefined;
  if (!definition) {
    throw new ConfigurationError(`sandboxHandlers(): unknown queue "${queue}"; declared queues: ${Object.keys(queues.definitions).join(', ')}.`);
  }
  const declared = Object.keys(definition.jobs);
  const given = Object.keys(map);
  const extra = given.filter((name) => !declared.includes(name));
  const notFunctions = given.filter((name) => declared.includes(name) && typeof (map as Record<string, unknown>)[name] !== 'function');
  if (given.length === 0 || extra.length > 0 || notFunctions.length > 0) {
    const parts = [
      given.length === 0 ? 'no handlers given' : '',
      extra.length > 0 ? `handlers for undeclared jobs ${extra.map((n) => `"${n}"`).join(', ')}` : '',
      notFunctions.length > 0 ? `${notFunctions.map((n) => `"${n}"`).join(', ')} must be async functions (sandboxed() belongs in the worker's handlers(), not in the sandboxed module)` : '',
    ].filter(Boolean);
    throw new ConfigurationError(`sandboxHandlers() for queue "${queue}": ${parts.join('; ')}. Declared jobs: ${declared.join(', ')}.`);
  }
  return Object.freeze({ kind: 'queuewire.sandbox-handlers', queue, handlers: map, schemas: schemasOf(definition, given) });
}

/** Whether a module export is what `sandboxHandlers()` returns. */
export function isSandboxHandlerModule(value: unknown): value is SandboxHandlerModule {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'queuewire.sandbox-handlers';
}
