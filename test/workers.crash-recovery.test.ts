import { expect } from 'chai';
import { ConfigurationError, createQueueClient, handlers, startWorkers, type EventMap } from '../lib/index';
import { isLine, startFaultProcess } from './support/fault-children';
import { faultQueues, type FaultQueues } from './support/fault-queues';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { recordingLogger } from './support/recording-logger';

type StalledEvent = Parameters<EventMap<FaultQueues>['work:stalled']>[0];
type CompletedEvent = Parameters<EventMap<FaultQueues>['work:completed']>[0];

describe('workers: crash recovery through stalled checks', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();
  // Short locks so a killed worker's job comes back in about a second instead of BullMQ's 30 s.
  const recovery = { lockDuration: 1000, stalledInterval: 500 };

  it('C10: a worker SIGKILLed mid-job: the job returns through stalled recovery, completes in another worker, and `stalled` reaches every bus', async function () {
    this.timeout(30_000);
    const prefix = uniquePrefix();
    const url = redis().url;
    const client = createQueueClient({ queues: faultQueues, connection: url, prefix });
    cleanup(() => client.close());
    const stalledHere: StalledEvent[] = [];
    const completedHere: CompletedEvent[] = [];
    client.events.on('work:stalled', (event) => stalledHere.push(event));
    client.events.on('work:completed', (event) => completedHere.push(event));
    await client.events.ready();

    const doomed = await startFaultProcess({ url, prefix, roles: ['worker'], worker: recovery });
    cleanup(() => doomed.stop());
    const job = await client.producer.add('work', 'hold', { firstRunMs: 60_000 });
    await doomed.waitForLine((line) => isLine(line, 'job-started', { jobId: job.id }), 'the job starting in the doomed worker');
    // The survivor starts while the job is active elsewhere, so it cannot take the job before the kill.
    const survivor = await startFaultProcess({ url, prefix, roles: ['worker', 'bus'], worker: recovery });
    cleanup(() => survivor.stop());

    doomed.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await doomed.exited).to.deep.equal({ code: null, signal: 'SIGKILL' });

    await survivor.waitForLine((line) => isLine(line, 'job-finished', { jobId: job.id, pid: survivor.pid }), 'the job finishing in the survivor');
    await survivor.waitForLine((line) => isLine(line, 'bus:completed', { jobId: job.id }), 'completed on the survivor bus');
    const recoveredWithin = Date.now() - killedAt;
    const stored = (await client.queue('work').getJob(job.id!))!;
    expect(await stored.getState()).to.equal('completed');
    expect(stored.returnvalue).to.deep.equal({ pid: survivor.pid });
    expect(stored.stalledCounter, 'times the job stalled').to.equal(1);
    expect(recoveredWithin, 'ms from SIGKILL to completion').to.be.below(lockAndChecks(recovery) + 2000);

    // Every bus, in this process and in the survivor's, saw the job stall once, then complete.
    expect(await pollUntil(() => completedHere.some((event) => event.jobId === job.id), Boolean), 'completed on this bus').to.equal(true);
    expect(stalledHere.map((event) => [event.jobId, event.name])).to.deep.equal([[job.id, 'hold']]);
    expect(survivor.events('bus:stalled').map((line) => [line.jobId, line.name])).to.deep.equal([[job.id, 'hold']]);
    const order = survivor.lines.filter((line) => isLine(line, 'bus:stalled') || isLine(line, 'bus:completed')).map((line) => (line as { event: string }).event);
    expect(order).to.deep.equal(['bus:stalled', 'bus:completed']);
    expect(survivor.events('bus:error')).to.deep.equal([]);
  });

  it('lockDuration, stalledInterval and maxStalledCount reach the BullMQ workers; the defaults stay BullMQ\'s', async () => {
    const client = createQueueClient({ queues: faultQueues, connection: redis().url, prefix: uniquePrefix(), logger: recordingLogger() });
    cleanup(() => client.close());
    const work = handlers(faultQueues, 'work', quietHandlers);
    const tuned = await startWorkers({ client, handlers: [work], handleSignals: false, lockDuration: 4000, stalledInterval: 2000, maxStalledCount: 3 });
    cleanup(() => tuned.close());
    const opts = tuned.workers.get('work')!.opts;
    expect([opts.lockDuration, opts.stalledInterval, opts.maxStalledCount, opts.skipStalledCheck ?? false]).to.deep.equal([4000, 2000, 3, false]);
    await tuned.close();

    const plain = await startWorkers({ client, handlers: [work], handleSignals: false });
    cleanup(() => plain.close());
    const defaults = plain.workers.get('work')!.opts;
    expect([defaults.lockDuration, defaults.stalledInterval, defaults.maxStalledCount]).to.deep.equal([30_000, 30_000, 1]);
  });

  const refused: Array<{ what: string; options: Record<string, unknown>; message: string }> = [
    { what: 'maxStalledCount 0 (a killed worker\'s jobs would fail instead of returning)', options: { maxStalledCount: 0 }, message: 'maxStalledCount must be a whole number >= 1 (0 would fail a crashed worker\'s jobs instead of recovering them); got 0.' },
    { what: 'skipStalledCheck', options: { skipStalledCheck: true }, message: 'startWorkers(): skipStalledCheck is not supported' },
    { what: 'skipLockRenewal', options: { skipLockRenewal: true }, message: 'startWorkers(): skipLockRenewal is not supported' },
    { what: 'a lockDuration under a second', options: { lockDuration: 200 }, message: 'lockDuration must be a whole number >= 1000 ms; got 200.' },
    { what: 'a fractional stalledInterval', options: { stalledInterval: 1.5 }, message: 'stalledInterval must be a whole number >= 100 ms; got 1.5.' },
    { what: 'a stalledInterval of 0', options: { stalledInterval: 0 }, message: 'stalledInterval must be a whole number >= 100 ms; got 0.' },
  ];
  for (const { what, options, message } of refused) {
    it(`stalled checks stay on: refuses ${what} before connecting`, async () => {
      const client = createQueueClient({ queues: faultQueues, connection: redis().url, prefix: uniquePrefix() });
      cleanup(() => client.close());
      await client.queue('work').count(); // the producer connection is up before counting
      const before = await redis().clientCount();
      const error = await startWorkers({ client, handlers: [handlers(faultQueues, 'work', quietHandlers)], handleSignals: false, ...options })
        .then(() => undefined, (caught: unknown) => caught);
      expect(error).to.be.instanceOf(ConfigurationError);
      expect((error as Error).message).to.contain(message);
      expect(await redis().clientCount(), 'Redis clients').to.equal(before);
    });
  }
});

const quietHandlers = {
  quick: async () => ({ pid: process.pid }),
  hold: async () => ({ pid: process.pid }),
  throwOnShutdown: async () => {
    throw new Error('unused');
  },
  fanOutOnShutdown: async () => ({ followUps: [] }),
  followUp: async (job: { data: { parent: string; index: number } }) => job.data,
};

/** The longest a killed worker's job can stay active: its lock runs out, then two stalled checks. */
function lockAndChecks({ lockDuration, stalledInterval }: { lockDuration: number; stalledInterval: number }): number {
  return lockDuration + 2 * stalledInterval;
}
