import { expect } from 'chai';
import { createQueueClient, defineQueues, handlers, job, startWorkers } from '../lib/index';
import { Gates } from './contract/gates';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';

const queues = defineQueues({
  reports: { jobs: { assemble: job().children({ pages: 'render' }) } },
  pages: { jobs: { render: job<{ page: number }>() } },
});

// Found in review: BullMQ will not remove a parent while one of its children is locked by a worker, so
// cancelJob's three remove attempts fail and it reports `finished` — "it had already completed or
// failed" — for a job still in waiting-children, which will run once its children complete.
describe('cancel: a flow parent whose child is running', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('is not reported finished while it still waits for its children', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const gates = new Gates();
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [handlers(queues, 'pages', { render: async (job) => gates.pass(job.id!) })],
    });
    cleanup(() => group.close());
    cleanup(() => gates.openAll()); // run before the group closes, so the child can finish
    const { job: parent, children } = await client.producer.flow({
      queue: 'reports', name: 'assemble', data: {}, children: [{ queue: 'pages', name: 'render', data: { page: 1 } }],
    });
    const childState = await pollUntil(() => client.queue('pages').getJobState(children[0]!.job.id!), (state) => state === 'active');
    expect(childState).to.equal('active');

    const result = await client.producer.cancel('reports', parent.id!);
    const parentState = await client.queue('reports').getJobState(parent.id!);
    expect(parentState, 'the parent is still there').to.equal('waiting-children');
    expect(result.outcome, `cancel answered ${JSON.stringify(result)}`).to.not.equal('finished');
  });
});
