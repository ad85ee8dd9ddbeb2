import { expect } from 'chai';
import { createQueueClient, defineQueues, InvalidFlowError, job } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';

// A job that may be its own child, so a tree of any depth (and, from JavaScript, a cycle) passes the
// .children() check and only the shape of the tree is wrong.
const queues = defineQueues({
  tasks: { jobs: { step: job<{ n: number }>().children({ tasks: 'step' }) } },
});

// Found in review: trees built by code (from JavaScript or `as never`) reached BullMQ's checks or crashed
// with a RangeError / TypeError instead of the typed InvalidFlowError the README promises.
describe('flows: a malformed tree is refused with InvalidFlowError before Redis', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  async function flowError(tree: unknown): Promise<{ error: unknown; keys: string[] }> {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    await client.connections.waitForProducer(2000);
    const error = await client.producer.flow(tree as never).then(() => undefined, (thrown: unknown) => thrown);
    return { error, keys: await client.connections.producer.keys(`${prefix}:*`) };
  }

  it('a tree that contains itself (a cycle) names the node instead of overflowing the stack', async () => {
    const root = { queue: 'tasks', name: 'step', data: { n: 0 }, children: [] as unknown[] };
    root.children.push(root);
    const { error, keys } = await flowError(root);
    expect(error).to.be.instanceOf(InvalidFlowError);
    expect((error as Error).message).to.include('flow() root ("tasks", "step") child 0');
    expect(keys).to.deep.equal([]);
  });

  it('a hole in a children array is a node that is not an object', async () => {
    // eslint-disable-next-line no-sparse-arrays
    const { error, keys } = await flowError({ queue: 'tasks', name: 'step', data: { n: 0 }, children: [, { queue: 'tasks', name: 'step', data: { n: 1 } }] });
    expect(error).to.be.instanceOf(InvalidFlowError);
    expect((error as Error).message).to.equal('flow() root ("tasks", "step") child 0 must be an object { queue, name, data, options?, children? }.');
    expect(keys).to.deep.equal([]);
  });
});
