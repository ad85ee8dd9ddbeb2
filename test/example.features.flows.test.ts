import { expect } from 'chai';
import { startWorkers } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { useCleanup, useRedisServer } from './support/harness';
import * as example from '../examples/features/flows';

// README "### Flows (`req.queue.flow`)" quotes examples/features/flows.ts.
describe('example: features/flows (a parent waits for children across queues)', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('runs as the README says: the children run first, the parent reads their results, typed by queue', async () => {
    const client = example.createClient(redis().url);
    cleanup(() => client.close());
    const group = await startWorkers({ client, handleSignals: false, handlers: [example.media, example.text, example.reports] });
    cleanup(() => group.close());
    await client.events.ready();

    const completed = nextEvent(client.events, 'reports:completed');
    const id = await example.requestReport(client, 'Spring', 'three small words');
    const event = await completed;

    expect(event.jobId).to.equal(id);
    expect(event.returnvalue).to.deep.equal({ title: 'Spring', thumbnails: ['cover.png@1280.webp', 'cover.png@320.webp'], words: 3 });
    const parent = (await client.queue('reports').getJob(id))!;
    const children = [...await client.queue('media').getCompleted(), ...await client.queue('text').getCompleted()];
    expect(children).to.have.length(3);
    for (const child of children) expect(child.finishedOn!).to.be.at.most(parent.processedOn!);
  });
});
