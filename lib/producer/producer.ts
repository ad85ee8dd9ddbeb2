import { randomUUID } from 'node:crypto';
import type { FlowProducer, Job, JobNode, JobsOptions, Queue } from 'bullmq';
import type { Connections } from '../connection/connections';
import { type JobDataOf, type JobDefinition, type JobNameOf, type JobResultOf, type QueueNameOf, type QueueSet } from '../definition/define';
import { ClosedError, InvalidJobOptionsError, PayloadTooLargeError, UnknownJobError, UnknownQueueError } from '../errors';
import type { EventBus } from '../events/event-bus';
import { checkJobOptions, mergeJobOptions, type JobOptions } from '../definition/job-options';
import { waitForJob } from './job-wait';
import { jobDefaultsOf } from '../definition/job-defaults';
import { plainJsonBytes } from '../definition/plain-json';
import { withinRedisTimeout } from '../connection/bounded-redis';
import { validateJobData } from '../definition/validation';
import type { BeforeAddHook } from './add-hooks';
import { encodeMetadata, type JobMetadata } from './job-metadata';
import { idempotencyDeduplicationId, type RequestScope } from './request-scope';
import { toBullFlow, walkFlow, type EnqueuedFlow, type FlowNodeOf, type PreparedFlowNode, type WalkedNode } from './flow';
import { cancelJob, type CancelResult } from '../cancel/cancel-job';
import { shown } from '../shown-value';

/** A job as `add` returns it: BullMQ's `Job`, typed by the definition, and whether it was already there. */
export type EnqueuedJob<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  Job<JobDataOf<Queues, Queue, Name>, JobResultOf<Queues, Queue, Name>, Name> & {
    /**
     * True when this add stored nothing and the job is the one an earlier add stored: a repeated
     * idempotency key (or BullMQ `deduplication` id) within its window, or a `jobId` that exists (see
     * C16; for a custom `jobId` this compares the stored job with the one this call built, so two
     * identical adds in the same millisecond may both report false). A route can answer 200 with the
     * original instead of 202. Not enumerable: it is not part of the job.
     */
    readonly duplicate: boolean;
  };

/**
 * A job as `addBulk` returns it: one of the definition's jobs, typed as the union of them all (BullMQ's
 * plain `Job` would type `data` and `returnvalue` as `any`). Narrow it by `queueName` and `name`.
 */
export type BulkEnqueuedJob<Queues extends QueueSet> = {
  [Queue in QueueNameOf<Queues>]: { [Name in JobNameOf<Queues, Queue>]: EnqueuedJob<Queues, Queue, Name> }[JobNameOf<Queues, Queue>];
}[QueueNameOf<Queues>];

/** One entry of `addBulk`, typed per queue and job name. */
export type BulkJob<Queues extends QueueSet> = {
  [Queue in QueueNameOf<Queues>]: {
    [Name in JobNameOf<Queues, Queue>]: { queue: Queue; name: Name; data: JobDataOf<Queues, Queue, Name>; options?: JobOptions };
  }[JobNameOf<Queues, Queue>];
}[QueueNameOf<Queues>];

/** Options of `addAndWait`: job options plus how long to wait for the result. */
export interface AddAndWaitOptions extends JobOptions {
  /** Milliseconds to wait for the job to finish before rejecting with `WaitTimeoutError`. Default 30 000. */
  timeout?: number;
}

/** What the producer needs from its client; kept narrow so the producer can be tested on its own. */
export interface ProducerContext {
  readonly queues: QueueSet;
  readonly connections: Connections;
  readonly queueHandle: (queue: string) => Queue;
  /** BullMQ's FlowProducer of the client, on the same producer connection (created on first use). */
  readonly flowProducer: () => FlowProducer;
  readonly events: () => EventBus<QueueSet>;
  readonly isClosed: () => boolean;
  /** Upper bound (ms) for any producer call to reach Redis. */
  readonly timeout: number;
  readonly maxPayloadBytes: number;
  /** Hooks run, in order, before each job is added. */
  readonly beforeAdd: ReadonlyArray<BeforeAddHook<any>>;
  /** How long (ms) a repeated idempotency key returns the original job. */
  readonly idempotencyWindow: number;
}

/** A job that passed the synchronous checks, before its schema, hooks and queuewire's own options. */
interface CheckedJob {
  queue: string;
  name: string;
  data: unknown;
  definition: JobDefinition<any, any, any>;
  options: JobOptions;
  where: string;
  /** Set when the add is made under an idempotency key. */
  deduplicationId: string | undefined;
}

/** A job ready for Redis. */
interface PreparedJob {
  queue: string;
  name: string;
  data: unknown;
  options: JobsOptions;
  /** queuewire chose `options.jobId` (to tell a deduplicated add from a new job), not the caller. */
  generatedId: boolean;
}

const DEFAULT_WAIT_TIMEOUT = 30_000;

/**
 * Adds jobs to the queues of one definition. Every call validates its input completely before touching
 * Redis, and settles within the client's `producerTimeout`: with Redis away it rejects with
 * `QueueUnavailableError` (HTTP 503) rather than hanging the request.
 *
 * One producer serves all requests of a process. `withRequest()` gives a request its own view of it
 * (what the middleware puts on `req.queue`): the same connection and queues, plus the request's id and
 * idempotency key.
 */
export class Producer<Queues extends QueueSet = QueueSet> {
  // Defaults merged once per job name (retention ← root ← queue ← job), so a call only merges its own
  // options; shared by every per-request view.
  private readonly defaults: Map<string, Map<string, JobOptions>>;
  // Adds made so far per job name under this view's idempotency key (see idempotencyDeduplicationId);
  // created by the first such add, as most requests carry no key.
  private ordinals: Map<string, number> | undefined;

  /**
   * @internal Created by the client (`client.producer`) and by `withRequest`; `scope` and `defaults`
   * are for the latter.
   */
  constructor(private readonly context: ProducerContext, private readonly scope?: RequestScope, defaults?: Map<string, Map<string, JobOptions>>) {
    this.defaults = defaults ?? mergedDefaults(context.queues);
  }

  /** The request this producer adds for (`withRequest`), or `undefined` for the client's own producer. */
  get request(): RequestScope | undefined {
    return this.scope;
  }

  /**
   * A view of this producer for one request: jobs it adds carry `scope.requestId` (and
   * `scope.metadata`) in their metadata,
   * and with `scope.idempotencyKey` its adds are idempotent — repeating them (same key, same job names
   * in the same order) within the client's `idempotencyWindow` adds nothing and returns the original
   * jobs with `duplicate: true`. Cheap: no connections, no copies of the definition; create one per
   * request (the middleware does).
   */
  withRequest(scope: RequestScope): Producer<Queues> {
    return new Producer<Queues>(this.context, Object.freeze({ ...scope }), this.defaults);
  }

  /**
   * Adds one job. Resolves with the stored job once Redis has accepted it. When `options.jobId` names
   * a job that already exists, nothing is added and the existing job is returned (de-duplication
   * lasts as long as that job is kept: see the retention settings); the same goes for a repeated
   * idempotency key within its window. Either way `job.duplicate` is true.
   *
   * Order of checks, all before Redis is touched: queue and job name, plain JSON, size, options and
   * idempotency key (synchronous); the job's schema (may be async); then the `beforeAdd` hooks.
   *
   * @throws UnknownQueueError, UnknownJobError, UnserializableValueError, PayloadTooLargeError,
   *   InvalidJobOptionsError, InvalidIdempotencyKeyError, ValidationError, or what a hook throws
   *   (e.g. AddRefusedError)
   * @throws QueueUnavailableError when Redis cannot take the job within `producerTimeout`
   */
  async add<Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>>(
    queue: Queue,
    name: Name,
    data: JobDataOf<Queues, Queue, Name>,
    options?: JobOptions,
  ): Promise<EnqueuedJob<Queues, Queue, Name>> {
    const checked = this.check(queue, name, data, options, `add("${queue}", "${name}")`);
    const completed = this.complete(checked);
    return (await this.store(completed instanceof Promise ? await completed : completed)) as EnqueuedJob<Queues, Queue, Name>;
  }

  /**
   * Adds many jobs, possibly to several queues; jobs of one queue are added atomically (one MULTI).
   * Resolves with the jobs in the order given. Duplicate job ids resolve to the existing job, as in `add`.
   * Every entry is checked, validated and passed through the hooks before any is sent.
   */
  async addBulk(jobs: ReadonlyArray<BulkJob<Queues>>): Promise<Array<BulkEnqueuedJob<Queues>>> {
    if (!Array.isArray(jobs)) throw new InvalidJobOptionsError('addBulk() takes an array of { queue, name, data, options? }.');
    const malformed = jobs.findIndex((entry) => typeof entry !== 'object' || entry === null || Array.isArray(entry));
    if (malformed >= 0) throw new InvalidJobOptionsError(`addBulk() entry ${malformed} must be an object { queue, name, data, options? }.`);
    const checked = jobs.map((entry, index) =>
      this.check(entry.queue, entry.name, entry.data, entry.options, `addBulk() entry ${index} ("${entry.queue}", "${entry.name}")`));
    const prepared: PreparedJob[] = [];
    // One after another, so hooks see the entries in order and the first refusal is the one reported.
    for (const entry of checked) prepared.push(await this.complete(entry));
    const byQueue = new Map<string, number[]>();
    prepared.forEach((job, index) => byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), index]));
    const result = new Array<Job>(prepared.length);
    await this.reachRedis(() =>
      Promise.all([...byQueue].map(async ([queue, indexes]) => {
        const handle = this.context.queueHandle(queue);
        const added = await handle.addBulk(indexes.map((i) => ({ name: prepared[i]!.name, data: prepared[i]!.data, opts: prepared[i]!.options })));
        await Promise.all(added.map(async (job, position) => {
          const index = indexes[position]!;
          result[index] = await resolveStored(handle, prepared[index]!, job);
        }));
      })));
    return result as Array<BulkEnqueuedJob<Queues>>;
  }

  /**
   * Adds a job and resolves with its result once a worker completed it, or rejects with
   * `JobFailedError` if it failed for good, or `WaitTimeoutError` after `options.timeout` (the job
   * stays queued). A job that finishes before the wait is in place is still seen: the wait subscribes
   * to the event bus first, then checks the job's stored state.
   */
  async addAndWait<Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>>(
    queue: Queue,
    name: Name,
    data: JobDataOf<Queues, Queue, Name>,
    options: AddAndWaitOptions = {},
  ): Promise<JobResultOf<Queues, Queue, Name>> {
    const { timeout = DEFAULT_WAIT_TIMEOUT, ...jobOptions } = options;
    // setTimeout cannot wait longer than 2^31 - 1 ms; beyond that Node would fire at once.
    if (!Number.isInteger(timeout) || timeout <= 0 || timeout > 2 ** 31 - 1) {
      throw new InvalidJobOptionsError(`addAndWait("${queue}", "${name}") options: "timeout" must be a whole number of milliseconds from 1 to 2147483647; got ${String(timeout)}.`);
    }
    const checked = this.check(queue, name, data, jobOptions, `addAndWait("${queue}", "${name}")`);
    const prepared = await this.complete(checked);
    const bus = this.context.events();
    await this.reachRedis(() => bus.ready());
    const handle = this.context.queueHandle(queue);
    // When the id is known before the add, watch before adding: storing a job with a given id takes
    // one more round trip (to return the stored job), long enough for a quick job to finish, and even
    // be removed by its retention, before a watch set up afterwards could see it.
    const knownId = prepared.options.jobId;
    const stopEarly = new AbortController();
    const early = knownId === undefined ? undefined : waitForJob({ bus, handle, redis: this.context.connections.producer, queue, jobId: knownId, timeout, signal: stopEarly.signal });
    early?.catch(() => undefined);
    let job: Awaited<ReturnType<typeof this.store>>;
    try {
      job = await this.store(prepared);
    } catch (error) {
      stopEarly.abort(error);
      throw error;
    }
    if (early && job.id === knownId) return (await early) as JobResultOf<Queues, Queue, Name>;
    stopEarly.abort(new Error('The job was stored under another id.'));
    return (await waitForJob({ bus, handle, redis: this.context.connections.producer, queue, jobId: job.id!, timeout })) as JobResultOf<Queues, Queue, Name>;
  }

  /**
   * Adds a flow: a parent job and the children it waits for, possibly across queues and several levels
   * deep (BullMQ's FlowProducer), in one atomic step — all of its jobs are stored, or none. Children run
   * first; the parent waits in `waiting-children` and runs once they all completed, reading their results
   * with `childResults(job)`. A parent's children must be job names its definition expects
   * (`job().children({ queue: 'jobName' })`), checked at compile time and again here.
   *
   * Every node is checked as `add` checks a job (queue and job name, plain JSON, size, options, schema,
   * then the `beforeAdd` hooks, parents before children), and nothing is sent until all passed. Flows do
   * not take part in a request's idempotency key, and refuse the `deduplication` option (see `FlowJobOptions`).
   *
   * @throws InvalidFlowError for a malformed tree or a child its parent does not expect; otherwise the
   *   errors of `add`
   * @throws QueueUnavailableError when Redis cannot take the flow within `producerTimeout`
   */
  async flow<Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>>(
    tree: FlowNodeOf<Queues, Queue, Name>,
  ): Promise<EnqueuedFlow<Job<JobDataOf<Queues, Queue, Name>, JobResultOf<Queues, Queue, Name>, Name>, Queues>> {
    const checked = walkFlow(this.context.queues, tree, (node) => this.check(node.queue, node.name, node.data, node.options, node.where, false));
    const prepared = await this.prepareFlow(checked);
    const added = await this.reachRedis(() => this.context.flowProducer().add(toBullFlow(prepared)));
    return enqueuedFlow(added) as EnqueuedFlow<Job<JobDataOf<Queues, Queue, Name>, JobResultOf<Queues, Queue, Name>, Name>, Queues>;
  }

  // Schema, hooks and queuewire's options for every node of a flow, one after another (parents first),
  // so hooks see the nodes in a fixed order and the first refusal is the one reported.
  private async prepareFlow(node: WalkedNode<CheckedJob>): Promise<PreparedFlowNode> {
    const { queue, name, data, options } = await this.complete(node.checked);
    const children: PreparedFlowNode[] = [];
    for (const child of node.children) children.push(await this.prepareFlow(child));
    return { queue, name, data, options, children };
  }

  /**
   * Cancels a job from any process. Not started yet (waiting, delayed, …): removed. Running: the
   * request is published to every worker process of this prefix, and the one holding the job aborts
   * its handler's signal and fails it with `JobCancelledError` (no retries). Finished or unknown: nothing
   * happens. Never throws for the job's state: the result's `outcome` says what was done.
   *
   * @throws UnknownQueueError, InvalidJobOptionsError (an id that is not a non-empty string)
   * @throws QueueUnavailableError when Redis cannot be reached within `producerTimeout`
   */
  async cancel(queue: QueueNameOf<Queues>, jobId: string, options: { reason?: string } = {}): Promise<CancelResult> {
    if (this.context.isClosed()) throw new ClosedError('This queue client is closed; create a new one to cancel jobs.');
    if (!Object.hasOwn(this.context.queues.definitions, queue)) throw new UnknownQueueError(String(queue), Object.keys(this.context.queues.definitions));
    if (typeof jobId !== 'string' || jobId.length === 0) throw new InvalidJobOptionsError(`cancel("${queue}", …): the job id must be a non-empty string; got ${shown(jobId)}.`);
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new InvalidJobOptionsError(`cancel("${queue}", "${jobId}", …): options must be an object such as { reason: 'uploaded again' }; got ${shown(options)}.`);
    }
    const unknownKey = Object.keys(options).find((key) => key !== 'reason');
    if (unknownKey !== undefined) throw new InvalidJobOptionsError(`cancel("${queue}", "${jobId}"): unknown option "${unknownKey}". Known options: reason.`);
    if (options.reason !== undefined && typeof options.reason !== 'string') throw new InvalidJobOptionsError(`cancel("${queue}", "${jobId}"): reason must be a string.`);
    const handle = this.context.queueHandle(queue);
    const producer = this.context.connections.producer;
    return this.reachRedis(() => cancelJob(handle, jobId, options.reason, (channel, message) => producer.publish(channel, message)));
  }

  // The synchronous checks. Also takes the add's ordinal under an idempotency key, so ordinals follow
  // the order of the calls even when their async parts interleave.
  private check(queue: string, name: string, data: unknown, options: JobOptions | undefined, where: string, underIdempotencyKey = true): CheckedJob {
    if (this.context.isClosed()) throw new ClosedError('This queue client is closed; create a new one to add jobs.');
    const definition = Object.hasOwn(this.context.queues.definitions, queue) ? this.context.queues.definitions[queue] : undefined;
    if (!definition) throw new UnknownQueueError(String(queue), Object.keys(this.context.queues.definitions));
    // Two lookups rather than one by a joined key: no string is built on every add.
    const defaults = this.defaults.get(queue)?.get(name);
    if (!defaults) throw new UnknownJobError(queue, String(name), Object.keys(definition.jobs));
    const bytes = plainJsonBytes(data, 'data', this.context.maxPayloadBytes);
    if (bytes > this.context.maxPayloadBytes) throw new PayloadTooLargeError(bytes, this.context.maxPayloadBytes, `The data of ${where}`);
    if (options !== undefined) checkJobOptions(options, `${where} options`);
    let deduplicationId: string | undefined;
    if (underIdempotencyKey && this.scope?.idempotencyKey !== undefined) {
      const key = `${queue}\0${name}`;
      this.ordinals ??= new Map();
      const ordinal = (this.ordinals.get(key) ?? 0) + 1;
      this.ordinals.set(key, ordinal);
      deduplicationId = idempotencyDeduplicationId(this.scope.idempotencyKey, name, ordinal);
    }
    return {
      queue, name, data, where, deduplicationId,
      definition: definition.jobs[name]!,
      options: options === undefined ? defaults : mergeJobOptions(defaults, options),
    };
  }

  // The schema (async schemas allowed) and the hooks, then queuewire's options. Synchronous when the
  // job has neither, as most do: an add then costs no extra promise and no extra turn.
  private complete(job: CheckedJob): PreparedJob | Promise<PreparedJob> {
    const metadata: JobMetadata = { ...this.scope?.metadata };
    if (this.scope?.requestId !== undefined) metadata.requestId = this.scope.requestId;
    if (!job.definition.schema && this.context.beforeAdd.length === 0) return this.prepare(job, metadata);
    return this.validateAndHook(job, metadata).then(() => this.prepare(job, metadata));
  }

  private async validateAndHook(job: CheckedJob, metadata: JobMetadata): Promise<void> {
    const { queue, name, data, where } = job;
    if (job.definition.schema) await validateJobData(job.definition.schema, data, { queue, name, where });
    for (const hook of this.context.beforeAdd) {
      await hook({ queue, name, data, options: job.options, request: this.scope, metadata } as Parameters<BeforeAddHook>[0]);
    }
  }

  private prepare(job: CheckedJob, metadata: JobMetadata): PreparedJob {
    const { queue, name, data, where } = job;
    const encoded = encodeMetadata(metadata, where);
    // One literal, not a copy and then a new property: V8 builds it in one step, on every add.
    const options: JobsOptions = encoded === undefined ? { ...job.options } : { ...job.options, telemetry: { metadata: encoded } };
    // An explicit deduplication option on the call is more specific than the request's key: it wins.
    if (job.deduplicationId !== undefined && options.deduplication === undefined) {
      options.deduplication = { id: job.deduplicationId, ttl: this.context.idempotencyWindow };
    }
    // BullMQ answers a deduplicated add with the id of the job that holds the key, and a new job with
    // the id it was given: choosing the id tells the two apart (a generated id could be either).
    const generatedId = options.deduplication !== undefined && options.jobId === undefined;
    if (generatedId) options.jobId = randomUUID();
    return { queue, name, data, options, generatedId };
  }

  // Sends one prepared job; resolves with the job it stands for (see resolveStored).
  private store(prepared: PreparedJob): Promise<Job> {
    const handle = this.context.queueHandle(prepared.queue);
    return this.reachRedis(async () => resolveStored(handle, prepared, await handle.add(prepared.name, prepared.data, prepared.options)));
  }

  // Nothing is sent while the connection is down, so a request that was told "unavailable" did not
  // enqueue anything.
  private reachRedis<Result>(work: () => Promise<Result>): Promise<Result> {
    return withinRedisTimeout(this.context.connections, this.context.timeout, work);
  }
}

function mergedDefaults(queues: QueueSet): Map<string, Map<string, JobOptions>> {
  const defaults = new Map<string, Map<string, JobOptions>>();
  for (const [queue, definition] of Object.entries(queues.definitions)) {
    defaults.set(queue, new Map(Object.keys(definition.jobs).map((name) => [name, jobDefaultsOf(queues, queue, name)])));
  }
  return defaults;
}

/**
 * The job an add resolves with, marked `duplicate` when it is not the one this add built: after a
 * deduplicated add, the job holding the key (or, once retention removed it, BullMQ's answer carrying
 * its id, whose state reads `unknown`); after an add whose `jobId` existed, the stored job.
 */
async function resolveStored(handle: Queue, prepared: PreparedJob, added: Job): Promise<Job> {
  const jobId = prepared.options.jobId;
  if (jobId === undefined) return marked(added, false);
  if (added.id !== jobId) return marked((await handle.getJob(added.id!)) ?? added, true);
  if (prepared.generatedId) return marked(added, false);
  const stored = await handle.getJob(jobId);
  if (!stored) return marked(added, false);
  const same = stored.timestamp === added.timestamp
    && JSON.stringify(stored.data) === JSON.stringify(added.data)
    && stored.opts.telemetry?.metadata === added.opts.telemetry?.metadata;
  return marked(stored, !same);
}

function enqueuedFlow(node: JobNode): EnqueuedFlow<Job, QueueSet> {
  return { job: node.job, children: (node.children ?? []).map(enqueuedFlow) } as EnqueuedFlow<Job, QueueSet>;
}

function marked(job: Job, duplicate: boolean): Job {
  return Object.defineProperty(job, 'duplicate', { value: duplicate, enumerable: false, configurable: true });
}

