import { expect } from 'chai';
import type { Job } from 'bullmq';
import { routeJobs } from '../lib/workers/job-router';
import { echoHandlers } from './support/queues';

// Found in review of fbcf113: a job whose lock was lost (Redis away, a blocked loop) comes back through
// stalled recovery and may be handed to the same worker while its first run still goes on. The router
// keys its running attempts (what a cancel reaches and a shutdown names) by job id, and the first
// run's end deleted the second's entry: the second run could no longer be cancelled
// and a shutdown past its deadline would not name it. (Timing that through Redis needs a lost lock at a
// chosen moment, so this drives the router with two deliveries of one job.)
describe('workers: one job delivered twice to the same worker', () => {
  it('the end of the first run leaves the second cancellable and active', async () => {
    const release: Array<() => void> = [];
    const registry = echoHandlers({ value: async () => new Promise<unknown>((resolve) => release.push(() => resolve(null))) });
    const route = routeJobs(registry);
    const delivery = (): Job => ({ id: '7', name: 'value', data: { value: 1 }, opts: {}, attemptsMade: 0, updateProgress: async () => undefined } as unknown as Job);
    const first = route(delivery());
    const second = route(delivery()).catch((error: Error) => error);
    await new Promise((resolve) => setImmediate(resolve)); // both handlers called
    expect(release).to.have.length(2);
    release[0]!();
    await first;
    expect([...route.running()], 'running ids (what a shutdown names) after the first run ended').to.deep.equal(['7']);
    expect(route.cancel('7', 'stop'), 'cancel reached the second run').to.equal(true);
    expect(((await second) as Error).message).to.include('was cancelled: stop');
  });
});
