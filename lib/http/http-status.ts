import { AddRefusedError, QueuewireError, ValidationError, type ValidationIssue } from '../errors';

// The HTTP answer each error code stands for. Kept in the core so every framework adapter maps alike.
const statusByCode: Record<string, number> = {
  QW_UNKNOWN_QUEUE: 400,
  QW_UNKNOWN_JOB: 400,
  QW_UNSERIALIZABLE_VALUE: 400,
  QW_INVALID_JOB_OPTIONS: 400,
  QW_INVALID_FLOW: 400,
  QW_VALIDATION_FAILED: 400,
  QW_INVALID_IDEMPOTENCY_KEY: 400,
  QW_ADD_REFUSED: 403, // or the status the hook's AddRefusedError carries
  QW_PAYLOAD_TOO_LARGE: 413,
  QW_QUEUE_UNAVAILABLE: 503,
  QW_CLOSED: 503,
  QW_WAIT_TIMEOUT: 504,
  QW_JOB_FAILED: 502,
  QW_INVALID_ADMIN_ARGUMENT: 400,
  QW_JOB_NOT_FOUND: 404,
  QW_JOB_STATE_CONFLICT: 409,
};

/**
 * The HTTP status and JSON body for a queuewire error, or `undefined` for any other error (leave those
 * to the application's own error handling). A `ValidationError`'s body also lists its `issues`
 * (`[{ path, message }]`).
 */
export function toHttpError(error: unknown): { status: number; body: { error: { code: string; message: string; issues?: readonly ValidationIssue[] } }; retryAfter?: number } | undefined {
  if (!(error instanceof QueuewireError)) return undefined;
  const status = error instanceof AddRefusedError ? error.status : statusByCode[error.code] ?? 500;
  return {
    status,
    body: { error: { code: error.code, message: error.message, ...(error instanceof ValidationError ? { issues: error.issues } : {}) } },
    ...(status === 503 ? { retryAfter: 1 } : {}),
  };
}
