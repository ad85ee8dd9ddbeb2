import { defineQueues, job } from 'queuewire';

export const queues = defineQueues({
  email: {
    jobs: {
      welcome: job<{ to: string; name: string }, { messageId: string }>(),
      digest: job<{ userId: number }>(),
    },
    defaults: { attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
  },
});

// Once per app: types req.queue in every route from this definition.
declare module 'queuewire' {
  interface Register {
    queues: typeof queues;
  }
}
