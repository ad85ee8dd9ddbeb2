import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import {
  InvalidIdempotencyKeyError, createQueueClient, handlers, startWorkers, toHttpError,
  type QueueClient,
} from '../lib/index';
import { queueMiddleware } from '../middleware/express';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { queues, type TestQueues } from './support/queues';

const welcome = { to: 'a@b.c', name: 'A' };

describe('idempotent requests: an idempotency key maps to BullMQ deduplication', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  function newClient(options: { idempotencyWindow?: number } = {}): QueueClient<TestQueues> {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), ...options });
    cleanup(() => client.close());
    return client;
  }

  /** Milliseconds the deduplication key of the first welcome add under `key` has left; -2 once it is gone. */
  async function keyTtl(client: QueueClient<TestQueues>, key: string): Promise<number> {
    const probe = redis().connect();
    try {
      return await probe.pttl(`${client.prefix}:email:de:idem:welcome:1:${key}`);
    } finally {
      probe.disconnect();
    }
  }

  it('a repeated request adds nothing and resolves with the original job, marked duplicate; the window is the client\'s (default 24 h)', async () => {
    const client = newClient();
    const first = await client.producer.withRequest({ idempotencyKey: 'k-1' }).add('email', 'welcome', welcome);
    const repeat = await client.producer.withRequest({ idempotencyKey: 'k-1' }).add('email', 'welcome', { to: 'other@b.c', name: 'B' });
    expect(first.duplicate).to.equal(false);
    expect(repeat.duplicate).to.equal(true);
    expect(repeat.id).to.equal(first.id);
    expect(repeat.data).to.deep.equal(welcome); // the original's data, as stored
    expect(repeat.timestamp).to.equal(first.timestamp);
    expect(await client.queue('email').count()).to.equal(1);
    // `duplicate` is not part of the job: it stays out of JSON.
    expect(Object.keys(repeat)).to.not.include('duplicate');

    const ttl = await keyTtl(client, 'k-1');
    expect(ttl).to.be.above(24 * 3600 * 1000 - 60_000).and.at.most(24 * 3600 * 1000);
  });

  it('concurrent requests with one key store one job: exactly one of them is not a duplicate', async () => {
    const client = newClient();
    const jobs = await Promise.all(Array.from({ length: 10 }, (_, index) =>
      client.producer.withRequest({ idempotencyKey: 'burst' }).add('email', 'welcome', { to: `${index}@b.c`, name: 'A' })));
    expect(new Set(jobs.map((job) => job.id)).size).to.equal(1);
    expect(jobs.filter((job) => !job.duplicate)).to.have.length(1);
    expect(await client.queue('email').count()).to.equal(1);
  });

  it('a request that adds several jobs maps each add to its own original (per job name, in order): add, addBulk, addAndWait alike', async () => {
    const client = newClient();
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [handlers(queues, 'echo', {
        value: async (job) => job.data.value,
        fail: async () => { throw new Error('no'); },
        slow: async (job) => ({ slept: job.data.ms }),
      })],
    });
    cleanup(() => group.close());
    let runs = 0;
    const handle = async (key: string) => {
      const producer = client.producer.withRequest({ idempotencyKey: key });
      const one = await producer.add('email', 'welcome', welcome);
      const two = await producer.add('email', 'welcome', { to: 'second@b.c', name: 'B' });
      const [digest, slow] = await producer.addBulk([
        { queue: 'email', name: 'digest', data: { userId: 1 } },
        { queue: 'echo', name: 'slow', data: { ms: 0 } },
      ]);
      const result = await producer.addAndWait('echo', 'value', { value: ++runs }, { timeout: 5000 });
      return { jobs: [one, two, digest!, slow!], result };
    };
    const original = await handle('multi');
    const repeated = await handle('multi');
    expect(repeated.jobs.map((job) => job.id)).to.deep.equal(original.jobs.map((job) => job.id));
    expect(new Set(original.jobs.map((job) => `${job.queueName}/${job.id}`)).size).to.equal(4);
    expect(original.jobs.map((job) => job.duplicate)).to.deep.equal([false, false, false, false]);
    expect(repeated.jobs.map((job) => job.duplicate)).to.deep.equal([true, true, true, true]);
    // The repeat's addAndWait resolved with the original job's result (value 1), not its own (2).
    expect(repeated.result).to.equal(original.result).and.equal(1);
    expect(await client.queue('email').count()).to.equal(3);

    const other = await handle('another-key');
    expect(other.jobs.every((job) => !job.duplicate)).to.equal(true);
  });

  it('a finished job is still the answer within the window; once the window passes, the same key adds a new job', async () => {
    const client = newClient({ idempotencyWindow: 1500 });
    const group = await startWorkers({ client, handleSignals: false, handlers: [handlers(queues, 'email', { welcome: async (job) => ({ messageId: `m-${job.id}` }), digest: async () => undefined })] });
    cleanup(() => group.close());
    const producer = () => client.producer.withRequest({ idempotencyKey: 'short' });
    const first = await producer().add('email', 'welcome', welcome);
    expect(await pollUntil(() => first.getState(), (state) => state === 'completed')).to.equal('completed');
    const again = await producer().add('email', 'welcome', welcome);
    expect(again.duplicate).to.equal(true);
    expect(await again.getState()).to.equal('completed');
    expect(again.returnvalue).to.deep.equal({ messageId: `m-${first.id}` });

    // The window is BullMQ's deduplication TTL: wait for Redis to expire the key, then repeat.
    expect(await pollUntil(() => keyTtl(client, 'short'), (ttl) => ttl === -2, { timeout: 5000 })).to.equal(-2);
    const later = await producer().add('email', 'welcome', welcome);
    expect(later.duplicate).to.equal(false);
    expect(later.id).to.not.equal(first.id);
  });

  it('BullMQ limitation: retention may remove the original within the window; a repeat then still adds nothing and gets its id, state unknown', async () => {
    const client = newClient();
    const group = await startWorkers({ client, handleSignals: false, handlers: [handlers(queues, 'email', { welcome: async () => ({ messageId: 'm' }), digest: async () => undefined })] });
    cleanup(() => group.close());
    await client.events.ready();
    const completed = nextEvent(client.events, 'email:completed');
    // Retention that removes the job at once (removeOnComplete: true); count limits do the same later.
    const first = await client.producer.withRequest({ idempotencyKey: 'gone' }).add('email', 'welcome', welcome, { removeOnComplete: true });
    expect((await completed).jobId).to.equal(first.id);
    expect(await client.queue('email').getJob(first.id!)).to.equal(undefined);
    expect(await keyTtl(client, 'gone')).to.be.above(0); // BullMQ keeps the key for its TTL

    const repeat = await client.producer.withRequest({ idempotencyKey: 'gone' }).add('email', 'welcome', welcome);
    expect(repeat.duplicate).to.equal(true);
    expect(repeat.id).to.equal(first.id);
    expect(await repeat.getState()).to.equal('unknown');
    expect(await client.queue('email').getJobCounts()).to.include({ waiting: 0, active: 0, completed: 0 });
  });

  it('keys are checked at the first add: empty, over 255 characters or with control characters → InvalidIdempotencyKeyError (400), nothing added', async () => {
    const client = newClient();
    for (const key of [' ', 'x'.repeat(256), 'line\nbreak']) {
      const view = client.producer.withRequest({ idempotencyKey: key });
      const error = await view.add('email', 'welcome', welcome).then(() => expect.fail(`key ${JSON.stringify(key)} was accepted`), (e: Error) => e);
      expect(error, JSON.stringify(key)).to.be.instanceOf(InvalidIdempotencyKeyError);
      expect(toHttpError(error)!.status).to.equal(400);
    }
    const fine = await client.producer.withRequest({ idempotencyKey: 'x'.repeat(255) }).add('email', 'welcome', welcome);
    expect(fine.duplicate).to.equal(false);
    expect(await client.queue('email').count()).to.equal(1);
  });

  it('an explicit deduplication option on the call wins over the request\'s key; a jobId (C16) still returns the existing job', async () => {
    const client = newClient();
    const view = () => client.producer.withRequest({ idempotencyKey: 'req' });
    const explicit = await view().add('email', 'digest', { userId: 1 }, { deduplication: { id: 'digest-1' } });
    const sameDedup = await client.producer.add('email', 'digest', { userId: 2 }, { deduplication: { id: 'digest-1' } });
    expect(sameDedup.duplicate).to.equal(true);
    expect(sameDedup.id).to.equal(explicit.id);

    const byId = await view().add('email', 'welcome', welcome, { jobId: 'signup-9' });
    const byIdAgain = await client.producer.add('email', 'welcome', { to: 'x@y.z', name: 'X' }, { jobId: 'signup-9' });
    expect([byId.duplicate, byIdAgain.duplicate]).to.deep.equal([false, true]);
    expect(byIdAgain.data).to.deep.equal(welcome);
    const byKeyAgain = await view().add('email', 'welcome', welcome, { jobId: 'signup-10' });
    expect(byKeyAgain.duplicate).to.equal(true);
    expect(byKeyAgain.id).to.equal('signup-9');
    expect(await client.queue('email').count()).to.equal(2);
  });

  it('C16: `duplicate` also tells a jobId that existed from a new one (add and addBulk); adds without a key or jobId are never duplicates', async () => {
    const client = newClient();
    const [a, b] = await Promise.all([
      client.producer.add('email', 'digest', { userId: 1 }, { jobId: 'd-1' }),
      client.producer.add('email', 'digest', { userId: 2 }, { jobId: 'd-1' }),
    ]);
    expect([a.duplicate, b.duplicate].sort()).to.deep.equal([false, true]);
    const bulk = await client.producer.addBulk([
      { queue: 'email', name: 'digest', data: { userId: 3 }, options: { jobId: 'd-1' } },
      { queue: 'email', name: 'digest', data: { userId: 4 }, options: { jobId: 'd-2' } },
    ]);
    expect(bulk.map((job) => [job.id, job.duplicate])).to.deep.equal([['d-1', true], ['d-2', false]]);
    const plain = await Promise.all([1, 2].map((userId) => client.producer.add('email', 'digest', { userId })));
    expect(plain.map((job) => job.duplicate)).to.deep.equal([false, false]);
  });

  it('keys scoped to the caller through the middleware option: two callers with one key get two jobs; each caller\'s repeat is a duplicate', async () => {
    const client = newClient();
    const app = express();
    app.use(queueMiddleware(client, {
      idempotencyKey: (req) => (req.get('Idempotency-Key') ? `${req.get('x-user')}/${req.get('Idempotency-Key')}` : undefined),
    }));
    app.post('/digest', async (req, res) => {
      const job = await (req.queue as unknown as typeof client.producer).add('email', 'digest', { userId: 1 });
      res.status(job.duplicate ? 200 : 202).json({ id: job.id });
    });
    const post = (user: string) => request(app).post('/digest').set({ 'x-user': user, 'Idempotency-Key': 'same' });
    const alice = await post('alice').expect(202);
    const bob = await post('bob').expect(202);
    expect(bob.body.id).to.not.equal(alice.body.id);
    expect((await post('alice').expect(200)).body.id).to.equal(alice.body.id);
    expect(await client.queue('email').count()).to.equal(2);
  });
});
