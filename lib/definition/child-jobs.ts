import { ConfigurationError } from '../errors';
import type { JobDefinition, JobNameOf, QueueDefinitions, QueueNameOf, QueueSet } from './define';
import { isPlainObject } from './job-options';

/**
 * The children a parent job expects, by queue: `{ media: 'thumbnail', text: 'wordCount' }` — its
 * children are `thumbnail` jobs of `media` and `wordCount` jobs of `text`, as many of each as a flow
 * gives. One job name per queue, so a child's stored result (BullMQ keys it by queue and job id) says
 * by its queue alone which result type it has: the parent reads them without another Redis read.
 */
export type ChildJobRefs = Readonly<Record<string, string>>;

/** A job name that expects children: `job<Data, Result>().children({ queue: 'jobName' })`. */
export interface ParentJobDefinition<DataType, ResultType, ParsedType, Refs extends ChildJobRefs> extends JobDefinition<DataType, ResultType, ParsedType> {
  /** The children it expects (see `ChildJobRefs`). */
  readonly childJobs: Refs;
}

/** What `job()` returns: a job definition that may still declare the children it expects. */
export interface DeclaredJob<DataType, ResultType, ParsedType = DataType> extends JobDefinition<DataType, ResultType, ParsedType> {
  /**
   * Declares the children this job expects when it is the parent of a flow (`producer.flow()`), one
   * job name per queue: `job<{ title: string }, Report>().children({ media: 'thumbnail', text: 'wordCount' })`.
   * A flow may then give it any number of such children (and no others); its handler reads their
   * results, typed, with `childResults(job)`. Returns a new definition; chain it last (after `.returns()`).
   *
   * @throws ConfigurationError when `refs` is not a non-empty object of job names (unknown queues and
   *   job names are refused by `defineQueues`)
   */
  children<const Refs extends ChildJobRefs>(refs: Refs): ParentJobDefinition<DataType, ResultType, ParsedType, Refs>;
}

/**
 * Adds the `children()` method to a definition `job()` built; not enumerable, so the definition still
 * reads (and compares) as its plain data.
 */
export function declarable<Definition extends JobDefinition<any, any, any>>(definition: Definition): Definition & { children: DeclaredJob<any, any, any>['children'] } {
  const children = (refs: ChildJobRefs): JobDefinition<any, any, any> => {
    if (!isPlainObject(refs) || Object.keys(refs).length === 0 || !Object.values(refs).every((name) => typeof name === 'string')) {
      throw new ConfigurationError('job().children() takes an object of queue → job name, e.g. .children({ media: \'thumbnail\' }).');
    }
    const { defaults, schema } = definition;
    return Object.freeze({ ...(defaults ? { defaults } : {}), ...(schema ? { schema } : {}), childJobs: Object.freeze({ ...refs }) });
  };
  return Object.defineProperty(definition, 'children', { value: children, enumerable: false, configurable: true }) as never;
}

/** Refuses child refs that name an undeclared queue or job name, at `defineQueues` time. */
export function checkChildJobs(definitions: QueueDefinitions, queue: string, name: string): void {
  const refs = definitions[queue]!.jobs[name]!.childJobs;
  if (refs === undefined) return;
  for (const [childQueue, childName] of Object.entries(refs)) {
    const declared = Object.hasOwn(definitions, childQueue) ? definitions[childQueue] : undefined;
    if (!declared) {
      throw new ConfigurationError(`queues.${queue}.jobs.${name}.children(): unknown queue "${childQueue}"; declared queues: ${Object.keys(definitions).join(', ')}.`);
    }
    if (!Object.hasOwn(declared.jobs, childName)) {
      throw new ConfigurationError(`queues.${queue}.jobs.${name}.children(): queue "${childQueue}" has no job named "${childName}"; declared: ${Object.keys(declared.jobs).join(', ')}.`);
    }
  }
}

/**
 * The children a job name expects, as `{ queue, name }` pairs; `never` for a job that declared none.
 * For the untyped `QueueSet` (a producer without a registered definition) any queue and name.
 */
export type ChildJobsOf<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> =
  string extends Queue
    ? { queue: string; name: string }
    : Queues['definitions'][Queue]['jobs'][Name] extends { readonly childJobs: infer Refs }
      ? { [ChildQueue in Extract<keyof Refs, QueueNameOf<Queues>>]: { queue: ChildQueue; name: Extract<Refs[ChildQueue], JobNameOf<Queues, ChildQueue>> } }[Extract<keyof Refs, QueueNameOf<Queues>>]
      : never;
