import { expect } from 'chai';
import { createQueueClient } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

describe('C16: adds with one job id create one job', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  function newClient() {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    return client;
  }

  it('C16: two concurrent adds with the same jobId store one job and both resolve with the stored one', async () => {
    const client = newClient();
    const [first, second] = await Promise.all([
      client.producer.add('email', 'welcome', { to: 'first@x.y', name: 'First' }, { jobId: 'signup-1' }),
      client.producer.add('email', 'welcome', { to: 'second@x.y', name: 'Second' }, { jobId: 'signup-1' }),
    ]);
    expect(await client.queue('email').getJobCounts()).to.include({ waiting: 1 });
    const stored = await client.queue('email').getJob('signup-1');
    expect(stored!.data).to.deep.equal({ to: 'first@x.y', name: 'First' });
    for (const job of [first, second]) {
      expect(job.id).to.equal('signup-1');
      expect(job.data).to.deep.equal(stored!.data);
      expect(job.timestamp).to.equal(stored!.timestamp);
    }
  });

  it('C16: the same through concurrent addBulk calls, and twice within one addBulk', async () => {
    const client = newClient();
    const entry = (userId: number, jobId: string) => ({ queue: 'email' as const, name: 'digest' as const, data: { userId }, options: { jobId } });
    const [one, two] = await Promise.all([
      client.producer.addBulk([entry(1, 'digest-a'), entry(10, 'digest-b')]),
      client.producer.addBulk([entry(2, 'digest-a'), entry(20, 'digest-b')]),
    ]);
    const within = await client.producer.addBulk([entry(3, 'digest-c'), entry(4, 'digest-c')]);
    expect(await client.queue('email').getJobCounts()).to.include({ waiting: 3 });
    expect([...one, ...two].map((job) => [job.id, job.data])).to.deep.equal([
      ['digest-a', { userId: 1 }], ['digest-b', { userId: 10 }],
      ['digest-a', { userId: 1 }], ['digest-b', { userId: 10 }],
    ]);
    expect(within.map((job) => [job.id, job.data])).to.deep.equal([['digest-c', { userId: 3 }], ['digest-c', { userId: 3 }]]);
  });

  it('C16: an add and an addBulk racing on one jobId agree on the stored job', async () => {
    const client = newClient();
    const [single, [bulk]] = await Promise.all([
      client.producer.add('email', 'digest', { userId: 1 }, { jobId: 'mixed' }),
      client.producer.addBulk([{ queue: 'email', name: 'digest', data: { userId: 2 }, options: { jobId: 'mixed' } }]),
    ]);
    expect(await client.queue('email').count()).to.equal(1);
    expect(bulk!.data).to.deep.equal(single.data);
  });
});
