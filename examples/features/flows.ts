// Flows: a parent job and the children it waits for, across queues, added in one atomic call.
// README "### Flows (`req.queue.flow`)" quotes this file; test/example.features.flows.test.ts runs it.
import { childResults, createQueueClient, defineQueues, handlers, job, type QueueClient } from 'queuewire';

export const queues = defineQueues({
  media: { jobs: { thumbnail: job<{ path: string; width: number }, { out: string; bytes: number }>() } },
  text: { jobs: { wordCount: job<{ text: string }, { words: number }>() } },
  reports: {
    jobs: {
      // A parent declares the children it waits for, one job name per queue.
      assemble: job<{ title: string }, { title: string; thumbnails: string[]; words: number }>()
        .children({ media: 'thumbnail', text: 'wordCount' }),
    },
  },
});

export const media = handlers(queues, 'media', {
  thumbnail: async (job) => ({ out: `${job.data.path}@${job.data.width}.webp`, bytes: job.data.width * 12 }),
});

export const text = handlers(queues, 'text', {
  wordCount: async (job) => ({ words: job.data.text.split(/\s+/).filter(Boolean).length }),
});

export const reports = handlers(queues, 'reports', {
  // Runs once every child completed; childResults() reads their stored results, typed by queue.
  assemble: async (job) => {
    const thumbnails: string[] = [];
    let words = 0;
    for (const child of await childResults(job)) {
      if (child.queue === 'media') thumbnails.push(child.result.out);
      else words += child.result.words;
    }
    return { title: job.data.title, thumbnails: thumbnails.sort(), words };
  },
});

export function createClient(connection: string): QueueClient<typeof queues> {
  return createQueueClient({ queues, connection });
}

/** What a route does (`req.queue.flow(...)` is the same call): one parent, three children, two queues. */
export async function requestReport(client: QueueClient<typeof queues>, title: string, body: string): Promise<string> {
  const { job } = await client.producer.flow({
    queue: 'reports',
    name: 'assemble',
    data: { title },
    children: [
      { queue: 'media', name: 'thumbnail', data: { path: 'cover.png', width: 320 } },
      { queue: 'media', name: 'thumbnail', data: { path: 'cover.png', width: 1280 } },
      { queue: 'text', name: 'wordCount', data: { text: body }, options: { failParentOnFailure: true } },
    ],
  });
  return job.id!;
}
