import { expect } from 'chai';
import { createQueueClient, QueueUnavailableError } from '../lib/index';
import { isLine, startFaultProcess } from './support/fault-children';
import { faultQueues } from './support/fault-queues';
import { uniquePrefix, useCleanup } from './support/harness';
import { pollUntil } from './support/poll';
import { recordingLogger } from './support/recording-logger';
import { RedisServer } from './support/redis-server';

describe('C14: shutdown while Redis is unreachable', () => {
  const cleanup = useCleanup();
  const shutdownTimeout = 2000;
  // Past the deadline a shutdown still asks Redis once (≤ 1 s), waits up to a second for handlers that
  // ignore their abort signal, and drops its connections; the rest is a loaded CI machine's slack.
  const exitBound = shutdownTimeout + 2500;

  /** A private Redis (with an AOF, so job states survive the outage) and a worker process on it. */
  async function workerOnRedis() {
    const server = await RedisServer.start([], { persist: true });
    cleanup(() => server.destroy());
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues: faultQueues, connection: server.url, prefix, logger: recordingLogger() });
    cleanup(() => client.close());
    const child = await startFaultProcess({ url: server.url, prefix, roles: ['worker'], worker: { shutdownTimeout } });
    cleanup(() => child.stop());
    return { server, client, child };
  }

  it('C14: an idle worker whose Redis is gone exits within its deadline, non-zero, saying why', async () => {
    const { server, child } = await workerOnRedis();
    await server.stop();
    child.kill('SIGTERM');
    const signalled = Date.now();

    const exit = await child.exited;
    expect(Date.now() - signalled, 'ms from SIGTERM to exit').to.be.below(exitBound);
    expect(exit).to.deep.equal({ code: 1, signal: null });
    expect(child.stderr).to.match(/\[queuewire\] shutdown: Redis at 127\.0\.0\.1:\d+ is unreachable \(no answer to PING within \d+ ms.*\); the outcome of this worker's jobs could not be confirmed\./);
  });

  it('C14: a worker whose job finishes while Redis is gone exits within its deadline, non-zero, naming the job; the job stays active for stalled recovery', async () => {
    const { server, client, child } = await workerOnRedis();
    const job = await client.producer.add('work', 'hold', { firstRunMs: 300 });
    await child.waitForLine((line) => isLine(line, 'job-started', { jobId: job.id }), 'the job starting');
    await server.stop();
    child.kill('SIGTERM');
    const signalled = Date.now();

    const exit = await child.exited;
    expect(Date.now() - signalled, 'ms from SIGTERM to exit').to.be.below(exitBound);
    expect(exit).to.deep.equal({ code: 1, signal: null });
    expect(child.events('job-finished').map((line) => line.jobId), 'the handler returned').to.deep.equal([job.id]);
    expect(child.stderr).to.contain(`abandoning 1 job(s) to stalled recovery: work/${job.id}`);

    // Its result could not be written: the job is not lost, it waits in `active` for a stalled check.
    await server.resume();
    // (the test's own fail-fast client reconnects by itself first)
    const state = await pollUntil(() => client.queue('work').getJobState(job.id!).catch(() => 'unreachable'), (value) => value !== 'unreachable');
    expect(state).to.equal('active');
  });

  it('C14: client.close() (the web side) resolves within a bound while Redis is unreachable, after serving', async () => {
    const server = await RedisServer.start();
    cleanup(() => server.destroy());
    const client = createQueueClient({ queues: faultQueues, connection: server.url, prefix: uniquePrefix(), logger: recordingLogger() });
    cleanup(() => client.close());
    await client.events.ready();
    await client.producer.add('work', 'quick', { n: 1 });
    await client.queue('work').getJobCounts();
    await server.stop();

    const started = Date.now();
    await client.close();
    expect(Date.now() - started, 'ms to close').to.be.below(1500);
    expect(await client.producer.add('work', 'quick', { n: 2 }).then(() => undefined, (error: unknown) => error)).to.be.instanceOf(Error);
  });

  it('C14: client.close() resolves within a bound when Redis never came up (bus started, adds refused)', async () => {
    const absent = await RedisServer.unstarted();
    const client = createQueueClient({ queues: faultQueues, connection: absent.url, prefix: uniquePrefix(), logger: recordingLogger(), producerTimeout: 300 });
    cleanup(() => client.close());
    const ready = client.events.ready().then(() => 'ready', (error: unknown) => error);
    client.events.on('completed', () => undefined);
    expect(await client.producer.add('work', 'quick', { n: 1 }).then(() => undefined, (error: unknown) => error)).to.be.instanceOf(QueueUnavailableError);
    client.queue('work'); // a handle made while Redis is away

    const started = Date.now();
    await client.close();
    expect(Date.now() - started, 'ms to close').to.be.below(1500);
    expect(await ready, 'a pending ready() settles').to.be.instanceOf(Error);
  });
});
