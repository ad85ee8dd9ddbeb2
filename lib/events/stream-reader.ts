import type { Redis } from 'ioredis';
import { compareStreamIds } from './stream-id';

/** New entries of one stream, in order, and how many entries before them were trimmed unread. */
export interface StreamBatch {
  readonly key: string;
  readonly entries: ReadonlyArray<readonly [id: string, fields: string[]]>;
  /** Set when entries after `afterId` (the last one read) were trimmed before they could be read. */
  readonly gap?: { readonly afterId: string; readonly resumedAtId: string; readonly lost: number };
}

/** A key that cannot be read as a stream (another client wrote something else there). */
export interface BrokenStream {
  readonly key: string;
  readonly reason: string;
}

// Reads the entries after each position together with the stream's counters, atomically. Redis ≥ 7
// counts every entry ever added (`entries-added`), so the reader knows the sequence number of the
// entry it stands on and of the oldest entry still kept: the difference is what was trimmed unread.
// (Before Redis 7 the counter is absent and no gap is reported.) Streams without new entries are
// left out of the reply.
const READ_WITH_COUNTERS = `
local out = {}
for i, key in ipairs(KEYS) do
  -- One key that is not a stream must not stop the others: its error is returned in its place.
  local ok, entries = pcall(redis.call, 'XRANGE', key, '(' .. ARGV[i + 1], '+', 'COUNT', ARGV[1])
  if not ok then
    out[#out + 1] = { key, 'error', tostring(entries.err or entries) }
  elseif #entries > 0 then
    local added, length, first = -1, 0, '0-0'
    local info = redis.call('XINFO', 'STREAM', key)
    for j = 1, #info, 2 do
      if info[j] == 'entries-added' then added = info[j + 1]
      elseif info[j] == 'length' then length = info[j + 1]
      elseif info[j] == 'first-entry' and info[j + 1] then first = info[j + 1][1] end
    end
    out[#out + 1] = { key, entries, added, length, first }
  end
end
return out`;

const COMMAND = 'queuewireReadEventsAfter';

/** How soon after catching up the reader may block again without checking for trimmed entries (ms). */
const GAP_CHECK_SKIP_MS = 20;
/** BullMQ's default cap of a queue's events stream, and the smallest cap for which the skip is safe. */
const BULLMQ_EVENTS_CAP = 10_000;
const MIN_CAP_TO_SKIP = 2_000;

// BullMQ keeps a queue's settings, its events cap among them, in `<prefix>:<queue>:meta`.
function metaKeyOf(eventsKey: string): string {
  return `${eventsKey.slice(0, -':events'.length)}:meta`;
}

type ReadReply = Array<[key: string, entries: Array<[string, string[]]>, entriesAdded: number, length: number, firstId: string] | [key: string, error: 'error', reason: string]>;
type ReaderClient = Redis & { [COMMAND](numberOfKeys: number, ...args: Array<string | number>): Promise<ReadReply> };

/** Where the reader stands in one stream: the last entry it handed out and its sequence number. */
interface Position {
  id: string;
  /** 1-based count of entries ever added up to and including `id`; unknown before Redis 7. */
  sequence: number | undefined;
}

/**
 * Follows many Redis streams on one connection, from a pinned position, without losing track.
 *
 * While there is a backlog it reads with an atomic script that also tells whether entries were trimmed
 * before being read. Once caught up it blocks on `XREAD` for all streams at once and hands out what
 * that returns; before blocking again it re-runs the trim check unless it caught up moments ago, when
 * no entry can have been trimmed unread (see `next`).
 */
export class StreamReader {
  private readonly positions = new Map<string, Position>();
  /** Keys that failed to read as streams; left out of the blocking wait until a read succeeds again. */
  private readonly broken = new Set<string>();
  /** Keys that broke since the caller last asked, to be reported once each. */
  private newlyBroken: BrokenStream[] = [];
  /** When the last blocking read returned less than a full batch (see `next`). */
  private caughtUpAt: number | undefined;
  /** The smallest events cap (MAXLEN) among the streams, read from BullMQ's queue meta at `pin`. */
  private smallestCap = BULLMQ_EVENTS_CAP;

  constructor(
    private readonly connection: Redis,
    private readonly keys: readonly string[],
    private readonly options: { batchSize: number; blockTimeout: number },
  ) {
    if (!(COMMAND in connection)) connection.defineCommand(COMMAND, { lua: READ_WITH_COUNTERS });
  }

  /** Pins every stream at its newest entry, so that reading starts exactly after what exists now. */
  async pin(): Promise<void> {
    const pipeline = this.connection.pipeline();
    for (const key of this.keys) pipeline.xrevrange(key, '+', '-', 'COUNT', 1).xinfo('STREAM', key).hget(metaKeyOf(key), 'opts.maxLenEvents');
    const replies = (await pipeline.exec()) ?? [];
    // The skip in `next` relies on the cap being large; a queue configured with a small one keeps the
    // check before every read.
    this.smallestCap = Math.min(...this.keys.map((_, index) => {
      const [error, cap] = replies[3 * index + 2] ?? [];
      return error || cap === null || cap === undefined ? BULLMQ_EVENTS_CAP : Number(cap) || BULLMQ_EVENTS_CAP;
    }));
    this.keys.forEach((key, index) => {
      const [rangeError, entries] = replies[3 * index] ?? [];
      if (rangeError) {
        if (!rangeError.message.startsWith('WRONGTYPE')) throw rangeError;
        this.markBroken(key, rangeError.message);
        this.positions.set(key, { id: '0-0', sequence: undefined });
        return;
      }
      const newest = (entries as Array<[string, string[]]>)[0];
      // XINFO fails on a stream that does not exist yet: nothing was ever added, so the count is 0.
      const [infoError, info] = replies[3 * index + 1] ?? [];
      const sequence = infoError ? 0 : entriesAdded(info as unknown[]);
      this.positions.set(key, { id: newest ? newest[0] : '0-0', sequence });
    });
  }

  /** Streams that became unreadable since the last call (each reported once until it recovers). */
  takeBroken(): BrokenStream[] {
    const taken = this.newlyBroken;
    this.newlyBroken = [];
    return taken;
  }

  /** Marks `id` of `key` as handled: the next read starts after it. */
  advance(key: string, id: string): void {
    const position = this.positions.get(key)!;
    position.id = id;
    if (position.sequence !== undefined) position.sequence += 1;
  }

  /**
   * The next entries after the positions, waiting up to the block timeout for some to arrive.
   * Resolves with an empty list when none came. Positions move only through `advance`.
   */
  async next(): Promise<StreamBatch[]> {
    // Right after a blocking read that came back with less than a full batch, the reader was caught
    // up a moment ago: entries can have been trimmed unread since only if more than the stream's cap
    // (BullMQ keeps about 10 000 events) were added within GAP_CHECK_SKIP_MS, so the counter script
    // is skipped and a steady flow of events costs one round trip each, as with QueueEvents. After a
    // full batch, an error, a slow listener or a quiet spell, the script runs first again.
    const caughtUpRecently = this.caughtUpAt !== undefined && this.smallestCap >= MIN_CAP_TO_SKIP && performance.now() - this.caughtUpAt < GAP_CHECK_SKIP_MS;
    this.caughtUpAt = undefined;
    if (!caughtUpRecently) {
      const batches = await this.readBacklog();
      if (batches.length > 0) return batches;
    }
    const healthy = this.keys.filter((key) => !this.broken.has(key));
    if (healthy.length === 0) {
      // Nothing to block on: look again shortly, so a repaired key is noticed.
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.options.blockTimeout, 1000)));
      return [];
    }
    const ids = healthy.map((key) => this.positions.get(key)!.id);
    const woke = (await this.connection.xread('COUNT', this.options.batchSize, 'BLOCK', this.options.blockTimeout, 'STREAMS', ...healthy, ...ids).catch((error: Error) => {
      // A key turned into something else since the last read: the script finds out which, per key.
      if (error.message.startsWith('WRONGTYPE')) return 'recheck' as const;
      throw error;
    })) as Array<[string, Array<[string, string[]]>]> | 'recheck' | null;
    if (woke === 'recheck') return this.readBacklog();
    // The reader was caught up just before (the script found nothing after our positions, or a recent
    // read was not full), so what the blocking read returns follows them directly and is handed out as
    // is, saving a round trip on the latency path.
    const batches = (woke ?? []).map(([key, entries]) => ({ key, entries }));
    if (batches.length > 0 && batches.every(({ entries }) => entries.length < this.options.batchSize)) this.caughtUpAt = performance.now();
    return batches;
  }

  private async readBacklog(): Promise<StreamBatch[]> {
    const reply = await (this.connection as ReaderClient)[COMMAND](this.keys.length, ...this.keys, this.options.batchSize, ...this.currentIds());
    const failed = new Set<string>();
    for (const row of reply) {
      if (row[1] === 'error') {
        failed.add(row[0]);
        this.markBroken(row[0], row[2]);
      }
    }
    for (const key of [...this.broken]) if (!failed.has(key)) this.broken.delete(key);
    return reply.flatMap((row): StreamBatch[] => {
      if (row[1] === 'error') return [];
      const [key, entries, added, length, firstId] = row;
      const position = this.positions.get(key)!;
      const afterId = position.id;
      if (added < 0) {
        position.sequence = undefined;
        return [{ key, entries }];
      }
      // The oldest entry still kept is entry number added - length + 1. When we stand before it, the
      // entries between us and it were trimmed before we read them.
      const firstSequence = added - length + 1;
      const standsBeforeFirst = compareStreamIds(firstId, afterId) > 0;
      const lost = standsBeforeFirst && position.sequence !== undefined ? firstSequence - position.sequence - 1 : 0;
      // Re-anchor on what Redis says, so a stream that was deleted and recreated cannot skew later counts.
      if (standsBeforeFirst) position.sequence = firstSequence - 1;
      return [lost > 0 ? { key, entries, gap: { afterId, resumedAtId: entries[0]![0], lost } } : { key, entries }];
    });
  }

  private markBroken(key: string, reason: string): void {
    if (this.broken.has(key)) return;
    this.broken.add(key);
    this.newlyBroken.push({ key, reason });
  }

  private currentIds(): string[] {
    return this.keys.map((key) => this.positions.get(key)!.id);
  }
}

function entriesAdded(info: unknown[]): number | undefined {
  const index = info.indexOf('entries-added');
  return index >= 0 ? Number(info[index + 1]) : undefined;
}
