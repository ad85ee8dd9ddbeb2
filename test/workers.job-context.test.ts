import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import {
  ConfigurationError, createQueueClient, handlers, jobContext, startWorkers,
  type HandlerContext, type JobContext, type QueueClient,
} from '../lib/index';
import { queueMiddleware } from '../middleware/express';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { recordingLogger } from './support/recording-logger';
import { echoHandlers, queues, type TestQueues } from './support/queues';

type Seen = { queue: string; name: string; jobId: string } | 'none';

// What a logger deep in the application would do: read the context, with no job passed down to it.
function whoAmI(): Seen {
  const context = jobContext();
  return context ? { queue: context.queue, name: context.name, jobId: context.jobId } : 'none';
}

describe('workers: the job context (jobContext() through AsyncLocalStorage)', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  function newClient(): QueueClient<TestQueues> {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    return client;
  }

  it('5 concurrent jobs with interleaved awaits each see their own context: across awaits, timers, callbacks, parallel branches and nested calls', async () => {
    const client = newClient();
    const concurrent = 5;
    let started = 0;
    const allStarted = new EventEmitter();
    const group = await startWorkers({
      client,
      handleSignals: false,
      jobContext: true,
      concurrency: { echo: concurrent },
      handlers: [echoHandlers({
        value: async (job) => {
          const seen: Seen[] = [whoAmI()];
          // Every job waits here until all five run, so what follows interleaves between them.
          started += 1;
          if (started === concurrent) allStarted.emit('go');
          else await once(allStarted, 'go');
          seen.push(whoAmI());
          await sleep(5 * (concurrent - Number(job.data.value))); // the last added wakes first
          seen.push(whoAmI());
          seen.push(await new Promise<Seen>((resolve) => setTimeout(() => resolve(whoAmI()), 3)));
          seen.push(await new Promise<Seen>((resolve) => setImmediate(() => resolve(whoAmI()))));
          seen.push(await new Promise<Seen>((resolve) => queueMicrotask(() => resolve(whoAmI()))));
          seen.push(...await Promise.all([1, 2, 3].map(async (delay) => {
            await sleep(delay);
            return whoAmI();
          })));
          // An emitter created in the job calls back in the job's context.
          const local = new EventEmitter();
          const fromListener = new Promise<Seen>((resolve) => local.once('ping', () => resolve(whoAmI())));
          setTimeout(() => local.emit('ping'), 1);
          seen.push(await fromListener);
          return seen;
        },
      })],
    });
    cleanup(() => group.close());
    await client.events.ready();

    const results = new Map<string, unknown>();
    const allDone = new Promise<void>((resolve) => {
      client.events.on('echo:completed', (event) => {
        results.set(event.jobId, event.returnvalue);
        if (results.size === concurrent) resolve();
      });
    });
    const jobs = await client.producer.addBulk([0, 1, 2, 3, 4].map((value) => ({ queue: 'echo' as const, name: 'value' as const, data: { value } })));
    await allDone;
    for (const job of jobs) {
      const own = { queue: 'echo', name: 'value', jobId: job.id };
      expect(results.get(job.id!), `job ${job.id}`).to.deep.equal(Array(10).fill(own));
    }
  });

  it('hooks and the handler share one context per job: queue, name, jobId, attemptsMade, metadata (request id) and the handler\'s signal', async () => {
    const client = newClient();
    const contexts: Array<{ where: string; context: JobContext | undefined }> = [];
    const signals: Array<AbortSignal | undefined> = [];
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [echoHandlers({
        fail: async (_job, handlerContext: HandlerContext) => {
          contexts.push({ where: 'handler', context: jobContext() });
          signals.push(handlerContext.signal);
          throw new Error('try again');
        },
      })],
      hooks: {
        before: (_job, context) => {
          contexts.push({ where: 'before', context });
          contexts.push({ where: 'jobContext() in before', context: jobContext() });
        },
        error: () => {
          contexts.push({ where: 'jobContext() in error', context: jobContext() });
        },
      },
    });
    cleanup(() => group.close());
    await client.events.ready();

    const failed = nextEvent(client.events, 'echo:failed');
    const added = await client.producer.withRequest({ requestId: 'req-77', metadata: { tenant: 'acme' } }).add('echo', 'fail', { message: 'x' }, { attempts: 2 });
    await failed;
    expect(contexts.map(({ where }) => where)).to.deep.equal([
      'before', 'jobContext() in before', 'handler', 'jobContext() in error',
      'before', 'jobContext() in before', 'handler', 'jobContext() in error',
    ]);
    const [first, second] = [contexts[0]!.context!, contexts[4]!.context!];
    // One object per attempt, the same wherever it is read from.
    for (const { context } of contexts.slice(0, 4)) expect(context).to.equal(first);
    for (const { context } of contexts.slice(4)) expect(context).to.equal(second);
    expect(first).to.deep.equal({
      queue: 'echo', name: 'fail', jobId: added.id, attemptsMade: 0, metadata: { requestId: 'req-77', tenant: 'acme' }, signal: signals[0],
    });
    expect(second).to.deep.include({ jobId: added.id, attemptsMade: 1 });
    expect(signals[0]).to.be.instanceOf(AbortSignal);
    // Code that wraps the context (a derived object, a Proxy) still reads the same signal through it.
    expect((Object.create(first) as JobContext).signal).to.equal(signals[0]);
    expect(new Proxy(first, {}).signal).to.equal(signals[0]);
    // A logger that serializes the context writes its data, not the signal (which has no JSON form).
    expect(JSON.parse(JSON.stringify(first))).to.deep.equal({ queue: 'echo', name: 'fail', jobId: added.id, attemptsMade: 0, metadata: { requestId: 'req-77', tenant: 'acme' } });
  });

  it('there is no context outside a job: in the caller, in bus listeners, in worker events, and after the job ended', async () => {
    const client = newClient();
    let handlerSaw: Seen | undefined;
    const group = await startWorkers({
      client,
      handleSignals: false,
      jobContext: true,
      handlers: [echoHandlers({
        value: async () => {
          handlerSaw = whoAmI();
          return 1;
        },
      })],
    });
    cleanup(() => group.close());
    await client.events.ready();
    const workerEvent = new Promise<Seen>((resolve) => group.workers.get('echo')!.once('completed', () => resolve(whoAmI())));
    const busEvent = new Promise<Seen>((resolve) => client.events.once('echo:completed', () => resolve(whoAmI())));

    const added = await client.producer.add('echo', 'value', { value: 1 });
    expect(await workerEvent).to.equal('none');
    expect(await busEvent).to.equal('none');
    expect(handlerSaw).to.deep.equal({ queue: 'echo', name: 'value', jobId: added.id });
    expect(jobContext()).to.equal(undefined);
  });

  it('the request id (X-Request-Id) and tenant of an Express request reach the handler through jobContext() and a bus listener through events.metadataOf()', async () => {
    const client = newClient();
    const group = await startWorkers({
      client,
      handleSignals: false,
      jobContext: true,
      handlers: [handlers(queues, 'email', {
        // Deep in the handler's call tree, nothing passed down: the ids come from the context.
        welcome: async () => ({ messageId: `sent for ${await labelFromContext()}` }),
        digest: async () => undefined,
      })],
    });
    cleanup(() => group.close());
    await client.events.ready();
    const app = express();
    app.use(express.json());
    app.use(queueMiddleware(client, { metadata: (req) => ({ tenant: req.get('X-Tenant') }) }));
    app.post('/signup', async (req, res) => {
      // req.queue is typed by the definition a program registers; this test's client is untyped there.
      const job = await (req.queue as unknown as typeof client.producer).add('email', 'welcome', req.body);
      res.status(202).json({ id: job.id });
    });
    const listenerSaw = new Promise<unknown>((resolve) => {
      client.events.once('email:completed', async (event) => resolve(await client.events.metadataOf(event)));
    });
    const completed = nextEvent(client.events, 'email:completed');

    const response = await request(app).post('/signup')
      .set('X-Request-Id', 'req-from-the-edge').set('X-Tenant', 'acme')
      .send({ to: 'a@b.c', name: 'A' }).expect(202);
    const event = await completed;
    expect(event.jobId).to.equal(response.body.id);
    expect(event.returnvalue).to.deep.equal({ messageId: 'sent for acme/req-from-the-edge' });
    expect(await listenerSaw).to.deep.equal({ requestId: 'req-from-the-edge', tenant: 'acme' });
  });

  it('a group without hooks tracks no context unless asked (jobContext: true): jobContext() is undefined in its handlers, and says why once', async () => {
    const client = newClient();
    const logger = recordingLogger();
    const untrackedClient = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), logger });
    cleanup(() => untrackedClient.close());
    const seen: unknown[] = [];
    const group = await startWorkers({
      client: untrackedClient,
      handleSignals: false,
      handlers: [echoHandlers({ value: async (job) => (seen.push(jobContext()), job.data.value) })],
    });
    cleanup(() => group.close());
    await untrackedClient.events.ready();
    await untrackedClient.producer.addAndWait('echo', 'value', { value: 1 }, { timeout: 5_000 });
    await untrackedClient.producer.addAndWait('echo', 'value', { value: 2 }, { timeout: 5_000 });
    expect(seen).to.deep.equal([undefined, undefined]);
    expect(logger.lines.filter(({ level, message }) => level === 'warn' && message.includes('jobContext: true'))).to.have.length(1);

    const refused = await startWorkers({ client, handleSignals: false, jobContext: 'yes' as never, handlers: [echoHandlers()] }).catch((error: Error) => error);
    expect(refused).to.be.instanceOf(ConfigurationError).with.property('message').that.matches(/jobContext must be true or false/);
  });
});

async function labelFromContext(): Promise<string> {
  await sleep(1);
  const metadata = jobContext()?.metadata;
  return `${metadata?.tenant}/${metadata?.requestId}`;
}
