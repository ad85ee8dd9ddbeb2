import { expect } from 'chai';
import express5 from 'express';
import express4 from 'express4';
import request from 'supertest';
import { createQueueClient } from '../lib/index';
import { buildExpressApp, type AsyncErrors, type ExpressFactory } from './support/express-app';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';
import { RedisServer } from './support/redis-server';

// One contract, run unchanged against each Express major, so the adapter cannot drift between them.
const flavours: Array<{ name: string; express: ExpressFactory; asyncErrors: AsyncErrors }> = [
  { name: 'Express 5 (async routes reject into the error handlers)', express: express5, asyncErrors: 'native' },
  { name: 'Express 4 (async routes end in .catch(next))', express: express4, asyncErrors: 'catch-next' },
];

for (const flavour of flavours) {
  describe(`queueMiddleware and queueErrorHandler on ${flavour.name}`, () => {
    const redis = useRedisServer();
    const cleanup = useCleanup();

    function appOn(connection: string, options: { producerTimeout?: number } = {}) {
      const client = createQueueClient({ queues, connection, prefix: uniquePrefix(), ...options });
      cleanup(() => client.close());
      return { client, app: buildExpressApp(flavour.express, client, flavour.asyncErrors) };
    }

    it('req.queue.add stores the job and the route answers 202 with its id', async () => {
      const { client, app } = appOn(redis().url);
      const response = await request(app).post('/jobs/email/welcome').send({ data: { to: 'a@b.c', name: 'A' } }).expect(202);
      const stored = await client.queue('email').getJob(response.body.id);
      expect(stored?.name).to.equal('welcome');
      expect(stored?.data).to.deep.equal({ to: 'a@b.c', name: 'A' });
    });

    it('unknown queue → 400 QW_UNKNOWN_QUEUE', async () => {
      const { app } = appOn(redis().url);
      const response = await request(app).post('/jobs/nope/welcome').send({ data: {} }).expect(400);
      expect(response.body.error.code).to.equal('QW_UNKNOWN_QUEUE');
      expect(response.body.error.message).to.include('"nope"');
    });

    it('unknown job name → 400 QW_UNKNOWN_JOB', async () => {
      const { app } = appOn(redis().url);
      const response = await request(app).post('/jobs/email/nope').send({ data: {} }).expect(400);
      expect(response.body.error.code).to.equal('QW_UNKNOWN_JOB');
    });

    it('invalid options → 400 QW_INVALID_JOB_OPTIONS (attempts: 0, a misspelt key, a "__proto__" key)', async () => {
      const { client, app } = appOn(redis().url);
      const data = { to: 'a@b.c', name: 'A' };
      for (const body of [
        JSON.stringify({ data, options: { attempts: 0 } }),
        JSON.stringify({ data, options: { atempts: 3 } }),
        // JSON.parse makes "__proto__" an own key: it must be refused as unknown, not crash the route.
        `{"data":${JSON.stringify(data)},"options":{"__proto__":{"attempts":3}}}`,
      ]) {
        const response = await request(app).post('/jobs/email/welcome').set('Content-Type', 'application/json').send(body);
        expect(response.status, body).to.equal(400);
        expect(response.body.error.code, body).to.equal('QW_INVALID_JOB_OPTIONS');
      }
      expect(await client.queue('email').count()).to.equal(0);
    });

    it('C18: a payload JSON cannot carry → 400 QW_UNSERIALIZABLE_VALUE naming the path', async () => {
      const { app } = appOn(redis().url);
      const response = await request(app).post('/dated').expect(400);
      expect(response.body.error.code).to.equal('QW_UNSERIALIZABLE_VALUE');
      expect(response.body.error.message).to.match(/^data\.at is a Date/);
    });

    it('C20: a 10 MB payload → 413 QW_PAYLOAD_TOO_LARGE, nothing enqueued', async () => {
      const { client, app } = appOn(redis().url);
      const response = await request(app).post('/jobs/echo/value').send({ data: { value: 'x'.repeat(10 * 1024 * 1024) } });
      expect(response.status).to.equal(413);
      expect(response.body.error.code).to.equal('QW_PAYLOAD_TOO_LARGE');
      expect(await client.queue('echo').count()).to.equal(0);
    });

    it('C07/C08: Redis unreachable → 503 QW_QUEUE_UNAVAILABLE with Retry-After, within the producer timeout', async () => {
      const nothingListening = await RedisServer.unstarted();
      const { app } = appOn(nothingListening.url, { producerTimeout: 300 });
      const started = Date.now();
      const response = await request(app).post('/jobs/email/welcome').send({ data: { to: 'a@b.c', name: 'A' } });
      expect(Date.now() - started).to.be.below(1500);
      expect(response.status).to.equal(503);
      expect(response.headers['retry-after']).to.equal('1');
      expect(response.body.error.code).to.equal('QW_QUEUE_UNAVAILABLE');
    });

    it('errors that are not queuewire\'s go on to the next error handler', async () => {
      const { app } = appOn(redis().url);
      const response = await request(app).post('/broken').expect(500);
      expect(response.body.error).to.deep.equal({ code: 'UNEXPECTED', message: 'not a queue problem' });
    });

    it('C16: concurrent requests with one Idempotency-Key enqueue one job and both answer with it', async () => {
      const { client, app } = appOn(redis().url);
      const post = (name: string) => request(app).post('/jobs/email/welcome').set('Idempotency-Key', 'signup-42').send({ data: { to: 'a@b.c', name } });
      const [first, second] = await Promise.all([post('first'), post('second')]);
      expect(first.status).to.equal(202);
      expect(second.status).to.equal(202);
      expect(first.body.id).to.equal('signup-42');
      expect(second.body).to.deep.equal(first.body);
      expect(await client.queue('email').count()).to.equal(1);
    });
  });
}
