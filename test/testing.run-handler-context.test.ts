import { expect } from 'chai';
import { jobContext } from '../lib/index';
import { createTestClient, runHandler } from '../lib/testing/index';
import { useCleanup, useRedisServer } from './support/harness';
import { echoHandlers, queues } from './support/queues';

// Found in review of fbcf113: jobContext() became opt-in per worker group (hooks or jobContext: true),
// and runHandler, which builds its own router, was left without it. A handler whose logger reads
// jobContext() then sees undefined under runHandler — silently: no group is there to say why — though
// in the application's worker (with hooks) it sees its job. runHandler is how such handlers are tested.
describe('queuewire/testing: runHandler and jobContext()', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it("the handler's jobContext() names its job and carries the signal runHandler was given", async () => {
    const client = createTestClient({ queues, connection: redis().url });
    cleanup(() => client.close());
    const given = new AbortController();
    let seen: { jobId?: string; name?: string; aborted?: boolean } | 'none' = 'none';
    const registry = echoHandlers({
      value: async (job) => {
        const context = jobContext();
        given.abort('test stops it');
        seen = context ? { jobId: context.jobId, name: context.name, aborted: context.signal.aborted } : 'none';
        return job.id;
      },
    });
    const jobId = await runHandler(client, registry, 'value', { value: 1 }, { signal: given.signal });
    expect(seen).to.deep.equal({ jobId, name: 'value', aborted: true });
  });
});
