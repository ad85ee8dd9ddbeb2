import { defineQueues, job } from 'queuewire';

/** What a client sends to render: where the document came from and its Markdown source. */
export interface RenderInput {
  path: string;
  markdown: string;
}

/** What rendering one document produces; the HTML itself is measured, not stored. */
export interface RenderResult {
  /** Text of the first level-1 heading, else of the first heading; `null` when there is none. */
  title: string | null;
  /** Text of every heading (Markdown and raw HTML), in document order. */
  headings: string[];
  /** Words of the rendered text. */
  words: number;
  /** UTF-8 size of the HTML. */
  htmlBytes: number;
  /** Size of the gzipped HTML. */
  gzipBytes: number;
}

/** The stages a render job reports through `job.updateProgress()`, in order. */
export const RENDER_STAGES = ['html', 'headings', 'words', 'gzip'] as const;
export type RenderStage = (typeof RENDER_STAGES)[number];

/** The progress value of a render job: the stage just finished and the share of the work done. */
export interface RenderProgress {
  stage: RenderStage;
  percent: number;
}

/** Whether a progress event's data is a `RenderProgress` (progress data is stored JSON: check it). */
export function isRenderProgress(value: unknown): value is RenderProgress {
  const candidate = value as Partial<RenderProgress> | null;
  return typeof candidate === 'object' && candidate !== null
    && RENDER_STAGES.includes(candidate.stage as RenderStage) && typeof candidate.percent === 'number';
}

/** The example's one definition, shared by the web process and the worker process. */
export const queues = defineQueues({
  documents: {
    jobs: {
      render: job<RenderInput, RenderResult>(),
    },
    // Rendering is deterministic, so a failure is unlikely to pass on retry; one retry covers a
    // worker that died mid-job.
    defaults: { attempts: 2, backoff: { type: 'fixed', delay: 200 } },
  },
});

// Once per app: types req.queue in every route from this definition. Declaration merging is global to
// a TypeScript program, so this example compiles as its own program (tsconfig.json here), as an app would.
declare module 'queuewire' {
  interface Register {
    queues: typeof queues;
  }
}
