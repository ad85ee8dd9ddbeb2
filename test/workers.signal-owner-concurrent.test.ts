import { expect } from 'chai';
import { ConfigurationError, createQueueClient, handlers, startWorkers, type WorkerGroup } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

const email = handlers(queues, 'email', { welcome: async () => ({ messageId: 'm' }), digest: async () => undefined });
const echo = handlers(queues, 'echo', { value: async (job) => job.data.value, fail: async () => undefined as never, slow: async (job) => ({ slept: job.data.ms }) });

// Found in review: startWorkers() checks for a signal-owning group before its awaits (schedules, global
// limits, workers ready) but claims the signals after them, so two starts in flight at once both pass
// the check and both install SIGTERM handlers. It happens for real when `queuewire worker --handlers <dir>`
// imports a worker entrypoint that calls startWorkers() itself (as examples/quickstart/worker.js does).
describe('workers: signal ownership with two starts in flight', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('of two concurrent startWorkers() calls that both handle signals, one is refused', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const termListenersBefore = process.listenerCount('SIGTERM');
    const outcomes = await Promise.allSettled([startWorkers({ client, handlers: [email] }), startWorkers({ client, handlers: [echo] })]);
    const started = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value as WorkerGroup] : []));
    cleanup(() => Promise.all(started.map((group) => group.close())));
    const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(process.listenerCount('SIGTERM') - termListenersBefore, 'SIGTERM handlers installed').to.equal(1);
    expect(started, 'groups started').to.have.length(1);
    expect(refusals).to.have.length(1);
    expect(refusals[0]).to.be.instanceOf(ConfigurationError);
  });
});
