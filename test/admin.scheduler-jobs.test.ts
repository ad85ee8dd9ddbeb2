import { expect } from 'chai';
import { createQueueClient, defineQueues, handlers, job, startWorkers } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';

// The README says "Jobs of schedulers are kept by drain and clean" (BullMQ's rule); nothing tested it,
// and a BullMQ release that dropped the rule would stop every schedule whose pending job was drained.
describe('admin: drain and clean keep the pending jobs of schedules', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('a schedule\'s delayed job survives clean of delayed jobs and drain with delayed: true', async () => {
    const queues = defineQueues({
      reports: { jobs: { daily: job() }, schedules: { daily: { job: 'daily', data: {}, every: 600_000, startDate: Date.now() + 3_600_000 } } },
    });
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    cleanup(() => client.close());
    const group = await startWorkers({ client, handleSignals: false, handlers: [handlers(queues, 'reports', { daily: async () => undefined })] });
    await group.close();
    const pending = async (): Promise<string[]> => (await client.queue('reports').getJobs(['delayed', 'waiting'])).map((found) => found.id!);
    const [scheduled] = await pending();
    expect(scheduled).to.match(/^repeat:queuewire:daily:/);
    await client.producer.add('reports', 'daily', {}, { delay: 60_000, jobId: 'by-hand' });

    expect(await client.admin.clean('reports', 'delayed', { olderThan: 0 })).to.deep.equal(['by-hand']);
    await client.admin.drain('reports', { delayed: true });
    expect(await pending()).to.deep.equal([scheduled]);
    expect(await client.queue('reports').getJobSchedulersCount()).to.equal(1);
  });
});
