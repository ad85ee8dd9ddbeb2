import { expect } from 'chai';
import { createQueueClient, handlers, startWorkers } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

describe('end to end: add → worker → bus → addAndWait', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('runs a job by name and delivers its typed result to the bus and to addAndWait', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [
        handlers(queues, 'email', {
          welcome: async (job) => ({ messageId: `m-${job.data.to}` }),
          digest: async () => undefined,
        }),
      ],
    });
    cleanup(() => group.close());
    await client.events.ready();
    const seen = new Promise((resolve) => client.events.once('email:completed', resolve));
    const result = await client.producer.addAndWait('email', 'welcome', { to: 'a@b.c', name: 'A' }, { timeout: 5000 });
    expect(result).to.deep.equal({ messageId: 'm-a@b.c' });
    const event = await seen;
    expect(event).to.include({ queue: 'email', name: 'welcome' });
    expect((event as { returnvalue: unknown }).returnvalue).to.deep.equal({ messageId: 'm-a@b.c' });
    expect(await client.producer.addAndWait('email', 'digest', { userId: 1 })).to.equal(null);
  });
});
