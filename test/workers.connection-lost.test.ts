import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createQueueClient, handlers, startWorkers } from '../lib/index';
import { fixturePath, NodeChild } from './support/child-process';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { queues } from './support/queues';
import { recordingLogger } from './support/recording-logger';

const emailHandlers = handlers(queues, 'email', { welcome: async () => ({ messageId: 'm' }), digest: async () => undefined });

describe('workers whose Redis connection gives up for good', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C27: a worker process exits with code 1 and says why, instead of staying alive but idle', async () => {
    const child = new NodeChild(fixturePath('worker-gives-up'), [redis().url, uniquePrefix()]);
    cleanup(() => child.stop());
    await child.waitForLine((line) => typeof line === 'object' && line.ready === true, 'ready');
    child.send('give-up');
    const exit = await Promise.race([child.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running; stderr: ${child.stderr}`)), 10_000))]);
    expect(exit.code).to.equal(1);
    expect(child.stderr).to.include("the workers' Redis connection ended for good").and.include('exiting with code 1');
  });

  it('C27: with exitOnConnectionLoss false, health reports the workers disconnected and not ok', async () => {
    const logger = recordingLogger();
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), logger });
    cleanup(() => client.close());
    const group = await startWorkers({ client, handlers: [emailHandlers], handleSignals: false, shutdownTimeout: 500 });
    cleanup(() => group.close());
    expect((await client.health()).workers).to.deep.equal([{ queue: 'email', state: 'running', connected: true }]);
    (group.workers.get('email')!.opts.connection as Redis).disconnect();
    const report = await pollUntil(() => client.health({ timeout: 300 }), (health) => health.workers[0]?.connected === false);
    expect(report.ok).to.equal(false);
    expect(report.redis.reachable).to.equal(true);
    expect(report.workers[0]).to.include({ queue: 'email', connected: false });
    expect(report.warnings.join('\n')).to.include('lost its Redis connection for good');
    expect(logger.lines.map((line) => line.message).join('\n')).to.include('workers are idle until the process is restarted');
  });

  it('C09: a fail-fast client whose retries run out still gets workers that reconnect for as long as Redis is away', async () => {
    const prefix = uniquePrefix();
    const failFast = new Redis(redis().url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (times) => (times > 2 ? null : 50) });
    cleanup(() => failFast.disconnect());
    const worker = createQueueClient({ queues, connection: failFast, prefix, logger: recordingLogger() });
    cleanup(() => worker.close());
    const group = await startWorkers({ client: worker, handlers: [emailHandlers], handleSignals: false, shutdownTimeout: 500 });
    cleanup(() => group.close());

    await redis().stop();
    // Long enough for the application's own client to give up (3 attempts 50 ms apart).
    await pollUntil(() => failFast.status, (status) => status === 'end', { timeout: 10_000 });
    await redis().resume();

    const web = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => web.close());
    const result = await web.producer.addAndWait('email', 'welcome', { to: 'a@b.c', name: 'A' }, { timeout: 15_000 });
    expect(result).to.deep.equal({ messageId: 'm' });
    expect((await worker.health()).workers[0]).to.include({ connected: true });
  });
});
