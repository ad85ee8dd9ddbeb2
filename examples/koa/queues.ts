import { defineQueues, job } from 'queuewire';

/** What the page submits: the text, and the visitor the job belongs to (from a cookie, not the client). */
export interface AnalyseInput {
  owner: string;
  text: string;
}

export interface TextReport {
  words: number;
  characters: number;
  topWords: Array<{ word: string; count: number }>;
}

export const queues = defineQueues({
  text: {
    jobs: {
      analyse: job<AnalyseInput, TextReport>(),
    },
    defaults: { attempts: 2 },
  },
});

declare module 'queuewire' {
  interface Register {
    queues: typeof queues;
  }
}
