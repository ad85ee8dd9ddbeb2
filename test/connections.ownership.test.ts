import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createQueueClient, handlers, startWorkers, type QueueClient } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { queues, type TestQueues } from './support/queues';
import type { RedisServer } from './support/redis-server';

const echoHandlers = handlers(queues, 'echo', {
  value: async (job) => job.data.value,
  fail: async (job) => { throw new Error(job.data.message); },
  slow: async (job) => ({ slept: job.data.ms }),
});

const openSockets = () => process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;

// Runs web and worker sides on one client: workers, the bus and the producer all busy.
async function produceAndConsume(server: RedisServer, client: QueueClient<TestQueues>, cleanup: (close: () => unknown) => void) {
  await client.events.ready();
  const beforeWorkers = await server.clientCount();
  const group = await startWorkers({ client, handlers: [echoHandlers], concurrency: 5, handleSignals: false });
  cleanup(() => group.close());
  expect(await client.producer.addAndWait('echo', 'value', { value: 'first' }, { timeout: 5000 })).to.equal('first');
  await client.producer.addBulk(Array.from({ length: 20 }, (_, i) => ({ queue: 'echo' as const, name: 'value' as const, data: { value: i } })));
  const counts = await pollUntil(() => client.queue('echo').getJobCounts('completed'), (c) => c.completed === 21);
  expect(counts.completed, 'jobs processed by the workers').to.equal(21);
  expect(await server.clientCount(), 'workers opened connections of their own').to.be.above(beforeWorkers);
  await group.close();
  // The worker group closes what it opened and nothing of the client's.
  expect(await pollUntil(() => server.clientCount(), (n) => n === beforeWorkers)).to.equal(beforeWorkers);
}

describe('C09/C15: an application\'s own fail-fast ioredis instance as the connection', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C09: workers built from it process jobs; C15: closing leaves it open and ready and closes everything else', async () => {
    const own = new Redis(redis().url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    cleanup(() => own.disconnect());
    await new Promise((resolve) => own.once('ready', resolve));
    const baseline = await redis().clientCount();
    const socketsBaseline = openSockets();
    expect(baseline).to.equal(1);

    const client = createQueueClient({ queues, connection: own, prefix: uniquePrefix() });
    cleanup(() => client.close());
    await produceAndConsume(redis(), client, cleanup);
    await client.close();

    expect(await pollUntil(() => redis().clientCount(), (n) => n === baseline)).to.equal(baseline);
    expect(await pollUntil(openSockets, (n) => n === socketsBaseline), 'sockets left open in this process').to.equal(socketsBaseline);
    expect(own.status).to.equal('ready');
    expect(await own.ping()).to.equal('PONG');
    // Its fail-fast settings are the application's: queuewire built separate blocking connections.
    expect(own.options).to.include({ maxRetriesPerRequest: 1, enableOfflineQueue: false });
  });
});

describe('C15: a client built from a URL closes every connection it opened', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C15: after the worker group and the client close, CLIENT LIST and the process\'s sockets are back to none', async () => {
    const socketsBaseline = openSockets();
    expect(await redis().clientCount()).to.equal(0);
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    await produceAndConsume(redis(), client, cleanup);
    await client.close();
    expect(await pollUntil(() => redis().clientCount(), (n) => n === 0)).to.equal(0);
    expect(await pollUntil(openSockets, (n) => n === socketsBaseline), 'sockets left open in this process').to.equal(socketsBaseline);
  });
});
