// `npm run soak`: the soak scenario (scripts/soak/scenario.ts) for a few minutes, then its figures.
// Not part of CI (test/soak.short.test.ts runs the same scenario for tens of seconds).
// Settings from the environment: SOAK_SECONDS (180), SOAK_RATE (100 req/s), SOAK_WORKERS (3),
// SOAK_CONCURRENCY (4), SOAK_KILL_EVERY_MS (4000), SOAK_REDIS_RESTARTS (2), SOAK_REDIS_DOWNTIME_MS (2000).
// Exits 1 when a job was lost, an accepted job did not complete, a process crashed, or a request
// refused as "not-sent" ran anyway.
import { defaultSoakOptions, formatSoakReport, runSoak, type SoakOptions } from './scenario';

const fromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}=${raw} is not a non-negative number`);
  return value;
};

async function main(): Promise<void> {
  const options: Partial<SoakOptions> = {
    seconds: fromEnv('SOAK_SECONDS', defaultSoakOptions.seconds),
    rate: fromEnv('SOAK_RATE', defaultSoakOptions.rate),
    workers: fromEnv('SOAK_WORKERS', defaultSoakOptions.workers),
    concurrency: fromEnv('SOAK_CONCURRENCY', defaultSoakOptions.concurrency),
    killEveryMs: fromEnv('SOAK_KILL_EVERY_MS', defaultSoakOptions.killEveryMs),
    redisRestarts: fromEnv('SOAK_REDIS_RESTARTS', defaultSoakOptions.redisRestarts),
    redisDowntimeMs: fromEnv('SOAK_REDIS_DOWNTIME_MS', defaultSoakOptions.redisDowntimeMs),
  };
  const report = await runSoak(options);
  console.log(formatSoakReport(report));
  const failed = report.lost > 0 || report.completed !== report.accepted || report.unexpectedExits.length > 0
    || (report.effectsOfRefusedRequests['not-sent'] ?? 0) > 0;
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
