import { expect } from 'chai';
import {
  AddRefusedError, InvalidJobOptionsError, createQueueClient, handlers, jobMetadata, startWorkers, toHttpError,
  type BeforeAddHook, type JobMetadata, type QueueClient,
} from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues, type TestQueues } from './support/queues';

const welcome = { to: 'a@b.c', name: 'A' };

describe('request ids, job metadata and beforeAdd hooks', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  function newClient(beforeAdd?: BeforeAddHook<TestQueues> | Array<BeforeAddHook<TestQueues>>): QueueClient<TestQueues> {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), beforeAdd });
    cleanup(() => client.close());
    return client;
  }

  it('the request id travels with the job: the handler reads it with jobMetadata(job), a bus listener by reading the job; data is untouched', async () => {
    const client = newClient();
    const seenByHandler: Array<Readonly<JobMetadata>> = [];
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [handlers(queues, 'email', {
        welcome: async (job) => {
          seenByHandler.push(jobMetadata(job));
          return { messageId: `for ${jobMetadata(job).requestId}` };
        },
        digest: async () => undefined,
      })],
    });
    cleanup(() => group.close());
    await client.events.ready();

    const completed = nextEvent(client.events, 'email:completed');
    const view = client.producer.withRequest({ requestId: 'req-42', metadata: { tenant: 'acme' } });
    expect(view.request).to.deep.equal({ requestId: 'req-42', metadata: { tenant: 'acme' } });
    expect(client.producer.request).to.equal(undefined);
    const added = await view.add('email', 'welcome', welcome);
    const event = await completed;
    expect(event.returnvalue).to.deep.equal({ messageId: 'for req-42' });
    expect(seenByHandler).to.deep.equal([{ tenant: 'acme', requestId: 'req-42' }]);
    // A listener gets the job's id from the event and reads the job.
    const stored = await client.queue(event.queue).getJob(event.jobId);
    expect(jobMetadata(stored)).to.deep.equal({ tenant: 'acme', requestId: 'req-42' });
    expect(stored!.data).to.deep.equal(welcome);
    expect(jobMetadata(added).requestId).to.equal('req-42');
  });

  it('jobs added outside a request, by another producer, or missing have empty metadata; jobMetadata never throws', async () => {
    const client = newClient();
    expect(jobMetadata(await client.producer.add('email', 'digest', { userId: 1 }))).to.deep.equal({});
    const foreign = await client.queue('email').add('digest', { userId: 2 }, { telemetry: { metadata: 'traceparent=00-abc' } });
    expect(jobMetadata(await client.queue('email').getJob(foreign.id!))).to.deep.equal({});
    const mixed = await client.queue('email').add('digest', { userId: 3 }, { telemetry: { metadata: '{"requestId":"r","n":1,"__proto__":"p"}' } });
    const read = jobMetadata(await client.queue('email').getJob(mixed.id!));
    // String entries only; a "__proto__" entry stays an entry.
    expect(Object.entries(read)).to.deep.equal([['requestId', 'r'], ['__proto__', 'p']]);
    expect(Object.getPrototypeOf(read)).to.equal(Object.prototype);
    expect(jobMetadata(undefined)).to.deep.equal({});
  });

  it('hooks run in order, async ones awaited, after validation and before Redis; they see typed data and the request, and add metadata', async () => {
    const calls: string[] = [];
    const client = newClient([
      async (job) => {
        calls.push(`first ${job.queue}/${job.name} ${job.request?.requestId ?? '-'}`);
        await new Promise((resolve) => setImmediate(resolve));
        job.metadata.tenant = job.request ? 'from-request' : 'system';
      },
      (job) => {
        calls.push(`second sees tenant ${job.metadata.tenant}`);
        if (job.queue === 'email' && job.name === 'welcome') job.metadata.recipientDomain = job.data.to.split('@')[1];
      },
    ]);
    const onRequest = await client.producer.withRequest({ requestId: 'r-7' }).add('email', 'welcome', welcome);
    expect(jobMetadata(await client.queue('email').getJob(onRequest.id!))).to.deep.equal({ requestId: 'r-7', tenant: 'from-request', recipientDomain: 'b.c' });
    const direct = await client.producer.add('email', 'digest', { userId: 1 });
    expect(jobMetadata(await client.queue('email').getJob(direct.id!))).to.deep.equal({ tenant: 'system' });
    expect(calls).to.deep.equal(['first email/welcome r-7', 'second sees tenant from-request', 'first email/digest -', 'second sees tenant system']);

    // Invalid data never reaches the hooks.
    calls.length = 0;
    await client.producer.add('email', 'welcome', { to: undefined } as never).then(() => expect.fail('accepted'), () => undefined);
    expect(calls).to.deep.equal([]);
  });

  it('a hook refuses with AddRefusedError (403, or its own status): nothing is added — in addBulk, none of the entries', async () => {
    const client = newClient((job) => {
      if (job.name === 'digest' && job.data.userId === 13) throw new AddRefusedError('User 13 is over quota.', { status: 429 });
      if (job.queue === 'echo') throw new AddRefusedError('No echo jobs from here.');
    });
    const quota = await client.producer.add('email', 'digest', { userId: 13 }).then(() => expect.fail('accepted'), (e: Error) => e);
    expect(quota).to.be.instanceOf(AddRefusedError);
    expect(toHttpError(quota)).to.deep.equal({ status: 429, body: { error: { code: 'QW_ADD_REFUSED', message: 'User 13 is over quota.' } } });
    const forbidden = await client.producer.add('echo', 'value', { value: 1 }).then(() => expect.fail('accepted'), (e: Error) => e);
    expect(toHttpError(forbidden)!.status).to.equal(403);

    const bulk = await client.producer.addBulk([
      { queue: 'email', name: 'digest', data: { userId: 1 } },
      { queue: 'email', name: 'digest', data: { userId: 13 } },
    ]).then(() => expect.fail('accepted'), (e: Error) => e);
    expect(bulk).to.be.instanceOf(AddRefusedError);
    expect(await client.queue('email').count()).to.equal(0);
    expect(await client.queue('echo').count()).to.equal(0);

    // Any other error a hook throws propagates unchanged (the app's own error handling decides).
    const broken = newClient(() => { throw new RangeError('hook bug'); });
    const error = await broken.producer.add('email', 'digest', { userId: 1 }).then(() => expect.fail('accepted'), (e: Error) => e);
    expect(error).to.be.instanceOf(RangeError);
    expect(toHttpError(error)).to.equal(undefined);
  });

  it('metadata must be short strings: a hook that sets anything else is refused with InvalidJobOptionsError; callers cannot pass telemetry', async () => {
    const numeric = newClient((job) => {
      (job.metadata as Record<string, unknown>).attempt = 3;
    });
    const error = await numeric.producer.add('email', 'digest', { userId: 1 }).then(() => expect.fail('accepted'), (e: Error) => e);
    expect(error).to.be.instanceOf(InvalidJobOptionsError);
    expect(error.message).to.match(/metadata "attempt" must be a string; got number/);

    const huge = newClient((job) => {
      job.metadata.blob = 'x'.repeat(9000);
    });
    const tooBig = await huge.producer.add('email', 'digest', { userId: 1 }).then(() => expect.fail('accepted'), (e: Error) => e);
    expect(tooBig.message).to.match(/metadata is \d+ bytes encoded, over the limit of 8192/);

    const client = newClient();
    const telemetry = await client.producer.add('email', 'digest', { userId: 1 }, { telemetry: { metadata: '{}' } } as never)
      .then(() => expect.fail('accepted'), (e: Error) => e);
    expect(telemetry).to.be.instanceOf(InvalidJobOptionsError);
    for (const c of [numeric, huge, client]) expect(await c.queue('email').count()).to.equal(0);
  });
});
