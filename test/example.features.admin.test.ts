import { expect } from 'chai';
import request from 'supertest';
import { handlers, startWorkers } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';

type Example = typeof import('../examples/features/admin');

// examples/features/admin.ts: the README's "Queue admin" section quotes it.
describe('example: queue admin (examples/features/admin.ts)', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('runs as the README says: failed mail is listed, support may look but not change, retried after the outage, tidied up', async () => {
    process.env.REDIS_URL = redis().url;
    process.env.OPS_TOKEN = `ops-${uniquePrefix()}`;
    process.env.SUPPORT_TOKEN = `support-${uniquePrefix()}`;
    cleanup(() => {
      delete process.env.REDIS_URL;
      delete process.env.OPS_TOKEN;
      delete process.env.SUPPORT_TOKEN;
    });
    // Loaded at run time, once the environment names this test's Redis.
    const example = require('../examples/features/admin.js') as Example;
    const { client, app } = example;
    cleanup(() => client.close());
    const provider = { down: true };
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [handlers(example.queues, 'mail', {
        send: async (job) => {
          if (provider.down) throw new Error('mail provider unreachable');
          return { messageId: `<${job.id}@example.test>` };
        },
      })],
    });
    cleanup(() => group.close());
    await client.events.ready();

    for (const to of ['ann@example.test', 'bob@example.test', 'cy@example.test']) {
      const failed = nextEvent(client.events, 'mail:failed');
      await client.producer.add('mail', 'send', { to, subject: 'Welcome' });
      await failed;
    }
    expect(await example.failedRecipients()).to.have.members([
      'ann@example.test: mail provider unreachable',
      'bob@example.test: mail provider unreachable',
      'cy@example.test: mail provider unreachable',
    ]);

    const support = `Bearer ${process.env.SUPPORT_TOKEN}`;
    const operator = `Bearer ${process.env.OPS_TOKEN}`;
    await request(app).get('/ops/queues/mail').expect(403);
    await request(app).get('/ops/queues/mail').set('Authorization', 'Bearer undefined').expect(403);
    const counts = await request(app).get('/ops/queues/mail').set('Authorization', support).expect(200);
    expect(counts.body).to.deep.include({ queue: 'mail', paused: false });
    expect(counts.body.counts).to.include({ failed: 3 });
    await request(app).post('/ops/queues/mail/retry-failed').set('Authorization', support).type('json').send('{}').expect(403);
    expect(await client.admin.counts('mail')).to.include({ failed: 3, waiting: 0 });
    // The body express.json() parsed reaches the routes' checks.
    const refused = await request(app).post('/ops/queues/mail/retry-failed').set('Authorization', operator).send({ count: 0 }).expect(400);
    expect(refused.body.error.message).to.include('count must be a whole number from 1 to 1000; got 0');

    provider.down = false;
    const sent = new Set<string>();
    const allSent = new Promise<void>((resolve) => {
      client.events.on('mail:completed', (event) => {
        sent.add(event.jobId);
        if (sent.size === 3) resolve();
      });
    });
    expect(await example.retryAllFailedMail()).to.equal(3);
    await allSent;
    expect(await client.admin.isPaused('mail')).to.equal(false);

    const nothingLeft = await request(app).post('/ops/queues/mail/retry-failed').set('Authorization', operator).type('json').send('{}').expect(200);
    expect(nothingLeft.body).to.deep.equal({ queue: 'mail', retried: [] });
    expect(await example.tidyUp()).to.equal(0); // a week has not passed
    expect(await example.tidyUp(0)).to.equal(3);
    expect(await client.admin.counts('mail')).to.include({ completed: 0, failed: 0 });
  });
});
