import { expect } from 'chai';
import { createQueueClient, startWorkers, WaitTimeoutError } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { echoHandlers, queues } from './support/queues';

describe('event bus: waiting for one job', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C02: addAndWait on an instant job 1000 times never times out and leaves no watcher or listener behind', async function () {
    this.timeout(60_000);
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const group = await startWorkers({
      client,
      handleSignals: false,
      concurrency: 4,
      handlers: [echoHandlers()],
    });
    cleanup(() => group.close());
    await client.events.ready();
    const events = ['completed', 'failed', 'echo:completed', 'echo:failed', 'error'] as const;
    const listenersBefore = events.map((event) => client.events.listenerCount(event));
    const clientsBefore = await redis().clientCount();

    const timeout = 2000;
    const timeouts: number[] = [];
    const wrong: Array<{ index: number; result: unknown }> = [];
    for (let index = 0; index < 1000; index++) {
      const started = Date.now();
      try {
        // Every other job carries its own id (as an Idempotency-Key would): that add takes one more round
        // trip, during which the job can complete before the wait is in place.
        const jobId = index % 2 === 0 ? `wait-${index}` : undefined;
        // Every fourth is also removed the moment it completes: then its stored state cannot rescue a
        // wait that missed the event, so the wait must already be in place.
        const removeOnComplete = index % 4 === 0 ? true : undefined;
        const result = await client.producer.addAndWait('echo', 'value', { value: index }, { timeout, jobId, removeOnComplete });
        if (result !== index) wrong.push({ index, result });
        // A wait that missed the completion is only rescued by its last state check at the deadline:
        // as slow as a timeout for the caller, so it counts as one.
        if (Date.now() - started >= timeout) timeouts.push(index);
      } catch (error) {
        if (!(error instanceof WaitTimeoutError)) throw error;
        timeouts.push(index);
      }
    }

    expect(timeouts, 'waits that timed out (or settled only at their deadline)').to.deep.equal([]);
    expect(wrong, 'waits that resolved with another value').to.deep.equal([]);
    expect(client.events.watchedJobCount, 'jobs still watched').to.equal(0);
    expect(events.map((event) => client.events.listenerCount(event)), 'listener counts').to.deep.equal(listenersBefore);
    expect(await redis().clientCount(), 'Redis clients').to.equal(clientsBefore);
  });
});
