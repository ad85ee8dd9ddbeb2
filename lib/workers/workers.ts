import { Worker } from 'bullmq';
import type { QueueClient } from '../client';
import type { QueueNameOf, QueueSet } from '../definition/define';
import { ConfigurationError } from '../errors';
import { isHandlerRegistry, type HandlerRegistry } from './handlers';
import type { LocalWorkerHealth } from '../connection/health';
import { routeJobs } from './job-router';

export interface StartWorkersOptions<Queues extends QueueSet> {
  /** The process's queue client; its definition, prefix and connection settings are used. */
  client: QueueClient<Queues>;
  /** One registry per queue to serve, from `handlers()`. */
  handlers: ReadonlyArray<HandlerRegistry<Queues, any>>;
  /** Jobs run at once: one number for every queue, or per queue. Default 1. */
  concurrency?: number | Partial<Record<QueueNameOf<Queues>, number>>;
  /** Grace period (ms) for active jobs on shutdown before they are abandoned to stalled recovery. Default 25 000. */
  shutdownTimeout?: number;
  /**
   * Close on SIGTERM/SIGINT and then exit the process (0 when every job finished, 1 when some were
   * abandoned); a second signal exits at once. Default true. Set false when the process has other
   * things to shut down (a web server) and call `close()` yourself.
   */
  handleSignals?: boolean;
}

/** What a shutdown did. */
export interface ShutdownReport {
  /** Ids of jobs still running at the deadline, as `queue/id`; BullMQ's stalled check re-queues them. */
  readonly abandoned: readonly string[];
}

/** The running workers of a process. */
export interface WorkerGroup {
  /** BullMQ's Worker per queue, for what queuewire does not wrap. */
  readonly workers: ReadonlyMap<string, Worker>;
  /**
   * Stops fetching jobs, lets active ones finish within `shutdownTimeout`, then closes the workers and
   * their connections (the client stays open). Idempotent: every call returns the same promise.
   */
  close(): Promise<ShutdownReport>;
}

/**
 * Starts one BullMQ Worker per registry. Each routes jobs by name to the registry's handlers.
 * Options are checked before anything connects.
 *
 * @throws ConfigurationError for an unknown queue, a queue given twice, or invalid concurrency
 */
export async function startWorkers<Queues extends QueueSet>(options: StartWorkersOptions<Queues>): Promise<WorkerGroup> {
  const { client, handlers, shutdownTimeout = 25_000, handleSignals = true } = options;
  const registries = checkRegistries(client, handlers);
  const concurrency = resolveConcurrency(client, options.concurrency, registries);
  if (!Number.isInteger(shutdownTimeout) || shutdownTimeout < 0) {
    throw new ConfigurationError(`shutdownTimeout must be a whole number of ms >= 0; got ${shutdownTimeout}.`);
  }

  // One command connection for all workers; each Worker adds its own blocking connection for fetching.
  const connection = client.connections.openBlocking('worker');
  // While Redis is away every reconnect attempt raises the same error; say it once per outage.
  const said = new Set<string>();
  const logOnce = (message: string): void => {
    if (said.has(message)) return;
    said.add(message);
    client.logger.error(message);
  };
  connection.on('ready', () => said.clear());
  const active = new Map<string, Set<string>>();
  const abandon = new AbortController();
  const workers = new Map<string, Worker>();
  for (const registry of registries) {
    const running = new Set<string>();
    active.set(registry.queue, running);
    const worker = new Worker(registry.queue, routeJobs(registry, running, abandon.signal), {
      connection,
      prefix: client.prefix,
      concurrency: concurrency.get(registry.queue)!,
    });
    worker.on('error', (error) => logOnce(`[queuewire] worker "${registry.queue}": ${error.message}`));
    workers.set(registry.queue, worker);
  }
  await Promise.all([...workers.values()].map((worker) => worker.waitUntilReady()));
  const reportHealth = (): LocalWorkerHealth[] => [...workers].map(([queue, worker]) => ({
    queue,
    state: worker.closing ? 'closed' : worker.isPaused() ? 'paused' : 'running',
    connected: connection.status !== 'end',
  }));
  client.localWorkers.add(reportHealth);

  let closing: Promise<ShutdownReport> | undefined;
  const close = (): Promise<ShutdownReport> => {
    closing ??= shutDown();
    return closing;
  };

  async function shutDown(): Promise<ShutdownReport> {
    const graceful = Promise.all([...workers.values()].map((worker) => worker.close())).then(() => 'finished' as const);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), shutdownTimeout);
    });
    const outcome = await Promise.race([graceful, deadline]);
    clearTimeout(timer);
    const abandoned = outcome === 'deadline'
      ? [...active].flatMap(([queue, ids]) => [...ids].map((id) => `${queue}/${id}`))
      : [];
    if (outcome === 'deadline') {
      client.logger.warn(`[queuewire] shutdown deadline of ${shutdownTimeout} ms passed; abandoning ${abandoned.length} job(s) to stalled recovery: ${abandoned.join(', ') || '(none)'}`);
      // worker.close(true) cannot help here: BullMQ answers it with the close() already pending, which
      // waits for the very jobs we give up on. Instead cut the workers' command connection first, so
      // nothing an abandoned job returns or throws is written (it stays active for stalled recovery
      // rather than failing because of a deploy), then abort the handlers' signal so they stop and the
      // pending close can finish. A handler that ignores its signal is not waited for past a second.
      await client.connections.release(connection);
      abandon.abort(new Error(`Worker shutdown deadline of ${shutdownTimeout} ms passed; the job returns through stalled recovery.`));
      await Promise.race([graceful, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    }
    removeSignalHandlers();
    client.localWorkers.delete(reportHealth);
    await client.connections.release(connection);
    return { abandoned };
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      client.logger.warn(`[queuewire] ${signal} again: exiting now; active jobs return through stalled recovery.`);
      process.exit(1);
    }
    client.logger.info(`[queuewire] ${signal}: no longer fetching jobs; waiting up to ${shutdownTimeout} ms for active ones.`);
    close().then(
      async (report) => {
        await client.close();
        process.exit(report.abandoned.length > 0 ? 1 : 0);
      },
      (error: Error) => {
        client.logger.error(`[queuewire] shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  function removeSignalHandlers(): void {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  if (handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  return { workers, close };
}

function checkRegistries<Queues extends QueueSet>(client: QueueClient<Queues>, registries: ReadonlyArray<HandlerRegistry<Queues, any>>): HandlerRegistry<Queues, any>[] {
  if (!Array.isArray(registries) || registries.length === 0) {
    throw new ConfigurationError('startWorkers() needs handlers: [ handlers(queues, "<queue>", { ... }) , … ].');
  }
  const seen = new Set<string>();
  for (const registry of registries) {
    if (!isHandlerRegistry(registry)) {
      throw new ConfigurationError('startWorkers(): every entry of handlers must come from handlers(queues, queue, { … }).');
    }
    if (!Object.hasOwn(client.queues.definitions, registry.queue)) {
      throw new ConfigurationError(`startWorkers(): handlers for queue "${registry.queue}", which this client's definition does not declare.`);
    }
    if (seen.has(registry.queue)) {
      throw new ConfigurationError(`startWorkers(): two handler registries for queue "${registry.queue}"; merge them into one.`);
    }
    seen.add(registry.queue);
  }
  return [...registries];
}

function resolveConcurrency<Queues extends QueueSet>(
  client: QueueClient<Queues>,
  option: StartWorkersOptions<Queues>['concurrency'],
  registries: ReadonlyArray<HandlerRegistry<Queues, any>>,
): Map<string, number> {
  const check = (value: unknown, where: string): number => {
    if (!Number.isInteger(value) || (value as number) < 1) {
      throw new ConfigurationError(`${where} must be a whole number >= 1; got ${String(value)}.`);
    }
    return value as number;
  };
  const result = new Map<string, number>();
  if (option === undefined || typeof option === 'number') {
    const value = check(option ?? 1, 'concurrency');
    for (const registry of registries) result.set(registry.queue, value);
    return result;
  }
  for (const queue of Object.keys(option)) {
    if (!Object.hasOwn(client.queues.definitions, queue)) {
      throw new ConfigurationError(`concurrency names queue "${queue}", which the definition does not declare.`);
    }
  }
  for (const registry of registries) {
    const value = (option as Record<string, unknown>)[registry.queue];
    result.set(registry.queue, value === undefined ? 1 : check(value, `concurrency.${registry.queue}`));
  }
  return result;
}
