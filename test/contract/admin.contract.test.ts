import type http from 'node:http';
import { expect } from 'chai';
import request from 'supertest';
import { ConfigurationError, createQueueClient, handlers, startWorkers, type AdminActionToAuthorize, type QueueClient, type WorkerGroup } from '../../lib/index';
import { clientWithoutRedis } from '../support/before-redis';
import { nextEvent } from '../support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from '../support/harness';
import { recordingLogger } from '../support/recording-logger';
import type { RedisServer } from '../support/redis-server';
import { adapters, type FrameworkAdapter } from './adapters';
import { contractQueues } from './queues';

/** Operators may do anything, support staff may only look, everyone else nothing; `broken` makes the hook throw. */
function byRole(seen: AdminActionToAuthorize[]) {
  return (user: string | undefined, action: AdminActionToAuthorize) => {
    seen.push(action);
    if (user === 'broken') throw new Error('session store unreachable');
    return user === 'operator' || (user === 'support' && action.readOnly);
  };
}

const EMPTY_COUNTS = { waiting: 0, prioritized: 0, delayed: 0, active: 0, 'waiting-children': 0, completed: 0, failed: 0 };

for (const adapter of adapters) {
  describe(`admin routes contract on ${adapter.name}`, function () {
    this.timeout(10_000);
    const redis = useRedisServer();
    const cleanup = useCleanup();
    // One level down, so the client and workers close before the outer after() stops Redis.
    describe('with a worker, on a private Redis', () => adminCases(adapter, redis));

    it('default-deny: building the routes without an authorize function throws ConfigurationError', async () => {
      const client = await clientWithoutRedis(cleanup);
      for (const authorize of [undefined, true, 'operator']) {
        expect(() => adapter.buildAdminApp(client, { authorize: authorize as never }), String(authorize))
          .to.throw(ConfigurationError, 'Admin routes need authorize(request, action) => boolean');
      }
    });

    it('Redis unavailable → 503 with Retry-After, within the producer timeout', async () => {
      const client = await clientWithoutRedis(cleanup, 300);
      const app = adapter.buildAdminApp(client, { authorize: () => true });
      const started = Date.now();
      const response = await request(app).get('/admin/queues/echo').expect(503);
      expect(Date.now() - started).to.be.below(300 + 1_000);
      expect(response.headers['retry-after']).to.equal('1');
      expect(response.body.error.code).to.equal('QW_QUEUE_UNAVAILABLE');
    });
  });
}

function adminCases(adapter: FrameworkAdapter, redis: () => RedisServer): void {
  const cleanup = useCleanup();
  const logger = recordingLogger();
  const seen: AdminActionToAuthorize[] = [];
  let client: QueueClient<typeof contractQueues>;
  let group: WorkerGroup;
  let app: http.RequestListener;

  before(async () => {
    client = createQueueClient({ queues: contractQueues, connection: redis().url, prefix: uniquePrefix(), logger });
    group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [
        handlers(contractQueues, 'work', {
          steps: async (job) => ({ total: job.data.steps }),
          fail: async (job) => {
            throw new Error(job.data.message);
          },
        }),
        handlers(contractQueues, 'other', { noop: async () => undefined }),
      ],
    });
    await client.events.ready();
    app = adapter.buildAdminApp(client, { authorize: byRole(seen) });
  });

  after(async () => {
    await group?.close();
    await client?.close();
  });

  beforeEach(async () => {
    seen.length = 0;
    for (const queue of ['work', 'other'] as const) {
      await client.admin.resume(queue);
      await client.admin.drain(queue, { delayed: true });
      await client.admin.clean(queue, 'completed', { olderThan: 0 });
      await client.admin.clean(queue, 'failed', { olderThan: 0 });
    }
  });

  async function finished(name: 'steps' | 'fail'): Promise<string> {
    const event = nextEvent(client.events, name === 'steps' ? 'work:completed' : 'work:failed');
    const job = name === 'steps'
      ? await client.producer.add('work', 'steps', { owner: 'alice', steps: 2 })
      : await client.producer.add('work', 'fail', { owner: 'alice', message: 'printer on fire' });
    await event;
    return job.id!;
  }

  const asOperator = {
    get: (path: string) => request(app).get(path).set('x-user', 'operator'),
    post: (path: string, body?: object) => request(app).post(path).set('x-user', 'operator').type('json').send(body === undefined ? '' : JSON.stringify(body)),
  };

  it('authorize decides each request before anything is done: operators change, support only reads, others get 403', async () => {
    const refused = await request(app).post('/admin/queues/work/pause').type('json').send('').expect(403);
    expect(refused.body).to.deep.equal({ error: { code: 'QW_ADMIN_FORBIDDEN', message: 'Not allowed to pause.' } });
    await request(app).get('/admin/queues').expect(403);
    await request(app).post('/admin/queues/work/pause').set('x-user', 'support').type('json').send('').expect(403);
    expect(await client.admin.isPaused('work')).to.equal(false);

    const overview = await request(app).get('/admin/queues').set('x-user', 'support').expect(200);
    expect(overview.body.queues.map((queue: { queue: string }) => queue.queue)).to.deep.equal(['work', 'other']);
    await request(app).get('/admin/queues/work/jobs/17').set('x-user', 'support').expect(404);

    await asOperator.post('/admin/queues/work/pause').expect(200, { queue: 'work', paused: true });
    expect(await client.admin.isPaused('work')).to.equal(true);

    expect(seen).to.deep.include({ action: 'pause', readOnly: false, queue: 'work' });
    expect(seen).to.deep.include({ action: 'overview', readOnly: true });
    expect(seen).to.deep.include({ action: 'getJob', readOnly: true, queue: 'work', jobId: '17' });
  });

  it('an authorize hook that throws → 500, logged, nothing done', async () => {
    const failed = await request(app).post('/admin/queues/work/drain').set('x-user', 'broken').type('json').send('').expect(500);
    expect(failed.body.error.code).to.equal('QW_ADMIN_AUTHORIZE_FAILED');
    expect(logger.lines.at(-1)).to.deep.include({ level: 'error' });
    expect(logger.lines.at(-1)!.message).to.include('authorize() threw for drain on "work"').and.include('session store unreachable');
  });

  it('reading: overview, one queue, a page of jobs and one job; job data only with showData', async () => {
    const done = await finished('steps');
    const broken = await finished('fail');

    const overview = await asOperator.get('/admin/queues').expect(200);
    expect(overview.headers['cache-control']).to.equal('no-store');
    expect(overview.body.queues).to.deep.equal([
      { queue: 'work', paused: false, counts: { ...EMPTY_COUNTS, completed: 1, failed: 1 } },
      { queue: 'other', paused: false, counts: EMPTY_COUNTS },
    ]);
    await asOperator.get('/admin/queues/work').expect(200, { queue: 'work', paused: false, counts: { ...EMPTY_COUNTS, completed: 1, failed: 1 } });

    const page = await asOperator.get('/admin/queues/work/jobs?state=failed&start=0&end=9').expect(200);
    expect(page.body).to.deep.include({ queue: 'work', state: 'failed', start: 0, end: 9, total: 1 });
    expect(page.body.jobs).to.have.length(1);
    expect(page.body.jobs[0]).to.deep.include({ id: broken, name: 'fail', state: 'failed', failedReason: 'printer on fire', attemptsMade: 1 });
    expect(page.body.jobs[0]).to.not.have.property('data');

    const job = await asOperator.get(`/admin/queues/work/jobs/${done}`).expect(200);
    expect(job.body).to.deep.include({ id: done, state: 'completed', result: { total: 2 } });
    expect(job.body).to.not.have.property('data');
    const withData = adapter.buildAdminApp(client, { authorize: () => true, showData: true });
    const shown = await request(withData).get(`/admin/queues/work/jobs/${done}`).expect(200);
    expect(shown.body.data).to.deep.equal({ owner: 'alice', steps: 2 });
  });

  it('changing: pause, resume, retry one job, retry failed, clean and drain', async () => {
    const done = await finished('steps');
    const broken = await finished('fail');

    // The job fails again when retried (its handler always throws): that failure shows it ran.
    let failedAgain = nextEvent(client.events, 'work:failed', (event) => event.jobId === broken);
    await asOperator.post(`/admin/queues/work/jobs/${broken}/retry`).expect(200, { queue: 'work', retried: [broken] });
    await failedAgain;
    failedAgain = nextEvent(client.events, 'work:failed', (event) => event.jobId === broken);
    await asOperator.post('/admin/queues/work/retry-failed', { count: 10 }).expect(200, { queue: 'work', retried: [broken] });
    await failedAgain;

    await asOperator.post('/admin/queues/work/clean', { state: 'completed', olderThan: 0 }).expect(200, { queue: 'work', state: 'completed', removed: [done] });
    expect(await client.admin.getJob('work', done)).to.equal(undefined);

    await asOperator.post('/admin/queues/work/pause').expect(200, { queue: 'work', paused: true });
    await client.producer.add('work', 'steps', { owner: 'alice', steps: 1 });
    await client.producer.add('work', 'steps', { owner: 'alice', steps: 1 }, { delay: 86_400_000 });
    await asOperator.post('/admin/queues/work/drain').expect(200, { queue: 'work', drained: true, delayed: false });
    expect(await client.admin.counts('work')).to.include({ waiting: 0, delayed: 1 });
    await asOperator.post('/admin/queues/work/drain', { delayed: true }).expect(200, { queue: 'work', drained: true, delayed: true });
    expect(await client.admin.counts('work')).to.include({ delayed: 0, failed: 1 });
    await asOperator.post('/admin/queues/work/resume').expect(200, { queue: 'work', paused: false });
    expect(await client.admin.isPaused('work')).to.equal(false);
  });

  it('a body the framework\'s body parser already read is the one the routes use', async () => {
    const parsed = adapter.buildAdminApp(client, { authorize: byRole(seen), parseBodies: true });
    await client.producer.add('work', 'steps', { owner: 'alice', steps: 1 }, { delay: 86_400_000 });
    const refused = await request(parsed).post('/admin/queues/work/drain').set('x-user', 'operator').send({ delayed: 'yes' }).expect(400);
    expect(refused.body.error.message).to.include('delayed must be true or false; got "yes"');
    await request(parsed).post('/admin/queues/work/drain').set('x-user', 'operator').send({ delayed: true }).expect(200, { queue: 'work', drained: true, delayed: true });
    expect(await client.admin.counts('work')).to.include({ delayed: 0 });
  });

  it('errors: 404 unknown queue or job, 405 wrong method, 415 not JSON, 400 bad arguments or body, 409 not failed', async () => {
    const done = await finished('steps');
    const error = (response: request.Response) => response.body.error.code as string;

    expect(error(await asOperator.get('/admin/queues/nope').expect(404))).to.equal('QW_UNKNOWN_QUEUE');
    expect(error(await asOperator.post('/admin/queues/__proto__/pause').expect(404))).to.equal('QW_UNKNOWN_QUEUE');
    expect(error(await asOperator.get('/admin/queues/work/jobs/no-such-job').expect(404))).to.equal('QW_JOB_NOT_FOUND');
    expect(error(await asOperator.post('/admin/queues/work/jobs/no-such-job/retry').expect(404))).to.equal('QW_JOB_NOT_FOUND');
    // An id that does not decode names no job; an unknown queue is 404 whatever the method.
    expect(error(await asOperator.get('/admin/queues/work/jobs/%E0%A4%A').expect(404))).to.equal('QW_JOB_NOT_FOUND');
    expect(error(await asOperator.post('/admin/queues/work/jobs/%E0%A4%A/retry').expect(404))).to.equal('QW_JOB_NOT_FOUND');
    expect(error(await asOperator.get('/admin/queues/nope/pause').expect(404))).to.equal('QW_UNKNOWN_QUEUE');
    // HEAD reads like GET, without a body.
    const head = await request(app).head('/admin/queues/work').set('x-user', 'operator').expect(200);
    expect(head.headers['content-type']).to.match(/^application\/json/);

    // Changes are never made by a GET (a link or an image cannot pause a queue).
    const wrongMethod = await asOperator.get('/admin/queues/work/pause').expect(405);
    expect(wrongMethod.headers.allow).to.equal('POST');
    expect((await asOperator.post('/admin/queues/work/jobs', {}).expect(405)).headers.allow).to.equal('GET, HEAD');
    expect(error(wrongMethod)).to.equal('QW_METHOD_NOT_ALLOWED');
    await request(app).post('/admin/queues').set('x-user', 'operator').type('json').send('').expect(405);
    // A form post, which a browser sends cross-site without asking.
    const form = await request(app).post('/admin/queues/work/pause').set('x-user', 'operator').type('form').send('x=1').expect(415);
    expect(error(form)).to.equal('QW_UNSUPPORTED_MEDIA_TYPE');

    const badArguments = [
      asOperator.get('/admin/queues/work/jobs'),
      asOperator.get('/admin/queues/work/jobs?state=wait'),
      asOperator.get('/admin/queues/work/jobs?state=failed&start=0&end=100'),
      asOperator.get('/admin/queues/work/jobs?state=failed&start=-1'),
      asOperator.post('/admin/queues/work/clean', { state: 'active', olderThan: 0 }),
      asOperator.post('/admin/queues/work/clean', { state: 'completed' }),
      asOperator.post('/admin/queues/work/clean', ['completed']),
      asOperator.post('/admin/queues/work/retry-failed', { count: 0 }),
      asOperator.post('/admin/queues/work/drain', { delayed: 'yes' }),
      request(app).post('/admin/queues/work/drain').set('x-user', 'operator').type('json').send('{"delayed":'),
      request(app).post('/admin/queues/work/drain').set('x-user', 'operator').type('json').send(JSON.stringify({ delayed: true, pad: 'x'.repeat(20_000) })),
    ];
    for (const [index, answer] of (await Promise.all(badArguments)).entries()) {
      expect({ index, status: answer.status, code: error(answer) }).to.deep.equal({ index, status: 400, code: 'QW_INVALID_ADMIN_ARGUMENT' });
    }
    expect(await client.admin.counts('work')).to.include({ completed: 1 });

    const conflict = await asOperator.post(`/admin/queues/work/jobs/${done}/retry`).expect(409);
    expect(conflict.body.error).to.deep.equal({ code: 'QW_JOB_STATE_CONFLICT', message: `Job work/${done} is completed, not failed; only failed jobs can be retried.` });

    // Paths that are not admin routes go on to the application.
    await asOperator.get('/admin/elsewhere').expect(404).then((response) => expect(response.body.error).to.equal(undefined));
  });
}
