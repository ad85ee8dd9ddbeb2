import { expect } from 'chai';
import express from 'express';
import Koa from 'koa';
import { createQueueClient, startWorkers, ConfigurationError, ROLE_ENV } from '../lib/index';
import { resolveRole } from '../lib/roles';
import { adminRoutes, jobRoutes, queueMiddleware } from '../middleware/express';
import { queueMiddleware as koaQueueMiddleware } from '../middleware/koa';
import { join } from 'node:path';
import { cliPath, fixturePath, NodeChild, runNode } from './support/child-process';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { echoHandlers, queues } from './support/queues';
import type { RedisServer } from './support/redis-server';

// Commands a connection is blocked in while a worker or the event bus waits for work.
const BLOCKING = /^(bzpopmin|bzpopmax|blmove|brpoplpush|brpop|blpop|xread|xreadgroup|bzmpop|blmpop)$/i;

interface ListedClient {
  readonly name: string;
  readonly cmd: string;
  readonly flags: string;
}

/** CLIENT LIST of the server, without the connection asking. */
async function clientList(server: RedisServer): Promise<ListedClient[]> {
  const probe = server.connect();
  try {
    await probe.client('SETNAME', 'test-probe');
    const list = (await probe.client('LIST')) as string;
    return list.trim().split('\n').filter(Boolean).map((line) => Object.fromEntries(line.split(' ').map((field) => {
      const at = field.indexOf('=');
      return [field.slice(0, at), field.slice(at + 1)];
    }))).filter((entry) => entry.name !== 'test-probe').map((entry) => ({ name: entry.name ?? '', cmd: entry.cmd ?? '', flags: entry.flags ?? '' }));
  } finally {
    probe.disconnect();
  }
}

const isBlocked = (entry: ListedClient): boolean => BLOCKING.test(entry.cmd) || entry.flags.includes('b');

describe('roles: one app runs as web, worker or both', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  describe('choosing the role', () => {
    it('takes the role option first, then QUEUEWIRE_ROLE, then "both"', () => {
      expect(resolveRole('worker', { [ROLE_ENV]: 'web' })).to.deep.equal({ role: 'worker', source: 'role option' });
      expect(resolveRole(undefined, { [ROLE_ENV]: 'web' })).to.deep.equal({ role: 'web', source: 'QUEUEWIRE_ROLE=web' });
      expect(resolveRole(undefined, { [ROLE_ENV]: '' }).role).to.equal('both');
      expect(resolveRole(undefined, {}).role).to.equal('both');
    });

    it('refuses an unknown role, in the option or the environment, with a ConfigurationError before connecting', async () => {
      expect(() => createQueueClient({ queues, connection: redis().url, role: 'api' as never })).to.throw(ConfigurationError, /role must be one of "web", "worker", "both"; got "api"/);
      const previous = process.env[ROLE_ENV];
      process.env[ROLE_ENV] = 'Worker';
      try {
        expect(() => createQueueClient({ queues, connection: redis().url })).to.throw(ConfigurationError, /QUEUEWIRE_ROLE must be one of web, worker, both .*got "Worker"/);
      } finally {
        if (previous === undefined) delete process.env[ROLE_ENV];
        else process.env[ROLE_ENV] = previous;
      }
      expect(await redis().clientCount()).to.equal(0);
    });
  });

  describe('what each role refuses', () => {
    it('a web client refuses startWorkers and opens no worker connection', async () => {
      const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), role: 'web' });
      cleanup(() => client.close());
      await client.queue('echo').waitUntilReady();
      let error: unknown;
      try {
        await startWorkers({ client, handlers: [echoHandlers()], handleSignals: false });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(ConfigurationError);
      expect((error as Error).message).to.contain('startWorkers() runs workers, but this queue client\'s role is "web" (role option)');
      expect((await clientList(redis())).map((entry) => entry.name)).to.deep.equal(['queuewire:producer']);
    });

    it('a worker client refuses the request middleware (Express and Koa), job routes and admin routes, but runs workers', async () => {
      const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), role: 'worker' });
      cleanup(() => client.close());
      expect(() => express().use(queueMiddleware(client))).to.throw(ConfigurationError, /queueMiddleware\(\) serves requests, but this queue client's role is "worker"/);
      expect(() => jobRoutes(client, { authorize: () => true } as never)).to.throw(ConfigurationError, /jobRoutes\(\) serves requests/);
      expect(() => adminRoutes(client, { authorize: () => true })).to.throw(ConfigurationError, /adminRoutes\(\) serves requests/);
      expect(() => new Koa().use(koaQueueMiddleware(client))).to.throw(ConfigurationError, /role is "worker"/);
      const group = await startWorkers({ client, handlers: [echoHandlers()], handleSignals: false });
      cleanup(() => group.close());
      const job = await client.producer.add('echo', 'value', { value: 7 });
      const finished = await pollUntil(() => client.queue('echo').getJob(job.id!), (found) => found?.returnvalue === 7);
      expect(finished?.returnvalue).to.equal(7);
    });
  });

  it('`queuewire worker` in a QUEUEWIRE_ROLE=web environment exits 1 saying so, before loading modules or connecting', async () => {
    const previous = process.env[ROLE_ENV];
    process.env[ROLE_ENV] = 'web';
    let running: ReturnType<typeof runNode>;
    try {
      running = runNode(cliPath, ['worker', '--queues', join(__dirname, 'support', 'queues.js'), '--handlers', join(__dirname, 'fixtures', 'handlers'), '--redis', redis().url]); // spawned now, with the environment of now
    } finally {
      if (previous === undefined) delete process.env[ROLE_ENV];
      else process.env[ROLE_ENV] = previous;
    }
    const exit = await running!;
    expect(exit.code, exit.stderr).to.equal(1);
    expect(exit.stderr).to.contain('QUEUEWIRE_ROLE is "web" in this environment, and `queuewire worker` runs workers.');
    expect(await redis().clientCount()).to.equal(0);
  });

  describe('connections of a web process', () => {
    it('a QUEUEWIRE_ROLE=web process that added jobs through its routes holds one Redis connection, the producer, and none is blocked', async () => {
      const prefix = uniquePrefix();
      const previous = process.env[ROLE_ENV];
      process.env[ROLE_ENV] = 'web'; // the child inherits the environment at spawn
      let web: NodeChild;
      try {
        web = new NodeChild(fixturePath('web-role-process'), [redis().url, prefix]);
      } finally {
        if (previous === undefined) delete process.env[ROLE_ENV];
        else process.env[ROLE_ENV] = previous;
      }
      cleanup(() => web.stop());
      const listening = await web.waitForLine((line) => typeof line === 'object' && line.event === 'listening', 'listening') as { port: number; role: string; startWorkers: string };
      expect(listening.role).to.equal('web');
      expect(listening.startWorkers).to.equal('QW_CONFIGURATION');

      for (let sent = 0; sent < 20; sent++) {
        const response = await fetch(`http://127.0.0.1:${listening.port}/jobs/email/digest`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: { userId: sent } }),
        });
        expect(response.status).to.equal(202);
      }
      const check = createQueueClient({ queues, connection: redis().url, prefix, role: 'web' });
      cleanup(() => check.close());
      expect(await check.queue('email').count()).to.equal(20);
      await check.close();

      const clients = await clientList(redis());
      expect(clients.map((entry) => entry.name)).to.deep.equal(['queuewire:producer']);
      expect(clients.filter(isBlocked)).to.deep.equal([]);
    });

    it('the same check sees the blocked connections of a process that runs workers (the check can fail)', async () => {
      const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), role: 'both' });
      cleanup(() => client.close());
      const group = await startWorkers({ client, handlers: [echoHandlers()], handleSignals: false });
      cleanup(() => group.close());
      const clients = await pollUntil(() => clientList(redis()), (listed) => listed.some(isBlocked));
      // BullMQ names a worker's connection itself (`<prefix>:<queue in base64>`), replacing queuewire's name.
      expect(clients.filter(isBlocked)).to.not.be.empty;
      expect(clients.length).to.be.greaterThan(1);
    });
  });
});
