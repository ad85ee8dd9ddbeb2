import { expect } from 'chai';
import { createQueueClient, handlers, startWorkers } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

const echo = handlers(queues, 'echo', {
  value: async (job) => job.data.value,
  fail: async (job) => {
    throw new Error(job.data.message);
  },
  slow: async (job) => ({ slept: job.data.ms }),
});

describe('event bus: ready() pins the read position', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C01: every added and completed event of 5 jobs enqueued at once after ready() arrives, 50 runs on fresh queues', async function () {
    this.timeout(60_000);
    for (let run = 0; run < 50; run++) {
      const prefix = uniquePrefix();
      // The worker already waits on the queue, so each job completes as soon as it is added. One at a
      // time, in order: once the last job's event arrives, the five before it were delivered or missed.
      const workerClient = createQueueClient({ queues, connection: redis().url, prefix });
      cleanup(() => workerClient.close());
      const group = await startWorkers({ client: workerClient, handlers: [echo], handleSignals: false, concurrency: 1 });
      cleanup(() => group.close());

      const client = createQueueClient({ queues, connection: redis().url, prefix });
      cleanup(() => client.close());
      await client.events.ready();
      const added: string[] = [];
      const completed: string[] = [];
      client.events.on('echo:added', ({ jobId }) => added.push(jobId));
      const lastCompleted = new Promise<void>((resolve) => {
        client.events.on('echo:completed', ({ jobId }) => {
          if (jobId === 'last') resolve();
          else completed.push(jobId);
        });
      });
      const jobs = await Promise.all([0, 1, 2, 3, 4].map((value) => client.producer.add('echo', 'value', { value })));
      await client.producer.add('echo', 'value', { value: 'last' }, { jobId: 'last' });
      await lastCompleted;

      const ids = jobs.map((job) => job.id!).sort();
      expect(completed.sort(), `run ${run}: completed`).to.deep.equal(ids);
      // `added` is written the moment a job is enqueued: the earliest event a late reader would miss.
      expect(added.filter((id) => id !== 'last').sort(), `run ${run}: added`).to.deep.equal(ids);
      await group.close();
      await Promise.all([client.close(), workerClient.close()]);
    }
  });
});
