import { expect } from 'chai';
import { createQueueClient } from '../lib/index';
import { fixturePath, NodeChild } from './support/child-process';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { queues } from './support/queues';

describe('workers: signal handling (handleSignals default)', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  async function startWorkerProcess(shutdownTimeout: number) {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    const child = new NodeChild(fixturePath('worker-process'), [redis().url, prefix, String(shutdownTimeout)]);
    cleanup(() => child.stop());
    await child.waitForLine((line) => typeof line === 'object' && line.event === 'ready', 'ready line');
    return { client, child };
  }

  it('SIGTERM while a job runs: the job finishes, then the process exits 0', async () => {
    const { client, child } = await startWorkerProcess(10_000);
    const job = await client.producer.add('echo', 'slow', { ms: 300 });
    await child.waitForLine((line) => typeof line === 'object' && line.event === 'job-started', 'job-started line');
    child.kill('SIGTERM');

    expect(await child.exited).to.deep.equal({ code: 0, signal: null });
    expect(child.events('job-finished').map((line) => line.jobId)).to.deep.equal([job.id]);
    const stored = (await client.queue('echo').getJob(job.id!))!;
    expect(await stored.getState()).to.equal('completed');
    expect(stored.returnvalue).to.deep.equal({ slept: 300 });
    expect(child.stderr).to.equal('');
  });

  it('C12: SIGTERM with a job longer than shutdownTimeout: exits 1 after the deadline, naming the abandoned job', async () => {
    const { client, child } = await startWorkerProcess(200);
    const job = await client.producer.add('echo', 'slow', { ms: 60_000 });
    await child.waitForLine((line) => typeof line === 'object' && line.event === 'job-started', 'job-started line');
    const signalled = Date.now();
    child.kill('SIGTERM');

    expect(await child.exited).to.deep.equal({ code: 1, signal: null });
    expect(Date.now() - signalled, 'ms from SIGTERM to exit').to.be.below(5000);
    expect(child.stderr).to.contain(`shutdown deadline of 200 ms passed; abandoning 1 job(s) to stalled recovery: echo/${job.id}`);
    expect(child.events('job-finished')).to.deep.equal([]);
    expect(await client.queue('echo').getJobState(job.id!)).to.equal('active');
  });
});
