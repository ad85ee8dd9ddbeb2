import { randomUUID } from 'node:crypto';
import { RedisServer, type RedisServerOptions } from './redis-server';

/** A prefix no other test uses, so tests sharing a server never see each other's keys. */
export function uniquePrefix(): string {
  return `qwtest-${randomUUID().slice(0, 8)}`;
}

/**
 * Starts a private redis-server before the enclosing `describe` and stops it after. Returns a getter,
 * since the server exists only once `before` has run.
 */
export function useRedisServer(extraArgs: string[] = [], options: RedisServerOptions = {}): () => RedisServer {
  let server: RedisServer | undefined;
  before(async () => {
    server = await RedisServer.start(extraArgs, options);
  });
  after(async () => {
    await server?.destroy();
  });
  return () => {
    if (!server) throw new Error('useRedisServer(): the server starts in before(); use it inside tests or hooks.');
    return server;
  };
}

/** Collects closers during a test and runs them after it, last opened first. */
export function useCleanup(): (close: () => unknown) => void {
  const closers: Array<() => unknown> = [];
  afterEach(async () => {
    while (closers.length > 0) await closers.pop()!();
  });
  return (close) => {
    closers.push(close);
  };
}
