import { Worker, type Job } from 'bullmq';
import { RoutedWorker } from './routed-worker';
import type { Redis } from 'ioredis';
import type { QueueClient } from '../client';
import type { QueueNameOf, QueueSet } from '../definition/define';
import { ConfigurationError } from '../errors';
import { refuseUnknownOptions } from '../known-options';
import { isHandlerRegistry, type HandlerRegistry } from './handlers';
import { isLostLockEcho, reportLostLocks } from './lost-locks';
import type { LocalWorkerHealth } from '../connection/health';
import { routeJobs, type JobRoute } from './job-router';
import { checkLimits, mergeLimits, refuseBothRateLimits, wholeNumber, type QueueLimits, type ResolvedLimits } from '../definition/limits';
import { applyGlobalLimits } from './global-limits';
import { listenForCancels } from './cancel-listener';
import { changeConcurrency } from './worker-concurrency';
import { handlerHooks, type HandlerHooks } from './handler-hooks';
import { noteUntrackedGroup } from './job-context';
import { sandboxesOf } from './sandboxes';
import type { SandboxPool } from './sandbox-pool';
import { assertRoleAllows } from '../roles';
import { applySchedules, planSchedules, type ScheduleChange } from './schedule-sync';
import { shown } from '../shown-value';

export interface StartWorkersOptions<Queues extends QueueSet, Served extends QueueNameOf<Queues> = QueueNameOf<Queues>> {
  /** The process's queue client; its definition, prefix and connection settings are used. */
  client: QueueClient<Queues>;
  /**
   * One registry per queue to serve, from `handlers()`. Names given `sandboxed(path)` run in child
   * processes (or worker threads) that the group starts on demand and ends when it closes.
   */
  handlers: ReadonlyArray<HandlerRegistry<Queues, Served>>;
  /**
   * Functions run around every in-process handler, in the job's context: `{ before, after, error }`, or
   * an array of them (`before` in order, `after` / `error` in reverse). Jobs are typed as the served
   * queues' jobs. Sandboxed names run without them. See `HandlerHooks`.
   */
  hooks?: HandlerHooks<Queues, Served> | ReadonlyArray<HandlerHooks<Queues, Served>>;
  /**
   * Whether `jobContext()` works for this group's jobs (in handlers, what they call, and hooks). Default:
   * on when `hooks` are given, else off. It costs an AsyncLocalStorage run per job, and on Node 20 the
   * first such run makes every promise of the process pay for async hooks (about a tenth of a no-op
   * job's worker CPU in `bench/`), so a group that does not read it does not pay for it.
   */
  jobContext?: boolean;
  /**
   * Jobs run at once: one number for every queue, or per queue. Numeric strings (`process.env.X`) are
   * accepted. Overrides `limits` and the definition's `limits.concurrency`. Default 1.
   */
  concurrency?: number | string | Partial<Record<QueueNameOf<Queues>, number | string | undefined>>;
  /**
   * Per queue, limits that override the definition's `limits` key by key (see `QueueLimits`): a
   * worker's `concurrency` and rate `limiter`, and the queue's `globalConcurrency` / `globalRateLimit`,
   * which are written to Redis at start (`null` removes them). Unknown keys are refused before Redis.
   */
  limits?: Partial<Record<QueueNameOf<Queues>, QueueLimits>>;
  /** Grace period (ms) for active jobs on shutdown before they are abandoned to stalled recovery. Default 25 000. */
  shutdownTimeout?: number;
  /**
   * Close on SIGTERM/SIGINT and then exit the process (0 when every job finished, 1 when some were
   * abandoned); a second signal exits at once. Default true. Set false when the process has other
   * things to shut down (a web server) and call `close()` yourself.
   */
  handleSignals?: boolean;
  /**
   * When the workers' Redis connection ends for good (its retry strategy gave up), exit the process
   * with code 1 so a supervisor restarts it, instead of staying alive but idle. Default: the value of
   * `handleSignals` (a process that owns its signals owns its exit). Either way `client.health()`
   * then reports the workers as disconnected and not ok.
   */
  exitOnConnectionLoss?: boolean;
  /**
   * Crash recovery timing, in ms. A running job holds a lock for `lockDuration`, renewed every half of
   * it; when a worker dies its locks expire, and the next stalled check (every `stalledInterval`, run
   * by every live worker of the queue) moves the job back to waiting and emits `stalled`. A killed
   * worker's job so returns within about `lockDuration + 2 × stalledInterval`. Shorter values recover
   * sooner at the cost of more Redis calls; a handler that blocks the event loop for longer than
   * `lockDuration` loses its lock (its job may run twice). Defaults: BullMQ's, 30 000 each.
   */
  lockDuration?: number;
  /** See `lockDuration`. */
  stalledInterval?: number;
  /**
   * How many times a job may return through stalled recovery before it fails ("job stalled more than
   * allowable limit"). Default 1 (BullMQ's). At least 1: stalled checks always stay on, since they
   * are how a killed worker's jobs come back.
   */
  maxStalledCount?: number;
}

/** What a shutdown did. */
export interface ShutdownReport {
  /**
   * Ids of jobs still running at the deadline, or whose outcome could not be written (Redis away), as
   * `queue/id`; they are still active in Redis, and BullMQ's stalled check re-queues them.
   */
  readonly abandoned: readonly string[];
  /**
   * True when every active job finished and was stored before the deadline, no handler still runs
   * after a timeout or cancel ended its job, and Redis still answered at the end. False after the
   * deadline, with such a handler, or when Redis was unreachable (nothing could be confirmed): exit
   * non-zero so a supervisor notices. (The signal handler exits 1 then.)
   */
  readonly clean: boolean;
}

/** The running workers of a process. */
export interface WorkerGroup {
  /** BullMQ's Worker per queue, for what queuewire does not wrap. */
  readonly workers: ReadonlyMap<string, Worker>;
  /** The limits each queue's worker started with, after layering definition ← `limits` ← `concurrency`. */
  readonly limits: ReadonlyMap<string, Readonly<ResolvedLimits>>;
  /**
   * Changes how many jobs this process runs at once for one queue, at once: with a higher number more
   * jobs start right away; with a lower one, running jobs finish and no new one starts until below it.
   *
   * @throws ConfigurationError for a queue this group does not serve or a value that is not a whole number >= 1
   */
  setConcurrency(queue: string, concurrency: number | string): void;
  /**
   * What this start did with the schedules of the queues it serves: each declared schedule created,
   * updated, unchanged or ended, and each queuewire scheduler no longer declared removed.
   */
  readonly schedules: readonly ScheduleChange[];
  /**
   * Stops fetching jobs, lets active ones finish within `shutdownTimeout`, then closes the workers and
   * their connections (the client stays open). Idempotent: every call returns the same promise.
   */
  close(): Promise<ShutdownReport>;
}

/**
 * Starts one BullMQ Worker per registry. Each routes jobs by name to the registry's handlers.
 * First writes the declared schedules of those queues to Redis (see `QueueDefinition.schedules`).
 * Options and schedules are checked before anything connects.
 *
 * @throws ConfigurationError for an unknown queue, a queue given twice, invalid concurrency, a
 *   schedule whose data is too large or fails its job's schema, and in a client whose role is `'web'`
 */
export async function startWorkers<Queues extends QueueSet, Served extends QueueNameOf<Queues> = QueueNameOf<Queues>>(options: StartWorkersOptions<Queues, Served>): Promise<WorkerGroup> {
  const { client, handlers, shutdownTimeout = 25_000, handleSignals = true } = options;
  assertRoleAllows(client, 'worker', 'startWorkers()');
  const registries = checkRegistries(client, handlers);
  const concurrency = resolveConcurrency(client, options.concurrency, registries);
  const limits = resolveLimits(client, options.limits, registries, concurrency);
  if (!Number.isInteger(shutdownTimeout) || shutdownTimeout < 0) {
    throw new ConfigurationError(`shutdownTimeout must be a whole number of ms >= 0; got ${shown(shutdownTimeout)}.`);
  }
  const recovery = resolveStalledRecovery(options);
  const hooks = handlerHooks(options.hooks, client.logger);
  const trackContext = options.jobContext ?? hooks !== undefined;
  if (typeof trackContext !== 'boolean') throw new ConfigurationError(`startWorkers(): jobContext must be true or false; got ${JSON.stringify(trackContext)}.`);
  refuseUnknownOptions(options, START_OPTIONS, 'startWorkers()');
  // Used for their truth: a string such as 'false' from the environment would turn them on.
  for (const key of ['handleSignals', 'exitOnConnectionLoss'] as const) {
    const value: unknown = options[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new ConfigurationError(`startWorkers(): ${key} must be true or false; got ${shown(value)}.`);
    }
  }
  if (handleSignals && signalOwner() !== undefined) {
    throw new ConfigurationError('startWorkers(): another worker group of this process already handles SIGTERM/SIGINT, and on a signal each would exit the process while the other\'s jobs still run. Pass every registry to one startWorkers() call, or set handleSignals: false and close the groups yourself.');
  }

  // Claimed now, not once started: the awaits below would let a second start made meanwhile pass the
  // check above, and both groups would then exit the process on a signal.
  const starting = {};
  if (handleSignals) claimSignals(starting);
  return launch().catch((error: unknown) => {
    releaseSignals(starting);
    throw error;
  });

  async function launch(): Promise<WorkerGroup> {
    const schedulePlan = await planSchedules(client, registries.map((registry) => registry.queue));

    // One command connection for all workers; each Worker adds its own blocking connection for fetching.
    const connection = client.connections.openBlocking('worker');
    // Schedules and global limits first, on the workers' patient connection: a start that cannot write
    // them fails whole. Global limits are in Redis before the first fetch, so no worker starts more jobs
    // than they allow.
    let schedules: ScheduleChange[];
    try {
      await applyGlobalLimits(connection, client.prefix, limits);
      schedules = await applySchedules(connection, client.prefix, schedulePlan);
    } catch (error) {
      await client.connections.release(connection);
      throw error;
    }
    logSchedules(client, schedules);
    // While Redis is away every reconnect attempt raises the same error; say it once per outage.
    const said = new Set<string>();
    const logOnce = (message: string): void => {
      if (said.has(message)) return;
      said.add(message);
      client.logger.error(message);
    };
    connection.on('ready', () => said.clear());
    // Jobs whose handler has returned but whose outcome BullMQ has not written yet (while Redis is away it
    // keeps retrying): still active in Redis, so a shutdown that gives up on them must name them too.
    const unwritten = new Map<string, Map<string, number>>();
    const workers = new Map<string, Worker>();
    const routes = new Map<string, JobRoute>();
    const sandboxPools: SandboxPool[] = [];
    for (const registry of registries) {
      const ended = new Map<string, number>();
      unwritten.set(registry.queue, ended);
      const sandboxes = sandboxesOf(registry);
      sandboxPools.push(...sandboxes.pools);
      const onEnded = (jobId: string): void => {
        forgetExpired(ended, worker.opts.lockDuration!);
        ended.delete(jobId); // re-inserted, so the map stays in order of time
        ended.set(jobId, Date.now());
      };
      const route = routeJobs(registry, { hooks, trackContext, delegated: sandboxes.runs, onEnded, capacity: () => worker.concurrency });
      routes.set(registry.queue, route);
      const queueLimits = limits.get(registry.queue)!;
      // Two parameters: BullMQ then makes no AbortController per job; the route gives handlers their signal.
      const processor = (job: Job, token?: string): Promise<unknown> => route(job, token);
      const worker: Worker = new RoutedWorker(route, registry.queue, processor, {
        connection,
        prefix: client.prefix,
        concurrency: queueLimits.concurrency,
        ...(queueLimits.limiter ? { limiter: queueLimits.limiter } : {}),
        ...recovery,
      });
      worker.on('error', (error) => {
        if (!isLostLockEcho(error)) logOnce(`[queuewire] worker "${registry.queue}": ${error.message}`);
      });
      reportLostLocks(worker, registry.queue, client.logger);
      worker.on('completed', (job) => ended.delete(job.id!));
      worker.on('failed', (job) => job && ended.delete(job.id!));
      workers.set(registry.queue, worker);
    }
    await Promise.all([...workers.values()].map((worker) => worker.waitUntilReady()));
    // One subscriber connection per worker group carries cancels from other processes to this one.
    const cancels = await listenForCancels(client, routes);
    const reportHealth = (): LocalWorkerHealth[] => [...workers].map(([queue, worker]) => ({
      queue,
      state: worker.closing ? 'closed' : worker.isPaused() ? 'paused' : 'running',
      connected: connection.status !== 'end',
    }));
    client.localWorkers.add(reportHealth);
    const exitOnConnectionLoss = options.exitOnConnectionLoss ?? handleSignals;
    // 'end' outside a shutdown means the retry strategy gave up: the connection will never come back.
    connection.once('end', () => {
      if (closing) return;
      const reason = client.connections.lastConnectionError?.message ?? 'reconnecting was given up';
      client.logger.error(`[queuewire] the workers' Redis connection ended for good (${reason}); ${exitOnConnectionLoss ? 'exiting with code 1 so the process is restarted; active jobs return through stalled recovery' : 'workers are idle until the process is restarted'}.`);
      if (exitOnConnectionLoss) process.exit(1);
    });

    let closing: Promise<ShutdownReport> | undefined;
    // Registered last, once nothing can fail: a group that never started must not count.
    const untracked = trackContext ? undefined : noteUntrackedGroup((message) => client.logger.warn(message));
    const close = (): Promise<ShutdownReport> => {
      closing ??= shutDown().finally(() => untracked?.());
      return closing;
    };

    async function shutDown(): Promise<ShutdownReport> {
      const started = Date.now();
      const graceful = Promise.all([...workers.values()].map((worker) => worker.close())).then(() => 'finished' as const);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => {
        timer = setTimeout(() => resolve('deadline'), shutdownTimeout);
      });
      const outcome = await Promise.race([graceful, deadline]);
      clearTimeout(timer);
      // Ask Redis rather than trust the connection's status: a dropped socket may not have been noticed yet.
      const pingTimeout = Math.max(100, Math.min(1000, shutdownTimeout - (Date.now() - started)));
      const reachable = await answersPing(connection, pingTimeout);
      const abandoned = outcome === 'deadline'
        ? [...registries].flatMap(({ queue }) => [...new Set([...routes.get(queue)!.running(), ...unwritten.get(queue)!.keys()])].map((id) => `${queue}/${id}`))
        : [];
      if (!reachable) {
        const { host = '127.0.0.1', port = 6379, path } = connection.options;
        const lastError = client.connections.lastConnectionError?.message;
        const reason = `no answer to PING within ${pingTimeout} ms${lastError ? `; last error: ${lastError}` : ''}`;
        client.logger.error(`[queuewire] shutdown: Redis at ${path ?? `${host}:${port}`} is unreachable (${reason}); the outcome of this worker's jobs could not be confirmed.`);
      }
      if (outcome === 'deadline') {
        client.logger.warn(`[queuewire] shutdown deadline of ${shutdownTimeout} ms passed; abandoning ${abandoned.length} job(s) to stalled recovery: ${abandoned.join(', ') || '(none)'}`);
        // worker.close(true) cannot help here: BullMQ answers it with the close() already pending, which
        // waits for the very jobs we give up on. Instead cut the workers' command connection first, so
        // nothing an abandoned job returns or throws is written (it stays active for stalled recovery
        // rather than failing because of a deploy), then abort the handlers' signal so they stop and the
        // pending close can finish. A handler that ignores its signal is not waited for past a second.
        await client.connections.release(connection);
        for (const worker of workers.values()) worker.cancelAllJobs(`Worker shutdown deadline of ${shutdownTimeout} ms passed; the job returns through stalled recovery.`);
        await Promise.race([graceful, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      }
      // Their jobs have failed already, but their work goes on in this process: not a clean stop.
      const outliving = [...routes.values()].reduce((sum, route) => sum + route.outliving(), 0);
      if (outliving > 0) {
        client.logger.warn(`[queuewire] shutdown: ${outliving} handler(s) still running after a timeout or cancel ended their job (they ignore their signal); their work is cut off when the process exits.`);
      }
      // After the deadline a sandboxed job's child is killed like an in-process handler's signal is aborted.
      await Promise.all(sandboxPools.map((pool) => pool.close(outcome === 'deadline')));
      removeSignalHandlers();
      client.localWorkers.delete(reportHealth);
      client.localWorkerGroups.delete(close);
      await cancels.close();
      await client.connections.release(connection);
      return { abandoned, clean: outcome === 'finished' && reachable && outliving === 0 };
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
          process.exit(report.clean ? 0 : 1);
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
      releaseSignals(close);
    }
    if (handleSignals) {
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      claimSignals(close);
    }
    // client.close() closes this group first, so its connections are not pulled from under active jobs.
    client.localWorkerGroups.add(close);

    const setConcurrency = (queue: string, value: number | string): void => {
      const worker = workers.get(queue);
      if (!worker) throw new ConfigurationError(`setConcurrency(): this worker group does not serve queue "${queue}"; it serves ${[...workers.keys()].join(', ')}.`);
      const checked = wholeNumber(value, `setConcurrency("${queue}")`, 1);
      if (checked === undefined) throw new ConfigurationError(`setConcurrency("${queue}") needs a whole number >= 1.`);
      changeConcurrency(worker, checked);
      routes.get(queue)!.capacityChanged();
      limits.get(queue)!.concurrency = checked;
    };

    return { workers, schedules, limits, setConcurrency, close };
  }
}

function logSchedules<Queues extends QueueSet>(client: QueueClient<Queues>, changes: readonly ScheduleChange[]): void {
  const byQueue = new Map<string, string[]>();
  for (const { queue, id, change } of changes) byQueue.set(queue, [...(byQueue.get(queue) ?? []), `${id} ${change}`]);
  for (const [queue, done] of byQueue) client.logger.info(`[queuewire] schedules of queue "${queue}": ${done.join(', ')}.`);
}

const START_OPTIONS = ['client', 'handlers', 'hooks', 'jobContext', 'concurrency', 'limits', 'shutdownTimeout', 'handleSignals', 'exitOnConnectionLoss', 'lockDuration', 'stalledInterval', 'maxStalledCount'];

// Signals belong to the process, not to one group, so the owner is recorded on the process itself
// (under a registry symbol, so two copies of queuewire in one process see the same owner).
const SIGNAL_OWNER = Symbol.for('queuewire.signalOwner');
type SignalOwned = { [SIGNAL_OWNER]?: unknown };

function signalOwner(): unknown {
  return (process as SignalOwned)[SIGNAL_OWNER];
}

function claimSignals(owner: unknown): void {
  (process as SignalOwned)[SIGNAL_OWNER] = owner;
}

function releaseSignals(owner: unknown): void {
  if (signalOwner() === owner) delete (process as SignalOwned)[SIGNAL_OWNER];
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

async function answersPing(redis: Redis, timeout: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeout);
  });
  try {
    // A PING queued while reconnecting is rejected when the connection is released: handled here.
    return await Promise.race([redis.ping().then(() => true, () => false), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

// Drops jobs that ended longer than a lock ago: had their outcome never been written (BullMQ emits no
// event when the handler moved the job itself or the lock was lost), the lock has expired and the
// stalled check has taken the job back. Keeps the map as small as the jobs of the last lock period.
function forgetExpired(ended: Map<string, number>, lockDuration: number): void {
  const expired = Date.now() - lockDuration;
  for (const [id, at] of ended) {
    if (at >= expired) break;
    ended.delete(id);
  }
}

// Only the timing of stalled recovery is configurable, never whether it runs: BullMQ's skipStalledCheck
// and skipLockRenewal (which JavaScript callers could still pass) would leave a killed worker's jobs
// active for good, and maxStalledCount 0 would fail them instead of running them again.
function resolveStalledRecovery<Queues extends QueueSet>(options: StartWorkersOptions<Queues, any>): { lockDuration?: number; stalledInterval?: number; maxStalledCount?: number } {
  for (const key of ['skipStalledCheck', 'skipLockRenewal']) {
    if (Object.hasOwn(options, key)) {
      throw new ConfigurationError(`startWorkers(): ${key} is not supported: stalled checks and lock renewal are how a crashed worker's jobs come back. Tune lockDuration / stalledInterval instead.`);
    }
  }
  const recovery: { lockDuration?: number; stalledInterval?: number; maxStalledCount?: number } = {};
  const bounds = { lockDuration: 1000, stalledInterval: 100, maxStalledCount: 1 } as const;
  for (const key of ['lockDuration', 'stalledInterval', 'maxStalledCount'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < bounds[key]) {
      const why = key === 'maxStalledCount' ? ' (0 would fail a crashed worker\'s jobs instead of recovering them)' : '';
      throw new ConfigurationError(`${key} must be a whole number >= ${bounds[key]}${key === 'maxStalledCount' ? '' : ' ms'}${why}; got ${shown(value)}.`);
    }
    recovery[key] = value;
  }
  return recovery;
}

// Only the values given here; the default (1) and the definition's value come in through resolveLimits.
function resolveConcurrency<Queues extends QueueSet>(
  client: QueueClient<Queues>,
  option: StartWorkersOptions<Queues>['concurrency'],
  registries: ReadonlyArray<HandlerRegistry<Queues, any>>,
): Map<string, number> {
  const result = new Map<string, number>();
  if (option === undefined) return result;
  if (typeof option === 'number' || typeof option === 'string') {
    const value = wholeNumber(option, 'concurrency', 1)!;
    for (const registry of registries) result.set(registry.queue, value);
    return result;
  }
  for (const queue of Object.keys(option)) {
    if (!Object.hasOwn(client.queues.definitions, queue)) {
      throw new ConfigurationError(`concurrency names queue "${queue}", which the definition does not declare.`);
    }
  }
  for (const registry of registries) {
    const value = wholeNumber((option as Record<string, unknown>)[registry.queue], `concurrency.${registry.queue}`, 1);
    if (value !== undefined) result.set(registry.queue, value);
  }
  return result;
}

// Per served queue: the definition's limits, then startWorkers({ limits }), then the concurrency option.
function resolveLimits<Queues extends QueueSet>(
  client: QueueClient<Queues>,
  option: StartWorkersOptions<Queues>['limits'],
  registries: ReadonlyArray<HandlerRegistry<Queues, any>>,
  concurrency: Map<string, number>,
): Map<string, ResolvedLimits> {
  if (option !== undefined && (typeof option !== 'object' || option === null || Array.isArray(option))) {
    throw new ConfigurationError('startWorkers(): limits must map queue names to { concurrency?, limiter?, globalConcurrency?, globalRateLimit? }.');
  }
  for (const queue of Object.keys(option ?? {})) {
    if (!Object.hasOwn(client.queues.definitions, queue)) {
      throw new ConfigurationError(`startWorkers(): limits names queue "${queue}", which the definition does not declare.`);
    }
  }
  const result = new Map<string, ResolvedLimits>();
  for (const { queue } of registries) {
    const fromDefinition = checkLimits(client.queues.definitions[queue]!.limits, `queues.${queue}.limits`);
    const fromOptions = checkLimits((option as Record<string, unknown> | undefined)?.[queue], `startWorkers() limits.${queue}`);
    const given = concurrency.get(queue);
    const merged = mergeLimits(fromDefinition, fromOptions, given === undefined ? {} : { concurrency: given });
    refuseBothRateLimits(merged, `startWorkers() limits for queue "${queue}" (definition and start options together)`);
    result.set(queue, merged);
  }
  return result;
}
