// The run's private redis-server: persistence off, on a free port, stopped at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import getPort from 'get-port';
import { Redis } from 'ioredis';

export class BenchRedis {
  private constructor(
    readonly port: number,
    private readonly server: ChildProcess,
    /** The runner's own connection: flushing, pausing, counting. */
    readonly admin: Redis,
  ) {}

  static async start(): Promise<BenchRedis> {
    const port = await getPort();
    const server = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--loglevel', 'warning', '--maxclients', '10000',
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        break;
      } catch (error) {
        probe.disconnect();
        if (Date.now() > deadline) {
          server.kill('SIGKILL');
          throw new Error(`redis-server on port ${port} did not start: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    const admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, connectionName: 'bench:admin' });
    return new BenchRedis(port, server, admin);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async version(): Promise<string> {
    const info = await this.admin.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  }

  /** Empties Redis between runs, so every run starts from the same state. */
  async flush(): Promise<void> {
    await this.admin.flushall();
  }

  /** Connections currently open to this server (CLIENT LIST), the runner's own included. */
  async clientCount(): Promise<number> {
    const list = (await this.admin.client('LIST')) as string;
    return list.trim().split('\n').filter(Boolean).length;
  }

  /** Waits until the connection count is back to `count` (closed sockets are seen at once, but not synchronously). */
  async settleClients(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.clientCount()) > count) {
      if (Date.now() > deadline) throw new Error(`Redis still has more than ${count} clients after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async stop(): Promise<void> {
    this.admin.disconnect();
    const exited = once(this.server, 'exit');
    this.server.kill('SIGKILL');
    await exited;
  }
}
