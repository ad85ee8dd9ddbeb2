import { Redis, type RedisOptions } from 'ioredis';
import { ConfigurationError, QueueUnavailableError } from '../errors';
import { LoadPipelining } from './load-pipelining';

/**
 * Where Redis is: a URL (`redis://…`, `rediss://…`), ioredis options, or an ioredis instance the
 * application owns. An instance is used as the producer connection and duplicated for blocking work;
 * queuewire never closes it.
 */
export type ConnectionInput = string | RedisOptions | Redis;

/**
 * The Redis connections of one client. A process holds one producer connection however many queues
 * and requests it has; blocking readers (workers, the event bus) each get their own, because a
 * blocked connection cannot serve other commands.
 */
export class Connections {
  /** Fail-fast connection for adds and lookups: never queues commands while Redis is away. */
  readonly producer: Redis;
  private readonly owned = new Set<Redis>();
  private readonly pipelining: LoadPipelining | undefined;
  private readonly source: { url?: string; options: RedisOptions; instance?: Redis };
  private lastError: Error | undefined;
  private readyWaiter: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(input: ConnectionInput | undefined) {
    this.source = resolveSource(input);
    if (this.source.instance) {
      this.producer = this.source.instance;
    } else {
      // No offline queue and one retry: a command issued while Redis is away fails at once instead
      // of waiting for a reconnect that may never come, so a request can answer 503 in bounded time.
      this.producer = this.open({ enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: 'queuewire:producer' });
      // Unless the options (or the URL, see splitPipeliningChoice) choose, the producer pipelines while
      // it is busy and writes at once when idle.
      if (this.source.options.enableAutoPipelining === undefined) this.pipelining = new LoadPipelining(this.producer);
    }
  }

  /**
   * Runs producer work (an add, a lookup) so that, under load, its commands share one write with the
   * other work of the same turn (see LoadPipelining).
   */
  track<Result>(work: () => Promise<Result>): Promise<Result> {
    return this.pipelining ? this.pipelining.track(work) : work();
  }

  /** The last connection error any owned connection saw, for diagnostics. */
  get lastConnectionError(): Error | undefined {
    return this.lastError;
  }

  /**
   * Opens a connection for blocking commands (BRPOPLPUSH, XREAD BLOCK). BullMQ requires these to retry
   * forever (`maxRetriesPerRequest: null`), to queue commands while reconnecting and to reconnect
   * however long Redis is away, whatever the application configured for its own fail-fast client;
   * and never to pipeline automatically (a blocked command would hold up those queued behind it).
   */
  openBlocking(role: string): Redis {
    this.assertOpen();
    return this.open({ maxRetriesPerRequest: null, enableOfflineQueue: true, enableAutoPipelining: false, retryStrategy: reconnectForever, connectionName: `queuewire:${role}` });
  }

  /**
   * Resolves once the producer connection is ready, or rejects with `QueueUnavailableError` after
   * `timeoutMs` (or at once when the connection has ended for good). Concurrent callers share one wait.
   */
  async waitForProducer(timeoutMs: number): Promise<void> {
    const status = this.producer.status;
    if (status === 'ready') return;
    if (status === 'end' || status === 'close') {
      throw new QueueUnavailableError(`Redis connection is closed (${this.describeTarget()}); the client was closed or gave up reconnecting.`);
    }
    if (status === 'wait') this.producer.connect().catch(() => undefined);
    this.readyWaiter ??= new Promise<void>((resolve) => {
      this.producer.once('ready', () => {
        this.readyWaiter = undefined;
        resolve();
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.unavailable(timeoutMs)), timeoutMs);
    });
    try {
      await Promise.race([this.readyWaiter, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Builds the typed error for an operation that could not reach Redis (nothing was sent). */
  unavailable(timeoutMs: number, cause?: unknown): QueueUnavailableError {
    const reason = cause instanceof Error ? cause.message : this.lastError?.message ?? `no ready connection within ${timeoutMs} ms`;
    return new QueueUnavailableError(`Redis at ${this.describeTarget()} is unavailable (${reason}). Nothing was stored; retry later.`, { cause: cause ?? this.lastError, outcome: 'not-sent' });
  }

  /** Builds the typed error for a command that was sent but not answered (in time, or at all). */
  unanswered(timeoutMs: number, cause?: unknown): QueueUnavailableError {
    const reason = cause instanceof Error ? cause.message : `no answer within ${timeoutMs} ms`;
    return new QueueUnavailableError(
      `Redis at ${this.describeTarget()} did not answer (${reason}). The job may or may not have been stored; retry with the same jobId or Idempotency-Key so the retry cannot duplicate it.`,
      { cause, outcome: 'unknown' },
    );
  }

  /** Closes one connection opened by `openBlocking`, for a part that shuts down before the client. */
  async release(client: Redis): Promise<void> {
    this.owned.delete(client);
    await quit(client);
  }

  /** Closes the connections queuewire opened; an application's own instance is left open. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const all = [...this.owned];
      await Promise.all(all.map((client) => quit(client)));
    })();
    return this.closing;
  }

  // `overrides` win over the application's options.
  private open(overrides: RedisOptions): Redis {
    const { instance, url, options } = this.source;
    const client = instance
      ? instance.duplicate(overrides)
      : url
        ? new Redis(url, { ...options, ...overrides })
        : new Redis({ ...options, ...overrides });
    client.on('error', (error: Error) => {
      this.lastError = error;
    });
    this.owned.add(client);
    return client;
  }

  private assertOpen(): void {
    if (this.closing) throw new ConfigurationError('This queue client is closed; create a new one.');
  }

  private describeTarget(): string {
    const options = this.producer.options;
    return options.path ?? `${options.host ?? '127.0.0.1'}:${options.port ?? 6379}`;
  }

}

// Reconnects without end, backing off to one attempt every 2 s: a consumer that stopped reconnecting
// would leave its process alive but idle.
function reconnectForever(times: number): number {
  return Math.min(times * 100, 2000);
}

// ioredis keeps a URL's query values as strings, and "false" is truthy; a URL's values also win over
// options, so the blocking connections' `false` could not hold. The choice is taken out of the URL and
// given as the boolean it names, in the options.
function splitPipeliningChoice(url: string): { url: string; options: RedisOptions } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, options: {} }; // ioredis reports a malformed URL itself, as before
  }
  const chosen = parsed.searchParams.get('enableAutoPipelining');
  if (chosen === null) return { url, options: {} };
  parsed.searchParams.delete('enableAutoPipelining');
  return { url: parsed.toString(), options: { enableAutoPipelining: chosen === 'true' || chosen === '1' } };
}

function resolveSource(input: ConnectionInput | undefined): { url?: string; options: RedisOptions; instance?: Redis } {
  const chosen = input ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (typeof chosen === 'string') {
    if (!/^rediss?:\/\//.test(chosen)) {
      throw new ConfigurationError(`connection "${chosen}" is not a Redis URL; use redis://host:port (or rediss:// for TLS).`);
    }
    return splitPipeliningChoice(chosen);
  }
  if (chosen instanceof Redis || isRedisLike(chosen)) {
    const instance = chosen as Redis;
    if ((instance as { isCluster?: boolean }).isCluster) {
      throw new ConfigurationError('Redis Cluster is not supported yet: queuewire reads all queues\' event streams with one command, which a cluster cannot serve across slots. Connect to a standalone Redis (or a primary with replicas).');
    }
    if (instance.options?.keyPrefix) {
      throw new ConfigurationError('The ioredis instance has keyPrefix set; BullMQ keys cannot use it. Remove keyPrefix and pass prefix to createQueueClient() instead.');
    }
    return { instance, options: {} };
  }
  if (typeof chosen !== 'object' || chosen === null) {
    throw new ConfigurationError('connection must be a Redis URL, ioredis options or an ioredis instance.');
  }
  if (chosen.keyPrefix) {
    throw new ConfigurationError('connection.keyPrefix is not supported by BullMQ; pass prefix to createQueueClient() instead.');
  }
  return { options: chosen };
}

// Another copy of ioredis (a different version in the app's tree) fails `instanceof`; duck-type it.
function isRedisLike(value: unknown): boolean {
  const candidate = value as Partial<Redis> | null;
  return typeof candidate?.duplicate === 'function' && typeof candidate?.sendCommand === 'function' && typeof candidate?.status === 'string';
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  // QUIT lets in-flight replies arrive; if Redis does not answer promptly, drop the socket.
  const timer = setTimeout(() => client.disconnect(), 1000);
  try {
    await client.quit();
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
