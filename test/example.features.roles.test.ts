import { expect } from 'chai';
import { once } from 'node:events';
import { portOf, startApp, type RunningApp } from '../examples/features/roles';
import { waitFor } from '../lib/testing/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';

describe('example examples/features/roles.ts: one app as a web and a worker process', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  async function started(options: Parameters<typeof startApp>[0]): Promise<RunningApp> {
    const app = await startApp({ connection: redis().url, ...options });
    cleanup(() => app.close());
    if (app.server && !app.server.listening) await once(app.server, 'listening');
    return app;
  }

  it('the web role serves and adds without workers; the worker role runs the job without a server', async () => {
    const prefix = uniquePrefix();
    const web = await started({ prefix, role: 'web' });
    const worker = await started({ prefix, role: 'worker' });
    expect(web.workers).to.equal(undefined);
    expect(worker.server).to.equal(undefined);

    const response = await fetch(`http://127.0.0.1:${portOf(web.server!)}/thumbnails`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://example.test/a.png', width: 64 }),
    });
    expect(response.status).to.equal(202);
    const { id } = await response.json() as { id: string };
    const done = await waitFor(web.client, 'thumbnails', id, 'completed');
    expect(done.returnvalue).to.deep.equal({ width: 64 });
  });

  it('the both role does both in one process', async () => {
    const app = await started({ prefix: uniquePrefix(), role: 'both' });
    expect(app.server).to.not.equal(undefined);
    expect(app.workers).to.not.equal(undefined);
  });
});
