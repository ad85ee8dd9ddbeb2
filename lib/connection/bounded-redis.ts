import type { Connections } from './connections';
import { QueueUnavailableError } from '../errors';

/**
 * Runs Redis reads for a request within `timeout` ms, so a request answers 503 instead of hanging when
 * Redis is away: waits for the fail-fast producer connection, then bounds the work, and turns any
 * failure to reach Redis into `QueueUnavailableError`. Other errors (say, a job hash that cannot be
 * decoded) pass through unchanged: calling them "unavailable" would send the reader the wrong way.
 */
export async function withinRedisTimeout<Result>(connections: Connections, timeout: number, work: () => Promise<Result>): Promise<Result> {
  const started = Date.now();
  await connections.waitForProducer(timeout);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(connections.unavailable(timeout)), Math.max(1, timeout - (Date.now() - started)));
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (error) {
    if (error instanceof QueueUnavailableError || connections.producer.status === 'ready') throw error;
    throw connections.unavailable(timeout, error);
  } finally {
    clearTimeout(timer);
  }
}
