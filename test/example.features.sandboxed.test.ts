import { expect } from 'chai';
import { createQueueClient } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';

// examples/features/sandboxed.ts: the README's "Sandboxed handlers" quotes it.
describe('example: features/sandboxed (a CPU-bound job name in a child process)', function () {
  this.timeout(15_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('runs as the README says: thumbnail in a child process with its progress on the bus, probe in the worker process', async () => {
    // Loaded from the build at run time, as a user's program would load it.
    const example = require('../examples/features/sandboxed.js') as typeof import('../examples/features/sandboxed');
    const client = createQueueClient({ queues: example.queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const group = await example.startMediaWorkers(client);
    cleanup(() => group.close());
    await client.events.ready();
    const progress: unknown[] = [];
    client.events.on('media:progress', ({ data }) => progress.push(data));

    const [thumbnail, probe] = await Promise.all([
      client.producer.addAndWait('media', 'thumbnail', { path: 'cat.png', width: 320 }, { timeout: 10_000 }),
      client.producer.addAndWait('media', 'probe', { path: 'cat.png' }, { timeout: 10_000 }),
    ]);
    expect(thumbnail.out).to.match(/^cat@320\.webp#\d+$/);
    expect(thumbnail.pid).to.be.a('number').and.not.equal(process.pid);
    expect(probe).to.deep.equal({ format: 'png' });
    expect(progress).to.deep.equal([{ stage: 'resizing' }, { stage: 'done' }]);
  });
});
