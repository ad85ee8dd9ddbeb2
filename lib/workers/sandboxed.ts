import { ConfigurationError } from '../errors';
import { refuseUnknownOptions } from '../known-options';

/** How a sandboxed handler module is run. */
export interface SandboxOptions {
  /**
   * Run the module in a worker thread of this process instead of a child process: cheaper to start and
   * to talk to, but it shares the process's memory limit, and a crash that ends the process (a native
   * module's segfault, `process.abort()`) takes the worker with it. Default false (a child process).
   */
  useWorkerThreads?: boolean;
}

/**
 * A job name (or a whole queue) whose handler runs in a separate child process or worker thread, loaded
 * from a module by path. Made by `sandboxed()`; placed where a handler function would go in `handlers()`.
 */
export interface SandboxedHandler {
  readonly kind: 'queuewire.sandboxed';
  /** The absolute path of the compiled module (CommonJS) whose default export is `sandboxHandlers(…)` or `handlers(…)`. */
  readonly module: string;
  readonly useWorkerThreads: boolean;
}

/**
 * Runs a handler in a child process (or worker thread) instead of the worker's own event loop. The
 * worker process keeps the job's lock renewed while the child works, so a CPU-bound handler neither
 * loses its lock nor delays the other jobs; a child that crashes fails only its job.
 *
 * `module` is loaded by path in the child, so pass an absolute path to compiled JavaScript, e.g.
 * `require.resolve('./media-handlers')`. Its default export is `sandboxHandlers(queues, queue, { … })`
 * (or `handlers(…)`), which types each handler from the definition like any other.
 *
 * @example handlers(queues, 'media', { thumbnail: sandboxed(require.resolve('./thumbnail')), probe: async (job) => … })
 * @example handlers(queues, 'media', sandboxed(require.resolve('./media-handlers'), { useWorkerThreads: true }))
 * @throws ConfigurationError when the module cannot be found or an option is unknown
 */
export function sandboxed(module: string, options: SandboxOptions = {}): SandboxedHandler {
  refuseUnknownOptions(options, ['useWorkerThreads'], 'sandboxed() options');
  if (options.useWorkerThreads !== undefined && typeof options.useWorkerThreads !== 'boolean') {
    throw new ConfigurationError(`sandboxed(): useWorkerThreads must be a boolean; got ${String(options.useWorkerThreads)}.`);
  }
  if (typeof module !== 'string' || !module.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(module)) {
    throw new ConfigurationError(`sandboxed(): the handler module must be an absolute path, such as require.resolve('./media-handlers'); got ${JSON.stringify(module)}.`);
  }
  let resolved: string;
  try {
    // Resolved here, in the worker process, so a wrong path fails at start rather than on every job.
    resolved = require.resolve(module);
  } catch {
    throw new ConfigurationError(`sandboxed(): no module at ${module}. Pass the path of the compiled JavaScript file (require.resolve('./file') from compiled code finds it).`);
  }
  return Object.freeze({ kind: 'queuewire.sandboxed', module: resolved, useWorkerThreads: options.useWorkerThreads ?? false });
}

/** Whether a handler-map value (or a whole map) is a `sandboxed()` marker. */
export function isSandboxedHandler(value: unknown): value is SandboxedHandler {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'queuewire.sandboxed';
}
