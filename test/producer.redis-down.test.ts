import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createQueueClient } from '../lib/index';
import { buildExpressApp } from './support/express-app';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { queues } from './support/queues';

describe('C07: Redis goes down while the app serves', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C07: an enqueueing route answers 503 QW_QUEUE_UNAVAILABLE within ~2 s, and works again once Redis is back', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const app = buildExpressApp(express, client, 'native');
    const signup = () => request(app).post('/jobs/email/welcome').send({ data: { to: 'a@b.c', name: 'A' } });
    await signup().expect(202);

    await redis().stop();
    const started = Date.now();
    const refused = await signup();
    const elapsed = Date.now() - started;
    expect(refused.status).to.equal(503);
    expect(refused.body.error.code).to.equal('QW_QUEUE_UNAVAILABLE');
    expect(refused.headers['retry-after']).to.equal('1');
    expect(elapsed, 'ms until the 503').to.be.below(3000);

    await redis().resume();
    // The same app and client, not restarted: retry until the producer has reconnected by itself.
    const statuses: number[] = [];
    const accepted = await pollUntil(async () => {
      const response = await signup();
      statuses.push(response.status);
      return response;
    }, (response) => response.status !== 503, { timeout: 15_000, interval: 0 });
    expect(accepted.status, `statuses while reconnecting: ${statuses}`).to.equal(202);
    // Redis restarted empty (no persistence): the job now stored is the accepted one, no refused one.
    expect(await client.queue('email').count()).to.equal(1);
    expect((await client.queue('email').getJob(accepted.body.id))?.data).to.deep.equal({ to: 'a@b.c', name: 'A' });
  });
});
