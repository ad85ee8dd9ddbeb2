import { expect } from 'chai';
import { useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';

type Example = typeof import('../examples/features/schedules');

// examples/features/schedules.ts: the README's section on schedules quotes it.
describe('example: schedules', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('runs as the README says: both schedules created and listed, the heartbeat runs at once, a restart changes nothing', async () => {
    const example = require('../examples/features/schedules.js') as Example;
    const printed: string[] = [];
    const log = console.log;
    console.log = (line: string) => printed.push(line);
    cleanup(() => {
      console.log = log;
    });

    const first = await example.main(redis().url, false);
    cleanup(() => first.client.close());
    expect(first.group.schedules.map(({ id, change }) => `${id} ${change}`)).to.deep.equal(['nightlyPurge created', 'heartbeat created']);
    expect(printed[0]).to.equal('[queuewire] schedules of queue "maintenance": nightlyPurge created, heartbeat created.');
    expect(printed.slice(1).map((line) => line.replace(/next run .*/, 'next run …')).sort())
      .to.deep.equal(['queuewire:heartbeat → heartbeat, next run …', 'queuewire:nightlyPurge → purgeSessions, next run …']);
    const ran = await pollUntil(() => first.client.queue('maintenance').getJobs(['completed']), (done) => done.length > 0);
    expect(ran.map((done) => [done.name, typeof (done.returnvalue as { at?: unknown }).at])).to.deep.equal([['heartbeat', 'string']]);
    await first.client.close();

    const second = await example.main(redis().url, false);
    cleanup(() => second.client.close());
    expect(second.group.schedules.map(({ change }) => change)).to.deep.equal(['unchanged', 'unchanged']);
    expect(second.schedulers.map((scheduler) => scheduler.key).sort()).to.deep.equal(['queuewire:heartbeat', 'queuewire:nightlyPurge']);
  });
});
