import { expect } from 'chai';
import { createQueueClient, UnreadableEventStreamError } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

describe('event bus: a queue whose events key is not a stream', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  for (const when of ['before the bus starts', 'while the bus runs'] as const) {
    it(`C46: a foreign value at one queue's events key (${when}) is reported once; other queues still get their events, and the queue recovers once repaired`, async () => {
      const prefix = uniquePrefix();
      const client = createQueueClient({ queues, connection: redis().url, prefix });
      cleanup(() => client.close());
      const admin = redis().connect();
      cleanup(() => admin.disconnect());
      const errors: Error[] = [];
      client.events.on('error', (error) => errors.push(error));

      const badKey = `${prefix}:echo:events`;
      if (when === 'before the bus starts') await admin.set(badKey, 'not a stream');
      await client.events.ready();
      if (when === 'while the bus runs') {
        await admin.set(badKey, 'not a stream');
        // The bus notices when it next reads; an event on the healthy queue wakes it.
        const first = nextEvent(client.events, 'email:drained');
        await admin.xadd(`${prefix}:email:events`, '*', 'event', 'drained');
        await first;
      }

      for (let i = 0; i < 3; i++) {
        const delivered = nextEvent(client.events, 'email:drained');
        await admin.xadd(`${prefix}:email:events`, '*', 'event', 'drained');
        await delivered;
      }
      expect(errors).to.have.length(1);
      expect(errors[0]).to.be.instanceOf(UnreadableEventStreamError);
      expect((errors[0] as UnreadableEventStreamError).queue).to.equal('echo');
      expect(errors[0]!.message).to.include(badKey).and.include('WRONGTYPE');

      await admin.del(badKey);
      const repaired = nextEvent(client.events, 'echo:drained');
      await admin.xadd(badKey, '*', 'event', 'drained');
      // The repaired queue is read again once the bus wakes; an event on another queue wakes it at once.
      await admin.xadd(`${prefix}:email:events`, '*', 'event', 'drained');
      expect((await repaired).queue).to.equal('echo');
      expect(errors).to.have.length(1);
    });
  }

  it('after close(), ready() rejects with a typed ClosedError', async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    await client.events.ready();
    await client.close();
    const error = await client.events.ready().then(() => undefined, (e: Error) => e);
    expect(error?.name).to.equal('ClosedError');
  });
});
