import { expect } from 'chai';
import { ConfigurationError, createQueueClient, handlers, startWorkers } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

const email = handlers(queues, 'email', { welcome: async () => ({ messageId: 'm' }), digest: async () => undefined });

// Found in review: handleSignals and exitOnConnectionLoss were used for their truthiness, so
// handleSignals: 'false' (from an environment variable) installed SIGTERM handlers and
// exitOnConnectionLoss: 'no' armed the process exit; jobContext beside them is checked. Numeric options
// given as strings were refused with a message that hid the quotes ("got 30000").
describe('workers: startWorkers() refuses non-boolean switches and says what it got', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  const refusals: Array<[string, Record<string, unknown>, string]> = [
    ['handleSignals as a string', { handleSignals: 'false' }, 'startWorkers(): handleSignals must be true or false; got "false".'],
    ['exitOnConnectionLoss as a string', { exitOnConnectionLoss: 'no' }, 'startWorkers(): exitOnConnectionLoss must be true or false; got "no".'],
    ['shutdownTimeout as a string', { shutdownTimeout: '5' }, 'shutdownTimeout must be a whole number of ms >= 0; got "5".'],
    ['lockDuration as a string', { lockDuration: '30000' }, 'lockDuration must be a whole number >= 1000 ms; got "30000".'],
    // JSON cannot write a BigInt: the message used to throw a TypeError of its own instead.
    ['shutdownTimeout as a BigInt', { shutdownTimeout: 5n }, 'shutdownTimeout must be a whole number of ms >= 0; got 5.'],
  ];
  for (const [what, options, message] of refusals) {
    it(`refuses ${what} before touching Redis`, async () => {
      const prefix = uniquePrefix();
      const client = createQueueClient({ queues, connection: redis().url, prefix });
      cleanup(() => client.close());
      const untyped = startWorkers as unknown as (options: Record<string, unknown>) => Promise<{ close(): Promise<unknown> }>;
      const error = await untyped({ client, handlers: [email], handleSignals: false, ...options }).then((group) => {
        cleanup(() => group.close());
        return undefined;
      }, (thrown: unknown) => thrown);
      expect(error).to.be.instanceOf(ConfigurationError);
      expect((error as Error).message).to.equal(message);
      await client.connections.waitForProducer(2000);
      expect(await client.connections.producer.keys(`${prefix}:*`), 'keys written').to.deep.equal([]);
    });
  }
});
