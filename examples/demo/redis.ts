import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { Cleanup } from './cleanup';
import { DemoError } from './demo-error';

/** The Redis the demo runs against. */
export interface DemoRedis {
  readonly url: string;
  /** Where it came from, for the report. */
  readonly origin: 'REDIS_URL' | 'local' | 'private';
  /** The URL with any password masked. */
  readonly display: string;
}

const LOCAL_URL = 'redis://127.0.0.1:6379';

const INSTALL_HINT = 'Install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) '
  + 'so that redis-server is on PATH, or set REDIS_URL=redis://host:port to a Redis you run.';

/**
 * Finds the Redis to use, in this order:
 * 1. `DEMO_REDIS=private`: always a private redis-server (never touches any other Redis);
 * 2. `REDIS_URL` when set: that Redis, and only that one — if it does not answer PING the demo stops
 *    and says so, rather than quietly running somewhere you did not ask for;
 * 3. the Redis on 127.0.0.1:6379 if it answers PING;
 * 4. a private `redis-server` from PATH on a free port, stopped when the demo ends;
 * 5. none of these: a `DemoError` that says how to get one.
 */
export async function findRedis(cleanup: Cleanup): Promise<DemoRedis> {
  if (process.env.DEMO_REDIS === 'private') return startPrivateRedis(cleanup, 'DEMO_REDIS=private asks for a private redis-server');
  if (process.env.DEMO_REDIS !== undefined && process.env.DEMO_REDIS !== '') {
    throw new DemoError(`DEMO_REDIS=${process.env.DEMO_REDIS} is not understood; the only value is "private" (start a private redis-server).`);
  }
  const configured = process.env.REDIS_URL;
  if (configured) {
    if (!/^rediss?:\/\//.test(configured)) {
      throw new DemoError(`REDIS_URL=${mask(configured)} is not a Redis URL; use redis://host:port (rediss:// for TLS).`);
    }
    const problem = await ping(configured);
    if (problem) {
      throw new DemoError(`REDIS_URL=${mask(configured)} does not answer PING (${problem}).\n`
        + 'Start Redis there, or unset REDIS_URL: the demo then uses 127.0.0.1:6379 if it answers, else starts its own redis-server.');
    }
    return { url: configured, origin: 'REDIS_URL', display: mask(configured) };
  }
  if (!(await ping(LOCAL_URL))) return { url: LOCAL_URL, origin: 'local', display: '127.0.0.1:6379' };
  return startPrivateRedis(cleanup, 'REDIS_URL is not set and nothing answers on 127.0.0.1:6379');
}

/** Starts `redis-server` from PATH on a free port, without persistence, and registers its shutdown. */
async function startPrivateRedis(cleanup: Cleanup, why: string): Promise<DemoRedis> {
  // get-port is published as ES modules only.
  const { default: getPort } = await import('get-port');
  const port = await getPort();
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning',
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  cleanup.track(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const ended = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT'
        ? new DemoError(`No Redis to run against: ${why}, but redis-server is not on PATH.\n${INSTALL_HINT}`)
        : new DemoError(`Could not start redis-server: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      reject(new DemoError(`redis-server exited during start (${signal ?? `code ${code}`}): ${stderr.trim() || 'no output'}`));
    });
  });
  ended.catch(() => undefined);
  const url = `redis://127.0.0.1:${port}`;
  cleanup.add(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  });
  await Promise.race([untilAnswering(url), ended]);
  return { url, origin: 'private', display: `127.0.0.1:${port}` };
}

// redis-server accepts connections a moment after it starts; ask until it answers (bounded).
async function untilAnswering(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const problem = await ping(url);
    if (!problem) return;
    if (Date.now() > deadline) throw new DemoError(`redis-server at ${url} did not answer within 10 s: ${problem}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `undefined` when the Redis at `url` answers PING within about a second, else why it did not. */
export async function ping(url: string): Promise<string | undefined> {
  const probe = new Redis(url, {
    lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null,
  });
  // connect() rejects with a bare "Connection is closed."; the error event says why (ECONNREFUSED, …).
  let cause: Error | undefined;
  probe.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await probe.connect();
    const answer = await probe.ping();
    return answer === 'PONG' ? undefined : `answered ${answer}`;
  } catch (error) {
    return cause?.message ?? (error instanceof Error ? error.message : String(error));
  } finally {
    probe.disconnect();
  }
}

/** Deletes every key under `prefix:` (the demo's own keys on a shared Redis); returns how many. */
export async function removeKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  } finally {
    redis.disconnect();
  }
}

function mask(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
