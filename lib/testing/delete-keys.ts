import type { Redis } from 'ioredis';

/** Keys asked for per SCAN step: small enough that one step never blocks Redis noticeably. */
const SCAN_COUNT = 500;

/**
 * Deletes every key under `<prefix>:` — a test client's queues, jobs, events streams and locks — with
 * SCAN and UNLINK in steps of a few hundred keys, so a large test prefix never blocks Redis (KEYS or
 * one huge DEL would). Keys of other prefixes are never touched. Resolves with the number deleted.
 */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<number> {
  // The prefix is matched literally: glob characters in it must not widen the pattern.
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}:*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}
