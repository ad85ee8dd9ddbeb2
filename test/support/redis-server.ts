import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisServerOptions {
  /**
   * Keep data across `stop()` / `resume()`: an append-only file fsynced on every write
   * (`appendfsync always`) in a temp dir, so every write Redis acknowledged survives a SIGKILL.
   * `destroy()` removes the dir.
   */
  persist?: boolean;
}

/**
 * A private redis-server on a free port, owned by one test file, so tests never touch the Redis on
 * 6379 and fault tests can stop and restart it. Persistence is off: a restart starts empty unless
 * `persist` keeps an AOF in a temp dir.
 */
export class RedisServer {
  private process: ChildProcess | undefined;

  /** The temp dir holding the append-only file of a `persist` server. */
  readonly dataDir: string | undefined;

  private constructor(readonly port: number, private readonly extraArgs: string[], options: RedisServerOptions = {}) {
    if (options.persist) {
      this.dataDir = mkdtempSync(join(tmpdir(), 'queuewire-redis-'));
      // Later arguments override the defaults that resume() passes first.
      this.extraArgs = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dataDir, ...extraArgs];
    }
  }

  /** Starts a server on a free port and resolves once it answers PING. */
  static async start(extraArgs: string[] = [], options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = await RedisServer.unstarted(extraArgs, options);
    await server.resume();
    return server;
  }

  /**
   * Picks a free port but starts nothing on it yet, for tests of an app that boots before its Redis:
   * `resume()` starts the server later; the test stops it (`stop()`) when done.
   */
  static async unstarted(extraArgs: string[] = [], options: RedisServerOptions = {}): Promise<RedisServer> {
    const { default: getPort, portNumbers } = await import('get-port');
    // A port below Linux's ephemeral range (32768-60999). A client that keeps reconnecting to a port in
    // that range while nothing listens can be given the very same port as its own source port and
    // connect to itself (TCP self-connect): it then sees its own commands as a Redis that answers, and
    // the real server cannot bind the port when it restarts. Redis's own 6379 is never in the range.
    const first = 20_000 + Math.floor(Math.random() * 10_000);
    return new RedisServer(await getPort({ port: portNumbers(first, 32_000) }), extraArgs, options);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  /** (Re)starts the server on the same port. */
  async resume(): Promise<void> {
    if (this.process) return;
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--loglevel', 'warning', ...this.extraArgs,
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    this.process = child;
    child.once('exit', () => {
      if (this.process === child) this.process = undefined;
    });
    await waitUntilAnswering(this.port);
  }

  /** Kills the server (SIGKILL: connections drop without a goodbye) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Stops the server for good and removes the data dir of a `persist` server. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Number of connected clients other than the one asking. */
  async clientCount(): Promise<number> {
    const probe = new Redis(this.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await probe.connect();
      const list = (await probe.client('LIST')) as string;
      return list.trim().split('\n').filter(Boolean).length - 1;
    } finally {
      probe.disconnect();
    }
  }

  /** A plain ioredis connection for assertions; caller disconnects it. */
  connect(): Redis {
    return new Redis(this.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  }
}

async function waitUntilAnswering(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      probe.disconnect();
    }
  }
}
