import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import type { Express } from 'express';
import request from 'supertest';
import { createQueueClient, startWorkers, type HandlerRegistry, type QueueClient, type QueueSet } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';

// The example registers its own definition for req.queue (declaration merging is program-wide), so it
// is its own TypeScript program (examples/express/tsconfig.json) and is loaded here from the build.
const root = join(__dirname, '..', '..');
const built = join(root, 'dist', 'examples');

interface RenderResult {
  title: string | null;
  headings: string[];
  words: number;
  htmlBytes: number;
  gzipBytes: number;
}

const example = {
  queues: (require(join(built, 'express', 'queues.js')) as { queues: QueueSet }).queues,
  documents: (require(join(built, 'express', 'handlers.js')) as { default: HandlerRegistry }).default,
  createDocumentsApp: (require(join(built, 'express', 'web.js')) as {
    createDocumentsApp: (client: QueueClient, options?: { bodyLimit?: string; syncTimeout?: number }) => Express;
  }).createDocumentsApp,
};

const expressReadme = readFileSync(join(root, 'node_modules', 'express', 'Readme.md'), 'utf8');
const chaiReadme = readFileSync(join(root, 'node_modules', 'chai', 'README.md'), 'utf8');

/** The ATX headings (`## Text`) of a Markdown file outside fenced code: what a renderer must find. */
function atxHeadings(markdown: string): string[] {
  const headings: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      continue;
    }
    const heading = fence === undefined ? /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line) : null;
    if (heading) headings.push(heading[1]!);
  }
  return headings;
}

async function renderWithMarked(markdown: string): Promise<string> {
  const { marked } = await import('marked');
  return marked.parse(markdown, { async: false, gfm: true });
}

describe('express example (examples/express): documents rendered by a worker', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  function clientForTest(): QueueClient {
    const client = createQueueClient({ queues: example.queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    return client;
  }

  async function appWithWorker(): Promise<{ app: Express; client: QueueClient }> {
    const client = clientForTest();
    const group = await startWorkers({ client, handlers: [example.documents], handleSignals: false });
    cleanup(() => group.close());
    return { app: example.createDocumentsApp(client), client };
  }

  it('POST /documents/sync renders a real README and answers 200 with its headings, words and sizes', async () => {
    const { app } = await appWithWorker();
    const response = await request(app)
      .post('/documents/sync')
      .send({ path: 'node_modules/express/Readme.md', markdown: expressReadme })
      .expect(200);
    const result = response.body as RenderResult;
    const expected = atxHeadings(expressReadme);
    expect(expected).to.include.members(['Installation', 'Quick Start', 'License']);
    expect(result.headings).to.deep.equal(expected);
    // This README has no level-1 heading: the title falls back to its first heading.
    expect(result.title).to.equal(expected[0]);
    const html = await renderWithMarked(expressReadme);
    expect(result.htmlBytes).to.equal(Buffer.byteLength(html));
    expect(result.gzipBytes).to.equal(gzipSync(html, { level: 9 }).byteLength);
    expect(result.words).to.be.within(500, Buffer.byteLength(expressReadme) / 2);
  });

  it('takes the title from a raw-HTML <h1> (chai README), ignoring the logo inside it', async () => {
    const { app } = await appWithWorker();
    const response = await request(app)
      .post('/documents/sync')
      .send({ path: 'node_modules/chai/README.md', markdown: chaiReadme })
      .expect(200);
    expect((response.body as RenderResult).title).to.equal('chai');
  });

  it('POST /documents answers 202 { id }; the bus then reports every render stage in order and the result', async () => {
    const { app, client } = await appWithWorker();
    const stages: unknown[] = [];
    client.events.on('documents:progress', (event) => stages.push(event.data));
    const completed = new Promise<{ jobId: string; returnvalue: unknown }>((resolve) => client.events.once('documents:completed', resolve));
    await client.events.ready();

    const response = await request(app)
      .post('/documents')
      .send({ path: 'notes.md', markdown: '# Notes\n\n## First\n\nThree words here.\n' })
      .expect(202);
    expect(response.body).to.have.all.keys('id');
    const event = await completed;
    expect(event.jobId).to.equal(response.body.id);
    expect(event.returnvalue).to.include({ title: 'Notes', words: 5 });
    expect((event.returnvalue as RenderResult).headings).to.deep.equal(['Notes', 'First']);
    expect(stages).to.deep.equal([
      { stage: 'html', percent: 25 },
      { stage: 'headings', percent: 50 },
      { stage: 'words', percent: 75 },
      { stage: 'gzip', percent: 100 },
    ]);
  });

  it('refuses bad bodies with JSON errors (no path or markdown 400, malformed 400, over the limit 413), enqueuing nothing', async () => {
    const client = clientForTest();
    const app = example.createDocumentsApp(client, { bodyLimit: '1kb' });
    const response = await request(app).post('/documents').send({ path: 'a.md' }).expect(400);
    expect(response.body.error.code).to.equal('BAD_DOCUMENT');
    await request(app).post('/documents/sync').send({ markdown: '# x' }).expect(400);
    const malformed = await request(app).post('/documents').set('content-type', 'application/json').send('{"path":').expect(400);
    expect(malformed.body.error.code).to.equal('ENTITY_PARSE_FAILED');
    const large = await request(app).post('/documents').send({ path: 'a.md', markdown: 'x'.repeat(2048) }).expect(413);
    expect(large.body.error.code).to.equal('ENTITY_TOO_LARGE');
    const counts = await client.queue('documents').getJobCounts();
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).to.equal(0);
  });

  it('answers 504 QW_WAIT_TIMEOUT through queueErrorHandler when no worker renders in time', async () => {
    const client = clientForTest();
    const app = example.createDocumentsApp(client, { syncTimeout: 300 });
    const response = await request(app).post('/documents/sync').send({ path: 'a.md', markdown: '# A' }).expect(504);
    expect(response.body.error.code).to.equal('QW_WAIT_TIMEOUT');
  });

  it('worker.js runs as its own process, renders jobs, and exits 0 on SIGTERM', async () => {
    const prefix = uniquePrefix();
    const worker = spawn(process.execPath, [join(built, 'express', 'worker.js')], {
      env: { ...process.env, REDIS_URL: redis().url, QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: '2' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(worker, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    cleanup(() => {
      if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    });
    const lines = createInterface({ input: worker.stdout! });
    const serving = await new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => /serving documents/.test(line) && resolve(line));
      exited.then(([code]) => reject(new Error(`worker.js exited with ${code} before serving`)));
    });
    expect(serving).to.match(new RegExp(`^worker ${worker.pid}: serving documents \\(concurrency 2\\)$`));

    const client = createQueueClient({ queues: example.queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    const result = await client.producer.addAndWait('documents', 'render', { path: 'a.md', markdown: '# A\n\nb c' }, { timeout: 10_000 });
    expect(result).to.include({ title: 'A', words: 3 });

    worker.kill('SIGTERM');
    expect(await exited).to.deep.equal([0, null]);
  });
});

describe('npm run demo (examples/demo/run.ts)', () => {
  const redis = useRedisServer();
  const script = join(built, 'demo', 'run.js');

  /** Runs the built demo to its end with the given environment (stdout is a pipe, as in CI). */
  async function runDemo(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const base = { ...process.env };
    for (const name of ['REDIS_URL', 'DEMO_LIMIT', 'DEMO_REDIS', 'DEMO_CONCURRENCY']) delete base[name];
    const child = spawn(process.execPath, [script], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  }

  it('is what package.json runs after the build', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).to.equal('npm run build && node dist/examples/demo/run.js');
  });

  it('renders DEMO_LIMIT READMEs through web and worker processes, prints the summary, exits 0, leaves nothing behind', async function () {
    this.timeout(60_000);
    const { code, stdout, stderr } = await runDemo({ REDIS_URL: redis().url, DEMO_LIMIT: '20' });
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).to.equal(0);
    expect(stdout).to.include(`redis      ${redis().url} (from REDIS_URL)`);
    expect(stdout).to.include('documents  20 README files');
    expect(stdout).to.match(/^ {2}jobs {8}20 posted, 20 completed, 0 failed$/m);
    expect(stdout).to.match(/^ {2}throughput {2}\d+\.\d jobs\/s$/m);
    expect(stdout).to.match(/^ {2}latency {5}p50 \d+(\.\d+)? m?s, p95 \d+(\.\d+)? m?s, max .* 20 jobs\)$/m);
    expect(stdout).to.match(/^ {2}shutdown {4}web exited 0, worker exited 0; \d+ keys under qwdemo-[0-9a-f]{8} deleted$/m);
    // Not a terminal: progress as plain lines, no cursor codes.
    expect(stdout).to.include(' rendered 20/20 (100%), 0 failed');
    expect(stdout).not.to.match(/[\r\u001b]/);

    const probe = redis().connect();
    try {
      expect(await probe.dbsize(), 'keys left behind').to.equal(0);
    } finally {
      probe.disconnect();
    }
    // The children's connections close when they exit; Redis notices a moment later.
    expect(await pollUntil(() => redis().clientCount(), (count) => count === 0)).to.equal(0);
  });

  it('stops with exit 1 and says so when REDIS_URL does not answer, instead of using another Redis', async () => {
    const { default: getPort } = await import('get-port');
    const url = `redis://127.0.0.1:${await getPort()}`;
    const { code, stdout, stderr } = await runDemo({ REDIS_URL: url });
    expect(code).to.equal(1);
    expect(stderr).to.include(`demo: REDIS_URL=${url} does not answer PING (connect ECONNREFUSED`);
    expect(stderr).to.include('unset REDIS_URL');
    expect(stdout).not.to.include('Summary');
  });

  it('explains how to install Redis when it has to start redis-server and none is on PATH', async () => {
    const { code, stderr } = await runDemo({ DEMO_REDIS: 'private', PATH: '/nonexistent' });
    expect(code).to.equal(1);
    expect(stderr).to.include('redis-server is not on PATH');
    expect(stderr).to.include('apt-get install redis-server');
    expect(stderr).to.include('REDIS_URL=redis://host:port');
  });
});
