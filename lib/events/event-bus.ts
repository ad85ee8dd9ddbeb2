import type { Redis } from 'ioredis';
import type { QueueNameOf, QueueSet } from '../definition/define';
import { decodeEvent } from './event-decoder';
import { JOB_EVENT_NAMES, QUEUE_EVENT_NAMES, type EventMap } from './event-types';
import { GuardedEmitter } from './guarded-emitter';
import { StreamReader, type StreamBatch } from './stream-reader';
import { ClosedError, ConfigurationError, UnreadableEventStreamError } from '../errors';
import type { Logger } from '../logger';
import type { JobMetadata } from '../producer/job-metadata';

/** A finished job as the bus saw it, for waits on one job. */
export type JobOutcome = { state: 'completed'; returnvalue: unknown } | { state: 'failed'; failedReason: string };

/** What a wait on one job is told: its outcome, or that events of its queue were lost (so re-check). */
export interface JobWatcher {
  readonly onOutcome: (outcome: JobOutcome) => void;
  readonly onEventsLost: () => void;
}

/** The Redis keys of one queue that the bus reads. */
export interface BusStream {
  readonly queue: string;
  /** `<prefix>:<queue>:events`, where BullMQ writes the queue's events. */
  readonly eventsKey: string;
  /** `<prefix>:<queue>:`, to which a job id is appended to find the job's hash. */
  readonly jobKeyPrefix: string;
}

export interface EventBusOptions {
  /** Opens the bus's one blocking connection (called once, when the bus starts). */
  readonly openConnection: () => Redis;
  readonly streams: readonly BusStream[];
  readonly logger: Logger;
  /** How long one XREAD blocks before it is re-issued (ms). */
  readonly blockTimeout?: number;
  /** Reads a stored job's metadata (`metadataOf`), off the bus's blocking connection; never rejects. */
  readonly readMetadata?: (jobKey: string, timeout: number) => Promise<Readonly<JobMetadata>>;
}

const EVENT_NAMES: readonly string[] = [...JOB_EVENT_NAMES, ...QUEUE_EVENT_NAMES, 'events-lost'];
const BATCH_SIZE = 500;
const NAME_CACHE_SIZE = 10_000;
const RETRY_DELAY_MS = 500;
const NO_METADATA: Readonly<JobMetadata> = Object.freeze({});

/**
 * Re-emits every queue's BullMQ events from Redis in this process, through one blocking connection
 * whatever the number of queues: one `XREAD BLOCK` waits on all the queues' streams at once.
 *
 * Events come from Redis only (never from local workers), so a process sees each event once, in stream
 * order per queue, and every process with a bus sees every event. The bus starts on the first
 * `on`/`once`/`ready()`; after a reconnect it resumes after the last entry it read. If it fell so far
 * behind that Redis trimmed events it had not read, it says so with `events-lost`, never silently.
 */
export class EventBus<Queues extends QueueSet = QueueSet> extends GuardedEmitter<EventMap<Queues>> {
  private readonly names = new Map<string, string>();
  private readonly watchers = new Map<string, Set<JobWatcher>>();
  private connection: Redis | undefined;
  private reader: StreamReader | undefined;
  private eventNames: Set<string> | undefined;
  private streamsByKey: Map<string, BusStream> | undefined;
  private started: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: EventBusOptions) {
    super((error, event) => this.reportListenerError(error, event));
  }

  override on<Event extends Extract<keyof EventMap<Queues>, string>>(event: Event, listener: EventMap<Queues>[Event]): this {
    this.checkSubscription(event, listener);
    super.on(event, listener);
    this.startInBackground();
    return this;
  }

  override once<Event extends Extract<keyof EventMap<Queues>, string>>(event: Event, listener: EventMap<Queues>[Event]): this {
    this.checkSubscription(event, listener);
    super.once(event, listener);
    this.startInBackground();
    return this;
  }

  /**
   * Resolves once the bus has pinned its read position in every queue's stream: any event written
   * after this resolves will be delivered. Starts the bus if it is not running. While Redis is
   * unreachable it keeps waiting (race it with a timer if you need a bound).
   */
  ready(): Promise<void> {
    return this.start();
  }

  /**
   * Stops reading and closes the bus's connection. Listeners stay registered but receive nothing more.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return this.loop;
    this.closed = true;
    this.watchers.clear();
    // Dropping the socket interrupts the blocked XREAD at once instead of waiting out its timeout.
    this.connection?.disconnect();
    await this.loop;
  }

  /**
   * Tells `watcher` when the job completes or fails for good, or when events of its queue were lost
   * (then it should read the job's state itself). Returns the function that stops watching. Used by
   * waits; they also check the job's state themselves, so a wait never depends on the event alone.
   */
  watchJob(queue: string, jobId: string, watcher: JobWatcher): () => void {
    const key = `${queue}\0${jobId}`;
    let set = this.watchers.get(key);
    if (!set) this.watchers.set(key, (set = new Set()));
    set.add(watcher);
    return () => {
      set!.delete(watcher);
      if (set!.size === 0 && this.watchers.get(key) === set) this.watchers.delete(key);
    };
  }

  /**
   * The metadata of an event's job — `requestId` of the request that added it, what `beforeAdd` hooks
   * added — for a listener that logs or routes by it: events carry job ids, not jobs. One HGET of the
   * job's stored options on the client's producer connection, only when called; the bus itself reads
   * nothing per event. Resolves `{}` when the job has no metadata or is gone (retention removed it, or a
   * queue-wide event), or when Redis does not answer within `timeout` ms (default 1000); never rejects
   * for those, so a listener can use it without a try/catch.
   *
   * @example client.events.on('failed', async (e) => log.error({ requestId: (await client.events.metadataOf(e)).requestId }, e.failedReason))
   * @throws ConfigurationError (as a rejection) when `timeout` is not a positive whole number
   */
  async metadataOf(event: { readonly queue: QueueNameOf<Queues>; readonly jobId?: string }, options: { timeout?: number } = {}): Promise<Readonly<JobMetadata>> {
    const timeout = options.timeout ?? 1000;
    if (!Number.isInteger(timeout) || timeout <= 0) throw new ConfigurationError(`events.metadataOf(): timeout must be a positive whole number of ms; got ${String(timeout)}.`);
    const stream = this.options.streams.find((candidate) => candidate.queue === event?.queue);
    if (!stream || typeof event.jobId !== 'string' || !this.options.readMetadata) return NO_METADATA;
    return this.options.readMetadata(`${stream.jobKeyPrefix}${event.jobId}`, timeout);
  }

  /** Number of jobs being watched; stays flat when waits clean up after themselves. */
  get watchedJobCount(): number {
    return this.watchers.size;
  }

  // The types catch a misspelt event name; JavaScript callers get the same answer at run time instead of
  // a listener that silently never fires.
  private checkSubscription(event: string, listener: unknown): void {
    if (typeof listener !== 'function') throw new ConfigurationError(`events.on("${event}", …) needs a listener function.`);
    this.eventNames ??= new Set(['error', ...EVENT_NAMES, ...this.options.streams.flatMap((stream) => EVENT_NAMES.map((name) => `${stream.queue}:${name}`))]);
    if (!this.eventNames.has(event)) {
      throw new ConfigurationError(`events.on("${event}"): no such event. Use "<queue>:<event>" or "<event>" with a declared queue and one of: ${EVENT_NAMES.join(', ')}.`);
    }
  }

  // on()/once() start the bus without anyone awaiting the start. If it fails (the bus was closed while
  // it pinned its position, or was already closed) the rejection must not go unhandled: that would
  // crash the process. A failure of an open bus is reported like any other bus error.
  private startInBackground(): void {
    this.start().catch((error: unknown) => {
      if (!this.closed) this.reportError(error);
    });
  }

  private start(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('The event bus is closed; create a new client to listen again.'));
    this.started ??= this.pin().then(
      () => {
        this.loop = this.readForever();
      },
      (error: unknown) => {
        // Not cached: the next ready()/on() tries again instead of failing forever.
        this.started = undefined;
        this.connection?.disconnect();
        throw error;
      },
    );
    return this.started;
  }

  // Pins the read position at the newest entry of every stream now, so reading starts exactly here:
  // unlike '$', a pinned id cannot skip events written between ready() and the first read.
  private async pin(): Promise<void> {
    this.connection = this.options.openConnection();
    this.reader = new StreamReader(this.connection, this.options.streams.map((stream) => stream.eventsKey), {
      batchSize: BATCH_SIZE,
      blockTimeout: this.options.blockTimeout ?? 10_000,
    });
    await this.reader.pin();
    this.reportBrokenStreams();
  }

  private reportBrokenStreams(): void {
    for (const { key, reason } of this.reader!.takeBroken()) {
      const stream = this.options.streams.find((candidate) => candidate.eventsKey === key);
      this.reportError(new UnreadableEventStreamError(stream?.queue ?? key, key, reason));
    }
  }

  private async readForever(): Promise<void> {
    const connection = this.connection!;
    const reader = this.reader!;
    while (!this.closed) {
      try {
        const batches = await reader.next();
        this.reportBrokenStreams();
        if (batches.length > 0 && !this.closed) await this.dispatch(connection, reader, batches);
      } catch (error) {
        if (this.closed) return;
        this.reportError(error);
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
  }

  private async dispatch(connection: Redis, reader: StreamReader, batches: StreamBatch[]): Promise<void> {
    const streamsByKey = (this.streamsByKey ??= new Map(this.options.streams.map((stream) => [stream.eventsKey, stream])));
    const batch: Array<{ stream: BusStream; id: string; decoded: ReturnType<typeof decodeEvent> }> = [];
    for (const { key, entries, gap } of batches) {
      const stream = streamsByKey.get(key)!;
      if (gap) this.reportEventsLost(stream.queue, gap.afterId, gap.resumedAtId, gap.lost);
      for (const [id, flat] of entries) batch.push({ stream, id, decoded: decodeEvent(stream.queue, id, flat) });
    }
    await this.learnNames(connection, batch);
    for (const { stream, id, decoded } of batch) {
      reader.advance(stream.eventsKey, id);
      if (decoded instanceof Error) {
        this.reportError(decoded);
        continue;
      }
      if (decoded.kind === 'ignored') continue;
      if (decoded.kind === 'queue') {
        this.emitBoth(stream.queue, decoded.event, () => ({ queue: stream.queue, eventId: id, ...decoded.fields }));
        continue;
      }
      const { jobId } = decoded.fields;
      this.emitBoth(stream.queue, decoded.event, () => {
        // An `added` event names its own job; the cache holds the name of the latest add of this id.
        const own = decoded.event === 'added' ? decoded.fields.name : undefined;
        const name = typeof own === 'string' ? own : this.names.get(`${stream.queue}\0${jobId}`);
        return { ...decoded.fields, queue: stream.queue, jobId, name, eventId: id };
      });
      if (decoded.event === 'completed' || decoded.event === 'failed') this.settleWatchers(stream.queue, jobId, decoded);
    }
  }

  // Delivers to `<queue>:<event>` and to `<event>`. The payload is built only when one of them has a
  // listener: most events of a busy queue have none (an addAndWait caller waits for one outcome).
  private emitBoth(queue: string, event: string, payload: () => object): void {
    const scoped = `${queue}:${event}`;
    if (!this.hasListeners(scoped) && !this.hasListeners(event)) return;
    const built = payload();
    this.deliver(scoped, built);
    this.deliver(event, built);
  }

  private settleWatchers(queue: string, jobId: string, decoded: { event: string; fields: Record<string, unknown> }): void {
    const set = this.watchers.get(`${queue}\0${jobId}`);
    if (!set) return;
    const outcome: JobOutcome = decoded.event === 'completed'
      ? { state: 'completed', returnvalue: decoded.fields.returnvalue }
      : { state: 'failed', failedReason: String(decoded.fields.failedReason ?? '') };
    for (const watcher of [...set]) watcher.onOutcome(outcome);
  }

  // Events between afterId and resumedAtId were trimmed from Redis before this bus read them: say so
  // (listeners may resynchronise from job state), and make every wait on that queue re-read its job.
  private reportEventsLost(queue: string, afterEventId: string, resumedAtEventId: string, lost: number): void {
    this.options.logger.warn(`[queuewire] event bus fell behind queue "${queue}": ${lost} event(s) after ${afterEventId} were trimmed unread; resuming at ${resumedAtEventId}.`);
    this.emitBoth(queue, 'events-lost', () => ({ queue, afterEventId, resumedAtEventId, lost }));
    for (const [key, set] of this.watchers) {
      if (key.startsWith(`${queue}\0`)) for (const watcher of [...set]) watcher.onEventsLost();
    }
  }

  // Only `added` events name the job; for the others the name comes from a cache filled by `added`,
  // or from the job's hash, fetched for the whole batch in one pipeline while the connection is idle.
  private async learnNames(connection: Redis, batch: Array<{ stream: BusStream; decoded: ReturnType<typeof decodeEvent> }>): Promise<void> {
    const missing: Array<{ stream: BusStream; jobId: string }> = [];
    for (const { stream, decoded } of batch) {
      if (decoded instanceof Error || decoded.kind !== 'job') continue;
      const key = `${stream.queue}\0${decoded.fields.jobId}`;
      // The name stays in the fields: an `added` payload takes it from there.
      if (decoded.event === 'added' && typeof decoded.fields.name === 'string') {
        this.remember(key, decoded.fields.name);
      } else if (!this.names.has(key) && decoded.event !== 'removed') {
        missing.push({ stream, jobId: decoded.fields.jobId });
      }
    }
    if (missing.length === 0) return;
    const pipeline = connection.pipeline();
    for (const { stream, jobId } of missing) pipeline.hget(`${stream.jobKeyPrefix}${jobId}`, 'name');
    const replies = (await pipeline.exec()) ?? [];
    missing.forEach(({ stream, jobId }, index) => {
      const name = replies[index]?.[1];
      if (typeof name === 'string') this.remember(`${stream.queue}\0${jobId}`, name);
    });
  }

  private remember(key: string, name: string): void {
    this.names.delete(key);
    this.names.set(key, name);
    if (this.names.size > NAME_CACHE_SIZE) this.names.delete(this.names.keys().next().value!);
  }

  private reportError(error: unknown): void {
    const asError = error instanceof Error ? error : new Error(String(error));
    if (this.hasListeners('error')) this.deliver('error', asError);
    else this.options.logger.error(`[queuewire] event bus: ${asError.message}`);
  }

  private reportListenerError(error: unknown, event: string): void {
    if (event === 'error') {
      this.options.logger.error(`[queuewire] an event bus 'error' listener threw: ${String(error)}`);
      return;
    }
    const wrapped = new Error(`A listener for "${event}" threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    this.reportError(wrapped);
  }
}
