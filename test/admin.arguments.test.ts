import { expect } from 'chai';
import { ClosedError, InvalidAdminArgumentError, UnknownQueueError, type QueueAdmin } from '../lib/index';
import { clientWithoutRedis, refusal } from './support/before-redis';
import { useCleanup } from './support/harness';

// Nothing listens on the client's port: every refusal below happens before Redis is asked anything.
describe('queue admin input checks (before Redis is touched)', () => {
  const cleanup = useCleanup();
  let admin: QueueAdmin;

  beforeEach(async () => {
    // The tests pass what the types forbid on purpose, so they use the admin untyped.
    admin = (await clientWithoutRedis(cleanup)).admin as unknown as QueueAdmin;
  });

  async function invalid(call: () => Promise<unknown>, mentions: string): Promise<void> {
    const error = await refusal(call);
    expect(error, mentions).to.be.instanceOf(InvalidAdminArgumentError);
    expect(error.code).to.equal('QW_INVALID_ADMIN_ARGUMENT');
    expect(error.message).to.include(mentions);
  }

  it('an unknown queue → UnknownQueueError listing the declared queues, for every method', async () => {
    const calls: Array<(queue: string) => Promise<unknown>> = [
      (queue) => admin.counts(queue), (queue) => admin.pause(queue), (queue) => admin.resume(queue),
      (queue) => admin.isPaused(queue), (queue) => admin.getJob(queue, '1'), (queue) => admin.listJobs(queue, 'failed'),
      (queue) => admin.retry(queue, '1'), (queue) => admin.retryFailed(queue),
      (queue) => admin.clean(queue, 'completed', { olderThan: 0 }), (queue) => admin.drain(queue),
    ];
    for (const queue of ['nope', '__proto__', 'constructor']) {
      for (const call of calls) {
        const error = await refusal(() => call(queue));
        expect(error, queue).to.be.instanceOf(UnknownQueueError);
        expect(error.message).to.include(`"${queue}"`).and.include('email, echo');
      }
    }
  });

  it('job ids: empty, not a string or too long are refused', async () => {
    await invalid(() => admin.getJob('echo', ''), 'admin.getJob("echo"): the job id must be a non-empty string');
    await invalid(() => admin.getJob('echo', 42 as never), 'got 42');
    await invalid(() => admin.retry('echo', 'x'.repeat(5000)), 'admin.retry("echo"): the job id');
  });

  it('listJobs: an unknown state, and pages that are negative, reversed, fractional or over 100 jobs are refused', async () => {
    await invalid(() => admin.listJobs('echo', 'wait' as never), 'state must be one of waiting, prioritized, delayed, active, waiting-children, completed, failed; got "wait"');
    await invalid(() => admin.listJobs('echo', 'failed', { start: -1 }), 'start must be a whole number >= 0; got -1');
    await invalid(() => admin.listJobs('echo', 'failed', { start: 5, end: 4 }), 'end must be a whole number >= 5; got 4');
    await invalid(() => admin.listJobs('echo', 'failed', { end: 1.5 }), 'end must be a whole number');
    await invalid(() => admin.listJobs('echo', 'failed', { start: 0, end: 100 }), 'a page holds at most 100 jobs');
    await invalid(() => admin.listJobs('echo', 'failed', { from: 0 } as never), 'unknown option "from". Known options: start, end');
    await invalid(() => admin.listJobs('echo', 'failed', 'all' as never), 'options must be an object');
  });

  it('retryFailed: count must be 1 to 1000', async () => {
    await invalid(() => admin.retryFailed('echo', { count: 0 }), 'count must be a whole number from 1 to 1000; got 0');
    await invalid(() => admin.retryFailed('echo', { count: 1001 }), 'got 1001');
    await invalid(() => admin.retryFailed('echo', { limit: 5 } as never), 'unknown option "limit"');
  });

  it('clean: only cleanable states, a required whole olderThan, limit 1 to 10 000', async () => {
    await invalid(() => admin.clean('echo', 'active' as never, { olderThan: 0 }), 'state must be one of completed, failed, delayed, waiting, prioritized; got "active"');
    await invalid(() => admin.clean('echo', 'waiting-children' as never, { olderThan: 0 }), 'got "waiting-children"');
    await invalid(() => admin.clean('echo', 'completed', undefined as never), 'pass { olderThan }');
    await invalid(() => admin.clean('echo', 'completed', {} as never), 'olderThan is required');
    await invalid(() => admin.clean('echo', 'completed', { olderThan: -1 }), 'olderThan must be a whole number >= 0');
    await invalid(() => admin.clean('echo', 'completed', { olderThan: 0, limit: 0 }), 'limit must be a whole number from 1 to 10000');
    await invalid(() => admin.clean('echo', 'completed', { olderThan: 0, limit: 10_001 }), 'got 10001');
    await invalid(() => admin.clean('echo', 'completed', { olderThan: 0, grace: 1 } as never), 'unknown option "grace"');
  });

  it('drain: delayed must be a boolean', async () => {
    await invalid(() => admin.drain('echo', { delayed: 'yes' } as never), 'delayed must be true or false; got "yes"');
    await invalid(() => admin.drain('echo', { all: true } as never), 'unknown option "all"');
  });

  it('a closed client refuses every call with ClosedError', async () => {
    const client = await clientWithoutRedis(cleanup);
    await client.close();
    expect(await refusal(() => client.admin.pause('echo'))).to.be.instanceOf(ClosedError);
    expect(await refusal(() => client.admin.overview())).to.be.instanceOf(ClosedError);
  });
});
