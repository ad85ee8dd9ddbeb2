import { MalformedEventError } from '../errors';
import { JOB_EVENT_NAMES, QUEUE_EVENT_NAMES, type JobEventName, type QueueEventName } from './event-types';

/** One decoded stream entry, before the bus adds the job name. */
export type DecodedEvent =
  | { kind: 'job'; event: JobEventName; fields: Record<string, unknown> & { jobId: string } }
  | { kind: 'queue'; event: QueueEventName; fields: Record<string, unknown> }
  | { kind: 'ignored' };

const jobEvents = new Set<string>(JOB_EVENT_NAMES);
const queueEvents = new Set<string>(QUEUE_EVENT_NAMES);

// BullMQ writes these fields as JSON text or numbers-as-strings; decode them exactly as QueueEvents does,
// so a listener receives the value the handler returned, not its encoding. Maps, not object literals:
// the event name comes from the stream, and 'toString' or 'constructor' must not find Object.prototype.
const jsonFields = new Map<string, string>([['progress', 'data'], ['completed', 'returnvalue']]);
const numberFields = new Map<string, string>([['delayed', 'delay'], ['retries-exhausted', 'attemptsMade'], ['cleaned', 'count']]);

/**
 * Decodes one entry of a queue's events stream. Returns a `MalformedEventError` (instead of throwing) for
 * entries BullMQ would never write, so one bad entry from a foreign writer cannot stop the bus.
 */
export function decodeEvent(queue: string, eventId: string, flat: readonly string[]): DecodedEvent | MalformedEventError {
  if (flat.length % 2 !== 0) return new MalformedEventError(queue, eventId, 'odd number of field values');
  // The event name is kept out of `fields` as they are built: deleting it afterwards would turn every
  // event's object into a slow dictionary, which the bus then copies into each payload.
  const fields: Record<string, unknown> = {};
  let event: string | undefined;
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === 'event') event = flat[i + 1];
    else fields[flat[i]!] = flat[i + 1];
  }
  if (typeof event !== 'string') return new MalformedEventError(queue, eventId, 'no "event" field');

  const jsonField = jsonFields.get(event);
  if (jsonField !== undefined) {
    const raw = fields[jsonField];
    if (typeof raw !== 'string') return new MalformedEventError(queue, eventId, `"${event}" without a "${jsonField}" field`);
    try {
      fields[jsonField] = JSON.parse(raw);
    } catch (error) {
      return new MalformedEventError(queue, eventId, `"${jsonField}" is not JSON (${(error as Error).message})`);
    }
  }
  const numberField = numberFields.get(event);
  if (numberField !== undefined) {
    const value = Number(fields[numberField]);
    if (!Number.isFinite(value)) return new MalformedEventError(queue, eventId, `"${numberField}" is not a number`);
    fields[numberField] = value;
  }

  if (jobEvents.has(event)) {
    if (typeof fields.jobId !== 'string' || fields.jobId.length === 0) {
      return new MalformedEventError(queue, eventId, `"${event}" without a jobId`);
    }
    return { kind: 'job', event: event as JobEventName, fields: fields as Record<string, unknown> & { jobId: string } };
  }
  if (queueEvents.has(event)) return { kind: 'queue', event: event as QueueEventName, fields };
  // Events newer BullMQ versions may add are skipped rather than guessed at.
  return { kind: 'ignored' };
}
