import { expect } from 'chai';
import * as v from 'valibot';
import { z } from 'zod';
import {
  ConfigurationError, ValidationError, createQueueClient, defineQueues, handlers, job, startWorkers, toHttpError,
  type QueueClient, type QueueSet,
} from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';

// zod 4: a transform (ISO day → Date), defaults, nested arrays; an async refinement.
const shopQueues = defineQueues({
  shop: {
    jobs: {
      order: job(z.object({
        sku: z.string().min(1),
        quantity: z.number().int().positive(),
        deliverOn: z.iso.date().transform((day) => new Date(`${day}T00:00:00Z`)),
        note: z.string().default('none'),
        lines: z.array(z.object({ sku: z.string(), qty: z.number().int() })).default([]),
      }), { attempts: 3, backoff: 0 }).returns<{ deliverOn: string; isDate: boolean; note: string; lines: number }>(),
      checked: job(z.object({ code: z.string().refine(async (code) => code.startsWith('ok-'), 'unknown code') }), { attempts: 3, backoff: 0 })
        .returns<{ code: string }>(),
    },
  },
});

// valibot: a transform (string → number); an async check.
const mailQueues = defineQueues({
  mail: {
    jobs: {
      send: job(v.object({
        to: v.pipe(v.string(), v.email()),
        tags: v.array(v.string()),
        count: v.pipe(v.string(), v.transform(Number)),
      })).returns<{ count: number }>(),
      vetted: job(v.objectAsync({ domain: v.pipeAsync(v.string(), v.checkAsync(async (domain) => domain.endsWith('.test'), 'not a test domain')) }), { attempts: 3, backoff: 0 }),
    },
  },
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(() => expect.fail('expected a rejection'), (error: Error) => error);
}

describe('runtime validation with Standard Schemas (zod 4, valibot)', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  function clientOf<Queues extends QueueSet>(queues: Queues): QueueClient<Queues> {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    return client;
  }

  /** Every key under the client's prefix: an add refused before Redis leaves none (not even the id counter). */
  async function keysOf(client: QueueClient<any>): Promise<string[]> {
    const probe = redis().connect();
    try {
      return await probe.keys(`${client.prefix}:*`);
    } finally {
      probe.disconnect();
    }
  }

  it('zod 4 at enqueue: bad data → ValidationError listing every issue with its path (400), before Redis is touched', async () => {
    const client = clientOf(shopQueues);
    const error = await rejection(client.producer.add('shop', 'order', {
      sku: '', quantity: 0, deliverOn: 'next tuesday', lines: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 1.5 }],
    }));
    expect(error).to.be.instanceOf(ValidationError);
    const validation = error as ValidationError;
    expect(validation.code).to.equal('QW_VALIDATION_FAILED');
    expect([validation.queue, validation.jobName]).to.deep.equal(['shop', 'order']);
    expect(validation.issues.map((issue) => issue.path)).to.deep.equal(['data.sku', 'data.quantity', 'data.deliverOn', 'data.lines[1].qty']);
    expect(validation.message).to.match(/^add\("shop", "order"\): the data does not match the schema of "shop"\/"order": data\.sku: /);
    const answer = toHttpError(error)!;
    expect(answer.status).to.equal(400);
    expect(answer.body.error.issues).to.deep.equal(validation.issues);
    expect(await keysOf(client)).to.deep.equal([]);
  });

  it('valibot at enqueue: the same, paths from its path segments; a payload that is not an object is an issue at `data`', async () => {
    const client = clientOf(mailQueues);
    const error = await rejection(client.producer.add('mail', 'send', { to: 'nobody', tags: ['a', 7 as unknown as string], count: '1' }));
    expect(error).to.be.instanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.path)).to.deep.equal(['data.to', 'data.tags[1]']);
    expect((error as ValidationError).issues[0]!.message).to.match(/email/i);
    const whole = await rejection(client.producer.add('mail', 'send', 'just a string' as never));
    expect((whole as ValidationError).issues.map((issue) => issue.path)).to.deep.equal(['data']);
    expect(await keysOf(client)).to.deep.equal([]);
  });

  it('async schemas are awaited at enqueue (zod async refine, valibot pipeAsync)', async () => {
    const shop = clientOf(shopQueues);
    const zodError = await rejection(shop.producer.add('shop', 'checked', { code: 'nope' }));
    expect((zodError as ValidationError).issues).to.deep.equal([{ path: 'data.code', message: 'unknown code' }]);
    const mail = clientOf(mailQueues);
    const valibotError = await rejection(mail.producer.add('mail', 'vetted', { domain: 'example.com' }));
    expect((valibotError as ValidationError).issues).to.deep.equal([{ path: 'data.domain', message: 'not a test domain' }]);
    expect(await keysOf(shop)).to.deep.equal([]);
    expect(await keysOf(mail)).to.deep.equal([]);

    const accepted = await shop.producer.add('shop', 'checked', { code: 'ok-1' });
    expect(accepted.data).to.deep.equal({ code: 'ok-1' });
    expect(await mail.producer.addBulk([{ queue: 'mail', name: 'vetted', data: { domain: 'a.test' } }])).to.have.length(1);
  });

  it('addBulk: one invalid entry refuses the whole call, naming the entry; nothing is added', async () => {
    const client = clientOf(shopQueues);
    const good = { sku: 'tea', quantity: 1, deliverOn: '2030-01-01' };
    const error = await rejection(client.producer.addBulk([
      { queue: 'shop', name: 'order', data: good },
      { queue: 'shop', name: 'order', data: { ...good, quantity: -1 } },
    ]));
    expect(error).to.be.instanceOf(ValidationError);
    expect(error.message).to.match(/^addBulk\(\) entry 1 \("shop", "order"\): .*data\.quantity: /);
    expect(await keysOf(client)).to.deep.equal([]);
  });

  it('Redis keeps what the producer sent; the handler reads the schema\'s output (transforms and defaults), checked in the worker', async () => {
    const shop = clientOf(shopQueues);
    const mail = clientOf(mailQueues);
    const groups = await Promise.all([
      startWorkers({
        client: shop,
        handleSignals: false,
        handlers: [handlers(shopQueues, 'shop', {
          order: async (job) => ({
            deliverOn: job.data.deliverOn.toISOString(),
            isDate: job.data.deliverOn instanceof Date,
            note: job.data.note,
            lines: job.data.lines.length,
          }),
          checked: async (job) => ({ code: job.data.code }),
        })],
      }),
      startWorkers({ client: mail, handleSignals: false, handlers: [handlers(mailQueues, 'mail', { send: async (job) => ({ count: job.data.count }), vetted: async () => undefined })] }),
    ]);
    for (const group of groups) cleanup(() => group.close());

    const sent = { sku: 'tea', quantity: 2, deliverOn: '2030-05-17' };
    const result = await shop.producer.addAndWait('shop', 'order', sent, { timeout: 5000, jobId: 'order-1' });
    expect(result).to.deep.equal({ deliverOn: '2030-05-17T00:00:00.000Z', isDate: true, note: 'none', lines: 0 });
    expect((await shop.queue('shop').getJob('order-1'))!.data).to.deep.equal(sent); // no defaults written back
    expect(await mail.producer.addAndWait('mail', 'send', { to: 'ada@example.com', tags: [], count: '3' }, { timeout: 5000 })).to.deep.equal({ count: 3 });
  });

  it('in the worker: data its schema refuses (sync or async) fails the job at once — no retries, the handler never runs — naming the issues', async () => {
    const shop = clientOf(shopQueues);
    const mail = clientOf(mailQueues);
    const ran: string[] = [];
    const groups = await Promise.all([
      startWorkers({
        client: shop,
        handleSignals: false,
        handlers: [handlers(shopQueues, 'shop', {
          order: async (job) => {
            ran.push(job.id!);
            return { deliverOn: '', isDate: false, note: '', lines: 0 };
          },
          checked: async (job) => {
            ran.push(job.id!);
            return { code: job.data.code };
          },
        })],
      }),
      startWorkers({ client: mail, handleSignals: false, handlers: [handlers(mailQueues, 'mail', { send: async () => ({ count: 0 }), vetted: async (job) => void ran.push(job.id!) })] }),
    ]);
    for (const group of groups) cleanup(() => group.close());
    await Promise.all([shop.events.ready(), mail.events.ready()]);

    // Written past the producer (another service, an older deploy, a hand-made job), with retries allowed.
    const cases = [
      { client: shop, queue: 'shop', name: 'order', data: { sku: 'tea', quantity: 'two', deliverOn: '2030-05-17' }, reason: /data\.quantity: / },
      { client: shop, queue: 'shop', name: 'checked', data: { code: 'bad' }, reason: /data\.code: unknown code/ },
      { client: mail, queue: 'mail', name: 'vetted', data: { domain: 'example.com' }, reason: /data\.domain: not a test domain/ },
    ] as const;
    for (const { client, queue, name, data, reason } of cases) {
      const jobId = `raw-${name}`;
      const failed = nextEvent(client.events as QueueClient<QueueSet>['events'], 'failed', (event) => event.jobId === jobId);
      await client.queue(queue as never).add(name, data, { jobId, attempts: 3, backoff: 0 });
      const event = await failed;
      expect(event.failedReason, name).to.match(new RegExp(`^Job ${queue}/${jobId} in the worker: the data does not match the schema of "${queue}"/"${name}": `));
      expect(event.failedReason, name).to.match(reason);
      const stored = (await client.queue(queue as never).getJob(jobId))!;
      expect(await stored.getState(), name).to.equal('failed');
      expect(stored.attemptsMade, `${name}: attempts made of 3`).to.equal(1);
    }
    expect(ran).to.deep.equal([]);
  });

  it('the definition: job(schema) keeps the schema and defaults, .returns() is the same definition; a non-schema is refused', () => {
    const schema = z.object({ id: z.string() });
    const definition = job(schema, { attempts: 2 });
    expect(definition.schema).to.equal(schema);
    expect(definition.defaults).to.deep.equal({ attempts: 2 });
    expect(definition.returns<{ ok: true }>()).to.equal(definition);
    expect(job<{ id: string }>({ attempts: 2 })).to.deep.equal({ defaults: { attempts: 2 } });
    expect(() => defineQueues({ q: { jobs: { bad: { schema: { parse: () => 1 } } as never } } }))
      .to.throw(ConfigurationError, /queues\.q\.jobs\.bad: schema is not a Standard Schema/);
  });
});
