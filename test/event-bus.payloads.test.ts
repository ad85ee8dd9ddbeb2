import { expect } from 'chai';
import { createQueueClient, handlers, startWorkers } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { echoHandlers, queues } from './support/queues';
import { servedClient } from './support/served-client';

describe('event bus: event payloads and names', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  async function start() {
    const { client } = await servedClient(redis().url, cleanup, [
      echoHandlers({
        slow: async (job) => {
          await job.updateProgress({ percent: 50, stage: 'half' });
          await job.updateProgress(100);
          return { slept: job.data.ms };
        },
      }),
      handlers(queues, 'email', {
        welcome: async (job) => ({ messageId: `m-${job.data.to}` }),
        digest: async () => undefined,
      }),
    ]);
    return client;
  }

  it('completed carries queue, jobId, job name, stream event id and the decoded result', async () => {
    const client = await start();
    const event = nextEvent(client.events, 'email:completed');
    await client.events.ready();
    const job = await client.producer.add('email', 'welcome', { to: 'x@y.z', name: 'X' });
    const payload = await event;
    expect(payload).to.deep.include({ queue: 'email', jobId: job.id, name: 'welcome', returnvalue: { messageId: 'm-x@y.z' } });
    // eventId is the id of the very stream entry BullMQ wrote for this completion.
    const reader = redis().connect();
    cleanup(() => reader.disconnect());
    const entries = await reader.xrange(`${client.prefix}:email:events`, '-', '+');
    const written = entries.filter(([, fields]) => fields.join(' ').startsWith(`event completed jobId ${job.id} `));
    expect(written.map(([id]) => id)).to.deep.equal([payload.eventId]);
  });

  it('each added event names the job it added, even when one read holds two adds of a reused job id', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const names: unknown[] = [];
    const both = new Promise<void>((resolve) => {
      client.events.on('email:added', ({ jobId, name }) => {
        if (jobId === 'reused' && names.push(name) === 2) resolve();
      });
    });
    await client.events.ready();
    const writer = redis().connect();
    cleanup(() => writer.disconnect());
    // One transaction, so the bus reads both entries at once (a job removed, then its id used again).
    const key = `${client.prefix}:email:events`;
    await writer.multi().xadd(key, '*', 'event', 'added', 'jobId', 'reused', 'name', 'welcome').xadd(key, '*', 'event', 'added', 'jobId', 'reused', 'name', 'digest').exec();
    await both;
    expect(names).to.deep.equal(['welcome', 'digest']);
  });

  it('knows the job name of a job added before the bus started', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const job = await client.producer.add('email', 'welcome', { to: 'early@y.z', name: 'E' });
    const event = nextEvent(client.events, 'email:completed');
    await client.events.ready();
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [handlers(queues, 'email', { welcome: async () => ({ messageId: 'early' }), digest: async () => undefined })],
    });
    cleanup(() => group.close());
    expect(await event).to.deep.include({ jobId: job.id, name: 'welcome', returnvalue: { messageId: 'early' } });
  });

  it('progress delivers the decoded data of each update, in order', async () => {
    const client = await start();
    const progress: unknown[] = [];
    client.events.on('echo:progress', ({ data, name }) => progress.push({ data, name }));
    const done = nextEvent(client.events, 'echo:completed');
    await client.events.ready();
    await client.producer.add('echo', 'slow', { ms: 1 });
    await done;
    expect(progress).to.deep.equal([
      { data: { percent: 50, stage: 'half' }, name: 'slow' },
      { data: 100, name: 'slow' },
    ]);
  });

  it('failed carries the failedReason of the last attempt', async () => {
    const client = await start();
    const event = nextEvent(client.events, 'failed');
    await client.events.ready();
    const job = await client.producer.add('echo', 'fail', { message: 'no such mailbox' });
    expect(await event).to.deep.include({ queue: 'echo', jobId: job.id, name: 'fail', failedReason: 'no such mailbox' });
  });

  it('per-queue names ("email:completed") get one queue; plain names ("completed") get every queue', async () => {
    const client = await start();
    const email: string[] = [];
    const echo: string[] = [];
    const all: string[] = [];
    client.events.on('email:completed', ({ queue, jobId }) => email.push(`${queue}/${jobId}`));
    client.events.on('echo:completed', ({ queue, jobId }) => echo.push(`${queue}/${jobId}`));
    client.events.on('completed', ({ queue, jobId }) => all.push(`${queue}/${jobId}`));
    await client.events.ready();
    const waitFor = (holds: () => boolean) => new Promise<void>((resolve) => {
      if (holds()) return resolve();
      client.events.on('completed', () => holds() && resolve());
    });
    const emailJob = await client.producer.add('email', 'digest', { userId: 1 });
    const echoJob = await client.producer.add('echo', 'value', { value: 1 });
    await waitFor(() => all.length === 2);
    expect(email).to.deep.equal([`email/${emailJob.id}`]);
    expect(echo).to.deep.equal([`echo/${echoJob.id}`]);
    expect(all.sort()).to.deep.equal([`echo/${echoJob.id}`, `email/${emailJob.id}`].sort());
  });
});
