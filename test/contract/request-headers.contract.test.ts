import http from 'node:http';
import { expect } from 'chai';
import request from 'supertest';
import { z } from 'zod';
import {
  AddRefusedError, createQueueClient, defineQueues, job, jobMetadata,
  type BeforeAddHook, type QueueClient, type QueueSet,
} from '../../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from '../support/harness';
import { adapters, type ContractAppOptions } from './adapters';
import { contractQueues } from './queues';

/** A definition whose job is declared with a schema, for the 400-with-issues answer. */
const schemaQueues = defineQueues({
  orders: {
    jobs: { place: job(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })) },
  },
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const steps = { data: { owner: 'alice', steps: 0 } };

// One Redis for the four frameworks: each test uses a fresh prefix.
describe('request headers contract (Idempotency-Key, X-Request-Id, validation, hooks)', function () {
  this.timeout(15_000);
  const redis = useRedisServer();

  for (const adapter of adapters) {
    describe(`on ${adapter.name}`, () => {
      const cleanup = useCleanup();

      function appFor<Queues extends QueueSet>(
        queues: Queues,
        options: { beforeAdd?: BeforeAddHook<Queues>; app?: Partial<ContractAppOptions> } = {},
      ): { client: QueueClient<Queues>; app: http.Server } {
        const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), beforeAdd: options.beforeAdd });
        const app = http.createServer(adapter.buildApp(client, { access: { unsafePublicAccess: true }, ...options.app }));
        cleanup(() => client.close());
        return { client, app };
      }

      it('Idempotency-Key: the first request answers 202, a repeat 200 with the original id and its state; one job is stored', async () => {
        const { client, app } = appFor(contractQueues);
        const first = await request(app).post('/work/work/steps').set('Idempotency-Key', 'order-7').send(steps).expect(202);
        expect(first.body).to.have.keys(['id']);
        const repeat = await request(app).post('/work/work/steps').set('Idempotency-Key', 'order-7')
          .send({ data: { owner: 'alice', steps: 5 } }).expect(200);
        expect(repeat.body).to.deep.equal({ id: first.body.id, state: 'waiting' });
        expect(await client.queue('work').count()).to.equal(1);
        // The stored job is the first request's.
        expect((await client.queue('work').getJob(first.body.id))!.data).to.deep.equal(steps.data);
      });

      it('Idempotency-Key: concurrent repeats store one job; exactly one request answers 202', async () => {
        const { client, app } = appFor(contractQueues);
        const answers = await Promise.all(Array.from({ length: 6 }, () =>
          request(app).post('/work/work/steps').set('Idempotency-Key', 'double-click').send(steps)));
        expect(answers.map((answer) => answer.status).sort()).to.deep.equal([200, 200, 200, 200, 200, 202]);
        expect(new Set(answers.map((answer) => answer.body.id)).size).to.equal(1);
        expect(await client.queue('work').count()).to.equal(1);
      });

      it('Idempotency-Key: other keys, and requests without one, add jobs of their own', async () => {
        const { client, app } = appFor(contractQueues);
        const ids = [];
        for (const key of ['a', 'b', undefined, undefined]) {
          const post = request(app).post('/work/work/steps');
          ids.push((await (key ? post.set('Idempotency-Key', key) : post).send(steps).expect(202)).body.id);
        }
        expect(new Set(ids).size).to.equal(4);
        expect(await client.queue('work').count()).to.equal(4);
      });

      it('Idempotency-Key that is not a usable key (over 255 characters) → 400 QW_INVALID_IDEMPOTENCY_KEY, nothing enqueued', async () => {
        const { client, app } = appFor(contractQueues);
        const response = await request(app).post('/work/work/steps').set('Idempotency-Key', 'k'.repeat(256)).send(steps).expect(400);
        expect(response.body.error.code).to.equal('QW_INVALID_IDEMPOTENCY_KEY');
        expect(await client.queue('work').count()).to.equal(0);
        // A request that adds nothing is not failed by the header.
        await request(app).get('/health').set('Idempotency-Key', 'k'.repeat(256)).expect(200);
      });

      it('X-Request-Id: copied into the job\'s metadata and echoed; a generated UUID when absent or unusable', async () => {
        const { client, app } = appFor(contractQueues);
        const given = await request(app).post('/work/work/steps').set('X-Request-Id', 'req-abc.123').send(steps).expect(202);
        expect(given.headers['x-request-id']).to.equal('req-abc.123');
        expect(jobMetadata(await client.queue('work').getJob(given.body.id))).to.deep.equal({ requestId: 'req-abc.123' });

        for (const header of [undefined, 'has spaces in it', 'x'.repeat(201)]) {
          const post = request(app).post('/work/work/steps');
          const response = await (header ? post.set('X-Request-Id', header) : post).send(steps).expect(202);
          const generated = response.headers['x-request-id'];
          expect(generated, String(header)).to.match(UUID);
          expect(jobMetadata(await client.queue('work').getJob(response.body.id))).to.deep.equal({ requestId: generated });
        }
        // Every request gets one, whether or not it adds a job.
        expect((await request(app).get('/health')).headers['x-request-id']).to.match(UUID);
      });

      it('a job declared with a schema: bad data → 400 QW_VALIDATION_FAILED listing each issue with its path; nothing enqueued', async () => {
        const { client, app } = appFor(schemaQueues);
        const response = await request(app).post('/work/orders/place').send({ data: { sku: '', quantity: 1.5 } }).expect(400);
        expect(response.body.error.code).to.equal('QW_VALIDATION_FAILED');
        expect(response.body.error.issues.map((issue: { path: string }) => issue.path)).to.deep.equal(['data.sku', 'data.quantity']);
        expect(response.body.error.message).to.include('data.sku:').and.include('data.quantity:');
        expect(await client.queue('orders').count()).to.equal(0);
        await request(app).post('/work/orders/place').send({ data: { sku: 'tea', quantity: 2 } }).expect(202);
      });

      it('beforeAdd: metadata from the middleware reaches the job; a refusal answers 403 (or the hook\'s status) and enqueues nothing', async () => {
        const { client, app } = appFor(contractQueues, {
          beforeAdd: (pending) => {
            if (pending.metadata.tenant === undefined) throw new AddRefusedError('Say which tenant you are.', { status: 401 });
            if (pending.metadata.tenant === 'suspended') throw new AddRefusedError('This tenant may not add jobs.');
          },
          app: { middleware: { metadata: (header) => ({ tenant: header('X-Tenant') }) } },
        });
        const anonymous = await request(app).post('/work/work/steps').send(steps).expect(401);
        expect(anonymous.body.error).to.deep.equal({ code: 'QW_ADD_REFUSED', message: 'Say which tenant you are.' });
        const suspended = await request(app).post('/work/work/steps').set('X-Tenant', 'suspended').send(steps).expect(403);
        expect(suspended.body.error.code).to.equal('QW_ADD_REFUSED');
        expect(await client.queue('work').count()).to.equal(0);

        const accepted = await request(app).post('/work/work/steps').set({ 'X-Tenant': 'acme', 'X-Request-Id': 'r-1' }).send(steps).expect(202);
        expect(jobMetadata(await client.queue('work').getJob(accepted.body.id))).to.deep.equal({ tenant: 'acme', requestId: 'r-1' });
      });
    });
  }
});
