import { expect } from 'chai';
import { UnrecoverableError, type Job } from 'bullmq';
import { JobCancelledError } from '../lib/index';
import { JobAttempt } from '../lib/workers/job-attempt';

// A cancel can reach the worker while it holds the job but has not called the handler yet (its data is
// still being validated by an async schema). No test covered that path; before fbcf113 it still called
// the handler, and one that settled at once completed the job as if it had never been cancelled. (A test
// through Redis cannot time the cancel message against the end of validation without sleeping, so this
// one drives the JobAttempt the router makes for each job.)
describe('workers: a job cancelled before its handler was called', () => {
  it('fails with the cancel error and never calls the handler', async () => {
    const attempt = new JobAttempt('mail', { id: '7', name: 'send' } as Job);
    attempt.cancel('user left');
    let calls = 0;
    const error = await attempt.run(undefined, async () => {
      calls++;
      return 'sent';
    }).then(() => undefined, (thrown: unknown) => thrown);
    expect(error).to.be.instanceOf(UnrecoverableError);
    expect((error as Error).cause).to.be.instanceOf(JobCancelledError);
    expect((error as Error).message).to.include('was cancelled: user left');
    expect(calls, 'handler calls').to.equal(0);
  });
});
