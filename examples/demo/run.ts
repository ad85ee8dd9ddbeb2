import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createQueueClient } from 'queuewire';
import { isRenderProgress, queues, type RenderResult } from '../express/queues';
import { Cleanup } from './cleanup';
import { DemoError } from './demo-error';
import { findReadmes, type DemoDocument } from './documents';
import { startNode } from './processes';
import { progressDisplay } from './progress';
import { findRedis, removeKeys } from './redis';
import { formatBytes, formatCount, formatMs, percentile } from './stats';

/**
 * `npm run demo`: sends every README.md under node_modules to the express example over HTTP
 * (POST /documents), lets a separate worker process render them, follows every job on the event bus,
 * and prints throughput and latency. It leaves nothing behind: its children exit, its keys (under a
 * fresh prefix) are deleted, a private redis-server it started is stopped.
 *
 * Environment: DEMO_LIMIT (send only the first n READMEs), DEMO_CONCURRENCY (jobs at once in the
 * worker, default 4), REDIS_URL / DEMO_REDIS=private (see findRedis in redis.ts).
 */

const root = join(__dirname, '..', '..', '..');
const dist = join(__dirname, '..', '..');
const POSTS_IN_FLIGHT = 16;
const STALL_MS = 30_000;

interface DemoOptions {
  limit: number | undefined;
  concurrency: number;
}

export async function main(): Promise<number> {
  const options = readOptions();
  const cleanup = new Cleanup();
  process.on('exit', () => cleanup.killAll());
  const interrupt = (signal: NodeJS.Signals): void => {
    const code = signal === 'SIGINT' ? 130 : 143;
    process.on(signal, () => {
      cleanup.killAll();
      process.exit(code);
    });
    console.error(`\ndemo: ${signal}, stopping its web server, worker and Redis; again to force…`);
    cleanup.run().then(() => process.exit(code));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    return await run(options, cleanup);
  } finally {
    await cleanup.run();
  }
}

async function run(options: DemoOptions, cleanup: Cleanup): Promise<number> {
  console.log('queuewire demo: README.md files from node_modules → POST /documents → a worker renders them → progress from the event bus\n');
  const redis = await findRedis(cleanup);
  const documents = await findReadmes(root, options.limit);
  if (documents.length === 0) throw new DemoError(`No README.md under ${join(root, 'node_modules')}; run npm install first.`);
  const prefix = `qwdemo-${randomUUID().slice(0, 8)}`;

  let removedKeys: number | undefined;
  if (redis.origin !== 'private') {
    cleanup.add(async () => {
      removedKeys ??= await removeKeys(redis.url, prefix);
    });
  }
  const client = createQueueClient({ queues, connection: redis.url, prefix });
  cleanup.add(() => client.close());

  const [worker, web] = await Promise.all([
    startNode('worker', [
      join(dist, 'lib', 'cli.js'), 'worker',
      '--queues', join(dist, 'examples', 'express', 'queues.js'),
      '--handlers', join(dist, 'examples', 'express', 'handlers.js'),
      '--redis', redis.url, '--prefix', prefix, '--concurrency', String(options.concurrency),
    ], {}, /serving documents/, cleanup),
    startNode('web', [join(dist, 'examples', 'express', 'web.js')],
      { PORT: '0', REDIS_URL: redis.url, QUEUE_PREFIX: prefix }, /listening on (http:\/\/\S+)/, cleanup),
  ]);
  const baseUrl = web.ready[1]!;
  const markdownBytes = documents.reduce((sum, doc) => sum + Buffer.byteLength(doc.markdown), 0);
  const redisOrigin = { REDIS_URL: 'from REDIS_URL', local: 'already running', private: 'private redis-server, started for this run' }[redis.origin];
  console.log(`  redis      ${redis.display} (${redisOrigin}); keys under prefix ${prefix}`);
  console.log(`  documents  ${documents.length} README files, ${formatBytes(markdownBytes)} of Markdown`);
  console.log(`  web        ${baseUrl} (pid ${web.process.pid})`);
  console.log(`  worker     pid ${worker.process.pid}, concurrency ${options.concurrency} (queuewire worker CLI)\n`);

  const tracker = new RunTracker(documents.length);
  const display = progressDisplay(documents.length);
  // On an interrupt too: the bar hides the cursor while it runs.
  cleanup.add(async () => display.stop());
  let latest = '';
  const refresh = (): void => display.update({ done: tracker.done, failed: tracker.failed, rate: tracker.rate(), latest });
  const busErrors: string[] = [];

  client.events.on('documents:progress', (event) => {
    tracker.heard();
    if (isRenderProgress(event.data)) latest = `${event.data.stage} ${packageOf(tracker.pathOf(event.jobId)) ?? `job ${event.jobId}`}`;
    refresh();
  });
  client.events.on('documents:completed', (event) => {
    tracker.finished(event.jobId, { result: event.returnvalue });
    refresh();
  });
  client.events.on('documents:failed', (event) => {
    tracker.finished(event.jobId, { failure: event.failedReason });
    refresh();
  });
  client.events.on('error', (error) => {
    busErrors.push(error.message);
  });
  // Every event written from here on reaches the listeners: no job can finish unseen.
  await client.events.ready();

  try {
    await Promise.race([
      sendAll(baseUrl, documents, tracker).then(() => tracker.allFinished),
      worker.unexpectedExit,
      web.unexpectedExit,
      tracker.stalled(STALL_MS, () => `worker output:\n${worker.output()}`),
    ]);
  } finally {
    tracker.stopWatchdog();
    refresh();
    display.stop();
  }

  const [webExit, workerExit] = await Promise.all([web.stop(), worker.stop()]);
  await cleanup.run();

  const report = tracker.report();
  const latency = report.latencies;
  const lines = [
    '',
    'Summary',
    `  jobs        ${report.total} posted, ${report.completed} completed, ${report.failed} failed${report.rejected ? ` (${report.rejected} refused by the web app)` : ''}`,
    `  time        ${formatMs(report.elapsedMs)} from the first POST to the last job finished`,
    `  throughput  ${report.throughput.toFixed(1)} jobs/s`,
    `  latency     p50 ${formatMs(percentile(latency, 50))}, p95 ${formatMs(percentile(latency, 95))}, max ${formatMs(percentile(latency, 100))} (POST sent → completed event received, ${latency.length} jobs)`,
    `  rendered    ${formatBytes(report.htmlBytes)} of HTML → ${formatBytes(report.gzipBytes)} gzipped; ${formatCount(report.headings)} headings, ${formatCount(report.words)} words`,
    `  shutdown    web exited ${webExit}, worker exited ${workerExit}; ${redis.origin === 'private' ? 'private redis-server stopped' : `${removedKeys ?? '?'} keys under ${prefix} deleted`}`,
  ];
  for (const failure of report.failures.slice(0, 5)) lines.push(`  failure     ${failure}`);
  if (report.failures.length > 5) lines.push(`  …and ${report.failures.length - 5} more failures`);
  for (const error of busErrors.slice(0, 3)) lines.push(`  bus error   ${error}`);
  console.log(lines.join('\n'));
  return report.completed === report.total && webExit === 0 && workerExit === 0 ? 0 : 1;
}

/** POSTs every document, a few at a time, recording when each was sent and what the app answered. */
async function sendAll(baseUrl: string, documents: readonly DemoDocument[], tracker: RunTracker): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < documents.length) {
      const document = documents[next++]!;
      const sentAt = performance.now();
      tracker.sending(sentAt);
      try {
        const response = await fetch(`${baseUrl}/documents`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(document),
        });
        const body = (await response.json().catch(() => ({}))) as { id?: string; error?: { message?: string } };
        if (response.status === 202 && typeof body.id === 'string') tracker.accepted(body.id, document.path, sentAt);
        else tracker.refused(`${document.path}: HTTP ${response.status} ${body.error?.message ?? ''}`.trim());
      } catch (error) {
        tracker.refused(`${document.path}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(POSTS_IN_FLIGHT, documents.length) }, lane));
}

type Outcome = { result: RenderResult } | { failure: string };

/**
 * Joins the two halves of each job's story: the POST response (which names the job) and its final
 * event on the bus. Either may come first — a fast worker can finish a job before its 202 arrives.
 */
class RunTracker {
  completed = 0;
  failed = 0;
  private rejected = 0;
  private firstSent: number | undefined;
  private lastFinished: number | undefined;
  private readonly sentAt = new Map<string, number>();
  private readonly paths = new Map<string, string>();
  private readonly early = new Map<string, number>();
  private readonly latencies: number[] = [];
  private readonly failures: string[] = [];
  private readonly totals = { htmlBytes: 0, gzipBytes: 0, headings: 0, words: 0 };
  private resolveAll!: () => void;
  private watchdog: NodeJS.Timeout | undefined;
  /** Resolves once every document was either refused or finished. */
  readonly allFinished = new Promise<void>((resolve) => {
    this.resolveAll = resolve;
  });

  constructor(private readonly total: number) {}

  get done(): number {
    return this.completed + this.failed + this.rejected;
  }

  sending(at: number): void {
    this.firstSent ??= at;
    this.heard();
  }

  accepted(jobId: string, path: string, sentAt: number): void {
    this.heard();
    this.paths.set(jobId, path);
    const finishedAt = this.early.get(jobId);
    if (finishedAt === undefined) this.sentAt.set(jobId, sentAt);
    else {
      this.early.delete(jobId);
      this.latencies.push(finishedAt - sentAt);
    }
  }

  refused(reason: string): void {
    this.rejected += 1;
    this.failures.push(reason);
    this.settle(performance.now());
  }

  finished(jobId: string, outcome: Outcome): void {
    const at = performance.now();
    if ('result' in outcome) {
      this.completed += 1;
      this.totals.htmlBytes += outcome.result.htmlBytes;
      this.totals.gzipBytes += outcome.result.gzipBytes;
      this.totals.headings += outcome.result.headings.length;
      this.totals.words += outcome.result.words;
      const sentAt = this.sentAt.get(jobId);
      if (sentAt === undefined) this.early.set(jobId, at);
      else {
        this.sentAt.delete(jobId);
        this.latencies.push(at - sentAt);
      }
    } else {
      this.failed += 1;
      this.failures.push(`${this.paths.get(jobId) ?? `job ${jobId}`}: ${outcome.failure}`);
    }
    this.settle(at);
  }

  pathOf(jobId: string): string | undefined {
    return this.paths.get(jobId);
  }

  rate(): number {
    if (this.firstSent === undefined) return 0;
    const seconds = (performance.now() - this.firstSent) / 1000;
    return seconds > 0 ? (this.completed + this.failed) / seconds : 0;
  }

  /** Rejects when nothing at all happened for `ms` (no response, no event): a stuck run says so. */
  stalled(ms: number, detail: () => string): Promise<never> {
    return new Promise<never>((_, reject) => {
      this.watchdog = setTimeout(() => {
        reject(new DemoError(`No progress for ${ms / 1000} s with ${this.total - this.done} documents outstanding. ${detail()}`));
      }, ms);
    });
  }

  /** Something happened: the watchdog starts over. */
  heard(): void {
    this.watchdog?.refresh();
  }

  stopWatchdog(): void {
    clearTimeout(this.watchdog);
  }

  report() {
    const elapsedMs = this.firstSent !== undefined && this.lastFinished !== undefined ? this.lastFinished - this.firstSent : Number.NaN;
    return {
      total: this.total,
      completed: this.completed,
      failed: this.failed + this.rejected,
      rejected: this.rejected,
      elapsedMs,
      throughput: elapsedMs > 0 ? (this.completed / elapsedMs) * 1000 : 0,
      latencies: [...this.latencies],
      failures: [...this.failures],
      ...this.totals,
    };
  }

  private settle(at: number): void {
    this.heard();
    this.lastFinished = at;
    if (this.done >= this.total) this.resolveAll();
  }
}

/** `node_modules/@types/node/README.md` → `@types/node`. */
function packageOf(path: string | undefined): string | undefined {
  return path?.replace(/^.*node_modules\//, '').replace(/\/[^/]+$/, '');
}

function readOptions(): DemoOptions {
  const positive = (name: string, fallback: number | undefined): number | undefined => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new DemoError(`${name}=${raw}: use a whole number >= 1.`);
    return Number(raw);
  };
  return { limit: positive('DEMO_LIMIT', undefined), concurrency: positive('DEMO_CONCURRENCY', 4)! };
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`\ndemo: ${error instanceof DemoError ? error.message : error instanceof Error ? error.stack : String(error)}`);
      process.exit(1);
    },
  );
}
