import type { Connections } from './connections';
import { QueueUnavailableError } from '../errors';

/**
 * Runs Redis reads for a request within `timeout` ms, so a request answers 503 instead of hanging when
 * Redis is away: waits for the fail-fast producer connection, then bounds the work, and turns any
 * failure to reach Redis into `QueueUnavailableError`. Other errors (say, a job hash that cannot be
 * decoded) pass through unchanged: calling them "unavailable" would send the reader the wrong way.
 */
export function withinRedisTimeout<Result>(connections: Connections, timeout: number, work: () => Promise<Result>): Promise<Result> {
  // The common case, a ready connection, skips the wait for it: no extra promise, turn or timer.
  if (connections.producer.status === 'ready') return bounded(connections, timeout, timeout, work);
  const started = Date.now();
  return connections.waitForProducer(timeout).then(() => bounded(connections, timeout, Math.max(1, timeout - (Date.now() - started)), work));
}

function bounded<Result>(connections: Connections, timeout: number, remaining: number, work: () => Promise<Result>): Promise<Result> {
  return new Promise<Result>((resolve, reject) => {
    // The connection was ready and the work sent: past the deadline its outcome is unknown, not "refused".
    const timer = setTimeout(() => reject(connections.unanswered(timeout)), remaining);
    const settle = (error: unknown): void => {
      clearTimeout(timer);
      reject(asUnavailable(connections, timeout, error));
    };
    let pending: Promise<Result>;
    try {
      pending = connections.track(work);
    } catch (error) {
      settle(error);
      return;
    }
    pending.then((result) => {
      clearTimeout(timer);
      resolve(result);
    }, settle);
  });
}

function asUnavailable(connections: Connections, timeout: number, error: unknown): unknown {
  if (error instanceof QueueUnavailableError) return error;
  if (connections.producer.status === 'ready' && !isConnectionError(error)) return error;
  // With no offline queue, a command issued on a dead connection fails before it is written.
  return isUnsent(error) ? connections.unavailable(timeout, error) : connections.unanswered(timeout, error);
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
