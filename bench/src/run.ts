// The benchmark runner: `npm run bench` at the repository root (which builds the library and this
// package first). Starts a private redis-server, runs every scenario for every contender in rotating
// order, and writes the raw samples as JSON, the table to stdout and BENCHMARKS.md.
//
//   node bench/dist/run.js [--smoke] [--reps N] [--only http,worker,…] [--contenders handwritten,nest,queuewire]
//                          [--set name=value …] [--out FILE] [--markdown FILE | --no-markdown] [--cpu-prof DIR]
//                          [--queuewire-dist DIR]   (a build of lib/ and middleware/ to measure instead of dist/)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs as parseCommandLine } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as QueuewireApi from '../../dist/lib/index.js';
import type { ContenderName } from './contenders/types.js';
import { BenchRedis } from './redis.js';
import { summarise, table, type Row, type Sample } from './report.js';
import { adminQueue, FULL, SCENARIOS, SMOKE, type Context, type Settings } from './scenarios.js';
import { payload, RETENTION } from './shared.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const rootDir = path.resolve(benchDir, '..');
const ALL_CONTENDERS: ContenderName[] = ['handwritten', 'nest', 'queuewire'];

interface Options {
  smoke: boolean;
  settings: Settings;
  only: string[] | undefined;
  contenders: ContenderName[];
  out: string;
  markdown: string | undefined;
  cpuProfDir: string | undefined;
  queuewireDist: string;
}

const USAGE = `Usage: npm run bench -- [options]   (or node bench/run-bench.js [options])

  --smoke                  one short repetition of everything (seconds; no BENCHMARKS.md)
  --reps N                 repetitions of each figure (default ${FULL.reps})
  --only IDS               scenarios to run, comma-separated: ${SCENARIOS.map((scenario) => scenario.id).join(',')}
  --contenders NAMES       comma-separated: ${ALL_CONTENDERS.join(',')}
  --set NAME=VALUE         override one setting (repeatable); a list takes commas
  --out FILE               raw samples as JSON (default bench/results/latest.json)
  --markdown FILE          where the report goes (default BENCHMARKS.md)
  --no-markdown            print the table only
  --cpu-prof DIR           write a CPU profile of every measured process into DIR
  --queuewire-dist DIR     a build of lib/ and middleware/ to measure instead of dist/
  --help                   this text`;

function parseArgs(argv: string[]): Options {
  const { values } = parseCommandLine({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      smoke: { type: 'boolean', default: false },
      reps: { type: 'string' },
      only: { type: 'string' },
      contenders: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
      markdown: { type: 'string' },
      'no-markdown': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'queuewire-dist': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const smoke = values.smoke;
  const settings: Settings = { ...(smoke ? SMOKE : FULL) };
  if (values.reps !== undefined) settings.reps = positiveInteger('--reps', values.reps);
  for (const assignment of values.set) applySetting(settings, assignment);
  const contenders = (values.contenders?.split(',') ?? ALL_CONTENDERS) as ContenderName[];
  for (const contender of contenders) {
    if (!ALL_CONTENDERS.includes(contender)) throw new Error(`unknown contender ${contender}; known: ${ALL_CONTENDERS.join(', ')}`);
  }
  const only = values.only?.split(',');
  for (const id of only ?? []) {
    if (!SCENARIOS.some((scenario) => scenario.id === id)) throw new Error(`--only: unknown scenario "${id}"; known: ${SCENARIOS.map((scenario) => scenario.id).join(', ')}`);
  }
  return {
    smoke,
    settings,
    only,
    contenders,
    out: values.out ? path.resolve(values.out) : path.join(benchDir, 'results', smoke ? 'smoke.json' : 'latest.json'),
    markdown: values['no-markdown'] ? undefined : values.markdown ? path.resolve(values.markdown) : smoke ? undefined : path.join(rootDir, 'BENCHMARKS.md'),
    cpuProfDir: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined,
    queuewireDist: path.resolve(values['queuewire-dist'] ?? path.join(rootDir, 'dist')),
  };
}

function positiveInteger(flag: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} takes a whole number ≥ 1, not "${raw}"`);
  return value;
}

function applySetting(settings: Settings, assignment: string): void {
  const [key, raw] = assignment.split('=');
  if (!key || raw === undefined || !(key in settings)) throw new Error(`--set: unknown setting "${key}"; known: ${Object.keys(settings).join(', ')}`);
  const numbers = raw.split(',').map(Number);
  if (numbers.some((number) => !Number.isFinite(number))) throw new Error(`--set ${key}: "${raw}" is not a number or a comma-separated list of numbers`);
  (settings as unknown as Record<string, unknown>)[key] = Array.isArray(settings[key as keyof Settings]) ? numbers : numbers[0];
}

function versionOf(from: string, name: string): string {
  try {
    const require = createRequire(path.join(from, 'package.json'));
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'absent';
  }
}

function sh(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', cwd: rootDir, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** CPU time stolen by the hypervisor and spent by all processes, from /proc/stat. */
function cpuTimes(): { steal: number; busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { steal, busy: user + nice + system + irq + softirq, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

function loadAverage(): string {
  return os.loadavg().map((value) => value.toFixed(2)).join(' ');
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    // A mistyped flag is a usage error: say what was wrong and show the usage, not a stack.
    console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { settings } = options;
  const scenarios = SCENARIOS.filter((scenario) => !options.only || options.only.includes(scenario.id));
  // Other work may rebuild dist/ while the bench runs: every queuewire process loads a copy taken now.
  const snapshot = path.join(rootDir, 'dist', '.bench-snapshot', String(process.pid));
  // The copy stays inside the repository so that it resolves bullmq and ioredis from the root node_modules.
  for (const part of ['lib', 'middleware']) cpSync(path.join(options.queuewireDist, part), path.join(snapshot, part), { recursive: true });
  process.env.QUEUEWIRE_DIST = snapshot;
  process.once('exit', () => {
    rmSync(snapshot, { recursive: true, force: true });
    try {
      rmdirSync(path.dirname(snapshot)); // only when no other run's copy is left in it
    } catch {
      // another run is using it
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const { DEFAULT_RETENTION } = ((await import(pathToFileURL(path.join(snapshot, 'lib', 'index.js')).href)) as { default: typeof QueuewireApi }).default;
  if (JSON.stringify(RETENTION) !== JSON.stringify(DEFAULT_RETENTION)) {
    throw new Error(`bench RETENTION ${JSON.stringify(RETENTION)} differs from queuewire's DEFAULT_RETENTION ${JSON.stringify(DEFAULT_RETENTION)}: update bench/src/shared.ts`);
  }
  const payloadBytes = Buffer.byteLength(JSON.stringify(payload(0)));
  const versions = {
    node: process.version,
    bullmq: { queuewire: versionOf(rootDir, 'bullmq'), others: versionOf(benchDir, 'bullmq') },
    ioredis: { queuewire: versionOf(rootDir, 'ioredis'), others: versionOf(benchDir, 'ioredis') },
    express: { queuewire: versionOf(benchDir, 'express'), others: versionOf(benchDir, 'express') },
    '@nestjs/core': versionOf(benchDir, '@nestjs/core'),
    '@nestjs/bullmq': versionOf(benchDir, '@nestjs/bullmq'),
    '@nestjs/platform-express': versionOf(benchDir, '@nestjs/platform-express'),
    autocannon: versionOf(benchDir, 'autocannon'),
    queuewire: options.queuewireDist === path.join(rootDir, 'dist')
      ? `${(JSON.parse(readFileSync(path.join(rootDir, 'package.json'), 'utf8')) as { version: string }).version} @ ${sh('git', ['rev-parse', '--short', 'HEAD']) || 'unknown'}${sh('git', ['status', '--porcelain', '--', 'lib', 'middleware']) ? ' + uncommitted changes in lib/ or middleware/' : ''}`
      : `the build in ${options.queuewireDist}`,
  };
  for (const name of ['bullmq', 'ioredis'] as const) {
    if (versions[name].queuewire !== versions[name].others) {
      console.warn(`warning: ${name} differs between queuewire (${versions[name].queuewire}) and the other contenders (${versions[name].others})`);
    }
  }

  const redis = await BenchRedis.start();
  const redisVersion = await redis.version();
  const queue = adminQueue(redis.url);
  const samples: Sample[] = [];
  const started = Date.now();
  const cpuStart = cpuTimes();
  const loadStart = loadAverage();
  const loadSamples: number[] = [os.loadavg()[0]!];
  const loadTimer = setInterval(() => loadSamples.push(os.loadavg()[0]!), 30_000);
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(0)}s`.padStart(5);
  if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });
  const context: Context = {
    settings,
    redis,
    queue,
    cpuProfDir: options.cpuProfDir,
    record: (figure, contender, round, value) => void samples.push({ figure, contender, round, value }),
    log: () => undefined,
  };
  console.log(`bench: ${options.smoke ? 'smoke run' : 'full run'}, ${settings.reps} repetition(s), contenders ${options.contenders.join(', ')}; redis ${redisVersion} on port ${redis.port}; load average ${loadStart}; payload ${payloadBytes} bytes`);
  try {
    for (const scenario of scenarios) {
      for (let round = 0; round < settings.reps; round++) {
        // Rotate the order every round (A B C, B C A, C A B, …) so slow drift of the machine hits every contender alike.
        const order = options.contenders.map((_, index) => options.contenders[(index + round) % options.contenders.length]!);
        for (const contender of order) {
          const label = `[${elapsed()}] ${scenario.id} round ${round + 1}/${settings.reps} ${contender}`;
          await scenario.run({ ...context, log: (message) => console.log(`${label}: ${message}`) }, contender, round);
        }
      }
    }
  } finally {
    clearInterval(loadTimer);
    await queue.close();
    await redis.stop();
  }

  const cpuEnd = cpuTimes();
  const durationSec = (Date.now() - started) / 1000;
  const conditions = {
    loadAverageStart: loadStart,
    loadAverageEnd: loadAverage(),
    loadAverage1mMax: Math.max(...loadSamples, os.loadavg()[0]!),
    stealPercent: (100 * (cpuEnd.steal - cpuStart.steal)) / Math.max(1, cpuEnd.total - cpuStart.total),
    busyPercent: (100 * (cpuEnd.busy - cpuStart.busy)) / Math.max(1, cpuEnd.total - cpuStart.total),
  };
  const rows = summarise(samples, options.contenders);
  const rendered = table(rows);
  const meta = {
    date: new Date().toISOString(),
    command: ['npm run bench', ...(process.argv.slice(2).length > 0 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    durationSec,
    machine: { nproc: Number(sh('nproc', [])) || os.availableParallelism(), cpu: os.cpus()[0]?.model ?? 'unknown', memoryGiB: os.totalmem() / 2 ** 30, kernel: os.release() },
    redis: redisVersion,
    versions,
    payloadBytes,
    conditions,
    settings,
    contenders: options.contenders,
    scenarios: scenarios.map((scenario) => scenario.id),
  };
  console.log(`\n${rendered}\n`);
  const missed = rows.flatMap((row) => row.missed.map((text) => `${row.figure.label}: ${text}`));
  console.log(missed.length === 0 ? 'bench: every target met' : `bench: targets missed:\n  ${missed.join('\n  ')}`);
  console.log(`bench: ${samples.length} samples in ${(durationSec / 60).toFixed(1)} min; steal ${conditions.stealPercent.toFixed(1)}%, machine busy ${conditions.busyPercent.toFixed(0)}%, load average ${conditions.loadAverageStart} → ${conditions.loadAverageEnd}`);

  mkdirSync(path.dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify({ meta, samples, rows: rows.map(rowJson) }, null, 2)}\n`);
  console.log(`bench: raw figures in ${path.relative(process.cwd(), options.out)}`);
  if (options.markdown) {
    writeMarkdown(options.markdown, meta, rendered, missed);
    console.log(`bench: table in ${path.relative(process.cwd(), options.markdown)}`);
  }
}

function rowJson(row: Row): object {
  return { figure: row.figure.id, label: row.figure.label, unit: row.figure.unit, medians: row.medians, spreads: row.spreads, ratios: row.ratios, verdicts: row.verdicts };
}

const BEGIN = '<!-- bench:begin (written by npm run bench; edit outside these markers) -->';
const END = '<!-- bench:end -->';

function writeMarkdown(file: string, meta: any, rendered: string, missed: string[]): void {
  const v = meta.versions;
  const s = meta.settings as Settings;
  const c = meta.conditions;
  const generated = `${BEGIN}
Last run: ${meta.date.slice(0, 16).replace('T', ' ')} UTC, ${(meta.durationSec / 60).toFixed(1)} min.

\`\`\`sh
${meta.command}
\`\`\`

**Machine**: ${meta.machine.nproc} cores (\`nproc\`), ${meta.machine.memoryGiB.toFixed(1)} GiB memory, ${meta.machine.cpu}, Linux ${meta.machine.kernel}.
**Versions**: Node ${v.node}, redis-server ${meta.redis}, bullmq ${v.bullmq.others} (queuewire's copy ${v.bullmq.queuewire}), ioredis ${v.ioredis.others} (queuewire's ${v.ioredis.queuewire}), express ${v.express.others}, @nestjs/core ${v['@nestjs/core']}, @nestjs/bullmq ${v['@nestjs/bullmq']}, @nestjs/platform-express ${v['@nestjs/platform-express']}, autocannon ${v.autocannon}, queuewire ${v.queuewire}.
**Conditions**: load average ${c.loadAverageStart} at the start, ${c.loadAverageEnd} at the end (1-minute peak ${c.loadAverage1mMax.toFixed(2)}); CPU steal ${c.stealPercent.toFixed(1)}%; machine CPU busy ${c.busyPercent.toFixed(0)}% over the run (the run itself keeps about two cores busy in the HTTP and worker scenarios). ${c.loadAverageStart.split(' ')[0] > 1 ? '**Taken while other work ran on the machine (load average above 1 at the start)**: compare ratios, not absolute figures.' : ''}
**Settings**: ${s.reps} repetitions per figure; payload ${meta.payloadBytes} bytes of JSON; HTTP ${s.httpConnections} connections, ${s.httpWarmupSec} s warm-up + ${s.httpSec} s on /enqueue, ${s.controlWarmupSec} s + ${s.controlSec} s on /control; worker ${s.workerJobs.toLocaleString('en-US')} jobs at concurrency ${s.workerConcurrency.join(' and ')}; events ${s.eventsWarmupJobs} warm-up + ${s.eventsJobs.toLocaleString('en-US')} jobs at ${s.eventsRate}/s (worker concurrency ${s.eventsWorkerConcurrency}); request-reply ${s.replyWarmupJobs} warm-up + ${s.replyJobs.toLocaleString('en-US')} calls at ${s.replyRate}/s (worker concurrency ${s.replyWorkerConcurrency}); connections with ${s.connectionQueues.join(', ')} queues; scale ${s.scaleJobs.toLocaleString('en-US')} jobs over ${s.scaleProcesses.join(', ')} worker processes at concurrency ${s.scaleConcurrency} each.

Cells are the median of the repetitions ± half their range (relative to the median). Ratios are queuewire ÷ the other
contender **within each round** (the contenders ran back to back in rotating order), then the median of those.
For latencies and memory lower is better; for rates higher is better.

${rendered}

${missed.length === 0 ? 'Every target met in this run.' : `Targets missed in this run:\n${missed.map((line) => `- ${line}`).join('\n')}`}
${END}`;
  let text: string;
  if (existsSync(file)) {
    const current = readFileSync(file, 'utf8');
    const from = current.indexOf(BEGIN);
    const to = current.indexOf(END);
    text = from >= 0 && to > from ? `${current.slice(0, from)}${generated}${current.slice(to + END.length)}` : `${current.trimEnd()}\n\n${generated}\n`;
  } else {
    text = `# Benchmarks\n\n${generated}\n`;
  }
  writeFileSync(file, text);
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
