import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createQueueClient, handlers, startWorkers } from '../lib/index';
import { readEvictionPolicy } from '../lib/connection/eviction-policy';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { queues } from './support/queues';
import { recordingLogger } from './support/recording-logger';

describe('client.health()', () => {
  const cleanup = useCleanup();

  describe('with an eviction policy that can lose jobs', () => {
    const redis = useRedisServer(['--maxmemory-policy', 'allkeys-lru']);

    it('C28: warns once at start and reports the policy in health', async () => {
      const logger = recordingLogger();
      const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), logger });
      cleanup(() => client.close());
      const warnings = await pollUntil(() => logger.lines.filter((line) => line.level === 'warn'), (lines) => lines.length > 0);
      expect(warnings).to.have.length(1);
      expect(warnings[0]!.message).to.include('"allkeys-lru"').and.include('noeviction');
      await client.producer.add('email', 'digest', { userId: 1 });
      const health = await client.health();
      expect(health.evictionPolicy).to.include({ policy: 'allkeys-lru', ok: false });
      expect(health.warnings.join('\n')).to.include('allkeys-lru');
      expect(logger.lines.filter((line) => line.level === 'warn')).to.have.length(1);
    });
  });

  describe('where CONFIG is disabled', () => {
    const redis = useRedisServer(['--rename-command', 'CONFIG', '', '--maxmemory-policy', 'volatile-lru']);

    it('C28: still reads the policy (from INFO) and warns', async () => {
      const logger = recordingLogger();
      const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), logger });
      cleanup(() => client.close());
      const warnings = await pollUntil(() => logger.lines.filter((line) => line.level === 'warn'), (lines) => lines.length > 0);
      expect(warnings.map((line) => line.message)).to.have.length(1);
      expect(warnings[0]!.message).to.include('"volatile-lru"');
      expect((await client.health()).evictionPolicy).to.include({ policy: 'volatile-lru', ok: false });
    });
  });

  describe('for a Redis user allowed neither INFO nor CONFIG', () => {
    const redis = useRedisServer();

    it('C28: the finding says the policy could not be read, without throwing', async () => {
      const admin = redis().connect();
      cleanup(() => admin.disconnect());
      await admin.call('ACL', 'SETUSER', 'limited', 'on', '>secret', '~*', '+@all', '-info', '-config');
      const limited = new Redis(`redis://limited:secret@127.0.0.1:${redis().port}`, { enableReadyCheck: false });
      cleanup(() => limited.disconnect());
      const finding = await readEvictionPolicy(limited);
      expect(finding.policy).to.equal(null);
      expect(finding.ok).to.equal(false);
      expect(finding.warning).to.include('Could not read Redis maxmemory-policy').and.include('NOPERM');
    });
  });

  describe('with a default Redis', () => {
    const redis = useRedisServer();

    it('C44: a queue with waiting jobs and no worker under the prefix is reported, and stops being once a worker runs', async () => {
      const prefix = uniquePrefix();
      const logger = recordingLogger();
      const web = createQueueClient({ queues, connection: redis().url, prefix, logger });
      cleanup(() => web.close());
      await web.producer.add('email', 'digest', { userId: 7 });
      const before = await web.health();
      expect(before.ok).to.equal(true);
      expect(before.evictionPolicy).to.deep.equal({ policy: 'noeviction', ok: true });
      expect(before.queues.find((queue) => queue.queue === 'email')).to.deep.equal({ queue: 'email', waiting: 1, delayed: 0, workers: 0, unserved: true });
      expect(before.queues.find((queue) => queue.queue === 'echo')).to.include({ waiting: 0, delayed: 0, unserved: false });
      expect(before.warnings).to.deep.equal(['Queue "email" has 1 waiting and 0 delayed job(s) and no worker under this prefix.']);
      // Prioritized and delayed jobs need a worker too.
      await web.producer.add('echo', 'value', { value: 1 }, { priority: 5 });
      await web.producer.add('echo', 'value', { value: 2 }, { delay: 60_000 });
      expect((await web.health()).queues.find((queue) => queue.queue === 'echo')).to.deep.equal({ queue: 'echo', waiting: 1, delayed: 1, workers: 0, unserved: true });

      // A worker under another prefix does not count.
      const elsewhere = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), logger });
      cleanup(() => elsewhere.close());
      const other = await startWorkers({ client: elsewhere, handleSignals: false, handlers: [handlers(queues, 'email', { welcome: async () => ({ messageId: 'x' }), digest: async () => undefined })] });
      cleanup(() => other.close());
      expect((await web.health()).queues.find((queue) => queue.queue === 'email')).to.include({ workers: 0, unserved: true });

      const worker = createQueueClient({ queues, connection: redis().url, prefix, logger });
      cleanup(() => worker.close());
      const group = await startWorkers({ client: worker, handleSignals: false, handlers: [handlers(queues, 'email', { welcome: async () => ({ messageId: 'x' }), digest: async () => undefined })] });
      cleanup(() => group.close());
      const after = await pollUntil(() => web.health(), (report) => report.queues.find((queue) => queue.queue === 'email')!.waiting === 0);
      expect(after.queues.find((queue) => queue.queue === 'email')).to.deep.equal({ queue: 'email', waiting: 0, delayed: 0, workers: 1, unserved: false });
      expect((await worker.health()).workers).to.deep.equal([{ queue: 'email', state: 'running', connected: true }]);
      expect(logger.lines.filter((line) => line.level === 'warn')).to.deep.equal([]);
    });

    it('readiness fails while Redis is down, within the timeout, and recovers by itself', async () => {
      const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
      cleanup(() => client.close());
      expect((await client.health()).ok).to.equal(true);
      await redis().stop();
      try {
        const started = Date.now();
        const down = await client.health({ timeout: 500 });
        expect(Date.now() - started).to.be.below(1500);
        expect(down.ok).to.equal(false);
        expect(down.redis.reachable).to.equal(false);
        expect(down.warnings[0]).to.match(/^Redis is unreachable/);
      } finally {
        await redis().resume();
      }
      const up = await pollUntil(() => client.health(), (report) => report.ok, { timeout: 10_000 });
      expect(up.redis.reachable).to.equal(true);
      expect(up.redis.latencyMs).to.be.a('number');
    });
  });
});
