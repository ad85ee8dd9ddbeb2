import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createQueueClient } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { nextEvent } from './support/bus-events';
import { queues } from './support/queues';
import { recordingLogger } from './support/recording-logger';
import { pollUntil } from './support/poll';

/**
 * Writes `count` entries to a stream capped at `maxLen`, from another process and synchronously, so it
 * happens while this process's event loop (and so its bus) is held up by a listener.
 */
function floodStreamNow(url: string, key: string, count: number, maxLen: number): void {
  const script = `
    const { Redis } = require('ioredis');
    const redis = new Redis(${JSON.stringify(url)});
    const pipeline = redis.pipeline();
    for (let i = 0; i < ${count}; i++) pipeline.xadd(${JSON.stringify(key)}, 'MAXLEN', ${maxLen}, '*', 'event', 'drained');
    pipeline.exec().then(() => redis.quit());`;
  const result = spawnSync(process.execPath, ['-e', script], { cwd: __dirname, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`flood failed: ${result.stderr}`);
}

describe('event bus: falling behind a trimmed stream', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C31: says so with a typed events-lost event naming the gap, then carries on with what is left', async () => {
    const prefix = uniquePrefix();
    const logger = recordingLogger();
    const client = createQueueClient({ queues, connection: redis().url, prefix, logger });
    cleanup(() => client.close());
    const key = `${prefix}:echo:events`;
    await client.events.ready();

    let drained = 0;
    let flooded = false;
    client.events.on('echo:drained', () => {
      drained += 1;
      if (flooded) return;
      flooded = true;
      // A slow listener: while it runs, 50 events arrive and a cap of 10 trims 40 of them unread.
      floodStreamNow(redis().url, key, 50, 10);
    });
    const lost = nextEvent(client.events, 'events-lost');
    const lostForQueue = nextEvent(client.events, 'echo:events-lost');
    const watcherTold = new Promise<void>((resolve) => {
      client.events.watchJob('echo', 'some-job', { onOutcome: () => undefined, onEventsLost: resolve });
    });

    const admin = redis().connect();
    cleanup(() => admin.disconnect());
    const markerId = (await admin.xadd(key, '*', 'event', 'drained'))!;

    const event = await lost;
    expect(event.queue).to.equal('echo');
    expect(event.afterEventId).to.equal(markerId);
    const [[firstKept]] = (await admin.xrange(key, '-', '+', 'COUNT', 1)) as [[string, string[]]];
    expect(event.resumedAtEventId).to.equal(firstKept);
    expect(event.lost).to.equal(40);
    expect(await lostForQueue).to.deep.equal(event);
    await watcherTold;
    // The marker plus the 10 entries the cap kept; the 40 trimmed ones were reported, not invented.
    expect(await pollUntil(() => drained, (count) => count >= 11)).to.equal(11);
    expect(logger.lines.filter((line) => line.level === 'warn').map((line) => line.message).join('\n')).to.include('fell behind queue "echo"');
  });

  it('C31: reports nothing while it keeps up, even when the stream is trimmed behind it', async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    const key = `${prefix}:echo:events`;
    await client.events.ready();
    const lost: unknown[] = [];
    client.events.on('events-lost', (event) => lost.push(event));
    const admin = redis().connect();
    cleanup(() => admin.disconnect());
    for (let i = 0; i < 30; i++) {
      const delivered = nextEvent(client.events, 'echo:drained');
      await admin.xadd(key, 'MAXLEN', 3, '*', 'event', 'drained');
      await delivered;
    }
    expect(await admin.xlen(key)).to.equal(3);
    expect(lost).to.deep.equal([]);
  });
});
