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
    // The connection was ready and the work sent: past the deadline its outcome is unknown, not "refused".
    timer = setTimeout(() => reject(connections.unanswered(timeout)), Math.max(1, timeout - (Date.now() - started)));
  });
  try {
    return await Promise.race([work(), deadline]);
  } catch (error) {
    if (error instanceof QueueUnavailableError) throw error;
    if (connections.producer.status === 'ready' && !isConnectionError(error)) throw error;
    // With no offline queue, a command issued on a dead connection fails before it is written.
    throw isUnsent(error) ? connections.unavailable(timeout, error) : connections.unanswered(timeout, error);
  } finally {
    clearTimeout(timer);
  }
}

function isUnsent(error: unknown): boolean {
  return error instanceof Error && /^(Stream isn't writeable|Command cannot be queued)/.test(error.message);
}

// Errors ioredis raises when the connection itself failed. Checked by kind, not only by the client's
// status: right after Redis dies the socket is already unwritable while the status still says 'ready'
// (the close has not been processed yet), and a command issued then must still count as "unavailable".
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'ECONNABORTED']);
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as NodeJS.ErrnoException;
  return (code !== undefined && CONNECTION_ERROR_CODES.has(code))
    || error.name === 'MaxRetriesPerRequestError'
    || /^(Stream isn't writeable|Connection is closed|Command cannot be queued)/.test(error.message);
}
