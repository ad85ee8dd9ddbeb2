import { expect } from 'chai';
import { uniquePrefix, useRedisServer } from './support/harness';

// examples/features/limits.ts: the README's section on limits, concurrency, timeouts and cancel quotes it.
describe('example: features/limits (limits from definition, env and start options; timeout; cancel)', function () {
  this.timeout(10_000);
  const redis = useRedisServer();

  it('runs as the README says', async () => {
    // The definition reads MEDIA_CONCURRENCY when the module loads, as a deployment would set it.
    process.env.MEDIA_CONCURRENCY = '4';
    // Loaded from the build at run time, after the environment is set.
    const { runLimitsExample } = require('../examples/features/limits.js') as typeof import('../examples/features/limits');
    delete process.env.MEDIA_CONCURRENCY;
    const report = await runLimitsExample(redis().url, uniquePrefix());
    expect(report.concurrency).to.equal(4);
    expect(report.raisedTo).to.equal(6);
    expect(report.thumbnailFailed).to.match(/^Job "thumbnail" \(media\/\d+\) timed out after 200 ms; its handler's signal was aborted\./);
    expect(report.cancelled).to.include({ outcome: 'signalled', state: 'active', listeners: 1 });
    expect(report.transcodeFailed).to.match(/^Job "transcode" \(media\/\d+\) was cancelled: uploaded again\. It is not retried\.$/);
    expect(report.removedBeforeStart).to.include({ outcome: 'removed', state: 'delayed' });
  });
});
