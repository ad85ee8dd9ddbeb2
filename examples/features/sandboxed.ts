// Sandboxed handlers: a CPU-bound job name runs in a child process, the rest of its queue in-process.
// README "### Sandboxed handlers" quotes this file; test/example.features.sandboxed.test.ts runs it.
import { createQueueClient, defineQueues, handlers, job, sandboxed, startWorkers, type QueueClient } from 'queuewire';

export const queues = defineQueues({
  media: {
    jobs: {
      thumbnail: job<{ path: string; width: number }, { out: string; pid: number }>(), // CPU-bound
      probe: job<{ path: string }, { format: string }>(), // quick, in-process
    },
  },
});

// The worker process: `thumbnail` runs in a child process loaded from the compiled module's path
// (its handler is typed there, from the same definition); `probe` runs here as usual.
export const media = handlers(queues, 'media', {
  thumbnail: sandboxed(require.resolve('./sandboxed-thumbnail')),
  probe: async (job) => ({ format: job.data.path.split('.').pop() ?? 'unknown' }),
});

export async function startMediaWorkers(client: QueueClient<typeof queues>) {
  // The worker keeps each sandboxed job's lock renewed while its child computes.
  return startWorkers({ client, handlers: [media], concurrency: { media: 2 }, handleSignals: false });
}

// Run directly (node dist/examples/features/sandboxed.js): one of each job, progress as it comes.
if (require.main === module) {
  const client = createQueueClient({ queues, connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  client.events.on('media:progress', ({ jobId, data }) => console.log(`media/${jobId}: ${JSON.stringify(data)}`));
  void (async () => {
    const workers = await startMediaWorkers(client);
    console.log(await client.producer.addAndWait('media', 'thumbnail', { path: 'cat.png', width: 320 }));
    console.log(await client.producer.addAndWait('media', 'probe', { path: 'cat.png' }));
    await workers.close();
    await client.close();
  })();
}
