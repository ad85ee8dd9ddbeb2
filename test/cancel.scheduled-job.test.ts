import { expect } from 'chai';
import { createQueueClient, defineQueues, handlers, job, QueuewireError, startWorkers } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';

// Found in review: BullMQ refuses to remove the pending job of a job scheduler ("belongs to a job scheduler
// and cannot be removed directly"), and cancel() lets that plain Error through, although the README says
// cancel() never throws for the job's state and every failure is a typed error with a code.
describe('cancel: the pending job of a schedule', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('answers with an outcome or a typed error, never BullMQ\'s plain Error', async () => {
    const queues = defineQueues({
      reports: { jobs: { daily: job() }, schedules: { daily: { job: 'daily', data: {}, every: 600_000, startDate: Date.now() + 3_600_000 } } },
    });
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    cleanup(() => client.close());
    const group = await startWorkers({ client, handleSignals: false, handlers: [handlers(queues, 'reports', { daily: async () => undefined })] });
    cleanup(() => group.close());
    const [pending] = await client.queue('reports').getJobs(['delayed']);
    expect(pending?.id).to.match(/^repeat:queuewire:daily:/);

    const outcome = await client.producer.cancel('reports', pending!.id!).then((result) => result, (error: unknown) => error);
    if (outcome instanceof Error) expect(outcome, outcome.message).to.be.instanceOf(QueuewireError);
    // Whatever it answers, the schedule itself is still there.
    expect(await client.queue('reports').getJobSchedulersCount()).to.equal(1);
  });
});
