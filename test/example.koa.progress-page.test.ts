import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { createQueueClient, type QueueClient, type QueueSet, type WorkerGroup } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';

const root = join(__dirname, '..', '..');
const screenshot = join(root, 'test-output', 'progress-page.png');
// Debian's chromium package; CHROMIUM_PATH points elsewhere. No browser is downloaded.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// The example is loaded from the build at run time: it registers its own definition for ctx.queue.
interface KoaExample {
  queues: QueueSet;
  createTextApp(client: QueueClient<any>): { callback(): http.RequestListener };
  main(options: { client: QueueClient<any>; stepDelayMs: number; handleSignals: boolean }): Promise<WorkerGroup>;
}

describe('Koa example: the progress page in headless Chromium', function () {
  this.timeout(60_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('a person submits text, watches the bar fill live through the SSE route, then sees the result', async () => {
    expect(existsSync(executablePath), `no Chromium at ${executablePath}: apt-get install -y chromium (bash .ci/run does), or set CHROMIUM_PATH`).to.equal(true);
    const { queues } = require('../examples/koa/queues.js') as Pick<KoaExample, 'queues'>;
    const { createTextApp } = require('../examples/koa/web.js') as Pick<KoaExample, 'createTextApp'>;
    const { main: startWorker } = require('../examples/koa/worker.js') as Pick<KoaExample, 'main'>;

    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix() });
    cleanup(() => client.close());
    const group = await startWorker({ client, stepDelayMs: 60, handleSignals: false });
    cleanup(() => group.close());
    const server = http.createServer(createTextApp(client).callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup(() => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;

    const browser: Browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
    cleanup(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 800, height: 720 } });
    await page.goto(url);
    await page.fill('#text', 'One fish two fish red fish blue fish. Black fish, blue fish, old fish, new fish.');

    // Record every value the percentage shows, to prove the bar moved step by step, not in one jump.
    // (In-page code is passed as text: this program is compiled without the DOM's types.)
    await page.evaluate(`(() => {
      const percent = document.getElementById('percent');
      window.shown = [];
      new MutationObserver(() => window.shown.push(percent.textContent)).observe(percent, { childList: true, characterData: true, subtree: true });
    })()`);
    await page.click('#submit');

    await page.waitForFunction(`document.getElementById('bar').value === 100`, undefined, { timeout: 10_000 });
    await page.locator('#result').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.textContent('#percent')).to.equal('100%');
    expect(await page.textContent('#words')).to.equal('16');
    expect(await page.locator('#top-words li').allTextContents()).to.deep.equal(['fish × 8', 'blue × 2', 'black × 1', 'new × 1', 'old × 1']);
    const status = /^Job (\S+): completed$/.exec((await page.textContent('#status')) ?? '');
    expect(status, 'the status line names the completed job').not.to.equal(null);
    const id = status![1]!;

    const shown = await page.evaluate<string[]>('window.shown');
    const values = [...new Set(shown)].map((text) => Number.parseInt(text, 10));
    expect(values.filter((value) => value > 0 && value < 100).length, `percentages shown: ${shown.join(' ')}`).to.be.at.least(3);
    expect(values, 'the bar never goes back').to.deep.equal([...values].sort((a, b) => a - b));

    mkdirSync(join(root, 'test-output'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).to.equal(true);

    // The owner can read the job's status; another visitor (another cookie) cannot, even knowing its id.
    const readStatus = `fetch('/jobs/text/${encodeURIComponent(id)}').then(async (response) => ({ status: response.status, body: await response.json() }))`;
    const owner = await page.evaluate<{ status: number; body: object }>(readStatus);
    expect(owner.status).to.equal(200);
    expect(owner.body).to.include({ id, state: 'completed', progress: 100 });
    const stranger = await browser.newPage();
    await stranger.goto(url);
    const answer = await stranger.evaluate<{ status: number; body: unknown }>(readStatus);
    expect(answer).to.deep.equal({ status: 404, body: { error: { code: 'QW_JOB_NOT_FOUND', message: 'No such job.' } } });
  });
});
