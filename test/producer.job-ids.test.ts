import { expect } from 'chai';
import { createQueueClient, InvalidJobOptionsError } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

// The names of the queue's own keys (`<prefix>:<queue>:<name>`), where a job's hash would also go.
const queueKeyNames = ['meta', 'events', 'id', 'wait', 'active', 'paused', 'completed', 'failed', 'delayed', 'prioritized',
  'stalled', 'stalled-check', 'waiting-children', 'repeat', 'limiter', 'marker', 'pc', 'de'];

describe('producer: job ids that would collide with the queue\'s own keys', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('refuses them in add and addBulk before Redis is touched, so the queue keeps working', async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    await client.producer.add('email', 'digest', { userId: 0 });
    const keysBefore = (await client.connections.producer.keys(`${prefix}:*`)).sort();

    for (const jobId of queueKeyNames) {
      const refused = await client.producer.add('email', 'digest', { userId: 1 }, { jobId }).then(() => undefined, (error: Error) => error);
      expect(refused, `add with jobId "${jobId}"`).to.be.instanceOf(InvalidJobOptionsError);
      expect(refused!.message, jobId).to.contain(`add("email", "digest") options: option "jobId" must not be the name of one of BullMQ's queue keys`);
      const bulk = await client.producer.addBulk([{ queue: 'email', name: 'digest', data: { userId: 1 }, options: { jobId } }]).then(() => undefined, (error: Error) => error);
      expect(bulk, `addBulk with jobId "${jobId}"`).to.be.instanceOf(InvalidJobOptionsError);
    }

    expect((await client.connections.producer.keys(`${prefix}:*`)).sort(), 'keys').to.deep.equal(keysBefore);
    expect(await client.queue('email').getJobCounts('wait', 'completed', 'failed')).to.deep.equal({ wait: 1, completed: 0, failed: 0 });
    // Names that merely contain a key name are fine.
    const job = await client.producer.add('email', 'digest', { userId: 2 }, { jobId: 'completed-report-7' });
    expect(job.id).to.equal('completed-report-7');
  });
});
