import http from 'node:http';
import { expect } from 'chai';
import request from 'supertest';
import { ConfigurationError, createQueueClient, startWorkers, handlers, type QueueClient, type WorkerGroup } from '../../lib/index';
import { waitForJob } from '../../lib/producer/job-wait';
import { EventStream } from '../support/event-stream';
import { uniquePrefix, useCleanup, useRedisServer } from '../support/harness';
import { pollUntil } from '../support/poll';
import { RedisServer } from '../support/redis-server';
import { adapters, type ContractAppOptions, type FrameworkAdapter } from './adapters';
import { Gates } from './gates';
import { contractQueues } from './queues';

// The relayed bus events whose listeners a progress stream adds while it is open.
const STREAM_EVENTS = ['work:progress', 'work:completed', 'work:failed', 'work:removed', 'work:events-lost'] as const;

/** The access rule of most tests: a job is visible to the user named in its data (async on purpose). */
const ownerOnly: ContractAppOptions = { access: { authorize: async (user, job) => (job.data as { owner?: string }).owner === user } };

interface Listening {
  readonly url: string;
  readonly server: http.Server;
}

async function listen(listener: http.RequestListener): Promise<Listening & { close: () => Promise<void> }> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function listenerCounts(client: QueueClient<any>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of STREAM_EVENTS) counts[event] = client.events.listenerCount(event as never);
  counts.watchedJobs = client.events.watchedJobCount;
  return counts;
}

function contractSuite(adapter: FrameworkAdapter): void {
  describe(`job routes contract on ${adapter.name}`, function () {
    this.timeout(15_000);
    const redis = useRedisServer();
    // The suite's own set-up lives one level down, so its after() (workers, client) runs before the
    // outer one stops Redis: a worker closing against a dead Redis would wait out its deadline.
    describe('with a worker, on a private Redis', () => contractCases(adapter, redis));
  });
}

function contractCases(adapter: FrameworkAdapter, redis: () => RedisServer): void {
  {
    const cleanup = useCleanup();
    const gates = new Gates();
    let client: QueueClient<typeof contractQueues>;
    let group: WorkerGroup;
    let app: Listening & { close: () => Promise<void> };

    before(async () => {
      client = createQueueClient({ queues: contractQueues, connection: redis().url, prefix: uniquePrefix() });
      group = await startWorkers({
        client,
        handleSignals: false,
        concurrency: 50,
        handlers: [
          handlers(contractQueues, 'work', {
            steps: async (job) => {
              for (let step = 1; step <= job.data.steps; step++) {
                await gates.pass(job.id!);
                await job.updateProgress(Math.round((step * 100) / job.data.steps));
              }
              return { total: job.data.steps };
            },
            fail: async (job) => {
              await gates.pass(job.id!);
              throw new Error(job.data.message);
            },
          }),
          handlers(contractQueues, 'other', { noop: async () => undefined }),
        ],
      });
      await client.events.ready();
      app = await listen(adapter.buildApp(client, ownerOnly));
    });

    after(async () => {
      gates.openAll();
      await app?.close();
      await group?.close();
      await client?.close();
    });

    async function enqueue(name: 'steps' | 'fail', data: object, options?: object): Promise<string> {
      const response = await request(app.url).post(`/work/work/${name}`).send({ data, options }).expect(202);
      expect(response.body.id).to.be.a('string');
      return response.body.id as string;
    }

    const finished = (jobId: string) => waitForJob({ bus: client.events, handle: client.queue('work'), redis: client.connections.producer, queue: 'work', jobId, timeout: 5000 });

    /** Resolves when the bus has relayed this progress value of the job (the test caused it). */
    function progressSeen(jobId: string, value: number): Promise<void> {
      return new Promise((resolve) => {
        const listener = (event: { jobId: string; data: unknown }) => {
          if (event.jobId !== jobId || event.data !== value) return;
          client.events.off('work:progress', listener as never);
          resolve();
        };
        client.events.on('work:progress', listener as never);
      });
    }

    function openStream(jobId: string, user = 'alice', headers: Record<string, string> = {}, base = app.url): Promise<EventStream> {
      return EventStream.open(`${base}/jobs/work/${encodeURIComponent(jobId)}/events`, { 'x-user': user, ...headers }).then((stream) => {
        cleanup(() => stream.close());
        return stream;
      });
    }

    it('request → enqueue → worker → event → status: GET /jobs/:queue/:id reports the completed job', async () => {
      const id = await enqueue('steps', { owner: 'alice', steps: 2 });
      gates.open(id);
      gates.open(id);
      expect(await finished(id)).to.deep.equal({ total: 2 });
      const response = await request(app.url).get(`/jobs/work/${id}`).set('x-user', 'alice').expect(200);
      expect(response.headers['content-type']).to.match(/^application\/json/);
      expect(response.headers['cache-control']).to.equal('no-store');
      const { timestamps, ...status } = response.body;
      expect(status).to.deep.equal({ id, queue: 'work', name: 'steps', state: 'completed', progress: 100, result: { total: 2 }, attemptsMade: 1 });
      expect(timestamps.createdAt).to.be.a('number');
      expect(timestamps.processedAt).to.be.at.least(timestamps.createdAt);
      expect(timestamps.finishedAt).to.be.at.least(timestamps.processedAt);
      expect(response.body).not.to.have.property('data');
    });

    it('status of a waiting job, then of a failed one: state, progress 0, failedReason', async () => {
      const id = await enqueue('fail', { owner: 'alice', message: 'boom' }, { delay: 60_000 });
      const waiting = await request(app.url).get(`/jobs/work/${id}`).set('x-user', 'alice').expect(200);
      expect(waiting.body).to.include({ state: 'delayed', progress: 0, attemptsMade: 0 });
      expect(waiting.body.timestamps).to.include({ processedAt: null, finishedAt: null });
      expect(waiting.body).not.to.have.any.keys('result', 'failedReason');

      const failing = await enqueue('fail', { owner: 'alice', message: 'boom' });
      gates.open(failing);
      await finished(failing).then(() => expect.fail('the job should fail'), () => undefined);
      const failed = await request(app.url).get(`/jobs/work/${failing}`).set('x-user', 'alice').expect(200);
      expect(failed.body).to.include({ state: 'failed', failedReason: 'boom', attemptsMade: 1 });
      expect(failed.body).not.to.have.property('result');
    });

    it('404 is one answer for an unknown queue, a missing job, someone else\'s job and ids that do not decode — on both routes', async () => {
      const id = await enqueue('steps', { owner: 'alice', steps: 0 });
      await finished(id);
      const before = listenerCounts(client);
      const owner = await request(app.url).get(`/jobs/work/${id}`).set('x-user', 'alice');
      expect(owner.status).to.equal(200);

      const hidden = [
        { path: `/jobs/work/${id}`, user: 'bob' }, // someone else's job
        { path: `/jobs/work/${id}`, user: '' }, // anonymous
        { path: '/jobs/work/999999', user: 'alice' }, // no such job
        { path: `/jobs/nope/${id}`, user: 'alice' }, // no such queue
        { path: `/jobs/constructor/${id}`, user: 'alice' }, // names Object.prototype holds
        { path: `/jobs/__proto__/${id}`, user: 'alice' },
        { path: '/jobs/work/%E0%A4%A', user: 'alice' }, // not valid percent-encoding
      ];
      const answers = [];
      for (const { path, user } of hidden) {
        for (const suffix of ['', '/events']) {
          const response = await request(app.url).get(path + suffix).set('x-user', user);
          answers.push({ path: path + suffix, user, status: response.status, type: response.headers['content-type'], body: response.body });
        }
      }
      for (const answer of answers) {
        expect({ ...answer, path: undefined, user: undefined }, `${answer.path} as "${answer.user}"`).to.deep.equal({
          path: undefined,
          user: undefined,
          status: 404,
          type: 'application/json; charset=utf-8',
          body: { error: { code: 'QW_JOB_NOT_FOUND', message: 'No such job.' } },
        });
      }
      // A refused stream let go of what it watched before it looked at the job.
      expect(listenerCounts(client)).to.deep.equal(before);
    });

    it('SSE: the current state first, then each progress, then completed, then the server closes', async () => {
      const id = await enqueue('steps', { owner: 'alice', steps: 2 });
      const stream = await openStream(id);
      expect(stream.status).to.equal(200);
      expect(stream.response.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
      expect(stream.response.headers['cache-control']).to.equal('no-cache, no-transform');

      const state = await stream.nextEvent();
      expect(state).to.include({ type: 'event', event: 'state' });
      expect((state as { json: { state: string } }).json.state).to.be.oneOf(['waiting', 'active']);
      expect((state as { json: object }).json).to.include({ id, queue: 'work', name: 'steps', progress: 0 });

      gates.open(id);
      const half = await stream.nextEvent();
      expect(half).to.include({ type: 'event', event: 'progress' });
      expect((half as { json: unknown }).json).to.deep.equal({ progress: 50 });
      gates.open(id);
      const full = await stream.nextEvent();
      expect((full as { json: unknown }).json).to.deep.equal({ progress: 100 });
      const done = await stream.nextEvent();
      expect(done).to.include({ type: 'event', event: 'completed' });
      expect((done as { json: unknown }).json).to.deep.equal({ result: { total: 2 } });
      expect(await stream.nextEvent()).to.deep.equal({ type: 'end' });

      // Every frame has a stream-entry id, in increasing order.
      const ids = stream.items.flatMap((item) => (item.type === 'event' ? [item.id!] : []));
      expect(ids).to.have.length(4);
      for (const id of ids) expect(id).to.match(/^\d+-\d+$/);
      const asPairs = ids.map((value) => value.split('-').map(Number) as [number, number]);
      for (let i = 1; i < asPairs.length; i++) {
        const [ms, seq] = asPairs[i]!;
        const [previousMs, previousSeq] = asPairs[i - 1]!;
        expect(ms > previousMs || (ms === previousMs && seq > previousSeq), ids.join(' ')).to.equal(true);
      }
    });

    it('SSE: a job that fails while watched ends the stream with failed and its reason', async () => {
      const id = await enqueue('fail', { owner: 'alice', message: 'no luck' });
      const stream = await openStream(id);
      expect(await stream.nextEvent()).to.include({ event: 'state' });
      gates.open(id);
      const failed = await stream.nextEvent();
      expect(failed).to.include({ event: 'failed' });
      expect((failed as { json: unknown }).json).to.deep.equal({ failedReason: 'no luck' });
      expect(await stream.nextEvent()).to.deep.equal({ type: 'end' });
    });

    it('SSE: a subscriber that arrives after the end gets the final state and the end at once (subscribe, then read)', async () => {
      const id = await enqueue('steps', { owner: 'alice', steps: 0 });
      await finished(id);
      const stream = await openStream(id);
      const items = await stream.rest();
      expect(items.map((item) => (item.type === 'event' ? item.event : item.type))).to.deep.equal(['state', 'completed', 'end']);
      const [state, completed] = items as Array<{ json: any; id: string }>;
      expect(state!.json).to.include({ state: 'completed' });
      expect(state!.json.result).to.deep.equal({ total: 0 });
      expect(completed!.json).to.deep.equal({ result: { total: 0 } });
      expect(completed!.id).to.equal(state!.id);
    });

    it('SSE: a job removed while watched ends the stream with removed', async () => {
      const id = await enqueue('steps', { owner: 'alice', steps: 1 }, { delay: 60_000 });
      const stream = await openStream(id);
      const state = await stream.nextEvent();
      expect((state as { json: unknown }).json).to.include({ state: 'delayed' });
      await (await client.queue('work').getJob(id))!.remove();
      expect(await stream.nextEvent()).to.include({ event: 'removed' });
      expect(await stream.nextEvent()).to.deep.equal({ type: 'end' });
    });

    it('SSE Last-Event-ID: resumes with what was missed (no state), 204 once the end was seen, a fresh state for ids the stream does not cover', async () => {
      const id = await enqueue('steps', { owner: 'alice', steps: 3 });
      const first = await openStream(id);
      expect(await first.nextEvent()).to.include({ event: 'state' });
      gates.open(id);
      const seen = await first.nextEvent();
      expect((seen as { json: unknown }).json).to.deep.equal({ progress: 33 });
      first.close();

      // Progress while the client is away; wait until the bus has seen it, so it is in Redis.
      const missed = progressSeen(id, 67);
      gates.open(id);
      await missed;

      const resumed = await openStream(id, 'alice', { 'Last-Event-ID': (seen as { id: string }).id });
      expect(resumed.status).to.equal(200);
      const replayed = await resumed.nextEvent();
      expect(replayed).to.include({ event: 'progress' });
      expect((replayed as { json: unknown }).json).to.deep.equal({ progress: 67 });
      gates.open(id);
      const rest = await resumed.rest();
      expect(rest.map((item) => (item.type === 'event' ? [item.event, item.json] : item.type))).to.deep.equal([
        ['progress', { progress: 100 }],
        ['completed', { result: { total: 3 } }],
        'end',
      ]);
      const endId = (rest[1] as { id: string }).id;

      // The client saw the end: 204 tells EventSource to stop reconnecting.
      const after = await request(app.url).get(`/jobs/work/${id}/events`).set({ 'x-user': 'alice', 'Last-Event-ID': endId });
      expect(after.status).to.equal(204);

      // An id from before the stream's oldest entry, or not an id at all: start afresh with the state.
      for (const lastEventId of ['1-0', 'not-an-id']) {
        const fresh = await openStream(id, 'alice', { 'Last-Event-ID': lastEventId });
        const items = await fresh.rest();
        expect(items.map((item) => (item.type === 'event' ? item.event : item.type)), lastEventId).to.deep.equal(['state', 'completed', 'end']);
      }
      // Someone else's Last-Event-ID changes nothing about who may see the job.
      const other = await request(app.url).get(`/jobs/work/${id}/events`).set({ 'x-user': 'bob', 'Last-Event-ID': endId });
      expect(other.status).to.equal(404);
    });

    it('SSE: heartbeat comments keep an idle stream alive', async () => {
      const fast = await listen(adapter.buildApp(client, { ...ownerOnly, heartbeatInterval: 25 }));
      cleanup(() => fast.close());
      const id = await enqueue('steps', { owner: 'alice', steps: 1 });
      const stream = await openStream(id, 'alice', {}, fast.url);
      expect(await stream.nextEvent()).to.include({ event: 'state' });
      expect(await stream.nextComment(2000)).to.deep.equal({ type: 'comment', text: 'ping' });
      expect(await stream.nextComment(2000)).to.deep.equal({ type: 'comment', text: 'ping' });
      gates.open(id);
      expect(await stream.nextEvent()).to.include({ event: 'progress' });
    });

    it('SSE (C04): 200 clients connect and disconnect; bus listeners, watched jobs and connections return to baseline', async () => {
      const ids = await Promise.all(Array.from({ length: 20 }, () => enqueue('steps', { owner: 'alice', steps: 1 })));
      cleanup(() => ids.forEach((id) => gates.open(id)));
      const before = listenerCounts(client);
      const streams = await Promise.all(Array.from({ length: 200 }, (_, index) => openStream(ids[index % ids.length]!)));
      const firstFrames = await Promise.all(streams.map((stream) => stream.nextEvent()));
      expect(firstFrames.every((frame) => frame.type === 'event' && frame.event === 'state')).to.equal(true);
      const during = listenerCounts(client);
      const connectionsDuring = await connectionCount(app.server);

      for (const stream of streams) stream.close();
      const after = await pollUntil(() => listenerCounts(client), (counts) => JSON.stringify(counts) === JSON.stringify(before));
      const connectionsAfter = await pollUntil(() => connectionCount(app.server), (count) => count === 0);
      console.log(`      ${adapter.name}: listeners before ${JSON.stringify(before)}, with 200 streams ${JSON.stringify(during)}, after ${JSON.stringify(after)}; connections ${connectionsDuring} → ${connectionsAfter}`);
      expect(during['work:progress']).to.be.greaterThan(before['work:progress']!);
      expect(connectionsDuring).to.be.at.least(200);
      expect(after).to.deep.equal(before);
      expect(connectionsAfter).to.equal(0);

      // And streams that end by themselves let go too.
      const id = ids[0]!;
      const stream = await openStream(id);
      await stream.nextEvent();
      gates.open(id);
      await stream.rest();
      expect(await pollUntil(() => listenerCounts(client), (counts) => JSON.stringify(counts) === JSON.stringify(before))).to.deep.equal(before);
    });

    it('access: refuses to start without authorize or unsafePublicAccess; public mode shows any job; a throwing authorize answers 404', async () => {
      expect(() => adapter.buildApp(client, { access: {} })).to.throw(ConfigurationError, /authorize\(request, job\).*unsafePublicAccess: true/);
      expect(() => adapter.buildApp(client, { access: { unsafePublicAccess: 'yes' as unknown as true } })).to.throw(ConfigurationError);

      const id = await enqueue('steps', { owner: 'alice', steps: 0 });
      await finished(id);
      const open = await listen(adapter.buildApp(client, { access: { unsafePublicAccess: true } }));
      cleanup(() => open.close());
      const anyone = await request(open.url).get(`/jobs/work/${id}`).expect(200);
      expect(anyone.body).to.include({ id, state: 'completed' });

      const logged: string[] = [];
      const throwing = createQueueClient({ queues: contractQueues, connection: redis().url, prefix: client.prefix, logger: { info: () => undefined, warn: () => undefined, error: (line) => logged.push(line) } });
      cleanup(() => throwing.close());
      const broken = await listen(adapter.buildApp(throwing, { access: { authorize: () => { throw new Error('session store down'); } } }));
      cleanup(() => broken.close());
      const refused = await request(broken.url).get(`/jobs/work/${id}`).set('x-user', 'alice').expect(404);
      expect(refused.body).to.deep.equal({ error: { code: 'QW_JOB_NOT_FOUND', message: 'No such job.' } });
      expect(logged.join('\n')).to.include('session store down');
    });

    it('errors: 400 for an unknown queue or job, 413 for an oversize payload', async () => {
      const unknownQueue = await request(app.url).post('/work/nope/steps').send({ data: {} }).expect(400);
      expect(unknownQueue.body.error.code).to.equal('QW_UNKNOWN_QUEUE');
      const unknownJob = await request(app.url).post('/work/work/nope').send({ data: {} }).expect(400);
      expect(unknownJob.body.error.code).to.equal('QW_UNKNOWN_JOB');
      const tooLarge = await request(app.url).post('/work/work/steps').send({ data: { owner: 'alice', steps: 0, padding: 'x'.repeat(1024 * 1024 + 1) } }).expect(413);
      expect(tooLarge.body.error.code).to.equal('QW_PAYLOAD_TOO_LARGE');
    });

    it('errors: 503 with Retry-After on enqueue, status and SSE while Redis is unreachable', async () => {
      const absent = await RedisServer.unstarted(); // a free port nothing listens on
      const offline = createQueueClient({ queues: contractQueues, connection: absent.url, prefix: uniquePrefix(), producerTimeout: 300, logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
      cleanup(() => offline.close());
      const down = await listen(adapter.buildApp(offline, { ...ownerOnly, redisTimeout: 300 }));
      cleanup(() => down.close());
      for (const call of [
        () => request(down.url).post('/work/work/steps').send({ data: { owner: 'alice', steps: 0 } }),
        () => request(down.url).get('/jobs/work/1').set('x-user', 'alice'),
        () => request(down.url).get('/jobs/work/1/events').set('x-user', 'alice'),
      ]) {
        const started = Date.now();
        const response = await call();
        expect(response.status, response.text).to.equal(503);
        expect(response.headers['retry-after']).to.equal('1');
        expect(response.body.error.code).to.equal('QW_QUEUE_UNAVAILABLE');
        expect(Date.now() - started).to.be.below(2000);
      }
    });
  }
}

function connectionCount(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
}

for (const adapter of adapters) contractSuite(adapter);
