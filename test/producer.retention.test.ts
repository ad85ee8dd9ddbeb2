import { expect } from 'chai';
import { createQueueClient, defineQueues, DEFAULT_RETENTION, handlers, job, startWorkers } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { echoHandlers, queues } from './support/queues';

// A queue that keeps only the last 10 completed and 10 failed jobs.
const churning = defineQueues({
  churn: {
    jobs: { work: job<{ n: number }, number>() },
    defaults: { removeOnComplete: { count: 10 }, removeOnFail: { count: 10 } },
  },
});

describe('C30: bounded retention by default, on every add path', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C30: jobs from add, addBulk and addAndWait are stored with the default removeOnComplete / removeOnFail', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [echoHandlers()],
    });
    cleanup(() => group.close());

    const added = await client.producer.add('email', 'welcome', { to: 'a@b.c', name: 'A' });
    const [bulked] = await client.producer.addBulk([{ queue: 'email', name: 'digest', data: { userId: 1 } }]);
    expect(await client.producer.addAndWait('echo', 'value', { value: 7 }, { jobId: 'waited', timeout: 5000 })).to.equal(7);
    const stored = [
      await client.queue('email').getJob(added.id!),
      await client.queue('email').getJob(bulked!.id!),
      await client.queue('echo').getJob('waited'),
    ];
    for (const job of stored) {
      expect(job!.opts, job!.name).to.deep.include(DEFAULT_RETENTION);
    }
    // A call's own option merges over the default instead of dropping the other bound.
    const own = await client.producer.add('email', 'digest', { userId: 2 }, { removeOnComplete: { count: 5 } });
    expect((await client.queue('email').getJob(own.id!))!.opts.removeOnComplete).to.deep.equal({ age: 24 * 3600, count: 5 });
  });

  it('C30: with a small per-queue retention, the key count levels off as 1000 jobs complete and fail', async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues: churning, connection: redis().url, prefix });
    cleanup(() => client.close());
    const group = await startWorkers({
      client,
      handleSignals: false,
      concurrency: 20,
      handlers: [handlers(churning, 'churn', {
        work: async (job) => {
          if (job.data.n % 2 === 1) throw new Error(`odd ${job.data.n}`);
          return job.data.n;
        },
      })],
    });
    cleanup(() => group.close());
    const inspector = redis().connect();
    cleanup(() => inspector.disconnect());
    const keysOfQueue = () => inspector.keys(`${prefix}:churn:*`);

    const keyCounts: number[] = [];
    for (let round = 0; round < 2; round++) {
      const batch = Array.from({ length: 500 }, (_, i) => ({ queue: 'churn' as const, name: 'work' as const, data: { n: round * 500 + i } }));
      await client.producer.addBulk(batch);
      const counts = await pollUntil(
        () => client.queue('churn').getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'),
        (c) => c.waiting! + c.active! + c.delayed! + c.prioritized! === 0,
        { timeout: 20_000 },
      );
      expect(counts).to.include({ waiting: 0, active: 0, completed: 10, failed: 10 });
      keyCounts.push((await keysOfQueue()).length);
    }
    const jobHashes = (await keysOfQueue()).filter((key) => /:churn:\d+$/.test(key));
    expect(jobHashes).to.have.length(20);
    expect(keyCounts[1], 'keys after 1000 jobs vs after 500').to.equal(keyCounts[0]);
    expect(keyCounts[1]).to.be.below(40);
  });
});
