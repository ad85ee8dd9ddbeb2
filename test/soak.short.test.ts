import { expect } from 'chai';
import { formatSoakReport, runSoak } from '../scripts/soak/scenario';

// `npm run soak` runs this scenario for minutes; here it runs for tens of seconds on every CI run.
describe('soak (short): HTTP load while workers are SIGKILLed and Redis restarts', () => {
  it('no accepted job is lost: every 2xx job completes; web and workers never crash; each restart recovers within seconds', async function () {
    this.timeout(120_000);
    const report = await runSoak({
      seconds: 20,
      rate: 40,
      workers: 3,
      concurrency: 4,
      killEveryMs: 3000,
      redisRestarts: 2,
      redisDowntimeMs: 1000,
      lockDuration: 2000,
      stalledInterval: 500,
      drainTimeoutMs: 30_000,
      log: () => undefined,
    });
    const figures = `\n${formatSoakReport(report)}`;

    expect(report.lost, `lost jobs${figures}`).to.equal(0);
    expect(report.completed, `completed of accepted${figures}`).to.equal(report.accepted);
    expect(report.completedWithoutEffect, `completed without running${figures}`).to.equal(0);
    // A 503 that said "not-sent" really stored nothing (an "unknown" one may have).
    expect(report.effectsOfRefusedRequests['not-sent'] ?? 0, `refused as not-sent but ran${figures}`).to.equal(0);
    expect(report.unexpectedExits, `crashes${figures}`).to.deep.equal([]);
    // Faults really happened, and the load was served around them.
    expect(report.workerKills, `worker kills${figures}`).to.be.at.least(3);
    expect(report.restarts, `restarts${figures}`).to.have.length(2);
    expect(report.accepted, `accepted${figures}`).to.be.at.least(report.requests / 2);
    // Requests fail only while Redis is away, and then within the producer's bound (2 s) plus slack.
    expect(report.producerFailuresOutsideOutages, `failures outside outages${figures}`).to.equal(0);
    expect(report.timeToFailMaxMs ?? 0, `slowest failure${figures}`).to.be.below(3000);
    for (const restart of report.restarts) {
      expect(restart.firstAcceptedAfterMs, `first 2xx after a restart${figures}`).to.be.a('number').and.below(5000);
      expect(restart.firstCompletedAfterMs, `first completion after a restart${figures}`).to.be.a('number').and.below(5000);
    }
  });
});
