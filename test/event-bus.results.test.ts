import { QueueEvents } from 'bullmq';
import { expect } from 'chai';
import { createQueueClient, handlers, startWorkers } from '../lib/index';
import { fixturePath, NodeChild } from './support/child-process';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { echoHandlers, queues } from './support/queues';

// What handlers return, of every JSON shape; each must reach a bus in another process unchanged.
const values: unknown[] = [
  'text', '', '42', '{"looks":"like JSON"}', 'ünïcødé ✓ 😀', 42, 0, -1.5, 1e21, true, false, null,
  { messageId: 'm-1' }, { nested: { list: [1, 'two', null, { three: 3 }] }, empty: {} }, [], [1, [2, [3]]],
];

interface Seen {
  returnvalue?: unknown;
  failedReason?: unknown;
  progress: unknown[];
}

describe('event bus: decoded results match what handlers returned', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C46: a bus in another process delivers each returned value, progress and failure exactly as BullMQ QueueEvents does', async function () {
    this.timeout(30_000);
    const prefix = uniquePrefix();
    const child = new NodeChild(fixturePath('bus-listener'), [redis().url, prefix]);
    cleanup(() => child.stop());

    // BullMQ's own reader, from the start of the (still empty) stream, as the reference decoding.
    const reference = new Map<string, Seen>();
    const entry = (jobId: string): Seen => reference.get(jobId) ?? reference.set(jobId, { progress: [] }).get(jobId)!;
    const queueEvents = new QueueEvents('echo', { connection: { host: '127.0.0.1', port: redis().port }, prefix, lastEventId: '0-0' });
    cleanup(() => queueEvents.close());
    queueEvents.on('completed', ({ jobId, returnvalue }) => void (entry(jobId).returnvalue = returnvalue));
    queueEvents.on('failed', ({ jobId, failedReason }) => void (entry(jobId).failedReason = failedReason));
    queueEvents.on('progress', ({ jobId, data }) => void entry(jobId).progress.push(data));
    const emailEvents = new QueueEvents('email', { connection: { host: '127.0.0.1', port: redis().port }, prefix, lastEventId: '0-0' });
    cleanup(() => emailEvents.close());
    emailEvents.on('completed', ({ jobId, returnvalue }) => void (entry(`email/${jobId}`).returnvalue = returnvalue));

    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [
        echoHandlers({
          slow: async (job) => {
            await job.updateProgress(25);
            await job.updateProgress({ step: 'resize', done: [1, 2], note: null });
            await job.updateProgress('almost');
            return { slept: job.data.ms };
          },
        }),
        handlers(queues, 'email', { welcome: async () => ({ messageId: 'w' }), digest: async () => undefined }),
      ],
    });
    cleanup(() => group.close());
    await child.waitForLine((line) => typeof line === 'object' && line.event === 'ready', 'ready line');

    const valueJobs = [];
    for (const value of values) valueJobs.push(await client.producer.add('echo', 'value', { value }));
    const failJob = await client.producer.add('echo', 'fail', { message: 'it broke: ✗ "quoted"' });
    const slowJob = await client.producer.add('echo', 'slow', { ms: 1 });
    const digestJob = await client.producer.add('email', 'digest', { userId: 7 });
    // The worker runs one job at a time per queue, in order: the last echo job finishes after the others.
    const last = await client.producer.add('echo', 'value', { value: 'last' });
    await child.waitFor(() => child.events('completed').find((line) => line.queue === 'echo' && line.jobId === last.id), 'the last echo job');
    await child.waitFor(() => child.events('completed').find((line) => line.queue === 'email' && line.jobId === digestJob.id), 'the digest job');
    await waitUntil(() => reference.get(last.id!)?.returnvalue !== undefined && reference.get(`email/${digestJob.id}`)?.returnvalue !== undefined);

    const seenByChild = (queue: string, jobId: string): Seen => ({
      returnvalue: child.events('completed').find((line) => line.queue === queue && line.jobId === jobId)?.returnvalue,
      failedReason: child.events('failed').find((line) => line.queue === queue && line.jobId === jobId)?.failedReason,
      progress: child.events('progress').filter((line) => line.queue === queue && line.jobId === jobId).map((line) => line.data),
    });
    valueJobs.forEach((job, index) => {
      expect(seenByChild('echo', job.id!).returnvalue, `returned ${JSON.stringify(values[index])}`).to.deep.equal(values[index]);
      expect(reference.get(job.id!)!.returnvalue, `QueueEvents for ${JSON.stringify(values[index])}`).to.deep.equal(values[index]);
    });
    expect(seenByChild('echo', failJob.id!).failedReason).to.equal('it broke: ✗ "quoted"');
    expect(reference.get(failJob.id!)!.failedReason).to.equal('it broke: ✗ "quoted"');
    const progress = [25, { step: 'resize', done: [1, 2], note: null }, 'almost'];
    expect(seenByChild('echo', slowJob.id!).progress).to.deep.equal(progress);
    expect(reference.get(slowJob.id!)!.progress).to.deep.equal(progress);
    expect(seenByChild('echo', slowJob.id!).returnvalue).to.deep.equal({ slept: 1 });
    // A handler that returns nothing stores null, in both readers.
    expect(child.events('completed').find((line) => line.queue === 'email' && line.jobId === digestJob.id)).to.have.property('returnvalue', null);
    expect(reference.get(`email/${digestJob.id}`)!.returnvalue).to.equal(null);
    expect(child.events('error')).to.deep.equal([]);
  });
});

async function waitUntil(holds: () => boolean, timeout = 5000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
