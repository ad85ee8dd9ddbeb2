import { expect } from 'chai';
import { createQueueClient } from '../lib/index';
import { fixturePath, runNode } from './support/child-process';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

describe('event bus: close', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('a listener added while the bus starts or after it closed never crashes the process (--unhandled-rejections=strict)', async () => {
    const child = await runNode(fixturePath('bus-close-early'), [redis().url, uniquePrefix()], ['--unhandled-rejections=strict']);
    expect(child.stderr).to.equal('');
    expect(child.stdout).to.equal('{"event":"done"}');
    expect(child.code).to.equal(0);
  });

  it('ready() after close rejects with a clear message; close is idempotent', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    await client.events.ready();
    const closing = client.events.close();
    await Promise.all([closing, client.events.close()]);
    await client.events.ready().then(
      () => expect.fail('ready() resolved on a closed bus'),
      (error: Error) => expect([error.name, error.message]).to.deep.equal(['ClosedError', 'The event bus is closed; create a new client to listen again.']),
    );
  });
});
