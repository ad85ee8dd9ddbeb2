import { defineQueues, job } from 'queuewire';

export const queues = defineQueues({
  email: {
    jobs: {
      welcome: job<{ to: string; name: string }, { messageId: string }>(),
      digest: job<{ userId: number }>(),
    },
  },
  reports: {
    jobs: {
      monthly: job<{ owner: string; month: string }, { url: string }>(),
    },
  },
});

declare module 'queuewire' {
  interface Register {
    queues: typeof queues;
  }
}

/** Stands for the application's session lookup. */
export declare function currentUserId(request: unknown): string | undefined;
