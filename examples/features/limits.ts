// Limits, concurrency, timeouts and cancel: a media queue whose workers are throttled from the
// definition and the environment, a job name with a timeout, and a job cancelled by another client.
// `runLimitsExample()` runs it all against one Redis and returns what happened (see the test).
import { createQueueClient, defineQueues, handlers, job, startWorkers, type CancelResult, type QueueClient } from 'queuewire';

export const queues = defineQueues({
  media: {
    jobs: {
      thumbnail: job<{ path: string }, { out: string }>(),
      transcode: job<{ path: string }, { out: string }>(),
    },
    limits: {
      concurrency: process.env.MEDIA_CONCURRENCY, // "4" from the environment; unset: 1
      limiter: { max: 5, duration: 1000 }, // at most 5 jobs started a second (window counted in Redis)
      globalConcurrency: 8, // at most 8 at once across every worker process (stored in Redis)
    },
    timeouts: { thumbnail: 200 }, // ms; then the signal aborts and the attempt fails
  },
});

export const media = handlers(queues, 'media', {
  // Pass the signal on: it aborts on a timeout, a cancel, or a shutdown past its deadline.
  thumbnail: async (job, { signal }) => {
    await pause(job.data.path === 'huge.png' ? 10_000 : 10, signal);
    return { out: `${job.data.path}.thumb.png` };
  },
  transcode: async (job, { signal }) => {
    await pause(60_000, signal);
    return { out: `${job.data.path}.mp4` };
  },
});

export interface LimitsExampleReport {
  concurrency: number;
  raisedTo: number;
  thumbnailFailed: string;
  cancelled: CancelResult;
  transcodeFailed: string;
  removedBeforeStart: CancelResult;
}

export async function runLimitsExample(connection: string, prefix: string): Promise<LimitsExampleReport> {
  const client = createQueueClient({ queues, connection, prefix });
  const web = createQueueClient({ queues, connection, prefix }); // as a web process would hold
  const workers = await startWorkers({
    client,
    handlers: [media],
    handleSignals: false,
    limits: { media: { limiter: { max: 10, duration: 1000 } } }, // start options win over the definition
  });
  try {
    const concurrency = workers.limits.get('media')!.concurrency;
    workers.setConcurrency('media', 6); // at run time, e.g. from an admin endpoint
    const raisedTo = workers.workers.get('media')!.concurrency;

    const thumbnail = await web.producer.add('media', 'thumbnail', { path: 'huge.png' });
    const thumbnailFailed = await failureOf(web, thumbnail.id!);

    const transcode = await web.producer.add('media', 'transcode', { path: 'talk.mov' });
    await until(async () => (await web.queue('media').getJobState(transcode.id!)) === 'active');
    const cancelled = await web.producer.cancel('media', transcode.id!, { reason: 'uploaded again' });
    const transcodeFailed = await failureOf(web, transcode.id!);

    const later = await web.producer.add('media', 'transcode', { path: 'next.mov' }, { delay: 60_000 });
    const removedBeforeStart = await web.producer.cancel('media', later.id!);
    return { concurrency, raisedTo, thumbnailFailed, cancelled, transcodeFailed, removedBeforeStart };
  } finally {
    await web.close();
    await client.close(); // closes the workers first
  }
}

async function failureOf(client: QueueClient<typeof queues>, id: string): Promise<string> {
  let reason: string | undefined;
  await until(async () => {
    const found = await client.queue('media').getJob(id);
    reason = found?.finishedOn ? found.failedReason : undefined;
    return reason !== undefined;
  });
  return reason!;
}

async function until(holds: () => Promise<boolean>): Promise<void> {
  while (!(await holds())) await pause(20);
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });
}
