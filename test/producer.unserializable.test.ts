import { expect } from 'chai';
import { createQueueClient, UnserializableValueError } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';
import { RedisServer } from './support/redis-server';

class Point {
  constructor(readonly x: number) {}
}

// Each value JSON would drop, alter or refuse, and the path the error must name when the value sits
// at `data.value.items[1].when` (deeper where the fault is inside it).
function unserializableValues(): Array<[label: string, value: unknown, path: string]> {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  const named = Object.assign([1, 2], { total: 3 });
  const at = 'data.value.items[1].when';
  const deep = (levels: number): unknown => (levels === 0 ? 1 : { x: deep(levels - 1) });
  return [
    ['BigInt', 10n, at],
    ['Set', new Set([1]), at],
    ['Map', new Map([['a', 1]]), at],
    ['Date', new Date(0), at],
    ['undefined', undefined, at],
    ['NaN', Number.NaN, at],
    ['Infinity', Number.POSITIVE_INFINITY, at],
    ['-Infinity', Number.NEGATIVE_INFINITY, at],
    ['-0', -0, at],
    ['class instance', new Point(1), at],
    ['Buffer', Buffer.from('hi'), at],
    ['Uint8Array', new Uint8Array(2), at],
    ['circular reference', circular, `${at}.self`],
    ['sparse array', [1, , 3], `${at}[1]`], // eslint-disable-line no-sparse-arrays
    ['undefined in an array', [1, undefined], `${at}[1]`],
    ['function', () => 1, at],
    ['symbol', Symbol('s'), at],
    ['object with toJSON', { toJSON: () => 'other' }, at],
    ['symbol-keyed property', { [Symbol('tag')]: 1 }, `${at}[Symbol(tag)]`],
    ['named property of an array', named, `${at}.total`],
    ['nesting 300 levels deep', deep(300), `${at}${'.x'.repeat(252)}`], // the 256th object from the top
  ];
}

describe('C18: values JSON cannot carry are refused at enqueue, before Redis', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  function clientOn(connection: string) {
    const client = createQueueClient({ queues, connection, prefix: uniquePrefix() });
    cleanup(() => client.close());
    return client;
  }

  async function refusal(call: () => Promise<unknown>): Promise<UnserializableValueError> {
    const error = await call().then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(UnserializableValueError);
    expect((error as UnserializableValueError).code).to.equal('QW_UNSERIALIZABLE_VALUE');
    return error as UnserializableValueError;
  }

  it('C18: add, addBulk and addAndWait name the path of each such value; Redis holds no key afterwards', async () => {
    const { producer } = clientOn(redis().url);
    for (const [label, value, path] of unserializableValues()) {
      const data = { value: { items: [{ when: 'fine' }, { when: value }] } };
      const viaAdd = await refusal(() => producer.add('echo', 'value', data));
      expect(viaAdd.path, label).to.equal(path);
      expect(viaAdd.message.startsWith(`${path} `), label).to.equal(true);
      const viaBulk = await refusal(() => producer.addBulk([
        { queue: 'echo', name: 'value', data: { value: 'fine' } },
        { queue: 'echo', name: 'value', data },
      ]));
      expect(viaBulk.path, label).to.equal(path);
      const viaWait = await refusal(() => producer.addAndWait('echo', 'value', data, { timeout: 1000 }));
      expect(viaWait.path, label).to.equal(path);
    }
    // Nothing was written, not even the valid first entry of the refused bulk.
    const inspector = redis().connect();
    cleanup(() => inspector.disconnect());
    expect(await inspector.dbsize()).to.equal(0);
  });

  it('C18: the path of a top-level value is data; with Redis away the refusal is still immediate', async () => {
    const nowhere = await RedisServer.unstarted();
    const { producer } = clientOn(nowhere.url);
    const started = Date.now();
    const error = await refusal(() => producer.add('echo', 'value', { value: new Date(0) }));
    expect(error.path).to.equal('data.value');
    expect((await refusal(() => producer.add('echo', 'value', undefined as never))).path).to.equal('data');
    // A call that reached for Redis would wait out the producer timeout (2 s) and fail as unavailable.
    expect(Date.now() - started).to.be.below(500);
  });

  it('C18: plain JSON is stored and read back unchanged', async () => {
    const client = clientOn(redis().url);
    const value = { s: 'é\u{1F600}', n: -1.5e-7, t: true, f: false, z: null, list: [[], {}, [0, 'a']], deep: { a: { b: { c: [1] } } } };
    const job = await client.producer.add('echo', 'value', { value });
    const stored = await client.queue('echo').getJob(job.id!);
    expect(stored!.data).to.deep.equal({ value });
  });
});
