import type { Job } from 'bullmq';
import { InvalidJobOptionsError } from '../errors';

/**
 * Metadata that travels with a job beside its data: the id of the request that enqueued it, and what
 * `beforeAdd` hooks add (a tenant, a user id, a trace parent). A flat map of strings, like headers.
 * Declare your own keys once, by declaration merging, to have them typed everywhere:
 *
 * ```ts
 * declare module 'queuewire' {
 *   interface JobMetadata { tenant?: string }
 * }
 * ```
 *
 * Stored in the job's options (`opts.telemetry.metadata`, a string BullMQ keeps with the job and never
 * interprets unless BullMQ's own telemetry is configured, which queuewire does not do) as JSON, so the
 * job's data stays exactly what the producer sent. Read it with `jobMetadata(job)`.
 */
export interface JobMetadata {
  /** The `X-Request-Id` of the request that enqueued the job (generated when it had none). */
  requestId?: string;
  [key: string]: string | undefined;
}

/** Largest encoded metadata accepted, in bytes: it is a label, not a second payload. */
export const MAX_METADATA_BYTES = 8 * 1024;

const empty: Readonly<JobMetadata> = Object.freeze({});

/**
 * The metadata of a job: in a handler (`jobMetadata(job).requestId`), or for a job read from Redis in
 * a bus listener (`jobMetadata(await client.queue(e.queue).getJob(e.jobId))`). A job added without
 * metadata, by another producer, or missing (`undefined`) gives `{}`; never throws.
 */
export function jobMetadata(job: Pick<Job, 'opts'> | null | undefined): Readonly<JobMetadata> {
  const encoded = job?.opts?.telemetry?.metadata;
  if (typeof encoded !== 'string' || !encoded.startsWith('{')) return empty;
  try {
    const parsed: unknown = JSON.parse(encoded);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return empty;
    // Only string entries: a foreign writer's other values are not metadata queuewire promised.
    const metadata: JobMetadata = {};
    for (const [key, value] of Object.entries(parsed)) {
      // defineProperty, so a "__proto__" entry stays an entry rather than touching the prototype.
      if (typeof value === 'string') Object.defineProperty(metadata, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return Object.freeze(metadata);
  } catch {
    return empty;
  }
}

/**
 * Encodes metadata for the job's options, or `undefined` when there is none. Entries whose value is
 * `undefined` are dropped; any other non-string value, or an encoding over `MAX_METADATA_BYTES`, is
 * refused with `InvalidJobOptionsError` (a hook's mistake, reported before Redis is touched).
 */
export function encodeMetadata(metadata: JobMetadata, where: string): string | undefined {
  // Checked in place rather than copied: this runs on every add, and JSON.stringify already drops
  // the entries left undefined.
  let entries = 0;
  for (const key of Object.keys(metadata)) {
    const value = metadata[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw new InvalidJobOptionsError(`${where}: metadata "${key}" must be a string; got ${typeof value}.`);
    }
    entries++;
  }
  if (entries === 0) return undefined;
  const encoded = JSON.stringify(metadata);
  // A UTF-16 unit takes at most 3 bytes in UTF-8: most encodings are measured without Buffer.
  const bytes = encoded.length * 3 <= MAX_METADATA_BYTES ? encoded.length : Buffer.byteLength(encoded);
  if (bytes > MAX_METADATA_BYTES) {
    throw new InvalidJobOptionsError(`${where}: metadata is ${bytes} bytes encoded, over the limit of ${MAX_METADATA_BYTES}; keep it to short labels.`);
  }
  return encoded;
}
