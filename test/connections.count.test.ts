import { expect } from 'chai';
import express from 'express';
import type { Server } from 'node:http';
import request from 'supertest';
import { createQueueClient } from '../lib/index';
import { buildExpressApp } from './support/express-app';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

describe('C06: requests share one set of Redis connections', () => {
  // A server of its own, so CLIENT LIST counts this test's connections and nothing else.
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C06: 500 requests through req.queue.add leave the Redis client count as it was (one connection)', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const server: Server = buildExpressApp(express, client, 'native').listen(0);
    cleanup(() => new Promise((resolve) => server.close(resolve)));
    await client.queue('email').waitUntilReady();

    const before = await redis().clientCount();
    const during: number[] = [];
    for (let sent = 0; sent < 500; sent += 50) {
      const batch = Array.from({ length: 50 }, (_, i) =>
        request(server).post('/jobs/email/digest').send({ data: { userId: sent + i } }).expect(202));
      await Promise.all(batch);
      during.push(await redis().clientCount());
    }
    const after = await redis().clientCount();

    expect(before).to.equal(1);
    expect(during).to.deep.equal(Array(10).fill(before));
    expect(after).to.equal(before);
    expect(await client.queue('email').count()).to.equal(500);
  });
});
