import { expect } from 'chai';
import { createQueueClient, PayloadTooLargeError, toHttpError } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

describe('C20: payload size limit at enqueue', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  function clientWith(options: { maxPayloadBytes?: number } = {}) {
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), ...options });
    cleanup(() => client.close());
    return client;
  }

  async function refusal(call: () => Promise<unknown>): Promise<PayloadTooLargeError> {
    const error = await call().then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(PayloadTooLargeError);
    return error as PayloadTooLargeError;
  }

  it('C20: a 10 MB payload is refused under the default 1 MiB limit, as HTTP 413, and nothing is stored', async () => {
    const client = clientWith();
    const data = { value: 'x'.repeat(10 * 1024 * 1024) };
    const error = await refusal(() => client.producer.add('echo', 'value', data));
    expect(error.code).to.equal('QW_PAYLOAD_TOO_LARGE');
    expect(error.limit).to.equal(1024 * 1024);
    expect(error.bytes).to.equal(Buffer.byteLength(JSON.stringify(data)));
    expect(error.message).to.include('add("echo", "value")');
    expect(toHttpError(error)?.status).to.equal(413);
    await refusal(() => client.producer.addBulk([{ queue: 'echo', name: 'value', data: { value: 'small' } }, { queue: 'echo', name: 'value', data }]));
    await refusal(() => client.producer.addAndWait('echo', 'value', data, { timeout: 1000 }));
    expect(await client.queue('echo').count()).to.equal(0);
  });

  it('C20: maxPayloadBytes sets the limit, counted in bytes of the JSON encoding; smaller payloads are stored untouched', async () => {
    const client = clientWith({ maxPayloadBytes: 2048 });
    // 1500 characters but 3000 bytes once UTF-8 encoded: over the limit.
    const wide = await refusal(() => client.producer.add('echo', 'value', { value: 'é'.repeat(1500) }));
    expect(wide.limit).to.equal(2048);
    expect(wide.bytes).to.equal(3000 + '{"value":""}'.length);

    const exactly = { value: 'y'.repeat(2048 - '{"value":""}'.length) };
    expect(Buffer.byteLength(JSON.stringify(exactly))).to.equal(2048);
    const small = { value: { text: 'é'.repeat(500), list: [1, 2.5, null, true] } };
    for (const data of [exactly, small]) {
      const job = await client.producer.add('echo', 'value', data);
      const stored = await client.queue('echo').getJob(job.id!);
      expect(stored!.data).to.deep.equal(data);
    }
    await refusal(() => client.producer.add('echo', 'value', { value: `${exactly.value}y` }));
    // Control characters grow sixfold once escaped (\u0001): the size is that of the encoding.
    const escaped = await refusal(() => client.producer.add('echo', 'value', { value: '\u0001'.repeat(340) }));
    expect(escaped.bytes).to.equal(340 * 6 + '{"value":""}'.length);
    await client.producer.add('echo', 'value', { value: '\u0001'.repeat(300) });
    expect(await client.queue('echo').count()).to.equal(3);
  });
});
