import { expect } from 'chai';
import { nextEvent } from './support/bus-events';
import { useCleanup, useRedisServer } from './support/harness';
import { servedClient } from './support/served-client';
import { echoHandlers, queues } from './support/queues';

class Receipt {
  constructor(readonly id: string) {}
}

// Results JSON cannot carry unchanged, by the name a job asks for, and how the failure names them.
const unstorable: Record<string, { make: () => unknown; reason: string }> = {
  date: { make: () => ({ sentAt: new Date(0) }), reason: 'returnvalue.sentAt is a Date' },
  map: { make: () => new Map([['a', 1]]), reason: 'returnvalue is a Map' },
  set: { make: () => ({ tags: new Set(['x']) }), reason: 'returnvalue.tags is a Set' },
  bigint: { make: () => ({ total: 10n }), reason: 'returnvalue.total is a BigInt' },
  nan: { make: () => [1, Number.NaN], reason: 'returnvalue[1] is NaN' },
  infinity: { make: () => Number.POSITIVE_INFINITY, reason: 'returnvalue is Infinity' },
  undefinedField: { make: () => ({ id: 'a', extra: undefined }), reason: 'returnvalue.extra is undefined' },
  instance: { make: () => new Receipt('r-1'), reason: 'returnvalue is a Receipt' },
  buffer: { make: () => Buffer.from('hi'), reason: 'returnvalue is a Buffer' },
  fn: { make: () => ({ callback: () => 1 }), reason: 'returnvalue.callback is a function' },
  negativeZero: { make: () => ({ delta: -0 }), reason: 'returnvalue.delta is -0' },
};

describe('workers: results JSON cannot carry', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('C46: a handler returning a value JSON cannot carry fails the job at once, unrecoverably, naming the value', async () => {
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers({ value: async (job) => unstorable[job.data.value as string]!.make() })]);

    for (const [kind, { reason }] of Object.entries(unstorable)) {
      const failed = nextEvent(client.events, 'echo:failed', ({ jobId }) => jobId === kind);
      const completed = nextEvent(client.events, 'echo:completed', ({ jobId }) => jobId === kind).then(() => 'completed');
      await client.producer.add('echo', 'value', { value: kind }, { jobId: kind, attempts: 3, backoff: 0 });
      const outcome = await Promise.race([failed, completed]);
      expect(outcome, kind).to.not.equal('completed');
      expect((outcome as { failedReason: string }).failedReason, kind).to.match(new RegExp(`^Handler for "value" returned a value that cannot be stored: ${escape(reason)}\\b`));
      const stored = (await client.queue('echo').getJob(kind))!;
      expect(stored.attemptsMade, `${kind}: attempts made of 3`).to.equal(1);
      expect(await stored.getState(), kind).to.equal('failed');
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('workers: what handlers throw and report', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('a thrown non-Error (null, a string, an object) fails the job with a message saying what was thrown, never leaves it active', async () => {
    const thrown: Record<string, unknown> = { 'null': null, text: 'out of stock', object: { code: 42 } };
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers({
        value: async (job) => {
          throw thrown[job.data.value as string];
        },
      })]);
    const expected: Record<string, string> = { 'null': 'null', text: 'out of stock', object: '{"code":42}' };
    for (const kind of Object.keys(thrown)) {
      const failed = nextEvent(client.events, 'echo:failed', ({ jobId }) => jobId === kind);
      await client.producer.add('echo', 'value', { value: kind }, { jobId: kind, attempts: 1 });
      expect((await failed).failedReason, kind).to.equal(`Handler for "value" threw a non-Error value: ${expected[kind]}`);
      expect(await client.queue('echo').getJob(kind).then((job) => job!.getState()), kind).to.equal('failed');
    }
  });

  it('C46: progress JSON would alter is refused where the handler reports it; plain progress reaches the bus as sent', async () => {
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers({
        value: async (job) => {
          await job.updateProgress({ stage: 'parse', done: 1 });
          await job.updateProgress({ at: new Date(0) } as never);
          return 'unreachable';
        },
      })]);
    const progress = nextEvent(client.events, 'echo:progress');
    const failed = nextEvent(client.events, 'echo:failed');
    await client.producer.add('echo', 'value', { value: 1 });
    expect((await progress).data).to.deep.equal({ stage: 'parse', done: 1 });
    expect((await failed).failedReason).to.equal('progress.at is a Date, which JSON does not carry unchanged. Job data and results must be plain JSON: convert the value (e.g. a Date to an ISO string, a BigInt or Map to a string or plain object) before enqueueing or returning it.');
  });
});

