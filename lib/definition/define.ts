import type { DefaultJobOptions } from 'bullmq';
import { ConfigurationError } from '../errors';
import { refuseUnknownOptions } from '../known-options';
import { checkJobOptions } from './job-options';
import { checkLimits, checkTimeouts, type NumberSetting, type QueueLimits } from './limits';
import { checkSchedules, type ScheduleDefinition } from './schedule';
import { isStandardSchema, type StandardSchemaV1 } from './standard-schema';
import { checkChildJobs, declarable, type ChildJobRefs, type DeclaredJob } from './child-jobs';

/**
 * Options a queue or job name applies to every job it creates unless the `add` call overrides them.
 * Plain objects (`backoff`, `removeOnComplete`, …) are deep-merged: root ← queue ← job name ← call.
 */
export type JobDefaults = DefaultJobOptions;

declare const dataType: unique symbol;
declare const resultType: unique symbol;
declare const parsedType: unique symbol;

/**
 * One job name of a queue: its payload type, its result type and its default options; with a schema,
 * also the type its handler reads. The type parameters exist only for the compiler; at run time this
 * is just `{ defaults?, schema? }`.
 *
 * - `DataType`: what producers pass to `add` and what is stored in Redis (a schema's input type);
 * - `ResultType`: what the handler returns;
 * - `ParsedType`: what the handler reads as `job.data` (a schema's output type, after its transforms
 *   and defaults); the same as `DataType` for a job declared without a schema.
 */
export interface JobDefinition<DataType = unknown, ResultType = unknown, ParsedType = DataType> {
  readonly defaults?: JobDefaults;
  /** The Standard Schema the data is validated with, at enqueue and again in the worker. */
  readonly schema?: StandardSchemaV1<DataType, ParsedType>;
  /** The children it expects as the parent of a flow, declared with `.children()`. */
  readonly childJobs?: ChildJobRefs;
  /** Phantom members carrying the types; never present at run time. */
  readonly [dataType]?: DataType;
  readonly [resultType]?: ResultType;
  readonly [parsedType]?: ParsedType;
}

/**
 * A job name declared with a schema, whose handler returns nothing until `.returns<Result>()` says
 * otherwise (TypeScript cannot infer the schema and take the result type explicitly in one call).
 */
export interface SchemaJobDefinition<InputType, OutputType> extends DeclaredJob<InputType, void, OutputType> {
  /**
   * Declares the handler's result type; the definition is otherwise unchanged (same object at run time).
   *
   * @example job(z.object({ path: z.string() })).returns<{ out: string }>()
   */
  returns<ResultType>(): DeclaredJob<InputType, ResultType, OutputType>;
}

/**
 * Declares a job name from a Standard Schema (zod 4, valibot, arktype, …): producers pass the schema's
 * **input** type, and data is validated before it reaches Redis (`ValidationError`, HTTP 400); handlers
 * read the schema's **output** (transforms and defaults applied), validated again in the worker (a
 * mismatch fails the job without retries). What is stored is what the producer sent, so the worker's
 * check parses the same input and transforms run exactly once, where the data is used.
 *
 * @example job(z.object({ to: z.email(), name: z.string() }), { attempts: 5 }).returns<{ messageId: string }>()
 */
export function job<Schema extends StandardSchemaV1>(
  schema: Schema,
  defaults?: JobDefaults,
): SchemaJobDefinition<StandardSchemaV1.InferInput<Schema>, StandardSchemaV1.InferOutput<Schema>>;
/**
 * Declares a job name's payload and result types. The types are a promise about what producers send
 * and handlers return; queuewire checks at run time that both are plain JSON (declare the job with a
 * schema to check the shape too).
 *
 * @example job<{ to: string }, { messageId: string }>({ attempts: 5 })
 */
export function job<DataType, ResultType = void>(defaults?: JobDefaults): DeclaredJob<DataType, ResultType>;
export function job(schemaOrDefaults?: StandardSchemaV1 | JobDefaults, defaults?: JobDefaults): JobDefinition<any, any, any> {
  if (!isStandardSchema(schemaOrDefaults)) return declarable(schemaOrDefaults ? { defaults: schemaOrDefaults } : {});
  const definition: SchemaJobDefinition<unknown, unknown> = declarable({
    schema: schemaOrDefaults,
    ...(defaults ? { defaults } : {}),
    returns: () => definition as never,
  });
  return definition;
}

/** A queue: the job names it carries, the defaults for its jobs and its recurring jobs. */
export interface QueueDefinition {
  readonly jobs: Readonly<Record<string, JobDefinition<any, any, any>>>;
  readonly defaults?: JobDefaults;
  /** Concurrency and rate limits of the queue's workers; `startWorkers({ limits })` overrides them. */
  readonly limits?: QueueLimits;
  /**
   * Per job name, the ms a handler may run before its signal is aborted and the attempt fails with
   * `JobTimeoutError` (retried like any failure while attempts remain).
   */
  readonly timeouts?: Readonly<Record<string, NumberSetting>>;
  /**
   * Recurring jobs, by schedule id: each adds one of this queue's job names with fixed data on a cron
   * pattern or every so many ms. Written to Redis by `startWorkers` for the queues it serves.
   */
  readonly schedules?: Readonly<Record<string, ScheduleDefinition<string, any>>>;
}

/** The schedules a queue with these jobs may declare: each names one of them and carries its data type. */
export type SchedulesOf<Jobs extends QueueDefinition['jobs']> = Readonly<Record<string, {
  [Name in Extract<keyof Jobs, string>]: ScheduleDefinition<Name, Jobs[Name] extends JobDefinition<infer DataType, any, any> ? DataType : never>
}[Extract<keyof Jobs, string>]>>;

// Ties each queue's schedules to its own jobs (a constraint on QueueDefinitions alone cannot).
type TypedSchedules<Definitions extends QueueDefinitions> = {
  readonly [Queue in keyof Definitions]: { readonly schedules?: SchedulesOf<Definitions[Queue]['jobs']> };
};

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
 * @param definitions - queue name → `{ jobs: { jobName: job<Data, Result>() }, defaults?, schedules? }`
 * @param options.defaults - job options for every queue, deep-merged under each queue's defaults
 * @throws ConfigurationError when a name, default option or schedule is invalid
 */
export function defineQueues<const Definitions extends QueueDefinitions>(
  definitions: Definitions & TypedSchedules<Definitions>,
  options: { defaults?: JobDefaults } = {},
): QueueSet<Definitions> {
  const queueNames = Object.keys(definitions);
  if (queueNames.length === 0) {
    throw new ConfigurationError('defineQueues() needs at least one queue, e.g. defineQueues({ email: { jobs: { welcome: job<{ to: string }>() } } }).');
  }
  refuseUnknownOptions(options, ['defaults'], 'defineQueues() options');
  checkJobOptions(options.defaults ?? {}, 'defineQueues() options.defaults', ConfigurationError);
  for (const queue of queueNames) {
    checkName(queue, 'Queue name');
    const definition = definitions[queue]!;
    if (typeof definition !== 'object' || definition === null || typeof definition.jobs !== 'object' || definition.jobs === null) {
      throw new ConfigurationError(`Queue "${queue}" needs a jobs object, e.g. { jobs: { send: job<{ to: string }>() } }.`);
    }
    refuseUnknownOptions(definition, ['jobs', 'defaults', 'limits', 'timeouts', 'schedules'], `queues.${queue}`);
    const jobNames = Object.keys(definition.jobs);
    if (jobNames.length === 0) throw new ConfigurationError(`Queue "${queue}" declares no jobs; add at least one under jobs.`);
    checkLimits(definition.limits, `queues.${queue}.limits`);
    checkTimeouts(definition.timeouts, jobNames, `queues.${queue}.timeouts`);
    checkJobOptions(definition.defaults ?? {}, `queues.${queue}.defaults`, ConfigurationError);
    for (const name of jobNames) {
      checkName(name, `Job name in queue "${queue}"`);
      if (typeof definition.jobs[name] !== 'object' || definition.jobs[name] === null) {
        throw new ConfigurationError(`queues.${queue}.jobs.${name} must come from job(), e.g. job<{ to: string }>().`);
      }
      checkJobOptions(definition.jobs[name]!.defaults ?? {}, `queues.${queue}.jobs.${name} defaults`, ConfigurationError);
      const schema = definition.jobs[name]!.schema;
      if (schema !== undefined && !isStandardSchema(schema)) {
        throw new ConfigurationError(`queues.${queue}.jobs.${name}: schema is not a Standard Schema (V1): pass a zod 4, valibot or arktype schema, or declare the type with job<Data>().`);
      }
    }
    if (definition.schedules !== undefined) checkSchedules(queue, definition.schedules, jobNames);
  }
  // Once every queue is known to be well formed: children may name queues declared further down.
  for (const queue of queueNames) {
    for (const name of Object.keys(definitions[queue]!.jobs)) checkChildJobs(definitions, queue, name);
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

/**
 * The payload type of one job name as producers pass it and Redis stores it (for a job declared with a
 * schema: the schema's input type). Bus events and the job routes see stored jobs, so this type.
 */
export type JobDataOf<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  Queues['definitions'][Queue]['jobs'][Name] extends JobDefinition<infer DataType, any, any> ? DataType : never;

/**
 * The payload type a handler reads as `job.data`: a schema's output type (after its transforms and
 * defaults), else the declared payload type.
 */
export type JobHandlerDataOf<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  Queues['definitions'][Queue]['jobs'][Name] extends JobDefinition<any, any, infer ParsedType> ? ParsedType : never;

/**
 * The result type of one job name as stored and delivered: a handler that returns nothing
 * (`void`/`undefined`) yields `null`, since JSON has no `undefined`.
 */
export type JobResultOf<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  // Distributed over a union of names, so each job's `void` becomes `null` on its own (not `void | Result`).
  Name extends unknown
    ? Queues['definitions'][Queue]['jobs'][Name] extends JobDefinition<any, infer ResultType, any> ? StoredResult<ResultType> : never
    : never;

/** How a handler's return value looks once stored: `void` and `undefined` become `null`. */
export type StoredResult<ResultType> = [ResultType] extends [void] ? null : ResultType;

/** The result type a handler declares for one job name (before `void` is stored as `null`). */
export type JobReturnOf<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  Queues['definitions'][Queue]['jobs'][Name] extends JobDefinition<any, infer ResultType, any> ? ResultType : never;
