import type { Connections } from '../connection/connections';
import { withinRedisTimeout } from '../connection/bounded-redis';
import { jobMetadata, type JobMetadata } from '../producer/job-metadata';

const empty: Readonly<JobMetadata> = Object.freeze({});

/**
 * Reads the metadata of a stored job with one HGET of its options on the producer connection (the bus's
 * own connection is busy blocking on the event streams). BullMQ stores the options in the job hash with
 * short keys: the metadata string is `tm` (what `job.opts.telemetry.metadata` is decoded from).
 * Resolves `{}` for a missing job, a job without metadata, an unreadable hash, or Redis not answering
 * within `timeout` ms; never rejects, so a listener can log with it without a try/catch.
 */
export async function readStoredMetadata(connections: Connections, jobKey: string, timeout: number): Promise<Readonly<JobMetadata>> {
  let stored: string | null;
  try {
    stored = await withinRedisTimeout(connections, timeout, () => connections.producer.hget(jobKey, 'opts'));
  } catch {
    return empty;
  }
  if (stored === null) return empty;
  try {
    const options: unknown = JSON.parse(stored);
    const encoded = typeof options === 'object' && options !== null ? (options as { tm?: unknown }).tm : undefined;
    return typeof encoded === 'string' ? jobMetadata({ opts: { telemetry: { metadata: encoded } } }) : empty;
  } catch {
    return empty;
  }
}
