import { expect } from 'chai';
import { ConfigurationError, createQueueClient } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

describe('event bus: subscribing', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('refuses, at once, an event name that can never fire or a listener that is not a function (for JavaScript callers)', () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const untyped = client.events as unknown as { on(event: string, listener: unknown): unknown; once(event: string, listener: unknown): unknown };
    for (const event of ['email:complete', 'sms:completed', 'complete', 'email']) {
      expect(() => untyped.on(event, () => undefined), event).to.throw(ConfigurationError, 'no such event');
      expect(() => untyped.once(event, () => undefined), event).to.throw(ConfigurationError, 'no such event');
    }
    expect(() => untyped.on('email:completed', 'not a function')).to.throw(ConfigurationError, 'needs a listener function');
    for (const event of ['email:completed', 'completed', 'echo:events-lost', 'events-lost', 'drained', 'error']) {
      expect(() => untyped.on(event, () => undefined), event).to.not.throw();
    }
  });
});
