import type { DefaultJobOptions } from 'bullmq';
import { ConfigurationError } from '../errors';
import { checkJobOptions } from './job-options';

/**
 * Options a queue or job name applies to every job it creates unless the `add` call overrides them.
 * Plain objects (`backoff`, `removeOnComplete`, …) are deep-merged: root ← queue ← job name ← call.
 */
export type JobDefaults = DefaultJobOptions;

declare const dataType: unique symbol;
declare const resultType: unique symbol;

/**
 * One job name of a queue: its payload type, its result type and its default options.
 * The two type parameters exist only for the compiler; at run time this is just `{ defaults }`.
 */
export interface JobDefinition<DataType = unknown, ResultType = unknown> {
  readonly defaults?: JobDefaults;
  /** Phantom members carrying the types; never present at run time. */
  readonly [dataType]?: DataType;
  readonly [resultType]?: ResultType;
}

/**
 * Declares a job name's payload and result types. The types are a promise about what producers send
 * and handlers return; queuewire checks at run time that both are plain JSON.
 *
 * @example job<{ to: string }, { messageId: string }>({ attempts: 5 })
 */
export function job<DataType, ResultType = void>(defaults?: JobDefaults): JobDefinition<DataType, ResultType> {
  return defaults ? { defaults } : {};
}

/** A queue: the job names it carries and the defaults for its jobs. */
export interface QueueDefinition {
  readonly jobs: Readonly<Record<string, JobDefinition<any, any>>>;
  readonly defaults?: JobDefaults;
}

export type QueueDefinitions = Readonly<Record<string, QueueDefinition>>;

/** What `defineQueues` returns: the single source of queue names, job names, types and defaults. */
export interface QueueSet<Definitions extends QueueDefinitions = QueueDefinitions> {
  readonly definitions: Definitions;
  /** Defaults applied to every queue, under each queue's own `defaults`. */
  readonly defaults: JobDefaults;
}

/**
 * Completed and failed jobs are kept for a bounded time and number unless a definition says otherwise,
 * so Redis memory levels off instead of growing with every job ever run.
 */
export const DEFAULT_RETENTION: Readonly<Pick<JobDefaults, 'removeOnComplete' | 'removeOnFail'>> = Object.freeze({
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
});

/**
 * Declares the queues of an application. Web and worker processes import the same definition, so
 * producers, handlers and event listeners are all typed from it.
 *
 * @param definitions - queue name → `{ jobs: { jobName: job<Data, Result>() }, defaults? }`
 * @param options.defaults - job options for every queue, deep-merged under each queue's defaults
 * @throws ConfigurationError when a name or default option is invalid
 */
export function defineQueues<const Definitions extends QueueDefinitions>(
  definitions: Definitions,
  options: { defaults?: JobDefaults } = {},
): QueueSet<Definitions> {
  const queueNames = Object.keys(definitions);
  if (queueNames.length === 0) {
    throw new ConfigurationError('defineQueues() needs at least one queue, e.g. defineQueues({ email: { jobs: { welcome: job<{ to: string }>() } } }).');
  }
  checkJobOptions(options.defaults ?? {}, 'defineQueues() options.defaults', ConfigurationError);
  for (const queue of queueNames) {
    checkName(queue, 'Queue name');
    const definition = definitions[queue]!;
    if (typeof definition !== 'object' || definition === null || typeof definition.jobs !== 'object' || definition.jobs === null) {
      throw new ConfigurationError(`Queue "${queue}" needs a jobs object, e.g. { jobs: { send: job<{ to: string }>() } }.`);
    }
    const jobNames = Object.keys(definition.jobs);
    if (jobNames.length === 0) throw new ConfigurationError(`Queue "${queue}" declares no jobs; add at least one under jobs.`);
    checkJobOptions(definition.defaults ?? {}, `queues.${queue}.defaults`, ConfigurationError);
    for (const name of jobNames) {
      checkName(name, `Job name in queue "${queue}"`);
      checkJobOptions(definition.jobs[name]!.defaults ?? {}, `queues.${queue}.jobs.${name} defaults`, ConfigurationError);
    }
  }
  return Object.freeze({ definitions, defaults: options.defaults ?? {} });
}

// ':' separates queue and event in bus event names ('email:completed') and BullMQ refuses it in queue names.
function checkName(name: string, what: string): void {
  if (name.length === 0 || name.includes(':') || name.trim() !== name) {
    throw new ConfigurationError(`${what} "${name}" is invalid: use a non-empty name without ':' or surrounding spaces.`);
  }
}

// ---- Type helpers: everything public is typed from a QueueSet through these. ----

/** The queue names of a definition. */
export type QueueNameOf<Queues extends QueueSet> = Extract<keyof Queues['definitions'], string>;

/** The job names of one queue. */
export type JobNameOf<Queues extends QueueSet, Queue extends QueueNameOf<Queues>> = Extract<keyof Queues['definitions'][Queue]['jobs'], string>;

/** The payload type of one job name. */
export type JobDataOf<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  Queues['definitions'][Queue]['jobs'][Name] extends JobDefinition<infer DataType, any> ? DataType : never;

/**
 * The result type of one job name as stored and delivered: a handler that returns nothing
 * (`void`/`undefined`) yields `null`, since JSON has no `undefined`.
 */
export type JobResultOf<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  // Distributed over a union of names, so each job's `void` becomes `null` on its own (not `void | Result`).
  Name extends unknown
    ? Queues['definitions'][Queue]['jobs'][Name] extends JobDefinition<any, infer ResultType> ? StoredResult<ResultType> : never
    : never;

/** How a handler's return value looks once stored: `void` and `undefined` become `null`. */
export type StoredResult<ResultType> = [ResultType] extends [void] ? null : ResultType;

/** The result type a handler declares for one job name (before `void` is stored as `null`). */
export type JobReturnOf<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  Queues['definitions'][Queue]['jobs'][Name] extends JobDefinition<any, infer ResultType> ? ResultType : never;
