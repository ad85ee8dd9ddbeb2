import { defineQueues, job } from '../../lib/index';

/** Milliseconds between the runs of the `tick` schedule: short, so a test sees many runs in seconds. */
export const TICK_EVERY = 300;

/** The definition of the schedule restart tests (C39): one queue whose `tick` job is scheduled every TICK_EVERY ms. */
export const scheduleQueues = defineQueues({
  clock: {
    jobs: { tick: job<{ source: string }, { pid: number }>() },
    schedules: { tick: { job: 'tick', data: { source: 'schedule' }, every: TICK_EVERY } },
  },
});
