import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createQueueClient, QueueUnavailableError, startWorkers, type QueueClient } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { echoHandlers, queues, type TestQueues } from './support/queues';

// Counts the socket writes a connection makes (how many round trips' worth of packets it sent) until stopped.
function countWrites(connection: Redis): { readonly writes: number; stop(): void } {
  const stream = connection.stream as unknown as { write: (...args: unknown[]) => boolean };
  const write = stream.write;
  const counter = { writes: 0, stop: () => { stream.write = write; } };
  stream.write = function (this: unknown, ...args: unknown[]) {
    counter.writes++;
    return write.apply(this, args);
  };
  return counter;
}

async function writesDuring(connection: Redis, work: () => Promise<unknown>): Promise<number> {
  const counter = countWrites(connection);
  try {
    await work();
  } finally {
    counter.stop();
  }
  return counter.writes;
}

// Writes made by one add before the next turn of the event loop: 1 when the add went out at once,
// 0 when it waits in a batch (ioredis flushes batches on a later turn).
async function writesBeforeNextTurn(client: QueueClient<TestQueues>): Promise<number> {
  const counter = countWrites(client.connections.producer);
  try {
    // Scheduled before the add, so it runs before any flush the add schedules.
    const nextTurn = new Promise<number>((resolve) => setImmediate(() => resolve(counter.writes)));
    const added = client.producer.add('echo', 'value', { value: 1 });
    const writes = await nextTurn;
    await added;
    return writes;
  } finally {
    counter.stop();
  }
}

// `count` adds started in the same turn of the event loop, as the requests of one busy moment are.
function addsInOneTurn(client: QueueClient<TestQueues>, count: number) {
  return Promise.all(Array.from({ length: count }, (_, index) => client.producer.add('echo', 'value', { value: index })));
}

describe('the producer connection pipelines the adds of one turn while busy', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('sends 50 adds made in one turn in one write, and stores them in the order they were made', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    await client.health();
    let jobs: Awaited<ReturnType<typeof addsInOneTurn>> = [];
    const writes = await writesDuring(client.connections.producer, async () => { jobs = await addsInOneTurn(client, 50); });
    expect(writes).to.equal(1);
    expect(jobs.map((job) => job.data.value)).to.deep.equal(Array.from({ length: 50 }, (_, index) => index));
    // BullMQ numbers jobs from one counter, so ids follow the order Redis ran the adds in.
    const ids = jobs.map((job) => Number(job.id));
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
    expect(await client.queue('echo').getWaitingCount()).to.equal(50);
  });

  it('writes a lone add on an idle connection at once, without waiting a turn for a batch', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    await client.health();
    expect(await writesBeforeNextTurn(client)).to.equal(1);
    expect(await client.queue('echo').getWaitingCount()).to.equal(1);
  });

  it('honours enableAutoPipelining: true in the connection options: even a lone add waits for its batch', async () => {
    const { port } = new URL(redis().url);
    const client = createQueueClient({ queues, connection: { host: '127.0.0.1', port: Number(port), enableAutoPipelining: true }, prefix: uniquePrefix() });
    cleanup(() => client.close());
    await client.health();
    expect(await writesBeforeNextTurn(client)).to.equal(0);
    expect(await client.queue('echo').getWaitingCount()).to.equal(1);
  });

  it('keeps call order across turns: sequential adds, bursts and adds on later turns, all stored in the order made', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    await client.health();
    const made: Array<ReturnType<QueueClient<TestQueues>['producer']['add']>> = [];
    const add = () => {
      made.push(client.producer.add('echo', 'value', { value: made.length }));
      return made[made.length - 1]!;
    };
    for (let round = 0; round < 20; round++) {
      await add();
      for (let burst = 0; burst <= round % 5; burst++) void add();
      await new Promise((resolve) => setImmediate(resolve));
      void add();
      await new Promise((resolve) => setTimeout(resolve, round % 3));
      void add();
    }
    const jobs = await Promise.all(made);
    expect(jobs.map((job) => job.data.value)).to.deep.equal(jobs.map((_, index) => index));
    const ids = jobs.map((job) => Number(job.id));
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
  });

  it('a lookup made before an add, outside any add (a queue handle\'s getJob), is answered first, even right after a burst', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    await client.health();
    await addsInOneTurn(client, 5);
    const queue = client.queue('echo');
    // Two callbacks of one turn, as two requests would be: the first looks the job up, the second adds it.
    const [found, added] = await new Promise<[unknown, unknown]>((resolve, reject) => {
      let lookup: Promise<unknown>;
      setImmediate(() => { lookup = queue.getJob('fresh-id'); });
      setImmediate(() => { Promise.all([lookup, client.producer.add('echo', 'value', { value: 1 }, { jobId: 'fresh-id' })]).then(resolve, reject); });
    });
    expect(added).to.include({ id: 'fresh-id' });
    expect(found).to.equal(undefined);
    // And a command on the producer connection itself, issued before an add: Redis answers it first.
    const waiting = client.connections.producer.llen(`${client.prefix}:echo:wait`);
    const next = client.producer.add('echo', 'value', { value: 2 });
    expect(await waiting).to.equal(6);
    await next;
  });

  it('once idle after a burst, a lone add is written at once again', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    await client.health();
    await addsInOneTurn(client, 20);
    expect(await writesBeforeNextTurn(client)).to.equal(1);
  });

  for (const [query, writes] of [['false', 50], ['true', 1]] as const) {
    it(`honours ?enableAutoPipelining=${query} in the URL (50 adds of one turn: ${writes} write${writes === 1 ? '' : 's'})`, async () => {
      const client = createQueueClient({ queues, connection: `${redis().url}?enableAutoPipelining=${query}`, prefix: uniquePrefix() });
      cleanup(() => client.close());
      await client.health();
      expect(await writesDuring(client.connections.producer, () => addsInOneTurn(client, 50))).to.equal(writes);
      // Blocking connections never pipeline, whatever the URL says.
      const blocking = client.connections.openBlocking('probe');
      cleanup(() => client.connections.release(blocking));
      expect(blocking.options.enableAutoPipelining).to.equal(false);
    });
  }

  it('honours enableAutoPipelining: false in the connection options', async () => {
    const { port } = new URL(redis().url);
    const client = createQueueClient({ queues, connection: { host: '127.0.0.1', port: Number(port), enableAutoPipelining: false }, prefix: uniquePrefix() });
    cleanup(() => client.close());
    await client.health();
    expect(await writesDuring(client.connections.producer, () => addsInOneTurn(client, 50))).to.equal(50);
  });

  it('a batch of adds made as Redis dies fails whole with QueueUnavailableError, within producerTimeout', async function () {
    this.timeout(30_000);
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), producerTimeout: 500 });
    cleanup(() => client.close());
    await client.health();
    await redis().stop();
    const started = Date.now();
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, index) => client.producer.add('echo', 'value', { value: index }).then(
      () => 'accepted by a dead Redis',
      (error: unknown) => (error instanceof QueueUnavailableError ? 'unavailable' : `${(error as Error).name}: ${(error as Error).message}`),
    )));
    expect(outcomes).to.deep.equal(Array(50).fill('unavailable'));
    expect(Date.now() - started).to.be.below(2_000);
    await redis().resume();
    // Once Redis is back, the next batch goes through.
    const jobs = await pollUntil(() => addsInOneTurn(client, 10).catch(() => []), (added) => added.length === 10, { timeout: 10_000, interval: 50 });
    expect(jobs).to.have.length(10);
  });

  it('workers and the event bus run on an application\'s pipelining instance: their blocking connections do not pipeline', async () => {
    const own = new Redis(redis().url, { enableAutoPipelining: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    cleanup(() => own.disconnect());
    const client = createQueueClient({ queues, connection: own, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const group = await startWorkers({ client, handlers: [echoHandlers()], concurrency: 5, handleSignals: false });
    cleanup(() => group.close());
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => client.producer.addAndWait('echo', 'value', { value: index }, { timeout: 10_000 })));
    expect(results).to.deep.equal(Array.from({ length: 20 }, (_, index) => index));
    const blocking = client.connections.openBlocking('probe');
    cleanup(() => client.connections.release(blocking));
    expect(blocking.options.enableAutoPipelining).to.equal(false);
  });
});
