/**
 * Ids of Redis stream entries (`<milliseconds>-<sequence>`), which the job progress stream uses as its
 * SSE event ids. They are compared as number pairs: string order is wrong once the lengths differ.
 */

const STREAM_ID = /^(\d{1,15})-(\d{1,15})$/;

/** Whether `value` is a well-formed stream entry id (and so a Last-Event-ID this server could have sent). */
export function isStreamId(value: unknown): value is string {
  return typeof value === 'string' && STREAM_ID.test(value);
}

/** Negative, zero or positive as `a` is before, equal to or after `b`. Both must be stream ids. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = split(a);
  const [bMs, bSeq] = split(b);
  return aMs !== bMs ? Math.sign(aMs - bMs) : Math.sign(aSeq - bSeq);
}

function split(id: string): [number, number] {
  const match = STREAM_ID.exec(id);
  if (!match) throw new TypeError(`"${id}" is not a stream id`);
  return [Number(match[1]), Number(match[2])];
}
