import { Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { JobRoute } from './job-router';

/**
 * The BullMQ Worker of one queue, whose `cancelJob()` / `cancelAllJobs()` abort the signals queuewire
 * gives handlers. Its processor takes no BullMQ signal (so BullMQ makes no AbortController per job), so
 * BullMQ's own methods would reach nothing; these keep their documented meaning: abort the signal,
 * and let the handler decide how to end.
 */
export class RoutedWorker extends Worker {
  constructor(
    private readonly route: JobRoute,
    queue: string,
    processor: Processor,
    options: WorkerOptions,
  ) {
    super(queue, processor, options);
  }

  override cancelJob(jobId: string, reason?: string): boolean {
    return this.route.abort(jobId, reason);
  }

  override cancelAllJobs(reason?: string): void {
    this.route.abortAll(reason);
  }
}
