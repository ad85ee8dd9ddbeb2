import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { queueErrorHandler, queueMiddleware } from '../middleware/express';
import {
  AddRefusedError, ConfigurationError, InvalidFlowError, Producer, QueueUnavailableError, UnknownJobError, ValidationError, childResults, createQueueClient, defineQueues, handlers, job,
  jobMetadata, startWorkers, type QueueClient,
} from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';

const queues = defineQueues({
  resize: { jobs: { image: job(z.object({ path: z.string(), width: z.number().int().positive() })).returns<{ out: string }>() } },
  scan: {
    jobs: {
      virus: job<{ path: string; fail?: boolean }, { clean: boolean }>(),
      // A parent that is itself a child: flows nest.
      bundle: job<{ name: string }, { scanned: number }>().children({ scan: 'virus' }),
    },
  },
  publish: {
    jobs: {
      album: job<{ title: string }, { title: string; images: string[]; clean: boolean; childIds: string[] }>()
        .children({ resize: 'image', scan: 'virus' }),
      page: job<{ slug: string }>().children({ scan: 'bundle' }),
    },
  },
});

const resize = handlers(queues, 'resize', { image: async (job) => ({ out: `${job.data.path}@${job.data.width}` }) });
const scan = handlers(queues, 'scan', {
  virus: async (job) => {
    if (job.data.fail) throw new Error(`scanner crashed on ${job.data.path}`);
    return { clean: true };
  },
  bundle: async (job) => ({ scanned: (await childResults(job)).length }),
});
const publish = handlers(queues, 'publish', {
  album: async (job) => {
    const children = await childResults(job);
    const images = children.flatMap((child) => (child.queue === 'resize' ? [child.result.out] : [])).sort();
    const clean = children.every((child) => child.queue !== 'scan' || child.result.clean);
    return { title: job.data.title, images, clean, childIds: children.map((child) => `${child.queue}:${child.id}`).sort() };
  },
  page: async (job) => {
    const [bundle] = await childResults(job);
    // A job without a result type stores null: the parent's result shows what it read.
    return void job.log(`bundle scanned ${bundle!.result.scanned}`);
  },
});

describe('flows: req.queue.flow / producer.flow (parent and children across queues)', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  function newClient(options: { beforeAdd?: Parameters<typeof createQueueClient<typeof queues>>[0]['beforeAdd'] } = {}): { client: QueueClient<typeof queues>; prefix: string } {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix, ...options });
    cleanup(() => client.close());
    return { client, prefix };
  }

  async function serve(client: QueueClient<typeof queues>): Promise<void> {
    const group = await startWorkers({ client, handleSignals: false, handlers: [resize, scan, publish] });
    cleanup(() => group.close());
    await client.events.ready();
  }

  const keysOf = (client: QueueClient<typeof queues>, prefix: string): Promise<string[]> => client.connections.producer.keys(`${prefix}:*`);

  it('children in two queues run before their parent, whose handler reads their results (typed, with their ids)', async () => {
    const { client } = newClient();
    await serve(client);
    const completed = nextEvent(client.events, 'publish:completed');
    const flow = await client.producer.flow({
      queue: 'publish', name: 'album', data: { title: 'Alps' },
      children: [
        { queue: 'resize', name: 'image', data: { path: 'a.png', width: 100 } },
        { queue: 'resize', name: 'image', data: { path: 'b.png', width: 200 } },
        { queue: 'scan', name: 'virus', data: { path: 'a.png' } },
      ],
    });
    expect(flow.job.name).to.equal('album');
    expect(flow.children.map((child) => `${child.job.queueName}:${child.job.name}`)).to.deep.equal(['resize:image', 'resize:image', 'scan:virus']);

    const event = await completed;
    expect(event.jobId).to.equal(flow.job.id);
    expect(event.returnvalue).to.deep.equal({
      title: 'Alps', images: ['a.png@100', 'b.png@200'], clean: true,
      childIds: flow.children.map((child) => `${child.job.queueName}:${child.job.id}`).sort(),
    });
    const parent = (await client.queue('publish').getJob(flow.job.id!))!;
    for (const child of flow.children) {
      const stored = (await client.queue(child.job.queueName as 'resize' | 'scan').getJob(child.job.id!))!;
      expect(await stored.getState()).to.equal('completed');
      expect(stored.finishedOn!).to.be.at.most(parent.processedOn!);
    }
  });

  it('flows nest: a child that is a parent in turn runs after its own children', async () => {
    const { client } = newClient();
    await serve(client);
    const completed = nextEvent(client.events, 'publish:completed');
    const flow = await client.producer.flow({
      queue: 'publish', name: 'page', data: { slug: 'home' },
      children: [{
        queue: 'scan', name: 'bundle', data: { name: 'assets' },
        children: [{ queue: 'scan', name: 'virus', data: { path: 'x' } }, { queue: 'scan', name: 'virus', data: { path: 'y' } }],
      }],
    });
    expect((await completed).jobId).to.equal(flow.job.id);
    expect((await client.queue('publish').getJobLogs(flow.job.id!)).logs).to.deep.equal(['bundle scanned 2']);
  });

  it('a child refused by its schema, an unexpected child or an unknown job name throws a typed error and stores nothing', async () => {
    const { client, prefix } = newClient();
    // Redis is reachable, so what is refused below is refused by the checks, not by a missing connection.
    await client.connections.waitForProducer(2000);

    const invalidChild = client.producer.flow({
      queue: 'publish', name: 'album', data: { title: 'Alps' },
      children: [{ queue: 'scan', name: 'virus', data: { path: 'a' } }, { queue: 'resize', name: 'image', data: { path: 'a.png', width: -5 } }],
    });
    const schemaError = await invalidChild.then(() => undefined, (error: unknown) => error);
    expect(schemaError).to.be.instanceOf(ValidationError);
    expect((schemaError as ValidationError).message).to.include('flow() root ("publish", "album") child 1 ("resize", "image")');

    const unexpected = await client.producer.flow({
      queue: 'publish', name: 'album', data: { title: 'Alps' },
      children: [{ queue: 'publish', name: 'page', data: { slug: 'x' } } as never],
    }).catch((error: unknown) => error);
    expect(unexpected).to.be.instanceOf(InvalidFlowError);
    expect((unexpected as InvalidFlowError).message).to.include('does not expect a child "publish:page"; its .children() declaration allows resize:image, scan:virus');

    const childless = await client.producer.flow({
      queue: 'resize', name: 'image', data: { path: 'a', width: 1 }, children: [{ queue: 'scan', name: 'virus', data: { path: 'a' } }] as never,
    }).catch((error: unknown) => error);
    expect(childless).to.be.instanceOf(InvalidFlowError);

    const unknownName = await client.producer.flow({ queue: 'scan', name: 'nope' as 'virus', data: { path: 'a' } }).catch((error: unknown) => error);
    expect(unknownName).to.be.instanceOf(UnknownJobError);

    const deduplicated = await client.producer.flow({
      queue: 'scan', name: 'virus', data: { path: 'a' }, options: { deduplication: { id: 'd' } } as never,
    }).catch((error: unknown) => error);
    expect(deduplicated).to.be.instanceOf(InvalidFlowError);
    expect(await keysOf(client, prefix)).to.deep.equal([]);
  });

  it('beforeAdd hooks see every node, parents first; their metadata is stored with each job, and a refusal stores nothing', async () => {
    const seen: string[] = [];
    const { client, prefix } = newClient({
      beforeAdd: ({ queue, name, data, metadata }) => {
        seen.push(`${queue}:${name}`);
        if (queue === 'scan' && (data as { path: string }).path === 'forbidden') throw new AddRefusedError('Not that file.');
        metadata.tenant = 'acme';
      },
    });
    // Redis is reachable, so what is refused below is refused by the checks, not by a missing connection.
    await client.connections.waitForProducer(2000);
    const refused = await client.producer.flow({
      queue: 'publish', name: 'album', data: { title: 'Alps' },
      children: [{ queue: 'resize', name: 'image', data: { path: 'a', width: 1 } }, { queue: 'scan', name: 'virus', data: { path: 'forbidden' } }],
    }).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(AddRefusedError);
    expect(seen).to.deep.equal(['publish:album', 'resize:image', 'scan:virus']);
    expect(await keysOf(client, prefix)).to.deep.equal([]);

    const flow = await client.producer.withRequest({ requestId: 'req-7' }).flow({
      queue: 'publish', name: 'album', data: { title: 'Alps' },
      children: [{ queue: 'scan', name: 'virus', data: { path: 'ok' } }],
    });
    const stored = await client.queue('scan').getJob(flow.children[0]!.job.id!);
    expect(jobMetadata(stored)).to.deep.equal({ requestId: 'req-7', tenant: 'acme' });
    expect(jobMetadata(await client.queue('publish').getJob(flow.job.id!))).to.deep.equal({ requestId: 'req-7', tenant: 'acme' });
  });

  it('a child that fails for good fails its parent with failParentOnFailure; without it the parent keeps waiting', async () => {
    const { client } = newClient();
    await serve(client);
    const failedParent = nextEvent(client.events, 'publish:failed');
    const failing = await client.producer.flow({
      queue: 'publish', name: 'album', data: { title: 'A' },
      children: [{ queue: 'scan', name: 'virus', data: { path: 'bad', fail: true }, options: { attempts: 1, failParentOnFailure: true } }],
    });
    const event = await failedParent;
    expect(event.jobId).to.equal(failing.job.id);
    expect(await client.queue('publish').getJobState(failing.job.id!)).to.equal('failed');

    const childFailed = nextEvent(client.events, 'scan:failed');
    const waiting = await client.producer.flow({
      queue: 'publish', name: 'album', data: { title: 'B' },
      children: [{ queue: 'scan', name: 'virus', data: { path: 'bad', fail: true }, options: { attempts: 1 } }],
    });
    expect((await childFailed).jobId).to.equal(waiting.children[0]!.job.id);
    expect(await client.queue('publish').getJobState(waiting.job.id!)).to.equal('waiting-children');
  });

  it('C06: flows share the client\'s one producer connection (no connection per flow or per queue)', async () => {
    const { client } = newClient();
    await client.queue('publish').waitUntilReady();
    const before = await redis().clientCount();
    for (let round = 0; round < 20; round += 1) {
      await client.producer.flow({
        queue: 'publish', name: 'album', data: { title: `t${round}` },
        children: [{ queue: 'resize', name: 'image', data: { path: 'p', width: 1 } }, { queue: 'scan', name: 'virus', data: { path: 'p' } }],
      });
    }
    expect(await redis().clientCount()).to.equal(before);
    expect(await client.queue('publish').getJobCounts('waiting-children')).to.deep.equal({ 'waiting-children': 20 });
  });

  it('req.queue.flow in a route: 202 with the ids; a child its parent does not expect answers 400 QW_INVALID_FLOW; the request id travels with every job', async () => {
    const { client, prefix } = newClient();
    await client.connections.waitForProducer(2000);
    const app = express();
    app.use(express.json());
    app.use(queueMiddleware(client));
    app.post('/albums', async (req, res) => {
      // req.queue is typed by the program's registered definition (none here): use this client's type.
      const { job, children } = await (req.queue as unknown as Producer<typeof queues>).flow({
        queue: 'publish', name: 'album', data: { title: req.body.title },
        children: req.body.images.map((path: string) => ({ queue: 'resize', name: 'image', data: { path, width: 64 } })),
      });
      res.status(202).json({ id: job.id, children: children.map((child) => child.job.id) });
    });
    app.post('/broken', async (req, res) => {
      await (req.queue as unknown as Producer).flow({ queue: 'publish', name: 'album', data: { title: 't' }, children: [{ queue: 'publish', name: 'album', data: { title: 'c' } }] });
      res.status(202).end();
    });
    app.use(queueErrorHandler());

    const refused = await request(app).post('/broken').send({}).expect(400);
    expect(refused.body.error.code).to.equal('QW_INVALID_FLOW');
    expect(await keysOf(client, prefix)).to.deep.equal([]);

    const answer = await request(app).post('/albums').set('X-Request-Id', 'req-9').send({ title: 'Alps', images: ['a', 'b'] }).expect(202);
    expect(answer.body.children).to.have.length(2);
    expect(await client.queue('publish').getJobState(answer.body.id)).to.equal('waiting-children');
    for (const id of answer.body.children) expect(jobMetadata(await client.queue('resize').getJob(id)).requestId).to.equal('req-9');
  });

  it('defineQueues refuses a .children() naming an undeclared queue or job name, and job().children() without refs', () => {
    expect(() => defineQueues({ a: { jobs: { p: job<{ x: number }>().children({ b: 'c' }) } } }))
      .to.throw(ConfigurationError, 'queues.a.jobs.p.children(): unknown queue "b"; declared queues: a.');
    expect(() => defineQueues({ a: { jobs: { p: job<{ x: number }>().children({ a: 'q' }) } } }))
      .to.throw(ConfigurationError, 'queues.a.jobs.p.children(): queue "a" has no job named "q"; declared: p.');
    expect(() => job<{ x: number }>().children({})).to.throw(ConfigurationError, 'job().children() takes an object of queue → job name');
  });

  it('with Redis unreachable a flow rejects with QueueUnavailableError (not sent) within producerTimeout', async () => {
    // Nothing listens on port 1: the connection never becomes ready.
    const client = createQueueClient({ queues, connection: 'redis://127.0.0.1:1', prefix: uniquePrefix(), producerTimeout: 300 });
    cleanup(() => client.close());
    const started = Date.now();
    const error = await client.producer.flow({
      queue: 'publish', name: 'album', data: { title: 't' }, children: [{ queue: 'scan', name: 'virus', data: { path: 'p' } }],
    }).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(QueueUnavailableError);
    expect((error as QueueUnavailableError).outcome).to.equal('not-sent');
    expect(Date.now() - started, 'ms until the rejection').to.be.below(1500);
  });
});
