import { expect } from 'chai';
import { handlers, startWorkers, type HandlerHooks } from '../lib/index';
import { Gates } from './contract/gates';
import { useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { limitedClient, limitedQueues, type LimitedQueues } from './support/limited-queues';

// Found in review of the JobAttempt rework (fbcf113, c08514b): hooks and handler run inside the attempt,
// but only the attempt learns that a timeout or cancel ended it. Hooks then report the job wrongly: a
// handler that returns after its timeout gets `after` hooks (a completion that is never stored) and no
// `error` hook; and a cancel that comes while a `before` hook runs does not stop the handler, which
// starts once the hook returns, for a job that already failed as cancelled.
describe('workers: hooks of an attempt that a timeout or cancel ended', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  async function serve(gateIn: 'before' | 'handler') {
    const client = limitedClient(redis().url, cleanup);
    const gates = new Gates();
    const calls: string[] = [];
    const returned = new Set<string>();
    const hooks: HandlerHooks<LimitedQueues> = {
      before: async (job) => {
        calls.push('before');
        if (gateIn !== 'before') return;
        await gates.pass(job.id!);
        returned.add(job.id!);
      },
      after: () => void calls.push('after'),
      error: (_job, error) => void calls.push(`error: ${(error.cause as { code?: string } | undefined)?.code ?? (error as { code?: string }).code}`),
    };
    const ignoringItsSignal = async (job: { id?: string }) => {
      calls.push('handler');
      if (gateIn === 'handler') await gates.pass(job.id!);
      returned.add(job.id!);
    };
    const group = await startWorkers({
      client,
      handleSignals: false,
      hooks,
      handlers: [handlers(limitedQueues, 'work', {
        tick: async () => undefined,
        hang: async (job) => ignoringItsSignal(job),
        sleep: async (job) => {
          await ignoringItsSignal(job);
          return { slept: job.data.ms };
        },
      })],
    });
    cleanup(() => group.close());
    cleanup(() => gates.openAll());
    return { client, gates, calls, returned, state: (id: string) => client.queue('work').getJobState(id) };
  }

  it('a handler that returns after its timeout: error hooks see the timeout, after hooks do not run', async () => {
    const { client, gates, calls, returned, state } = await serve('handler');
    const slow = await client.producer.add('work', 'sleep', { ms: 1 });
    await pollUntil(() => state(slow.id!), (s) => s === 'failed');
    gates.open(slow.id!);
    await pollUntil(() => returned.has(slow.id!), Boolean);
    // What the hooks do once the handler returned happens within the same turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).to.deep.equal(['before', 'handler', 'error: QW_JOB_TIMEOUT']);
  });

  it('a cancel while a before hook runs: the handler is never called', async () => {
    const { client, gates, calls, returned, state } = await serve('before');
    const job = await client.producer.add('work', 'hang', { label: 'x' });
    await pollUntil(() => calls.length, (n) => n === 1); // in the before hook
    expect((await client.producer.cancel('work', job.id!)).outcome).to.equal('signalled');
    await pollUntil(() => state(job.id!), (s) => s === 'failed');
    gates.open(job.id!);
    await pollUntil(() => returned.has(job.id!), Boolean);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).to.deep.equal(['before', 'error: QW_JOB_CANCELLED']);
  });
});
