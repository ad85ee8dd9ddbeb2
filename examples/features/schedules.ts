// Schedules: recurring jobs declared in the definition and written to Redis by the workers at start.
// Run: REDIS_URL=redis://127.0.0.1:6379 node dist/examples/features/schedules.js (Ctrl-C stops it).
import { createQueueClient, defineQueues, handlers, job, SCHEDULER_ID_PREFIX, startWorkers } from '../../lib/index';

export const queues = defineQueues({
  maintenance: {
    jobs: {
      purgeSessions: job<{ olderThanDays: number }, { purged: number }>(),
      heartbeat: job<{ service: string }, { at: string }>(),
    },
    schedules: {
      // 03:00 every day, Paris time; data is typed by the job name, options merge over the defaults.
      nightlyPurge: { job: 'purgeSessions', data: { olderThanDays: 30 }, pattern: '0 3 * * *', tz: 'Europe/Paris', options: { attempts: 3 } },
      // Every 10 s, the first run at once.
      heartbeat: { job: 'heartbeat', data: { service: 'api' }, every: 10_000 },
    },
  },
});

export const maintenance = handlers(queues, 'maintenance', {
  purgeSessions: async (job) => ({ purged: await deleteSessionsOlderThan(job.data.olderThanDays) }),
  heartbeat: async () => ({ at: new Date().toISOString() }),
});

// Stands in for your session store: deletes sessions older than `days` and says how many it deleted.
async function deleteSessionsOlderThan(_days: number): Promise<number> {
  return 0;
}

/** Starts the workers (which write the schedules) and lists what Redis now holds. */
export async function main(connection = process.env.REDIS_URL, handleSignals = true) {
  const client = createQueueClient({ queues, connection });
  // Logs what it did with each schedule (created, updated, unchanged, ended, removed); group.schedules says the same.
  const group = await startWorkers({ client, handlers: [maintenance], handleSignals });

  // The schedulers queuewire owns are BullMQ Job Schedulers named queuewire:<schedule id>.
  const schedulers = await client.queue('maintenance').getJobSchedulers();
  for (const scheduler of schedulers.filter((found) => found.key.startsWith(SCHEDULER_ID_PREFIX))) {
    console.log(`${scheduler.key} → ${scheduler.name}, next run ${new Date(scheduler.next!).toISOString()}`);
  }
  return { client, group, schedulers };
}

if (require.main === module) void main();
