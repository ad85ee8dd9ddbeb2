import { expect } from 'chai';
import { InvalidJobOptionsError, UnknownJobError, UnknownQueueError, type Producer } from '../lib/index';
import { clientWithoutRedis, refusal } from './support/before-redis';
import { useCleanup } from './support/harness';

// Nothing listens on the client's port: every refusal below happens before Redis is asked anything.
describe('producer input validation (before Redis is touched)', () => {
  const cleanup = useCleanup();
  let producer: Producer;

  beforeEach(async () => {
    // The tests call with names the definition lacks on purpose, so they use the producer untyped.
    producer = (await clientWithoutRedis(cleanup)).producer as unknown as Producer;
  });

  it('unknown queue → UnknownQueueError (QW_UNKNOWN_QUEUE) listing the declared queues', async () => {
    for (const queue of ['nope', 'constructor', '__proto__', 'toString']) {
      const error = await refusal(() => producer.add(queue, 'welcome', {}));
      expect(error, queue).to.be.instanceOf(UnknownQueueError);
      expect(error.code).to.equal('QW_UNKNOWN_QUEUE');
      expect(error.message).to.include(`"${queue}"`).and.include('email, echo');
    }
  });

  it('unknown job name → UnknownJobError (QW_UNKNOWN_JOB) listing the queue\'s jobs', async () => {
    for (const name of ['nope', 'constructor', '__proto__']) {
      const error = await refusal(() => producer.add('email', name, {}));
      expect(error, name).to.be.instanceOf(UnknownJobError);
      expect(error.code).to.equal('QW_UNKNOWN_JOB');
      expect(error.message).to.include('welcome, digest');
    }
  });

  it('invalid options → InvalidJobOptionsError (QW_INVALID_JOB_OPTIONS) naming the option', async () => {
    const cases: Array<[options: unknown, mentions: string]> = [
      [{ attempts: 0 }, 'option "attempts" must be an integer >= 1'],
      [{ attempts: 1.5 }, 'option "attempts"'],
      [{ atempts: 3 }, 'unknown job option "atempts"'],
      [{ delay: -1 }, 'option "delay"'],
      [{ priority: 'high' }, 'option "priority"'],
      [{ jobId: '' }, 'option "jobId"'],
      [{ jobId: '123' }, 'integer string'],
      [{ jobId: 'a:b' }, "must not contain ':'"],
      [{ backoff: { delay: 10 } }, 'option "backoff"'],
      [{ removeOnComplete: { age: 1, keep: 2 } }, 'option "removeOnComplete"'],
      // Values BullMQ's Lua would choke on mid-job (losing the job or wiping the queue's history).
      [{ removeOnComplete: { age: -1 } }, 'option "removeOnComplete"'],
      [{ removeOnComplete: { count: 'x' } }, 'option "removeOnComplete"'],
      [{ removeOnFail: { age: 1.5 } }, 'option "removeOnFail"'],
      [{ removeOnFail: {} }, 'option "removeOnFail"'],
      [{ backoff: { type: 'nonsense', delay: 10 } }, 'option "backoff"'],
      [{ backoff: { type: 'fixed', delay: -5 } }, 'option "backoff"'],
      [{ deduplication: { id: 'd', ttl: 'x' } }, 'option "deduplication"'],
      [{ deduplication: { id: 'x'.repeat(600) } }, 'option "deduplication"'],
      [{ jobId: '-1' }, 'integer string'],
      [{ jobId: 'x'.repeat(513) }, 'at most 512 bytes'],
      [[], 'must be a plain object'],
      // Keys that exist on Object.prototype are as unknown as any other, whether set in code or by JSON.parse.
      [{ hasOwnProperty: 1 }, 'unknown job option "hasOwnProperty"'],
      [{ toString: 'x' }, 'unknown job option "toString"'],
      [{ constructor: {} }, 'unknown job option "constructor"'],
      [JSON.parse('{"__proto__": {"attempts": 3}}'), 'unknown job option "__proto__"'],
    ];
    for (const [options, mentions] of cases) {
      const label = JSON.stringify(options);
      const error = await refusal(() => producer.add('email', 'welcome', { to: 'a@b.c', name: 'A' }, options as never));
      expect(error, label).to.be.instanceOf(InvalidJobOptionsError);
      expect(error.code).to.equal('QW_INVALID_JOB_OPTIONS');
      expect(error.message, label).to.include('add("email", "welcome") options').and.include(mentions);
    }
  });

  it('addBulk refuses something that is not an array of entries with a typed error', async () => {
    for (const [jobs, mentions] of [['x', 'takes an array'], [[null], 'entry 0 must be an object'], [[{ queue: 'email', name: 'digest', data: { userId: 1 } }, 7], 'entry 1 must be an object']] as const) {
      const error = await refusal(() => producer.addBulk(jobs as never));
      expect(error, JSON.stringify(jobs)).to.be.instanceOf(InvalidJobOptionsError);
      expect(error.message).to.include(mentions);
    }
  });

  it('addBulk refuses the whole batch, naming the bad entry', async () => {
    const error = await refusal(() => producer.addBulk([
      { queue: 'email', name: 'digest', data: { userId: 1 } },
      { queue: 'email', name: 'digest', data: { userId: 2 }, options: { atempts: 2 } as never },
    ]));
    expect(error).to.be.instanceOf(InvalidJobOptionsError);
    expect(error.message).to.include('addBulk() entry 1 ("email", "digest") options');
    const unknown = await refusal(() => producer.addBulk([{ queue: 'email', name: 'nope', data: {} }]));
    expect(unknown).to.be.instanceOf(UnknownJobError);
  });

  it('addAndWait checks its job options and its timeout', async () => {
    const badOption = await refusal(() => producer.addAndWait('email', 'welcome', { to: 'a@b.c', name: 'A' }, { attempts: 0 }));
    expect(badOption).to.be.instanceOf(InvalidJobOptionsError);
    for (const timeout of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      const badTimeout = await refusal(() => producer.addAndWait('email', 'welcome', { to: 'a@b.c', name: 'A' }, { timeout }));
      expect(badTimeout, String(timeout)).to.be.instanceOf(InvalidJobOptionsError);
      expect(badTimeout.message).to.include('"timeout"');
    }
  });
});
