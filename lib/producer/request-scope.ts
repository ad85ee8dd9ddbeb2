import { randomUUID } from 'node:crypto';
import { InvalidIdempotencyKeyError } from '../errors';
import type { JobMetadata } from './job-metadata';

/** The HTTP headers the middleware reads: the request id, and the key that makes a request's adds idempotent. */
export const REQUEST_ID_HEADER = 'X-Request-Id';
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Twenty-four hours: how long, by default, a repeated `Idempotency-Key` returns the original job. */
export const DEFAULT_IDEMPOTENCY_WINDOW = 24 * 3600 * 1000;

/** What a per-request producer (`producer.withRequest(scope)`, `req.queue`) knows of its request. */
export interface RequestScope {
  /** Copied into the metadata of every job the request adds (`jobMetadata(job).requestId`). */
  readonly requestId?: string;
  /**
   * Makes the request's adds idempotent: repeating the request with the same key within the client's
   * `idempotencyWindow` adds nothing and returns the jobs the first one added (`job.duplicate`).
   */
  readonly idempotencyKey?: string;
  /**
   * More metadata for every job the request adds (a tenant, a user id), under `requestId`, before the
   * `beforeAdd` hooks run; string values only.
   */
  readonly metadata?: Readonly<JobMetadata>;
}

/** How the middleware finds the scope of a request; the request type is the framework's. */
export interface RequestScopeOptions<RequestType> {
  /**
   * The request id. Default: the `X-Request-Id` header. Whatever this gives must be 1–200 visible ASCII
   * characters, else (or when absent) a random UUID is used, so a bad header never fails a request.
   */
  requestId?: (request: RequestType) => string | undefined;
  /**
   * The idempotency key. Default: the `Idempotency-Key` header. Keys are shared by everyone who can
   * call the route: scope them to the caller when callers are not trusted to pick unique keys, e.g.
   * `(req) => req.get('Idempotency-Key') && \`${req.user.id}/${req.get('Idempotency-Key')}\``.
   * A key must be 1–255 characters without control characters, or the request's first add fails
   * with `InvalidIdempotencyKeyError` (400).
   */
  idempotencyKey?: (request: RequestType) => string | undefined;
  /**
   * Metadata for every job the request adds, read once per request, e.g.
   * `(req) => ({ tenant: req.get('X-Tenant') })`. Entries left `undefined` are dropped.
   */
  metadata?: (request: RequestType) => JobMetadata | undefined;
}

const REQUEST_ID = /^[\x21-\x7E]{1,200}$/;
// No control characters (they have no place in a header, a log line or a Redis key name).
// eslint-disable-next-line no-control-regex
const IDEMPOTENCY_KEY = /^[^\x00-\x1F\x7F]{1,255}$/;

/**
 * Builds the function an adapter calls once per request: cheap (a header read or two and, without a
 * usable request id, one UUID). The headers are checked only when a job is added, so requests that
 * add no job are never failed by them (a `metadata` function that throws does fail the request).
 */
export function requestScopeReader<RequestType>(
  options: RequestScopeOptions<RequestType>,
  header: (request: RequestType, name: string) => string | undefined,
): (request: RequestType) => RequestScope & { readonly requestId: string } {
  const readRequestId = options.requestId ?? ((request: RequestType) => header(request, REQUEST_ID_HEADER));
  const readIdempotencyKey = options.idempotencyKey ?? ((request: RequestType) => header(request, IDEMPOTENCY_KEY_HEADER));
  const readMetadata = options.metadata;
  return (request) => {
    const given = readRequestId(request);
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const idempotencyKey = readIdempotencyKey(request);
    const metadata = readMetadata?.(request);
    const scope: { requestId: string; idempotencyKey?: string; metadata?: JobMetadata } = { requestId };
    if (idempotencyKey !== undefined && idempotencyKey !== '') scope.idempotencyKey = idempotencyKey;
    if (metadata !== undefined) scope.metadata = metadata;
    return scope;
  };
}

/**
 * The BullMQ deduplication id of the `ordinal`-th add (from 1) of one job name under one idempotency
 * key. Per name and ordinal, so a request that adds several jobs maps each to its own original when it
 * is repeated (a repeat makes the same adds in the same order). Names hold no ':', so the id is
 * unambiguous whatever the key holds.
 *
 * @throws InvalidIdempotencyKeyError for an empty, oversize or control-character key
 */
export function idempotencyDeduplicationId(idempotencyKey: string, name: string, ordinal: number): string {
  if (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey) || idempotencyKey.trim() === '') {
    throw new InvalidIdempotencyKeyError(`Idempotency key ${JSON.stringify(String(idempotencyKey).slice(0, 40))}${String(idempotencyKey).length > 40 ? '…' : ''} is invalid: use 1 to 255 characters without control characters, e.g. a UUID.`);
  }
  return `idem:${name}:${ordinal}:${idempotencyKey}`;
}
