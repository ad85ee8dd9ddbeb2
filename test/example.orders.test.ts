import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { startWorkers, type HandlerRegistry, type QueueClient } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { useRedisServer } from './support/harness';

// examples/orders: the README's sections on schemas, idempotent requests, request ids and hooks quote it.
describe('example: orders (schema, Idempotency-Key, X-Request-Id, beforeAdd)', function () {
  this.timeout(10_000);
  const redis = useRedisServer();

  it('runs as the README says: 202, a repeat answers 200 with the original; the handler reads the Date and the metadata; 400 / 401 / 422', async () => {
    process.env.REDIS_URL = redis().url;
    // Loaded from the build at run time: the example registers its own definition for req.queue.
    const web = require('../examples/orders/web.js') as { app: Express; client: QueueClient };
    const orderHandlers = (require('../examples/orders/handlers.js') as { default: HandlerRegistry }).default;
    const group = await startWorkers({ client: web.client, handlers: [orderHandlers], handleSignals: false });
    try {
      await web.client.events.ready();
      const order = { sku: 'tea', quantity: 2, deliverOn: '2030-05-17' };
      const headers = { 'X-Tenant': 'acme', 'X-Request-Id': 'req-1', 'Idempotency-Key': 'order-1' };

      const completed = nextEvent(web.client.events, 'completed');
      const first = await request(web.app).post('/orders').set(headers).send(order).expect(202);
      expect(first.headers['x-request-id']).to.equal('req-1');
      const event = await completed;
      expect(event.jobId).to.equal(first.body.id);
      expect(event.returnvalue).to.deep.equal({ confirmation: 'acme: 2 × tea on 2030-05-17 (request req-1)' });

      const repeat = await request(web.app).post('/orders').set({ ...headers, 'X-Request-Id': 'req-2' }).send(order).expect(200);
      expect(repeat.body).to.deep.equal({ id: first.body.id, state: 'completed' });
      expect(await web.client.queue('orders').getJobCounts('completed', 'waiting')).to.deep.equal({ completed: 1, waiting: 0 });

      const invalid = await request(web.app).post('/orders').set('X-Tenant', 'acme').send({ ...order, deliverOn: 'soon' }).expect(400);
      expect(invalid.body.error.issues.map((issue: { path: string }) => issue.path)).to.deep.equal(['data.deliverOn']);
      const anonymous = await request(web.app).post('/orders').send(order).expect(401);
      expect(anonymous.body.error).to.deep.equal({ code: 'QW_ADD_REFUSED', message: 'Send X-Tenant.' });
      await request(web.app).post('/orders').set('X-Tenant', 'acme').send({ ...order, quantity: 500 }).expect(422);
      expect(await web.client.queue('orders').count()).to.equal(0);
    } finally {
      await group.close();
      await web.client.close();
      delete process.env.REDIS_URL;
    }
  });
});
