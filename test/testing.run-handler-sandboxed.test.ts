import { expect } from 'chai';
import { ConfigurationError, handlers, sandboxed } from '../lib/index';
import { createTestClient, runHandler } from '../lib/testing/index';
import { useCleanup, useRedisServer } from './support/harness';
import { sandboxQueues } from './fixtures/sandbox/queues';

const workHandlers = require.resolve('./fixtures/sandbox/work-handlers');

// Found in review: runHandler builds a router without the sandbox pools a worker group makes, so a
// registry whose name is sandboxed(path) reaches the marker object as if it were the handler function,
// and the job fails with "… is not a function" instead of a ConfigurationError that says what to do.
describe('queuewire/testing: runHandler on a sandboxed name', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('refuses it with a ConfigurationError naming the name and what to pass instead', async () => {
    const client = createTestClient({ queues: sandboxQueues, connection: redis().url });
    cleanup(() => client.close());
    const registry = handlers(sandboxQueues, 'work', {
      echo: sandboxed(workHandlers),
      hang: async () => new Promise<never>(() => undefined),
      spin: async (job) => ({ spun: job.data.ms }),
      steps: async () => undefined,
      local: async (job) => ({ value: job.data.value, pid: process.pid }),
    });
    const error = await runHandler(client, registry, 'echo', { value: 'x' }).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(ConfigurationError);
    expect((error as Error).message).to.include('"echo"').and.include('sandboxed');
    expect(await client.queue('work').getJobCounts()).to.deep.include({ delayed: 0, waiting: 0 });
  });
});
