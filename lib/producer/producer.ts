import type { Job, Queue } from 'bullmq';
import type { Connections } from '../connection/connections';
import { DEFAULT_RETENTION, type JobDataOf, type JobNameOf, type JobResultOf, type QueueNameOf, type QueueSet } from '../definition/define';
import { ClosedError, InvalidJobOptionsError, PayloadTooLargeError, UnknownJobError, UnknownQueueError } from '../errors';
import type { EventBus } from '../events/event-bus';
import { checkJobOptions, mergeJobOptions, type JobOptions } from '../definition/job-options';
import { waitForJob } from './job-wait';
import { assertPlainJson } from '../definition/plain-json';
import { withinRedisTimeout } from '../connection/bounded-redis';

/** A job as `add` returns it: BullMQ's `Job`, typed by the definition. */
export type EnqueuedJob<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  Job<JobDataOf<Queues, Queue, Name>, JobResultOf<Queues, Queue, Name>, Name>;

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
  readonly events: () => EventBus<QueueSet>;
  readonly isClosed: () => boolean;
  /** Upper bound (ms) for any producer call to reach Redis. */
  readonly timeout: number;
  readonly maxPayloadBytes: number;
}

interface PreparedJob {
  queue: string;
  name: string;
  data: unknown;
  options: JobOptions;
}

const DEFAULT_WAIT_TIMEOUT = 30_000;

/**
 * Adds jobs to the queues of one definition. Every call validates its input completely before touching
 * Redis, and settles within the client's `producerTimeout`: with Redis away it rejects with
 * `QueueUnavailableError` (HTTP 503) rather than hanging the request.
 *
 * One producer serves all requests of a process; it holds no per-request state.
 */
export class Producer<Queues extends QueueSet = QueueSet> {
  // Defaults merged once per job name (retention ← root ← queue ← job), so a call only merges its own options.
  private readonly defaults = new Map<string, JobOptions>();

  constructor(private readonly context: ProducerContext) {
    const { definitions, defaults } = context.queues;
    for (const [queue, definition] of Object.entries(definitions)) {
      for (const [name, job] of Object.entries(definition.jobs)) {
        this.defaults.set(`${queue}\0${name}`, mergeJobOptions<JobOptions>(DEFAULT_RETENTION, defaults, definition.defaults, job.defaults));
      }
    }
  }

  /**
   * Adds one job. Resolves with the stored job once Redis has accepted it. When `options.jobId` names
   * a job that already exists, nothing is added and the existing job is returned (de-duplication
   * lasts as long as that job is kept: see the retention settings).
   *
   * @throws UnknownQueueError, UnknownJobError, UnserializableValueError, PayloadTooLargeError,
   *   InvalidJobOptionsError — synchronously checked, before Redis is touched
   * @throws QueueUnavailableError when Redis cannot take the job within `producerTimeout`
   */
  async add<Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>>(
    queue: Queue,
    name: Name,
    data: JobDataOf<Queues, Queue, Name>,
    options?: JobOptions,
  ): Promise<EnqueuedJob<Queues, Queue, Name>> {
    const prepared = this.prepare(queue, name, data, options, `add("${queue}", "${name}")`);
    const handle = this.context.queueHandle(queue);
    const job = await this.reachRedis(async () => {
      const added = await handle.add(prepared.name, prepared.data, prepared.options);
      return prepared.options.jobId ? (await handle.getJob(added.id!)) ?? added : added;
    });
    return job as EnqueuedJob<Queues, Queue, Name>;
  }

  /**
   * Adds many jobs, possibly to several queues; jobs of one queue are added atomically (one MULTI).
   * Resolves with the jobs in the order given. Duplicate job ids resolve to the existing job, as in `add`.
   */
  async addBulk(jobs: ReadonlyArray<BulkJob<Queues>>): Promise<Array<BulkEnqueuedJob<Queues>>> {
    const prepared = jobs.map((entry, index) =>
      this.prepare(entry.queue, entry.name, entry.data, entry.options, `addBulk() entry ${index} ("${entry.queue}", "${entry.name}")`));
    const byQueue = new Map<string, number[]>();
    prepared.forEach((job, index) => byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), index]));
    const result = new Array<Job>(prepared.length);
    await this.reachRedis(() =>
      Promise.all([...byQueue].map(async ([queue, indexes]) => {
        const handle = this.context.queueHandle(queue);
        const added = await handle.addBulk(indexes.map((i) => ({ name: prepared[i]!.name, data: prepared[i]!.data, opts: prepared[i]!.options })));
        await Promise.all(added.map(async (job, position) => {
          const index = indexes[position]!;
          result[index] = prepared[index]!.options.jobId ? (await handle.getJob(job.id!)) ?? job : job;
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
    if (!Number.isInteger(timeout) || timeout <= 0) {
      throw new InvalidJobOptionsError(`addAndWait("${queue}", "${name}") options: "timeout" must be a positive whole number of milliseconds; got ${String(timeout)}.`);
    }
    this.prepare(queue, name, data, jobOptions, `addAndWait("${queue}", "${name}")`);
    const bus = this.context.events();
    await this.reachRedis(() => bus.ready());
    const job = await this.add(queue, name, data, jobOptions);
    return (await waitForJob({ bus, handle: this.context.queueHandle(queue), queue, jobId: job.id!, timeout })) as JobResultOf<Queues, Queue, Name>;
  }

  private prepare(queue: string, name: string, data: unknown, options: JobOptions | undefined, where: string): PreparedJob {
    if (this.context.isClosed()) throw new ClosedError('This queue client is closed; create a new one to add jobs.');
    const definition = Object.hasOwn(this.context.queues.definitions, queue) ? this.context.queues.definitions[queue] : undefined;
    if (!definition) throw new UnknownQueueError(String(queue), Object.keys(this.context.queues.definitions));
    const defaults = this.defaults.get(`${queue}\0${name}`);
    if (!defaults) throw new UnknownJobError(queue, String(name), Object.keys(definition.jobs));
    assertPlainJson(data, 'data');
    const bytes = Buffer.byteLength(JSON.stringify(data));
    if (bytes > this.context.maxPayloadBytes) throw new PayloadTooLargeError(bytes, this.context.maxPayloadBytes, `The data of ${where}`);
    if (options === undefined) return { queue, name, data, options: defaults };
    checkJobOptions(options, `${where} options`);
    return { queue, name, data, options: mergeJobOptions(defaults, options) };
  }

  // Nothing is sent while the connection is down, so a request that was told "unavailable" did not
  // enqueue anything.
  private reachRedis<Result>(work: () => Promise<Result>): Promise<Result> {
    return withinRedisTimeout(this.context.connections, this.context.timeout, work);
  }

}
