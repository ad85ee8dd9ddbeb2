import { expect } from 'chai';
import request from 'supertest';
import { createQueueClient } from '../../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from '../support/harness';
import { pollUntil } from '../support/poll';
import { adapters } from './adapters';
import { contractQueues } from './queues';

for (const adapter of adapters) {
  describe(`health route contract on ${adapter.name}`, () => {
    const redis = useRedisServer();
    const cleanup = useCleanup();

    it('answers 200 with the report while ready, 503 while Redis is down, and 200 again once it is back', async () => {
      const client = createQueueClient({ queues: contractQueues, connection: redis().url, prefix: uniquePrefix() });
      cleanup(() => client.close());
      const app = adapter.buildApp(client, { access: { unsafePublicAccess: true } });

      const ready = await request(app).get('/health').expect(200);
      expect(ready.headers['cache-control']).to.equal('no-store');
      expect(ready.body).to.include({ ok: true });
      expect(ready.body.redis.reachable).to.equal(true);
      expect(ready.body.evictionPolicy).to.deep.equal({ policy: 'noeviction', ok: true });
      expect(ready.body.queues.map((queue: { queue: string }) => queue.queue)).to.have.members(Object.keys(contractQueues.definitions));

      await redis().stop();
      try {
        const down = await request(app).get('/health').expect(503);
        expect(down.body.ok).to.equal(false);
        expect(down.body.redis.reachable).to.equal(false);
      } finally {
        await redis().resume();
      }
      const back = await pollUntil(() => request(app).get('/health'), (response) => response.status === 200, { timeout: 10_000 });
      expect(back.status).to.equal(200);
    });
  });
}
