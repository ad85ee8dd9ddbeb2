import { setTimeout as delay } from 'node:timers/promises';
import { handlers } from 'queuewire';
import { queues, type TextReport } from './queues';

export interface AnalyseOptions {
  /** Pause after each tenth of the text, so a person can watch the progress bar move. Default 300 ms. */
  stepDelayMs?: number;
}

/**
 * The `text` queue's handlers: `analyse` counts words in ten steps and reports progress (10, 20, …,
 * 100) after each, which the progress page shows live through the job's event stream.
 */
export function textHandlers({ stepDelayMs = 300 }: AnalyseOptions = {}) {
  return handlers(queues, 'text', {
    analyse: async (job): Promise<TextReport> => {
      const words = job.data.text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
      const counts = new Map<string, number>();
      const steps = 10;
      for (let step = 1; step <= steps; step++) {
        for (const word of words.slice(Math.floor(((step - 1) * words.length) / steps), Math.floor((step * words.length) / steps))) {
          counts.set(word, (counts.get(word) ?? 0) + 1);
        }
        await delay(stepDelayMs); // stands in for real work
        await job.updateProgress(step * 10);
      }
      const topWords = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5).map(([word, count]) => ({ word, count }));
      return { words: words.length, characters: job.data.text.length, topWords };
    },
  });
}

export default textHandlers();
