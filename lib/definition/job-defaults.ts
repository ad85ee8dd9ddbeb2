import { DEFAULT_RETENTION, type QueueSet } from './define';
import { mergeJobOptions, type JobOptions } from './job-options';

/**
 * The options every job of one job name starts from: queuewire's retention ← the definition's root
 * defaults ← the queue's ← the job name's. An `add` call (or a schedule) merges its own on top.
 */
export function jobDefaultsOf(queues: QueueSet, queue: string, name: string): JobOptions {
  const definition = queues.definitions[queue]!;
  return mergeJobOptions<JobOptions>(DEFAULT_RETENTION, queues.defaults, definition.defaults, definition.jobs[name]!.defaults);
}
