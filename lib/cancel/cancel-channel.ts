/**
 * BullMQ's `Worker.cancelJob()` only reaches jobs of the process that calls it. A cancel from another
 * process (a web request) is carried by Redis pub/sub: one channel per key prefix, to which every worker
 * group subscribes on one extra connection; the group holding the job aborts its handler.
 */
export function cancelChannel(prefix: string): string {
  return `${prefix}:queuewire:cancel`;
}

/** What travels on the channel. */
export interface CancelRequest {
  readonly queue: string;
  readonly jobId: string;
  readonly reason?: string;
}

export function encodeCancelRequest(request: CancelRequest): string {
  return JSON.stringify(request);
}

/** The request, or undefined for a message some other client wrote in a shape we do not know. */
export function decodeCancelRequest(message: string): CancelRequest | undefined {
  try {
    const value = JSON.parse(message) as Partial<CancelRequest>;
    if (typeof value?.queue !== 'string' || typeof value.jobId !== 'string') return undefined;
    return { queue: value.queue, jobId: value.jobId, ...(typeof value.reason === 'string' ? { reason: value.reason } : {}) };
  } catch {
    return undefined;
  }
}
