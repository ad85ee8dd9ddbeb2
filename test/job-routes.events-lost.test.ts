import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createJobRoutes, createQueueClient } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

/**
 * In another process, and while this one is held up: a BullMQ worker completes the job, then 50 events
 * flood the queue's stream capped at 10, so the `completed` event is trimmed before this bus reads it.
 */
function completeJobBehindTheBus(url: string, prefix: string): void {
  const script = `
    const { Worker } = require('bullmq');
    const { Redis } = require('ioredis');
    const worker = new Worker('echo', async (job) => ({ done: job.data.value }), { connection: { url: ${JSON.stringify(url)} }, prefix: ${JSON.stringify(prefix)} });
    worker.on('completed', async () => {
      await worker.close();
      const redis = new Redis(${JSON.stringify(url)});
      const pipeline = redis.pipeline();
      for (let i = 0; i < 50; i++) pipeline.xadd(${JSON.stringify(`${prefix}:echo:events`)}, 'MAXLEN', 10, '*', 'event', 'drained');
      await pipeline.exec();
      await redis.quit();
    });`;
  const result = spawnSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8', timeout: 15_000 });
  if (result.status !== 0) throw new Error(`helper process failed: ${result.stderr}`);
}

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe('job progress stream when the bus falls behind', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C31: a stream whose job ended in the trimmed gap re-reads the job and still sends its end', async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix, logger: { info() {}, warn() {}, error() {} } });
    cleanup(() => client.close());
    const routes = createJobRoutes(client, { unsafePublicAccess: true });
    const job = await client.producer.add('echo', 'value', { value: 42 });
    const answer = await routes.handle({ method: 'GET', path: `/echo/${job.id}/events`, lastEventId: undefined, request: undefined });
    if (!answer || !('stream' in answer)) throw new Error(`expected a stream, got ${JSON.stringify(answer)}`);
    const text = readAll(answer.stream);

    let held = false;
    client.events.on('echo:drained', () => {
      if (held) return;
      held = true;
      completeJobBehindTheBus(redis().url, prefix);
    });
    const admin = redis().connect();
    cleanup(() => admin.disconnect());
    await admin.xadd(`${prefix}:echo:events`, '*', 'event', 'drained');

    const frames = await text;
    expect(frames).to.match(/^id: \S+\nevent: state\n/);
    // Two state frames: the first on opening, the second read again after the gap.
    expect(frames.match(/event: state\n/g)).to.have.length(2);
    expect(frames).to.include('event: completed\n');
    expect(frames).to.include('"result":{"done":42}');
    expect(frames.indexOf('event: completed')).to.be.greaterThan(frames.lastIndexOf('event: state'));
  });
});
