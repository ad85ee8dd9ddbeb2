import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rootDir = join(__dirname, '..', '..');
const benchDir = join(rootDir, 'bench');

interface BenchRow {
  figure: string;
  medians: Record<string, number>;
  ratios: Record<string, number>;
}

/** Runs `node bench/run-bench.js …` (compile + run, as `npm run bench` does after the build); resolves with its output. */
function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(benchDir, 'run-bench.js'), ...args], { cwd: rootDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

// Keeps the benchmark harness from rotting: one tiny repetition of every scenario for every contender.
// Figures are written but never judged here: timings are not asserted in tests.
describe('bench harness: smoke run (npm run bench -- --smoke)', function () {
  this.timeout(300_000);
  let workDir: string;

  before(function () {
    if (!existsSync(join(benchDir, 'node_modules', '.package-lock.json'))) {
      console.log('      skipped: bench/node_modules is not installed (run `npm --prefix bench ci`; .ci/run does)');
      this.skip();
    }
    workDir = mkdtempSync(join(tmpdir(), 'queuewire-bench-smoke-'));
  });

  after(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('runs every scenario for hand-written, @nestjs/bullmq and queuewire, and writes the raw JSON and the markdown table', async () => {
    const out = join(workDir, 'smoke.json');
    const markdown = join(workDir, 'BENCHMARKS.md');
    const { code, output } = await runBench(['--smoke', '--out', out, '--markdown', markdown]);
    expect(code, output).to.equal(0);

    const result = JSON.parse(readFileSync(out, 'utf8')) as { meta: { scenarios: string[]; contenders: string[] }; rows: BenchRow[] };
    expect(result.meta.scenarios).to.deep.equal(['http', 'worker', 'events', 'reply', 'connections', 'scale']);
    expect(result.meta.contenders).to.deep.equal(['handwritten', 'nest', 'queuewire']);
    const figures = result.rows.map((row) => row.figure);
    for (const figure of ['http.enqueue.rps', 'http.control.rps', 'worker.c1', 'worker.c50', 'events.p99', 'events.missed', 'reply.p99', 'connections.web.q20', 'connections.worker.q20', 'scale.p2']) {
      expect(figures, figure).to.include(figure);
    }
    for (const row of result.rows) {
      for (const contender of result.meta.contenders) {
        expect(row.medians[contender], `${row.figure} ${contender}`).to.be.a('number').and.satisfy(Number.isFinite);
      }
    }
    expect(Object.keys(result.rows.find((row) => row.figure === 'http.enqueue.rps')!.ratios)).to.have.members(['handwritten', 'nest']);

    const table = readFileSync(markdown, 'utf8');
    expect(table).to.include('| figure | unit | hand-written | @nestjs/bullmq | queuewire | queuewire ÷ hand-written | queuewire ÷ nest | target (queuewire) |');
    expect(table).to.include('npm run bench -- --smoke');
  });
});
