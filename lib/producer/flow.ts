import type { FlowJob, Job } from 'bullmq';
import type { ChildJobsOf } from '../definition/child-jobs';
import type { JobDataOf, JobNameOf, JobResultOf, QueueNameOf, QueueSet } from '../definition/define';
import type { JobOptions } from '../definition/job-options';
import { isPlainObject } from '../definition/job-options';
import { InvalidFlowError } from '../errors';

/**
 * Options of one node of a flow: those of `add`, less `deduplication` (a deduplicated child would be
 * linked to the job that holds the key, not to this parent, so BullMQ's flow semantics for it are a
 * trap; give a node a `jobId` instead). A child's `failParentOnFailure`, `continueParentOnFailure`,
 * `ignoreDependencyOnFailure` and `removeDependencyOnFailure` say what its failure does to its parent.
 */
export type FlowJobOptions = Omit<JobOptions, 'deduplication'>;

/**
 * One node of a flow: a job of the definition, and — for a job name declared with `.children()` — the
 * children it waits for, each a job name its declaration expects (possibly a parent in turn).
 */
export type FlowNodeOf<Queues extends QueueSet, Queue extends QueueNameOf<Queues>, Name extends JobNameOf<Queues, Queue>> = {
  queue: Queue;
  name: Name;
  data: JobDataOf<Queues, Queue, Name>;
  options?: FlowJobOptions;
} & (string extends QueueNameOf<Queues>
  // A producer without a registered definition (`QueueSet`): any tree, checked at run time only.
  ? { children?: ReadonlyArray<FlowNodeOf<Queues, string, string>> }
  : [ChildJobsOf<Queues, Queue, Name>] extends [never]
  ? { children?: never }
  : {
    /** Run before this job, in any order and in parallel; this job waits in `waiting-children` until they complete. */
    children: ReadonlyArray<FlowChildOf<Queues, ChildJobsOf<Queues, Queue, Name>>>;
  });

/** The node types allowed as children, from a parent's `{ queue, name }` pairs. */
type FlowChildOf<Queues extends QueueSet, Child> =
  Child extends { queue: infer ChildQueue extends QueueNameOf<Queues> }
    ? Child extends { name: infer ChildName extends JobNameOf<Queues, ChildQueue> } ? FlowNodeOf<Queues, ChildQueue, ChildName> : never
    : never;

/** The root of a flow: any job of the definition, typed per queue and job name. */
export type FlowTree<Queues extends QueueSet> = {
  [Queue in QueueNameOf<Queues>]: { [Name in JobNameOf<Queues, Queue>]: FlowNodeOf<Queues, Queue, Name> }[JobNameOf<Queues, Queue>];
}[QueueNameOf<Queues>];

/** A stored job of the definition, typed as the union of them all (narrow on `queueName` and `name`). */
export type DefinedJob<Queues extends QueueSet> = {
  [Queue in QueueNameOf<Queues>]: {
    [Name in JobNameOf<Queues, Queue>]: Job<JobDataOf<Queues, Queue, Name>, JobResultOf<Queues, Queue, Name>, Name>;
  }[JobNameOf<Queues, Queue>];
}[QueueNameOf<Queues>];

/**
 * What `flow()` resolves with: the stored jobs, in the shape of the tree given. `job` is typed by the
 * root's queue and job name; children are typed as any job of the definition.
 */
export interface EnqueuedFlow<RootJob, Queues extends QueueSet> {
  readonly job: RootJob;
  readonly children: ReadonlyArray<EnqueuedFlow<DefinedJob<Queues>, Queues>>;
}

/** One node of a flow as the producer checks it, with its place in the tree for error messages. */
export interface FlowNodeInput {
  queue: string;
  name: string;
  data: unknown;
  options: FlowJobOptions | undefined;
  where: string;
}

/** A node once checked: what the producer's check made of it, and its children's. */
export interface WalkedNode<Checked> {
  checked: Checked;
  children: Array<WalkedNode<Checked>>;
}

const NODE_KEYS = ['queue', 'name', 'data', 'options', 'children'];

/**
 * Checks a flow tree depth first, parents before children: the shape of each node, then `check` (the
 * producer's checks of `add`: queue, name, data, options), then that its children are the ones its
 * definition expects (`.children()`). Throws `InvalidFlowError` naming the node, or what `check` throws.
 */
export function walkFlow<Checked>(queues: QueueSet, node: unknown, check: (node: FlowNodeInput) => Checked, where = 'flow() root', ancestors: ReadonlySet<unknown> = new Set()): WalkedNode<Checked> {
  if (!isPlainObject(node)) throw new InvalidFlowError(`${where} must be an object { queue, name, data, options?, children? }.`);
  // A node inside itself would be walked for ever: say so rather than overflow the stack.
  if (ancestors.has(node)) throw new InvalidFlowError(`${where} is one of its own ancestors: a flow is a tree; build a new object for each node.`);
  const unknownKey = Object.keys(node).find((key) => !NODE_KEYS.includes(key));
  if (unknownKey !== undefined) throw new InvalidFlowError(`${where}: unknown key "${unknownKey}"; a node has ${NODE_KEYS.join(', ')}.`);
  const { queue, name, data, options, children } = node as Record<string, unknown>;
  const label = `${where} ("${String(queue)}", "${String(name)}")`;
  if (isPlainObject(options) && options.deduplication !== undefined) {
    throw new InvalidFlowError(`${label}: option "deduplication" is not available in flows (a deduplicated child would not wait for this flow's parent); give the job a jobId instead.`);
  }
  if (children !== undefined && !Array.isArray(children)) throw new InvalidFlowError(`${label}: children must be an array of nodes.`);
  const checked = check({ queue: queue as string, name: name as string, data, options: options as FlowJobOptions | undefined, where: label });
  // The check passed, so the queue and job name are declared.
  const expected = queues.definitions[queue as string]!.jobs[name as string]!.childJobs ?? {};
  const lineage = new Set(ancestors).add(node);
  // Array.from reads holes of a sparse array as undefined, so they are refused like any non-object node.
  const walked = Array.from(children ?? [], (child: unknown, index: number) => {
    const childWhere = `${label} child ${index}`;
    if (isPlainObject(child)) {
      const allowed = Object.hasOwn(expected, child.queue as string) ? expected[child.queue as string] : undefined;
      if (allowed !== child.name) {
        const list = Object.entries(expected).map(([childQueue, childName]) => `${childQueue}:${childName}`).join(', ');
        throw new InvalidFlowError(`${childWhere}: "${String(queue)}:${String(name)}" does not expect a child "${String(child.queue)}:${String(child.name)}"; `
          + (list ? `its .children() declaration allows ${list}.` : 'declare the children it waits for with job().children({ queue: \'jobName\' }).'));
      }
    }
    return walkFlow(queues, child, check, childWhere, lineage);
  });
  return { checked, children: walked };
}

/** A prepared node, ready for BullMQ's FlowProducer. */
export interface PreparedFlowNode {
  queue: string;
  name: string;
  data: unknown;
  options: FlowJob['opts'];
  children: PreparedFlowNode[];
}

/** BullMQ's tree for `FlowProducer.add`. */
export function toBullFlow(node: PreparedFlowNode): FlowJob {
  const flow = { name: node.name, queueName: node.queue, data: node.data, opts: node.options } as FlowJob;
  if (node.children.length > 0) (flow as { children?: FlowJob[] }).children = node.children.map(toBullFlow);
  return flow;
}
