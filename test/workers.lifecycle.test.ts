import { expect } from 'chai';
import { ConfigurationError, createQueueClient, handlers, startWorkers } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

const email = handlers(queues, 'email', { welcome: async () => ({ messageId: 'm' }), digest: async () => undefined });

describe('workers: one process, its signals and its client', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('refuses a misspelt startWorkers() option instead of running with the default', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const untyped = startWorkers as unknown as (options: Record<string, unknown>) => Promise<unknown>;
    const error = await untyped({ client, handlers: [email], handleSignals: false, concurency: 5 }).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(ConfigurationError);
    expect((error as Error).message).to.include('unknown option "concurency"');
  });

  it('a second group that would also handle SIGTERM/SIGINT is refused (each would exit the process under the other), and allowed once the first closed', async () => {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const first = await startWorkers({ client, handlers: [email] });
    const echo = handlers(queues, 'echo', { value: async (job) => job.data.value, fail: async () => undefined as never, slow: async (job) => ({ slept: job.data.ms }) });
    const refused = await startWorkers({ client, handlers: [echo] }).then(() => undefined, (e: unknown) => e);
    expect(refused).to.be.instanceOf(ConfigurationError);
    expect((refused as Error).message).to.include('already handles SIGTERM/SIGINT');
    const quiet = await startWorkers({ client, handlers: [echo], handleSignals: false });
    await quiet.close();
    await first.close();
    const next = await startWorkers({ client, handlers: [email] });
    await next.close();
  });

  it('client.close() lets the workers started on it finish their active job first, so nothing is left active', async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    let release: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      release = resolve;
    });
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [handlers(queues, 'echo', {
        value: async () => undefined,
        fail: async () => undefined as never,
        slow: async (job) => {
          release();
          await new Promise((resolve) => setTimeout(resolve, job.data.ms));
          return { slept: job.data.ms };
        },
      })],
    });
    const observer = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => observer.close());
    const job = await observer.producer.add('echo', 'slow', { ms: 300 });
    await started;
    await client.close();
    expect(await observer.queue('echo').getJob(job.id!).then((stored) => stored!.getState())).to.equal('completed');
    const report = await group.close();
    expect(report).to.deep.equal({ abandoned: [], clean: true });
  });
});
