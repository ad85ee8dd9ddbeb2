import { FlowProducer, Queue } from 'bullmq';
import { QueueAdmin } from './admin/queue-admin';
import { Connections, type ConnectionInput } from './connection/connections';
import type { QueueNameOf, QueueSet } from './definition/define';
import { ConfigurationError } from './errors';
import { refuseUnknownOptions } from './known-options';
import { EventBus } from './events/event-bus';
import { readEvictionPolicy } from './connection/eviction-policy';
import { checkHealth, type HealthReport, type LocalWorkerHealth } from './connection/health';
import { consoleLogger, type Logger } from './logger';
import { Producer } from './producer/producer';
import type { BeforeAddHook } from './producer/add-hooks';
import { DEFAULT_IDEMPOTENCY_WINDOW } from './producer/request-scope';
import { readStoredMetadata } from './events/stored-metadata';
import { resolveRole, type ProcessRole } from './roles';

export interface QueueClientOptions<Queues extends QueueSet> {
  /** The definition from `defineQueues()`. */
  queues: Queues;
  /**
   * Redis: a URL, ioredis options, or your own ioredis instance (used, never closed by queuewire).
   * Default: `process.env.REDIS_URL`, then `redis://127.0.0.1:6379`.
   */
  connection?: ConnectionInput;
  /** Prefix of every Redis key. Default `bull`, BullMQ's own, so existing BullMQ tools see the queues. */
  prefix?: string;
  /** Upper bound (ms) for an `add` to reach Redis before it rejects with `QueueUnavailableError`. Default 2000. */
  producerTimeout?: number;
  /** Largest accepted payload, in bytes of its JSON encoding. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Where queuewire logs. Default: the console. */
  logger?: Logger;
  /**
   * Hooks run in order before every job is added, after validation and before Redis: they may add
   * metadata (a tenant, a user id) or refuse the add by throwing (`AddRefusedError` → 403). See `BeforeAddHook`.
   */
  beforeAdd?: BeforeAddHook<Queues> | ReadonlyArray<BeforeAddHook<Queues>>;
  /**
   * How long (ms) a repeated idempotency key (`Idempotency-Key`) returns the original job instead of
   * adding another: BullMQ deduplication with this TTL. Default 24 h. Retention may remove a finished
   * job sooner (count limits): a repeat then gets its id with state `unknown`, still adding nothing.
   */
  idempotencyWindow?: number;
  /**
   * What this process runs: `'web'` (requests and adds: `startWorkers` refuses), `'worker'` (handlers:
   * `queueMiddleware` and `jobRoutes` refuse) or `'both'`. Default: `process.env.QUEUEWIRE_ROLE`, then
   * `'both'`. An unknown value (here or in the environment) is a `ConfigurationError`.
   */
  role?: ProcessRole;
}

const CLIENT_OPTIONS = ['queues', 'connection', 'prefix', 'producerTimeout', 'maxPayloadBytes', 'logger', 'beforeAdd', 'idempotencyWindow', 'role'];

/**
 * The per-process entry point: holds the Redis connections, the typed producer, the event bus and the
 * BullMQ queue handles for one definition. Create one per process and share it; close it on shutdown.
 */
export class QueueClient<Queues extends QueueSet = QueueSet> {
  readonly queues: Queues;
  readonly prefix: string;
  readonly logger: Logger;
  /** What this process runs (`'web'`, `'worker'` or `'both'`), from the `role` option, `QUEUEWIRE_ROLE` or the default. */
  readonly role: ProcessRole;
  /** @internal Where `role` came from, for the message of a part the role refuses. */
  readonly roleSource: string;
  /** Largest accepted payload in bytes (`maxPayloadBytes`); scheduled data is held to it too. */
  readonly maxPayloadBytes: number;
  /** Fail-fast producer shared by every request (what the middleware puts on `req.queue`). */
  readonly producer: Producer<Queues>;
  /**
   * Operates the queues: pause/resume, counts, read and list jobs, retry failed jobs, clean and drain;
   * each call bounded by `producerTimeout`. See `QueueAdmin`.
   */
  readonly admin: QueueAdmin<Queues>;
  /** @internal The connections this client opened or was given. */
  readonly connections: Connections;
  /** @internal How `startWorkers` reports this process's workers to `health()`. */
  readonly localWorkers = new Set<() => LocalWorkerHealth[]>();
  /** @internal The `close()` of each worker group started on this client, run first by `close()`. */
  readonly localWorkerGroups = new Set<() => Promise<unknown>>();
  private readonly handles = new Map<string, Queue>();
  private bus: EventBus<Queues> | undefined;
  private flows: FlowProducer | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: QueueClientOptions<Queues>) {
    if (!options || typeof options.queues?.definitions !== 'object') {
      throw new ConfigurationError('createQueueClient() needs { queues } from defineQueues().');
    }
    refuseUnknownOptions(options, CLIENT_OPTIONS, 'createQueueClient()');
    if (options.prefix !== undefined && typeof options.prefix !== 'string') throw new ConfigurationError(`prefix must be a string; got ${typeof options.prefix}.`);
    const producerTimeout = options.producerTimeout ?? 2000;
    const maxPayloadBytes = options.maxPayloadBytes ?? 1024 * 1024;
    if (!Number.isInteger(producerTimeout) || producerTimeout <= 0) throw new ConfigurationError(`producerTimeout must be a positive whole number of ms; got ${producerTimeout}.`);
    if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes <= 0) throw new ConfigurationError(`maxPayloadBytes must be a positive whole number; got ${maxPayloadBytes}.`);
    const idempotencyWindow = options.idempotencyWindow ?? DEFAULT_IDEMPOTENCY_WINDOW;
    if (!Number.isInteger(idempotencyWindow) || idempotencyWindow <= 0) throw new ConfigurationError(`idempotencyWindow must be a positive whole number of ms; got ${idempotencyWindow}.`);
    const beforeAdd: ReadonlyArray<BeforeAddHook<Queues>> = options.beforeAdd === undefined ? [] : Array.isArray(options.beforeAdd) ? [...options.beforeAdd] : [options.beforeAdd as BeforeAddHook<Queues>];
    if (!beforeAdd.every((hook) => typeof hook === 'function')) throw new ConfigurationError('beforeAdd must be a function or an array of functions.');
    const logger: unknown = options.logger ?? consoleLogger;
    // Checked here: a logger lacking a method would crash the first time queuewire has something to say.
    if (typeof logger !== 'object' || logger === null || !(['info', 'warn', 'error'] as const).every((level) => typeof (logger as Record<string, unknown>)[level] === 'function')) {
      throw new ConfigurationError('logger must have info, warn and error functions (pino, winston and console do); leave it out to log to the console.');
    }
    const prefix = options.prefix ?? 'bull';
    if (prefix.length === 0 || prefix.endsWith(':')) throw new ConfigurationError(`prefix "${prefix}" must be non-empty and not end with ':'.`);
    const { role, source: roleSource } = resolveRole(options.role);
    this.role = role;
    this.roleSource = roleSource;
    this.queues = options.queues;
    this.prefix = prefix;
    this.maxPayloadBytes = maxPayloadBytes;
    this.logger = logger as Logger;
    this.connections = new Connections(options.connection);
    this.producer = new Producer<Queues>({
      queues: this.queues,
      connections: this.connections,
      queueHandle: (queue) => this.queue(queue as QueueNameOf<Queues>),
      flowProducer: () => this.flowProducer(),
      events: () => this.events as unknown as EventBus<QueueSet>,
      isClosed: () => this.closing !== undefined,
      timeout: producerTimeout,
      maxPayloadBytes,
      beforeAdd,
      idempotencyWindow,
    });
    this.admin = new QueueAdmin<Queues>({
      queues: this.queues,
      connections: this.connections,
      queueHandle: (queue) => this.queue(queue as QueueNameOf<Queues>),
      isClosed: () => this.closing !== undefined,
      timeout: producerTimeout,
    });
    this.warnAboutEvictionPolicy();
  }

  /**
   * Checks Redis (reachability, PING latency, eviction policy), every declared queue (waiting jobs,
   * connected workers under this prefix) and this process's workers. `ok` is the readiness answer:
   * false while Redis is unreachable or a local worker lost its connection for good. Never hangs:
   * each check is bounded by `timeout` (default 1000 ms).
   */
  health(options: { timeout?: number } = {}): Promise<HealthReport> {
    return checkHealth({
      redis: this.connections.producer,
      connected: (timeout) => this.connections.waitForProducer(timeout),
      queues: Object.keys(this.queues.definitions).map((name) => ({ name, handle: this.queue(name as QueueNameOf<Queues>) })),
      localWorkers: () => [...this.localWorkers].flatMap((report) => report()),
      timeout: options.timeout ?? 1000,
    });
  }

  /**
   * The typed event bus of this process. Created on first access; it opens its one blocking
   * connection when the first listener is added or `ready()` is called.
   */
  get events(): EventBus<Queues> {
    this.bus ??= new EventBus<Queues>({
      openConnection: () => this.connections.openBlocking('events'),
      streams: Object.keys(this.queues.definitions).map((queue) => ({
        queue,
        eventsKey: `${this.prefix}:${queue}:events`,
        jobKeyPrefix: `${this.prefix}:${queue}:`,
      })),
      logger: this.logger,
      readMetadata: (jobKey, timeout) => readStoredMetadata(this.connections, jobKey, timeout),
    });
    return this.bus;
  }

  /**
   * BullMQ's `Queue` for one declared queue (created on first use, on the shared producer connection),
   * for what queuewire does not wrap: counts, getters, pause/resume, clean.
   */
  queue(name: QueueNameOf<Queues>): Queue<unknown, unknown> {
    let handle = this.handles.get(name);
    if (!handle) {
      handle = new Queue(name, { connection: this.connections.producer, prefix: this.prefix });
      // Connection errors reach every Queue sharing the connection; they are handled where calls fail.
      handle.on('error', () => undefined);
      this.handles.set(name, handle);
    }
    return handle;
  }

  // Created on the first flow, on the shared producer connection (BullMQ shares an ioredis instance it
  // is given rather than opening its own), so flows add no connection.
  private flowProducer(): FlowProducer {
    if (!this.flows) {
      this.flows = new FlowProducer({ connection: this.connections.producer, prefix: this.prefix });
      // As for the queue handles: connection errors are handled where calls fail.
      this.flows.on('error', () => undefined);
    }
    return this.flows;
  }

  // Once per client, when Redis first answers: any policy but noeviction can silently lose jobs.
  private warnAboutEvictionPolicy(): void {
    const check = (): void => {
      readEvictionPolicy(this.connections.producer).then((finding) => {
        if (finding.warning && !this.closing) this.logger.warn(`[queuewire] ${finding.warning}`);
      }, () => undefined);
    };
    if (this.connections.producer.status === 'ready') check();
    else this.connections.producer.once('ready', check);
  }

  /**
   * Closes the worker groups started on this client (gracefully, as their own `close()`), the event
   * bus, the queue handles and then the connections queuewire opened (never an ioredis instance you
   * passed in). Idempotent; resolves when everything is closed.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // Worker groups first: they let active jobs finish and need the connections to store results.
      await Promise.allSettled([...this.localWorkerGroups].map((closeGroup) => closeGroup()));
      await this.bus?.close();
      await Promise.allSettled([...this.handles.values(), ...(this.flows ? [this.flows] : [])].map((handle) => handle.close()));
      await this.connections.close();
    })();
    return this.closing;
  }
}

/** Creates the queue client of a process. See `QueueClientOptions`. */
export function createQueueClient<Queues extends QueueSet>(options: QueueClientOptions<Queues>): QueueClient<Queues> {
  return new QueueClient(options);
}
