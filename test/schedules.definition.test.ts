import { expect } from 'chai';
import { z } from 'zod';
import { ConfigurationError, defineQueues, job } from '../lib/index';

// Schedules are checked by defineQueues() itself: a bad one stops the program where the definition is
// imported, before any client, worker or connection exists.
describe('schedules: the definition refuses a bad schedule, saying what is wrong and how to fix it', () => {
  const define = (schedules: unknown) => () => defineQueues({
    reports: {
      jobs: { daily: job<{ day: string }>(), cleanup: job(z.object({ olderThanDays: z.number() })) },
      schedules: schedules as never,
    },
  });

  it('accepts cron patterns (with a time zone), intervals, dates, a limit and job options', () => {
    const queues = define({
      nightly: { job: 'cleanup', data: { olderThanDays: 30 }, pattern: '0 3 * * *', tz: 'Europe/Paris', options: { attempts: 3 } },
      everySecond: { job: 'daily', data: { day: 'today' }, pattern: '* * * * * *', startDate: '2030-01-01T00:00:00Z' },
      often: { job: 'daily', data: { day: 'x' }, every: 60_000, startDate: new Date(0), endDate: 4_102_444_800_000, limit: 10 },
    })();
    expect(Object.keys(queues.definitions.reports.schedules!)).to.deep.equal(['nightly', 'everySecond', 'often']);
  });

  const refusals: Array<{ what: string; schedules: unknown; message: string }> = [
    { what: 'schedules that are not an object', schedules: [], message: 'queues.reports.schedules must be an object of schedule id → { job, data, pattern | every }' },
    { what: 'an id with a colon', schedules: { 'a:b': { job: 'daily', data: { day: 'x' }, every: 1000 } }, message: 'queues.reports.schedules: schedule id "a:b" is invalid: use a non-empty id without \':\' or surrounding spaces.' },
    { what: 'a schedule that is not an object', schedules: { a: 'daily' }, message: 'queues.reports.schedules.a must be an object { job, data, pattern | every }.' },
    { what: 'an unknown key', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 1000, immediately: true } }, message: 'queues.reports.schedules.a: unknown option "immediately". Known options: job, data, pattern, every, tz, startDate, endDate, limit, options.' },
    { what: 'an unknown job name', schedules: { a: { job: 'weekly', data: {}, every: 1000 } }, message: 'queues.reports.schedules.a: job "weekly" is not a job of queue "reports"; use one of: daily, cleanup.' },
    { what: 'both pattern and every', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 1000, pattern: '* * * * *' } }, message: 'queues.reports.schedules.a: give exactly one of pattern (a cron pattern, e.g. \'0 3 * * *\') or every (milliseconds between runs); it has both.' },
    { what: 'neither pattern nor every', schedules: { a: { job: 'daily', data: { day: 'x' } } }, message: 'it has neither.' },
    { what: 'a fractional every', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 1.5 } }, message: 'queues.reports.schedules.a: every must be a whole number of milliseconds from 1 to 2147483647; got 1.5.' },
    { what: 'every 0', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 0 } }, message: 'every must be a whole number of milliseconds from 1 to 2147483647; got 0.' },
    { what: 'every as a string', schedules: { a: { job: 'daily', data: { day: 'x' }, every: '1000' } }, message: 'got "1000".' },
    { what: 'a cron pattern with a field out of range', schedules: { a: { job: 'daily', data: { day: 'x' }, pattern: '61 * * * *' } }, message: 'queues.reports.schedules.a: pattern "61 * * * *" is not a valid cron pattern (Constraint error, got value 61 expected range 0-59); use 5 fields' },
    { what: 'a cron pattern that never fires', schedules: { a: { job: 'daily', data: { day: 'x' }, pattern: '0 0 30 2 *' } }, message: 'pattern "0 0 30 2 *" is not a valid cron pattern' },
    { what: 'an unknown time zone', schedules: { a: { job: 'daily', data: { day: 'x' }, pattern: '0 3 * * *', tz: 'Mars/Olympus' } }, message: 'queues.reports.schedules.a: tz "Mars/Olympus" is not a known IANA time zone; use one such as \'Europe/Paris\' or \'UTC\'.' },
    { what: 'a time zone with every', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 1000, tz: 'UTC' } }, message: 'queues.reports.schedules.a: tz applies to a cron pattern only; remove it (every counts milliseconds).' },
    { what: 'an unreadable date', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 1000, startDate: 'next monday' } }, message: 'queues.reports.schedules.a: startDate must be a Date, an ISO 8601 string or milliseconds since the epoch; got "next monday".' },
    { what: 'an end before the start', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 1000, startDate: 2000, endDate: 1000 } }, message: 'queues.reports.schedules.a: endDate must be after startDate.' },
    { what: 'a limit of 0', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 1000, limit: 0 } }, message: 'queues.reports.schedules.a: limit must be a whole number >= 1; got 0.' },
    { what: 'missing data', schedules: { a: { job: 'daily', every: 1000 } }, message: 'queues.reports.schedules.a: data is missing; give the data each job gets (e.g. data: {}).' },
    { what: 'data JSON would alter', schedules: { a: { job: 'daily', data: { day: new Date(0) }, every: 1000 } }, message: 'queues.reports.schedules.a: data.day is a Date, which JSON does not carry unchanged; schedule data must be plain JSON.' },
    { what: 'an unknown job option', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 1000, options: { attempt: 3 } } }, message: 'queues.reports.schedules.a.options: unknown job option "attempt".' },
    { what: 'a job id option', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 1000, options: { jobId: 'x' } } }, message: 'queues.reports.schedules.a.options: "jobId" cannot be set on a schedule, which sets each job\'s id and time itself; remove it.' },
    // Found in review: BullMQ's upsertJobScheduler refuses an empty pattern at start ("Either .pattern or
    // .every options must be defined"), a plain Error after global limits were written.
    { what: 'an empty pattern', schedules: { a: { job: 'daily', data: { day: 'x' }, pattern: '' } }, message: 'queues.reports.schedules.a: pattern must be a cron pattern string' },
    // BullMQ stores a scheduler's `data ?? {}`: null reaches the handler as {} and every start rewrites it.
    { what: 'null data', schedules: { a: { job: 'daily', data: null, every: 1000 } }, message: 'queues.reports.schedules.a: data is null' },
    // Above 2^53 BullMQ reads the limit back as another number, so every start rewrites the scheduler.
    { what: 'a limit beyond safe integers', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 1000, limit: 1e20 } }, message: 'queues.reports.schedules.a: limit must be a whole number >= 1' },
    { what: 'a delay option', schedules: { a: { job: 'daily', data: { day: 'x' }, every: 1000, options: { delay: 5 } } }, message: '"delay" cannot be set on a schedule' },
  ];
  for (const { what, schedules, message } of refusals) {
    it(`refuses ${what}`, () => {
      expect(define(schedules)).to.throw(ConfigurationError, message);
    });
  }
});
