import { expect } from 'chai';
import { createQueueClient } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { isLine, startFaultProcess } from './support/fault-children';
import { faultQueues } from './support/fault-queues';
import { uniquePrefix, useCleanup } from './support/harness';
import { pollUntil } from './support/poll';
import { recordingLogger } from './support/recording-logger';
import { RedisServer } from './support/redis-server';

// "Within seconds": from Redis answering again (or the kill) until a new job has been processed and its
// `completed` event reached the bus of this process and of another one.
const RECOVERY_BOUND_MS = 8000;

describe('C24: Redis restarts and dropped connections, with no restart of the app', () => {
  const cleanup = useCleanup();

  /**
   * A Redis, a worker process, a bus in another process, and this process's client and bus. Each
   * `served(label)` proves the whole loop works: a new job is accepted, processed by the worker
   * process, and its `completed` event reaches both buses.
   */
  async function setUp(options: { persist?: boolean } = {}) {
    const server = await RedisServer.start([], options);
    cleanup(() => server.destroy());
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues: faultQueues, connection: server.url, prefix, logger: recordingLogger(), producerTimeout: 500 });
    cleanup(() => client.close());
    await client.events.ready();
    const [worker, busProcess] = await Promise.all([
      // A job running when Redis dies may have its completion lost with the connection; it comes back
      // through stalled recovery, so keep that short enough for the test to see it complete.
      startFaultProcess({ url: server.url, prefix, roles: ['worker'], worker: { concurrency: 4, lockDuration: 2000, stalledInterval: 500 } }),
      startFaultProcess({ url: server.url, prefix, roles: ['bus'] }),
    ]);
    cleanup(() => worker.stop());
    cleanup(() => busProcess.stop());

    async function served(label: string): Promise<number> {
      const started = Date.now();
      // Ids restart at 1 when Redis restarts empty: a named id cannot be confused with an earlier job.
      const jobId = `probe-${label}`;
      const completedHere = nextEvent(client.events, 'work:completed', (event) => event.jobId === jobId);
      // The producer fails fast while it reconnects: try again until Redis takes the job.
      const accepted = await pollUntil(
        () => client.producer.add('work', 'quick', { n: 0 }, { jobId }).then(() => true, () => false),
        Boolean,
        { timeout: RECOVERY_BOUND_MS, interval: 50 },
      );
      expect(accepted, `${label}: the producer accepts jobs again`).to.equal(true);
      const event = await within(completedHere, RECOVERY_BOUND_MS, `${label}: completed on this process's bus`);
      expect(event.returnvalue, 'processed by the worker process').to.deep.equal({ pid: worker.pid });
      await busProcess.waitForLine((line) => isLine(line, 'bus:completed', { jobId }), `${label}: completed on the other process's bus`, RECOVERY_BOUND_MS);
      return Date.now() - started;
    }

    await served('before');
    return { server, client, worker, busProcess, served };
  }

  it('C24: Redis restarts (empty) while workers and buses are idle', async function () {
    this.timeout(40_000);
    const { server, served } = await setUp();
    await server.stop();
    await server.resume();
    expect(await served('after-idle-restart')).to.be.below(RECOVERY_BOUND_MS);
  });

  it('C24: Redis restarts while jobs flow (AOF): new jobs run again within seconds and every accepted job completes', async function () {
    this.timeout(60_000);
    const { server, client, served } = await setUp({ persist: true });
    const accepted: string[] = [];
    let refused = 0;
    let flowing = true;
    const flow = (async () => {
      for (let n = 0; flowing; n++) {
        await client.producer.add('work', 'quick', { n }).then((job) => accepted.push(job.id!), () => refused++);
      }
    })();
    cleanup(async () => {
      flowing = false;
      await flow;
    });
    // Busy: jobs are being added and processed when Redis dies.
    const completedBefore = await pollUntil(() => client.queue('work').getCompletedCount(), (count) => count >= 50, { timeout: 10_000 });
    expect(completedBefore).to.be.at.least(50);
    await server.stop();
    await server.resume();
    const recovery = await served('after-busy-restart');
    flowing = false;
    await flow;
    expect(recovery).to.be.below(RECOVERY_BOUND_MS);

    // Redis kept every job it acknowledged (appendfsync always): all of them complete.
    const states = await pollUntil(
      async () => {
        const completed = new Set((await client.queue('work').getCompleted(0, -1)).map((job) => job.id));
        return accepted.filter((id) => !completed.has(id));
      },
      (missing) => missing.length === 0,
      { timeout: 15_000, interval: 200 },
    );
    expect(states, `accepted jobs not completed (of ${accepted.length}; ${refused} adds refused during the outage)`).to.deep.equal([]);
  });

  it('C24: CLIENT KILL TYPE normal drops every connection of every process; all of them come back', async function () {
    this.timeout(40_000);
    const { server, served } = await setUp();
    const admin = server.connect();
    cleanup(() => admin.disconnect());
    const killed = await admin.call('CLIENT', 'KILL', 'TYPE', 'normal');
    expect(killed, 'connections killed').to.be.at.least(7);
    expect(await served('after-kill-all')).to.be.below(RECOVERY_BOUND_MS);
  });

  it('C24: CLIENT KILL ID of each blocked connection (worker BZPOPMIN, bus XREAD) while they block', async function () {
    this.timeout(40_000);
    const { server, served } = await setUp();
    const admin = server.connect();
    cleanup(() => admin.disconnect());
    const blocked = await pollUntil(async () => parseClients(String(await admin.client('LIST'))).filter((entry) => entry.flags.includes('b')), (list) => list.length >= 3);
    // The worker's BZPOPMIN, this process's XREAD and the bus process's XREAD.
    expect(blocked.map((entry) => entry.cmd).sort()).to.deep.equal(['bzpopmin', 'xread', 'xread']);
    for (const entry of blocked) expect(await admin.call('CLIENT', 'KILL', 'ID', entry.id), `kill ${entry.cmd}`).to.equal(1);
    expect(await served('after-kill-blocked')).to.be.below(RECOVERY_BOUND_MS);
  });

  it('C24: Redis stays down longer than every blocking timeout (11 s), then returns', async function () {
    this.timeout(60_000);
    const { server, served } = await setUp();
    await server.stop();
    // The outage itself: longer than the bus's 10 s XREAD block and BullMQ's 5 s BZPOPMIN.
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    await server.resume();
    expect(await served('after-long-outage')).to.be.below(RECOVERY_BOUND_MS);
  });
});

function parseClients(list: string): Array<{ id: string; flags: string; cmd: string; name: string }> {
  return list.trim().split('\n').map((line) => {
    const fields = Object.fromEntries(line.split(' ').map((pair) => pair.split('=') as [string, string]));
    return { id: fields.id!, flags: fields.flags!, cmd: fields.cmd!, name: fields.name ?? '' };
  });
}

function within<Value>(promise: Promise<Value>, ms: number, what: string): Promise<Value> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
