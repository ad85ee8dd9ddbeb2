import { expect } from 'chai';
import { createQueueClient, handlers, startWorkers } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { fixturePath, NodeChild } from './support/child-process';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

describe('event bus: fan-out is per process', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C33: three processes with a bus each see every completed event exactly once (3 per job)', async function () {
    this.timeout(30_000);
    const prefix = uniquePrefix();
    const children = [0, 1].map(() => new NodeChild(fixturePath('bus-listener'), [redis().url, prefix]));
    for (const child of children) cleanup(() => child.stop());

    // This process runs the worker too: its bus must still report each event once, from Redis only,
    // never a second time from the local worker.
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [handlers(queues, 'email', {
        welcome: async (job) => ({ messageId: `m-${job.data.to}` }),
        digest: async () => undefined,
      })],
    });
    cleanup(() => group.close());
    const local: string[] = [];
    client.events.on('completed', ({ jobId }) => local.push(jobId));
    await client.events.ready();
    await Promise.all(children.map((child) => child.waitForLine((line) => typeof line === 'object' && line.event === 'ready', 'ready line')));

    const jobs = await client.producer.addBulk(
      Array.from({ length: 10 }, (_, index) => ({ queue: 'email' as const, name: 'welcome' as const, data: { to: `u${index}`, name: 'U' } })),
    );
    // A last job, run after the others (one worker, concurrency 1, first in first out). Events arrive in
    // stream order, so once every process has seen it, any duplicate of an earlier event would have too.
    const localLast = nextEvent(client.events, 'completed', ({ jobId }) => jobId === 'last');
    const last = await client.producer.add('email', 'digest', { userId: 1 }, { jobId: 'last' });
    await localLast;
    await Promise.all(children.map((child) => child.waitForLine((line) => typeof line === 'object' && line.event === 'completed' && line.jobId === 'last', 'the last completed event')));

    const expected = [...jobs.map((job) => job.id!), last.id!].sort();
    expect(local.sort(), 'this process').to.deep.equal(expected);
    for (const [index, child] of children.entries()) {
      expect(child.events('completed').map((line) => line.jobId).sort(), `child ${index}`).to.deep.equal(expected);
      expect(child.events('error'), `child ${index} errors`).to.deep.equal([]);
    }
    for (const child of children) child.endInput();
    expect((await Promise.all(children.map((child) => child.exited))).map((exit) => exit.code)).to.deep.equal([0, 0]);
  });
});
