import { expect } from 'chai';
import type { NodeChild } from './support/child-process';
import { isLine, startFaultProcess, waitForRoles, webPort } from './support/fault-children';
import { uniquePrefix, useCleanup } from './support/harness';
import { pollUntil } from './support/poll';
import { RedisServer } from './support/redis-server';

const strict = ['--unhandled-rejections=strict'];

describe('C25: no crash through Redis outages', () => {
  const cleanup = useCleanup();

  it('C25: web and worker processes under --unhandled-rejections=strict survive Redis absent at boot, down while idle and down while busy, and serve again after each', async function () {
    this.timeout(90_000);
    // An AOF, so job ids keep counting across restarts and each answer names one job.
    const server = await RedisServer.unstarted([], { persist: true });
    cleanup(() => server.destroy());
    const prefix = uniquePrefix();
    const web = await startFaultProcess({ url: server.url, prefix, roles: ['web', 'bus'] }, { nodeOptions: strict, waitForReady: false });
    const worker = await startFaultProcess({ url: server.url, prefix, roles: ['worker', 'bus'], worker: { concurrency: 4, shutdownTimeout: 5000 } }, { nodeOptions: strict, waitForReady: false });
    const alive = watchExits(web, worker);
    cleanup(() => web.stop());
    cleanup(() => worker.stop());
    await waitForRoles(web, ['web']);
    const post = (name: string, body: object) => postJson(`http://127.0.0.1:${webPort(web)}/jobs/${name}`, body);

    /** Redis is away: the web answers 503 and both processes have met the outage (and still run). */
    async function outageSeen(phase: string): Promise<void> {
      const linesBefore = worker.lines.length;
      const answer = await post('quick', { n: 0 });
      expect(answer.status, `${phase}: POST while Redis is away`).to.equal(503);
      expect(answer.body.error.code).to.equal('QW_QUEUE_UNAVAILABLE');
      // The worker process met the outage too: its connection, if it was up, has dropped (at boot it
      // never came up; after a short outage it may still be reconnecting from the last one).
      const connection = worker.lines.slice(0, linesBefore).filter((line) => isLine(line, 'redis:close') || isLine(line, 'redis:ready')).at(-1);
      if (connection && isLine(connection, 'redis:ready')) {
        await worker.waitFor(() => worker.lines.slice(linesBefore).some((line) => isLine(line, 'redis:close')) || undefined, `${phase}: the worker process losing Redis`);
      }
      alive(phase);
    }

    /** Redis is back: a POST is accepted again, the worker runs the job, and both buses see it complete. */
    async function servesAgain(phase: string): Promise<void> {
      const accepted = await pollUntil(() => post('quick', { n: 1 }), (answer) => answer.status === 202, { timeout: 15_000, interval: 100 });
      expect(accepted.status, `${phase}: POST after Redis returned`).to.equal(202);
      const jobId = accepted.body.id as string;
      for (const child of [web, worker]) {
        await child.waitForLine((line) => isLine(line, 'bus:completed', { jobId }), `${phase}: job ${jobId} completed on the bus of ${child.pid}`, 15_000);
      }
      alive(phase);
    }

    // Boot: nothing listens on the Redis port yet.
    await outageSeen('boot');
    await server.resume();
    await waitForRoles(worker, ['worker', 'bus'], 15_000);
    await waitForRoles(web, ['bus'], 15_000);
    await servesAgain('boot');

    // Idle.
    await server.stop();
    await outageSeen('idle');
    await server.resume();
    await servesAgain('idle');

    // Busy: jobs that take a while are running when Redis dies, and requests keep coming.
    const busy = await Promise.all(Array.from({ length: 8 }, (_, index) => post('hold', { firstRunMs: 300 + index * 50 })));
    expect(busy.map((answer) => answer.status)).to.deep.equal(Array(8).fill(202));
    await worker.waitFor(() => (worker.events('job-started').length >= 4 ? true : undefined), 'busy: jobs running');
    await server.stop();
    await outageSeen('busy');
    await server.resume();
    await servesAgain('busy');
    // The jobs that were running finish too (or come back through stalled recovery, by BullMQ's default lock).
    for (const answer of busy) {
      await worker.waitForLine((line) => isLine(line, 'bus:completed', { jobId: answer.body.id }), `busy job ${answer.body.id} completing`, 45_000);
    }

    // Still the same two processes; the worker shuts down cleanly on SIGTERM.
    alive('end');
    worker.kill('SIGTERM');
    expect(await worker.exited).to.deep.equal({ code: 0, signal: null });
    expect(web.stderr + worker.stderr).not.to.match(/Unhandled|unhandled|uncaught/);
  });
});

/** Returns a check that fails, naming the phase and the output, once either child has exited. */
function watchExits(...children: NodeChild[]): (phase: string) => void {
  const exits = new Map<NodeChild, unknown>();
  for (const child of children) void child.exited.then((exit) => exits.set(child, exit));
  return (phase) => {
    for (const [child, exit] of exits) {
      throw new Error(`${phase}: process ${child.pid} exited ${JSON.stringify(exit)}\n--- stderr ---\n${child.stderr}`);
    }
  };
}

async function postJson(url: string, body: object): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    throw new Error(`POST ${url}: ${response.status} with a body that is not JSON: ${text}`);
  }
}
