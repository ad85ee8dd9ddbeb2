// The soak scenario, shared by `npm run soak` (scripts/soak/run.ts, minutes) and the CI test
// (test/soak.short.test.ts, tens of seconds): a private Redis with an AOF fsynced on every write, a web
// process under steady HTTP load enqueueing jobs, several worker processes whose handler records a side
// effect, a random worker SIGKILLed (and replaced) every few seconds, and Redis restarted (SIGKILL, then
// started again on its AOF) a few times. At the end every job that got a 2xx is reconciled against
// Redis and against the side effects.
import http from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createQueueClient } from '../../lib/index';
import { NodeChild } from '../../test/support/child-process';
import { RedisServer } from '../../test/support/redis-server';
import { soakQueues } from './queues';

export interface SoakOptions {
  /** How long the HTTP load runs, in seconds; chaos happens during it. */
  seconds: number;
  /** Requests per second (each enqueues one job). */
  rate: number;
  /** Worker processes kept running (a killed one is replaced at once). */
  workers: number;
  /** Jobs at once per worker process. */
  concurrency: number;
  /** Mean time between two worker SIGKILLs (each interval is drawn from 0.5× to 1.5× of it). */
  killEveryMs: number;
  /** Redis restarts, spread evenly over the run. */
  redisRestarts: number;
  /** How long Redis stays down on each restart. */
  redisDowntimeMs: number;
  /** Simulated work per job: uniformly 0 … workMs. */
  workMs: number;
  /** Worker lock and stalled-check timing (how fast a killed worker's jobs come back). */
  lockDuration: number;
  stalledInterval: number;
  /** After the load stops, how long to wait for every accepted job to complete. */
  drainTimeoutMs: number;
  /** Progress lines (stderr by default); the report is returned. */
  log: (line: string) => void;
}

export const defaultSoakOptions: SoakOptions = {
  seconds: 180,
  rate: 100,
  workers: 3,
  concurrency: 4,
  killEveryMs: 4000,
  redisRestarts: 2,
  redisDowntimeMs: 2000,
  workMs: 20,
  lockDuration: 5000,
  stalledInterval: 1000,
  drainTimeoutMs: 60_000,
  log: (line) => process.stderr.write(`${line}\n`),
};

export interface RestartFigures {
  /** When Redis went down, in ms since the load started. */
  readonly downAtMs: number;
  readonly downForMs: number;
  /** From Redis answering again to the first 2xx of a request sent after that (undefined: none). */
  readonly firstAcceptedAfterMs: number | undefined;
  /** From Redis answering again to the first `completed` event, on a bus, of a job accepted after that. */
  readonly firstCompletedAfterMs: number | undefined;
}

export interface SoakReport {
  readonly options: Omit<SoakOptions, 'log'>;
  readonly requests: number;
  /** Requests answered 2xx: jobs the web process accepted. */
  readonly accepted: number;
  /** Accepted jobs found completed in Redis at the end. */
  readonly completed: number;
  /** Accepted jobs not completed at the end (must be 0), and the states they were found in. */
  readonly lost: number;
  readonly lostByState: Readonly<Record<string, number>>;
  readonly lostSample: readonly string[];
  /** Accepted jobs whose side effect happened more than once (at-least-once delivery), and the most times. */
  readonly executedMoreThanOnce: number;
  readonly mostExecutions: number;
  /** Completed jobs with no side effect at all (must be 0). */
  readonly completedWithoutEffect: number;
  /**
   * Requests answered 503 whose job ran anyway, by the outcome the 503 stated: `unknown` is allowed
   * (the add was sent, the answer did not come in time); `not-sent` must be 0.
   */
  readonly effectsOfRefusedRequests: Readonly<Record<string, number>>;
  /** Requests that did not get a 2xx: while Redis was down (503) and at any other time. */
  readonly producerFailures: number;
  readonly producerFailuresOutsideOutages: number;
  readonly failureStatuses: Readonly<Record<string, number>>;
  /** The 503s by stated outcome (`not-sent`, `unknown`). */
  readonly failureOutcomes: Readonly<Record<string, number>>;
  /** How long a failing request took to fail. */
  readonly timeToFailP99Ms: number | undefined;
  readonly timeToFailMaxMs: number | undefined;
  readonly acceptLatencyP99Ms: number | undefined;
  /** The longest the web process spent in one `add` (bounded by producerTimeout, 2 s). */
  readonly addMaxMs: number | undefined;
  readonly restarts: readonly RestartFigures[];
  readonly workerKills: number;
  /** Processes that exited without being killed by the soak (must be 0: web and workers never crash). */
  readonly unexpectedExits: readonly string[];
  readonly drainMs: number;
}

interface RequestRecord {
  readonly businessId: string;
  readonly startedAt: number;
  endedAt: number;
  status: number | 'error';
  jobId?: string;
  /** Time the web process spent in `add` (its X-Add-Ms header). */
  addMs?: number;
  /** For a 503: whether the job may have been stored after all (`unknown`) or surely not (`not-sent`). */
  outcome?: string;
}

/** Runs the scenario and returns its figures. Everything it started is stopped before it resolves. */
export async function runSoak(overrides: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const options = { ...defaultSoakOptions, ...overrides };
  const { log } = options;
  const server = await RedisServer.start([], { persist: true });
  const effectsDir = mkdtempSync(join(tmpdir(), 'queuewire-soak-'));
  const prefix = `soak-${randomUUID().slice(0, 8)}`;
  const children = new Set<NodeChild>();
  const killedBySoak = new Set<NodeChild>();
  const unexpectedExits: string[] = [];
  let stopping = false;
  const spawn = (script: string, config: object, role: string): NodeChild => {
    const child = new NodeChild(join(__dirname, `${script}.js`), [JSON.stringify(config)], ['--unhandled-rejections=strict']);
    children.add(child);
    void child.exited.then((exit) => {
      if (!stopping && !killedBySoak.has(child)) unexpectedExits.push(`${role} ${child.pid} exited ${JSON.stringify(exit)}: ${child.stderr.slice(-2000)}`);
    });
    return child;
  };
  const workerConfig = { url: server.url, prefix, effectsDir, concurrency: options.concurrency, lockDuration: options.lockDuration, stalledInterval: options.stalledInterval };
  const startWorker = (): NodeChild => spawn('worker', workerConfig, 'worker');

  // The soak's own client: its bus times recoveries, and its queue handle reads states at the end.
  const client = createQueueClient({ queues: soakQueues, connection: server.url, prefix, logger: { info: () => undefined, warn: () => undefined, error: () => undefined } });
  const completedAt = new Map<string, number>();
  client.events.on('orders:completed', ({ jobId }) => {
    if (!completedAt.has(jobId)) completedAt.set(jobId, Date.now());
  });
  client.events.on('error', () => undefined);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  try {
    await client.events.ready();
    const web = spawn('web', { url: server.url, prefix }, 'web');
    const ready = await web.waitForLine((line) => typeof line === 'object' && line.event === 'ready', 'web ready line');
    const port = (ready as { port: number }).port;
    let workers = Array.from({ length: options.workers }, startWorker);
    await Promise.all(workers.map((worker) => worker.waitForLine((line) => typeof line === 'object' && line.event === 'ready', 'worker ready line')));
    log(`soak: redis ${server.url} (AOF appendfsync always in ${server.dataDir}), web :${port}, ${options.workers} workers × ${options.concurrency}, ${options.rate} req/s for ${options.seconds} s`);

    const started = Date.now();
    const loadEndsAt = started + options.seconds * 1000;
    const records: RequestRecord[] = [];
    const inFlight = new Set<Promise<void>>();

    // Steady load: one request every 1000/rate ms, on a schedule that does not drift.
    const load = (async () => {
      const interval = 1000 / options.rate;
      for (let sequence = 0; ; sequence++) {
        const due = started + sequence * interval;
        if (due >= loadEndsAt) break;
        if (due > Date.now()) await sleep(due - Date.now());
        const record: RequestRecord = { businessId: `order-${sequence}`, startedAt: Date.now(), endedAt: 0, status: 'error' };
        records.push(record);
        const request = postOrder(agent, port, { businessId: record.businessId, workMs: Math.floor(Math.random() * (options.workMs + 1)) }).then(
          ({ status, body, addMs, outcome }) => {
            record.status = status;
            record.addMs = addMs;
            record.outcome = outcome;
            if (status >= 200 && status < 300) record.jobId = String((body as { jobId: string }).jobId);
          },
          () => undefined,
        ).finally(() => {
          record.endedAt = Date.now();
          inFlight.delete(request);
        });
        inFlight.add(request);
      }
      await Promise.all([...inFlight]);
    })();

    // A random worker is SIGKILLed every few seconds and replaced at once.
    let workerKills = 0;
    const killer = (async () => {
      for (;;) {
        await sleep(options.killEveryMs * (0.5 + Math.random()));
        if (Date.now() >= loadEndsAt) return;
        const victim = workers[Math.floor(Math.random() * workers.length)]!;
        killedBySoak.add(victim);
        victim.kill('SIGKILL');
        workerKills++;
        workers = workers.map((worker) => (worker === victim ? startWorker() : worker));
      }
    })();

    // Redis restarts, spread over the run: SIGKILL, stay down, start again on the same AOF.
    const outages: Array<{ downAt: number; upAt: number }> = [];
    const restarter = (async () => {
      for (let index = 1; index <= options.redisRestarts; index++) {
        const at = started + (options.seconds * 1000 * index) / (options.redisRestarts + 1);
        await sleep(Math.max(0, at - Date.now()));
        const downAt = Date.now();
        await server.stop();
        log(`soak: ${seconds(downAt - started)} Redis down (restart ${index})`);
        await sleep(options.redisDowntimeMs);
        await server.resume();
        outages.push({ downAt, upAt: Date.now() });
        log(`soak: ${seconds(Date.now() - started)} Redis up again`);
      }
    })();

    const progress = setInterval(() => {
      const accepted = records.filter((record) => record.jobId).length;
      log(`soak: ${seconds(Date.now() - started)} requests ${records.length}, accepted ${accepted}, completed events ${completedAt.size}, worker kills ${workerKills}`);
    }, 10_000);
    await Promise.all([load, killer, restarter]);
    clearInterval(progress);

    // Drain: every accepted job must complete. The workers keep running (all replaced, none killed now).
    const drainStarted = Date.now();
    const accepted = records.filter((record) => record.jobId !== undefined);
    const redis = server.connect();
    const completedKey = `${prefix}:orders:completed`;
    let missing: RequestRecord[] = accepted;
    for (;;) {
      const pipeline = redis.pipeline();
      for (const record of missing) pipeline.zscore(completedKey, record.jobId!);
      const scores = (await pipeline.exec()) ?? [];
      missing = missing.filter((_, index) => scores[index]?.[1] === null);
      if (missing.length === 0 || Date.now() - drainStarted > options.drainTimeoutMs) break;
      await sleep(250);
    }
    const drainMs = Date.now() - drainStarted;
    const lostByState: Record<string, number> = {};
    for (const record of missing) {
      const state = await client.queue('orders').getJobState(record.jobId!);
      lostByState[state] = (lostByState[state] ?? 0) + 1;
    }
    redis.disconnect();

    // Side effects: one line per execution, in each worker's file.
    const executions = new Map<string, number>();
    for (const file of readdirSync(effectsDir)) {
      for (const line of readFileSync(join(effectsDir, file), 'utf8').split('\n')) {
        if (!line) continue;
        const businessId = line.split(' ')[0]!;
        executions.set(businessId, (executions.get(businessId) ?? 0) + 1);
      }
    }
    const missingIds = new Set(missing.map((record) => record.businessId));
    const completedRecords = accepted.filter((record) => !missingIds.has(record.businessId));
    const counts = accepted.map((record) => executions.get(record.businessId) ?? 0);

    const failures = records.filter((record) => record.jobId === undefined);
    // An outage lasts from Redis going down until the first 2xx after it came back.
    const windows = outages.map(({ downAt, upAt }) => ({ from: downAt, to: firstAcceptedAfter(records, upAt) ?? upAt }));
    const inOutage = (record: RequestRecord): boolean => windows.some(({ from, to }) => record.startedAt <= to && record.endedAt >= from);
    const failureStatuses = countBy(failures, (record) => String(record.status));
    const failureOutcomes = countBy(failures, (record) => record.outcome ?? 'none');
    const effectsOfRefusedRequests = countBy(failures.filter((record) => executions.has(record.businessId)), (record) => record.outcome ?? 'none');

    return {
      options: withoutLog(options),
      requests: records.length,
      accepted: accepted.length,
      completed: completedRecords.length,
      lost: missing.length,
      lostByState,
      lostSample: missing.slice(0, 10).map((record) => `${record.businessId}=job ${record.jobId}`),
      executedMoreThanOnce: counts.filter((count) => count > 1).length,
      mostExecutions: counts.reduce((most, count) => Math.max(most, count), 0),
      completedWithoutEffect: completedRecords.filter((record) => !executions.has(record.businessId)).length,
      effectsOfRefusedRequests,
      producerFailures: failures.length,
      producerFailuresOutsideOutages: failures.filter((record) => !inOutage(record)).length,
      failureStatuses,
      failureOutcomes,
      timeToFailP99Ms: percentile(failures.map((record) => record.endedAt - record.startedAt), 0.99),
      timeToFailMaxMs: percentile(failures.map((record) => record.endedAt - record.startedAt), 1),
      acceptLatencyP99Ms: percentile(accepted.map((record) => record.endedAt - record.startedAt), 0.99),
      addMaxMs: percentile(records.flatMap((record) => (record.addMs === undefined ? [] : [record.addMs])), 1),
      restarts: outages.map(({ downAt, upAt }) => {
        const firstAccepted = firstAcceptedAfter(records, upAt);
        const afterwards = records.filter((record) => record.jobId !== undefined && record.startedAt >= upAt);
        const firstCompleted = afterwards.reduce((first, record) => Math.min(first, completedAt.get(record.jobId!) ?? Infinity), Infinity);
        return {
          downAtMs: downAt - started,
          downForMs: upAt - downAt,
          firstAcceptedAfterMs: firstAccepted === undefined ? undefined : firstAccepted - upAt,
          firstCompletedAfterMs: Number.isFinite(firstCompleted) ? firstCompleted - upAt : undefined,
        };
      }),
      workerKills,
      unexpectedExits: [...unexpectedExits],
      drainMs,
    };
  } finally {
    stopping = true;
    agent.destroy();
    await Promise.all([...children].map((child) => child.stop()));
    await client.close();
    await server.destroy();
    rmSync(effectsDir, { recursive: true, force: true });
  }
}

/** The report as the lines `npm run soak` prints. */
export function formatSoakReport(report: SoakReport): string {
  const ms = (value: number | undefined): string => (value === undefined ? 'n/a' : `${value} ms`);
  const { options } = report;
  return [
    `queuewire soak: ${options.seconds} s at ${options.rate} req/s; ${options.workers} workers × ${options.concurrency} (lock ${options.lockDuration} ms, stalled check ${options.stalledInterval} ms); a worker SIGKILLed every ~${options.killEveryMs / 1000} s; ${options.redisRestarts} Redis restarts of ${options.redisDowntimeMs} ms (AOF, appendfsync always)`,
    `requests                      ${report.requests}`,
    `accepted (2xx)                ${report.accepted}`,
    `completed                     ${report.completed}`,
    `lost                          ${report.lost}${report.lost ? `  by state ${JSON.stringify(report.lostByState)}; e.g. ${report.lostSample.join(', ')}` : ''}`,
    `executed more than once       ${report.executedMoreThanOnce}  (at most ${report.mostExecutions} times)`,
    `completed without side effect ${report.completedWithoutEffect}`,
    `producer failures             ${report.producerFailures}  statuses ${JSON.stringify(report.failureStatuses)}, outcomes ${JSON.stringify(report.failureOutcomes)}; outside outages: ${report.producerFailuresOutsideOutages}`,
    `refused but ran anyway        ${JSON.stringify(report.effectsOfRefusedRequests)}  (by the outcome the 503 stated; "not-sent" must be 0)`,
    `time to fail p99 / max        ${ms(report.timeToFailP99Ms)} / ${ms(report.timeToFailMaxMs)}`,
    `accepted request p99          ${ms(report.acceptLatencyP99Ms)}  (longest add inside the web process: ${ms(report.addMaxMs)})`,
    ...report.restarts.map((restart, index) => `redis restart ${index + 1}               at ${seconds(restart.downAtMs)}, down ${restart.downForMs} ms; recovered: first 2xx after ${ms(restart.firstAcceptedAfterMs)}, first completion after ${ms(restart.firstCompletedAfterMs)}`),
    `worker SIGKILLs               ${report.workerKills}`,
    `unexpected process exits      ${report.unexpectedExits.length}${report.unexpectedExits.length ? `\n  ${report.unexpectedExits.join('\n  ')}` : ''}`,
    `drain after load stopped      ${report.drainMs} ms`,
  ].join('\n');
}

function postOrder(agent: http.Agent, port: number, body: object): Promise<{ status: number; body: unknown; addMs: number | undefined; outcome: string | undefined }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const request = http.request({ host: '127.0.0.1', port, path: '/orders', method: 'POST', agent, timeout: 30_000, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (response) => {
      let text = '';
      const header = response.headers['x-add-ms'];
      const addMs = typeof header === 'string' ? Number(header) : undefined;
      const outcome = response.headers['x-add-outcome'];
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: response.statusCode ?? 0, body: parsed, addMs, outcome: typeof outcome === 'string' ? outcome : undefined });
      });
    });
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
    request.end(payload);
  });
}

function firstAcceptedAfter(records: readonly RequestRecord[], at: number): number | undefined {
  const first = records.reduce((earliest, record) => (record.jobId !== undefined && record.startedAt >= at ? Math.min(earliest, record.endedAt) : earliest), Infinity);
  return Number.isFinite(first) ? first : undefined;
}

function countBy<Item>(items: readonly Item[], key: (item: Item) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function percentile(values: number[], fraction: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

function withoutLog({ log: _log, ...rest }: SoakOptions): Omit<SoakOptions, 'log'> {
  return rest;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
