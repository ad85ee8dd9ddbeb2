import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createQueueClient, QueueUnavailableError } from '../lib/index';
import { buildExpressApp } from './support/express-app';
import { uniquePrefix, useCleanup } from './support/harness';
import { pollUntil } from './support/poll';
import { queues } from './support/queues';
import { RedisServer } from './support/redis-server';

describe('C08: the app boots while Redis is absent', () => {
  const cleanup = useCleanup();

  it('C08: add fails fast with QueueUnavailableError (503 on the route), then works on its own once Redis starts', async () => {
    const server = await RedisServer.unstarted();
    cleanup(() => server.stop());
    const client = createQueueClient({ queues, connection: server.url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const app = buildExpressApp(express, client, 'native');
    const signup = () => request(app).post('/jobs/email/welcome').send({ data: { to: 'a@b.c', name: 'A' } });

    const started = Date.now();
    const [error, refused] = await Promise.all([
      client.producer.add('email', 'digest', { userId: 1 }).then(() => undefined, (e: unknown) => e),
      signup(),
    ]);
    expect(Date.now() - started, 'ms until both failed').to.be.below(3000);
    expect(error).to.be.instanceOf(QueueUnavailableError);
    expect((error as QueueUnavailableError).message).to.include(`127.0.0.1:${server.port}`);
    expect(refused.status).to.equal(503);
    expect(refused.body.error.code).to.equal('QW_QUEUE_UNAVAILABLE');

    await server.resume();
    // Nothing restarts the client: its connection (and the queue handle made while Redis was away)
    // must recover by themselves.
    const accepted = await pollUntil(() => signup(), (response) => response.status !== 503, { timeout: 15_000, interval: 0 });
    expect(accepted.status).to.equal(202);
    expect(await client.queue('email').count()).to.equal(1);
  });
});
