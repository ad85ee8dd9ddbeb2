import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { handlers } from 'queuewire';
import { queues, type RenderProgress } from './queues';
import { countWords, extractHeadings, titleOf } from './render';

const gzipAsync = promisify(gzip);

/**
 * The `documents` queue's handlers. Loaded by worker.ts, or by the CLI:
 * `queuewire worker --queues dist/examples/express/queues.js --handlers dist/examples/express/handlers.js`
 */
const documents = handlers(queues, 'documents', {
  render: async (job, { signal }) => {
    const report = async (progress: RenderProgress): Promise<void> => {
      // A cancelled job or a worker forced to close stops between stages instead of finishing the work.
      signal?.throwIfAborted();
      await job.updateProgress(progress);
    };
    // marked is published as ES modules only; import() loads it from this CommonJS build (once, then cached).
    const { marked } = await import('marked');
    const html = marked.parse(job.data.markdown, { async: false, gfm: true });
    await report({ stage: 'html', percent: 25 });

    const headings = extractHeadings(html);
    await report({ stage: 'headings', percent: 50 });

    const words = countWords(html);
    await report({ stage: 'words', percent: 75 });

    const htmlBuffer = Buffer.from(html, 'utf8');
    const gzipped = await gzipAsync(htmlBuffer, { level: 9 });
    await report({ stage: 'gzip', percent: 100 });

    return {
      title: titleOf(headings),
      headings: headings.map((heading) => heading.text),
      words,
      htmlBytes: htmlBuffer.byteLength,
      gzipBytes: gzipped.byteLength,
    };
  },
});

export default documents;
export { documents };
