import { expect } from 'chai';
import request from 'supertest';
import { createQueueClient } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';

// examples/features/hooks.ts: the README's "Hooks around handlers and job context" quotes it.
describe('example: features/hooks (hooks around handlers, jobContext(), events.metadataOf)', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('runs as the README says: hooks wrap the handler, every log line in the job carries its request id and tenant, a suspended tenant\'s job fails in the gate', async () => {
    // Loaded from the build at run time, as a user's program would load it.
    const example = require('../examples/features/hooks.js') as typeof import('../examples/features/hooks');
    const lines: Array<Record<string, unknown>> = [];
    const write = example.logSink.write;
    example.logSink.write = (line) => void lines.push(JSON.parse(line));
    cleanup(() => {
      example.logSink.write = write;
      example.suspendedTenants.clear();
    });
    const client = createQueueClient({ queues: example.queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const group = await example.startEmailWorkers(client);
    cleanup(() => group.close());
    example.logFailures(client);
    await client.events.ready();
    const app = example.webApp(client);

    const completed = nextEvent(client.events, 'email:completed');
    const sent = await request(app).post('/signup').set({ 'X-Request-Id': 'req-1', 'X-Tenant': 'acme' }).send({ to: 'a@b.c' }).expect(202);
    expect((await completed).returnvalue).to.deep.equal({ messageId: 'm-a@b.c' });
    const job = { jobId: sent.body.id, requestId: 'req-1', tenant: 'acme' };
    expect(lines).to.deep.equal([
      { message: 'start', ...job },
      { message: 'sending to a@b.c', ...job }, // the handler's helper, handed nothing
      { message: 'done: m-a@b.c', ...job },
    ]);

    lines.length = 0;
    example.suspendedTenants.add('acme');
    const failed = nextEvent(client.events, 'email:failed');
    const refused = await request(app).post('/signup').set({ 'X-Request-Id': 'req-2', 'X-Tenant': 'acme' }).send({ to: 'a@b.c' }).expect(202);
    expect((await failed).failedReason).to.equal('tenant "acme" may not send mail');
    // The bus listener's line comes after the event: wait for it rather than for a guessed time.
    await pollUntil(() => lines.length, (count) => count >= 3);
    expect(lines).to.deep.equal([
      { message: 'start', jobId: refused.body.id, requestId: 'req-2', tenant: 'acme' },
      // UnrecoverableError: one attempt of the two allowed, and the handler never ran.
      { message: 'attempt 1 failed: tenant "acme" may not send mail', jobId: refused.body.id, requestId: 'req-2', tenant: 'acme' },
      // The bus listener, outside any job, reads the request id with events.metadataOf(event).
      { message: `job ${refused.body.id} failed: tenant "acme" may not send mail`, requestId: 'req-2' },
    ]);
    expect((await client.queue('email').getJob(refused.body.id))!.attemptsMade).to.equal(1);
  });
});
