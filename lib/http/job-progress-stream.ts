import { PassThrough, type Readable } from 'node:stream';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { withinRedisTimeout } from '../connection/bounded-redis';
import type { Connections } from '../connection/connections';
import { decodeEvent } from '../events/event-decoder';
import type { EventBus } from '../events/event-bus';
import { FEED_EVENTS, toFeedEvent, type JobEventFeed, type JobFeedEvent } from './job-event-feed';
import { readJobStatus, type JobStatus } from './job-status';
import { sseComment, sseEvent } from './sse-frames';
import { compareStreamIds, isStreamId } from '../events/stream-id';

/** What a progress stream needs from the job routes that open it. */
export interface ProgressStreamContext {
  readonly connections: Connections;
  readonly bus: EventBus<any>;
  readonly feed: JobEventFeed;
  /** `<prefix>:<queue>:events` for a queue. */
  readonly eventsKey: (queue: string) => string;
  readonly handle: (queue: string) => Queue;
  readonly redisTimeout: number;
  readonly heartbeatInterval: number;
}

export interface ProgressStreamRequest {
  readonly queue: string;
  readonly jobId: string;
  /** The `Last-Event-ID` header of a reconnecting EventSource, if any. */
  readonly lastEventId: string | undefined;
  /** Aborted when the client goes away; the stream then stops and lets go of its watchers. */
  readonly signal: AbortSignal | undefined;
  /** Whether the caller may see the job (the routes' access rule). */
  readonly canSee: (job: Job) => Promise<boolean>;
}

/**
 * How opening went: the job is not there for this caller (404), the caller has already seen its end
 * (204, which tells EventSource to stop reconnecting), or a stream to send.
 */
export type ProgressStreamOpening =
  | { readonly kind: 'hidden' }
  | { readonly kind: 'seen-to-end' }
  | { readonly kind: 'stream'; readonly stream: Readable };

// Entries read per XRANGE when replaying what a reconnecting client missed.
const REPLAY_BATCH = 500;

/**
 * Opens the Server-Sent Events stream of one job.
 *
 * Frames (data is JSON; `id:` is the id of a Redis stream entry of the job's queue, `<ms>-<seq>`):
 * - `state` — the job's status (as the status route answers it), first on every fresh stream. Its
 *   id is the newest entry of the queue's events stream when the state was read.
 * - `progress` `{ progress }` — each `job.updateProgress()`, id = that event's entry.
 * - `completed` `{ result }` / `failed` `{ failedReason }` — the end; then the stream closes. A job
 *   already finished when the stream opens gets `state` and its end frame at once.
 * - `removed` `{}` — the job was deleted while watched; then the stream closes.
 * - `: ping` comments every `heartbeatInterval` ms.
 *
 * No race with a job that moves meanwhile: the stream watches the bus (and waits until the bus has
 * pinned its read position) before it reads anything, then skips bus events that are not newer
 * than what it already sent. A progress value may be sent twice (in `state` and as an event), never
 * missed.
 *
 * Reconnects: a `Last-Event-ID` still covered by the queue's events stream resumes — the job's
 * events after that id (read back from Redis), then live ones, and no `state` frame; if those
 * include the end, it is sent and the stream closes; if the job finished before that id, the
 * client has seen the end and gets 204. An id the stream no longer covers (trimmed, or not ours)
 * gets a fresh stream starting with `state`, which sums up everything missed.
 */
export async function openJobProgressStream(context: ProgressStreamContext, request: ProgressStreamRequest): Promise<ProgressStreamOpening> {
  const buffered: JobFeedEvent[] = [];
  let live: ((event: JobFeedEvent) => void) | undefined;
  // Watch first: every event from here on is either buffered or sent live.
  let resync: (() => void) | undefined;
  const stopWatching = context.feed.watch(
    request.queue,
    request.jobId,
    (event) => (live ? live(event) : buffered.push(event)),
    () => resync?.(),
  );
  let opening: Awaited<ReturnType<typeof firstFrames>>;
  try {
    opening = await firstFrames(context, request);
  } catch (error) {
    stopWatching();
    throw error;
  }
  if (opening.kind !== 'frames') {
    stopWatching();
    return opening;
  }

  const stream = new PassThrough();
  // Writes after the client left are dropped; an error on the stream only ends it.
  stream.on('error', () => undefined);
  // One chunk: a client never sees a terminal `state` without the end frame that follows it.
  stream.write(opening.frames.join('') || sseComment('resumed'));
  if (opening.ended) {
    stopWatching();
    stream.end();
    return { kind: 'stream', stream };
  }

  let sentUpTo = opening.position;
  let heartbeat: NodeJS.Timeout | undefined;
  const stop = () => {
    live = () => undefined;
    stopWatching();
    clearInterval(heartbeat);
    request.signal?.removeEventListener('abort', stop);
  };
  live = (event) => {
    if (compareStreamIds(event.eventId, sentUpTo) <= 0) return; // already sent, or summed up in `state`
    sentUpTo = event.eventId;
    if (stream.writableEnded || stream.destroyed) return stop();
    stream.write(toFrame(event));
    if (isEnd(event)) {
      stop();
      stream.end();
    }
  };
  // The bus fell behind a trimmed stream: events of this job may be gone, so send its state again (and
  // its end, if it ended meanwhile) read from Redis.
  resync = () => {
    withinRedisTimeout(context.connections, context.redisTimeout, () => readJobStatus(context.handle(request.queue), request.jobId))
      .then((found) => {
        if (!found || stream.writableEnded || stream.destroyed) return;
        const end = endOf(found.status, sentUpTo);
        stream.write(sseEvent('state', found.status, sentUpTo) + (end ? toFrame(end) : ''));
        if (end) {
          stop();
          stream.end();
        }
      }, () => undefined);
  };
  stream.once('close', stop);
  request.signal?.addEventListener('abort', stop);
  heartbeat = setInterval(() => {
    if (!stream.writableEnded && !stream.destroyed) stream.write(sseComment('ping'));
  }, context.heartbeatInterval);
  heartbeat.unref();
  for (const event of buffered.splice(0)) live(event);
  if (request.signal?.aborted) {
    stop();
    stream.destroy();
  }
  return { kind: 'stream', stream };
}

/**
 * Reads what a new stream starts with. Runs after the caller began watching the job: `position` is
 * the entry id up to which these frames account for the job; watched events after it are sent.
 */
async function firstFrames(
  context: ProgressStreamContext,
  request: ProgressStreamRequest,
): Promise<Exclude<ProgressStreamOpening, { kind: 'stream' }> | { kind: 'frames'; frames: string[]; ended: boolean; position: string }> {
  const { queue, jobId } = request;
  const bounded = <Result>(work: () => Promise<Result>) => withinRedisTimeout(context.connections, context.redisTimeout, work);
  // Until the bus has pinned its position, events written now would reach neither the bus nor our reads.
  await bounded(() => context.bus.ready());
  const redis = context.connections.producer;
  const eventsKey = context.eventsKey(queue);
  const readVisible = async () => {
    const found = await bounded(() => readJobStatus(context.handle(queue), jobId));
    return found && (await request.canSee(found.job)) ? found : undefined;
  };

  // The order of reads decides what can be missed. A resume reads the job first, then the entries
  // after Last-Event-ID up to the newest: an end the replay does not hold happened before that id.
  if (isStreamId(request.lastEventId)) {
    const lastEventId = request.lastEventId;
    const found = await readVisible();
    if (!found) return { kind: 'hidden' };
    const resumed = await bounded(() => readMissedEvents(redis, eventsKey, queue, jobId, lastEventId));
    if (resumed) {
      const end = resumed.events.findIndex(isEnd);
      if (end === -1 && isFinished(found.status)) return { kind: 'seen-to-end' };
      const missed = end === -1 ? resumed.events : resumed.events.slice(0, end + 1);
      return { kind: 'frames', frames: missed.map(toFrame), ended: end !== -1, position: resumed.scannedUpTo };
    }
  }
  // A fresh stream reads the newest entry id first, then the job: the state sums up every entry up
  // to that id, and the bus brings everything after it.
  const position = await bounded(() => newestEntryId(redis, eventsKey));
  const found = await readVisible();
  if (!found) return { kind: 'hidden' };
  const end = endOf(found.status, position);
  const frames = [sseEvent('state', found.status, position), ...(end ? [toFrame(end)] : [])];
  return { kind: 'frames', frames, ended: end !== undefined, position };
}

const isEnd = (event: JobFeedEvent): boolean => event.event !== 'progress';

const isFinished = (status: JobStatus): boolean => status.state === 'completed' || status.state === 'failed';

function endOf(status: JobStatus, eventId: string): JobFeedEvent | undefined {
  if (status.state === 'completed') return { event: 'completed', eventId, result: status.result ?? null };
  if (status.state === 'failed') return { event: 'failed', eventId, failedReason: status.failedReason ?? '' };
  return undefined;
}

function toFrame(event: JobFeedEvent): string {
  switch (event.event) {
    case 'progress': return sseEvent('progress', { progress: event.progress }, event.eventId);
    case 'completed': return sseEvent('completed', { result: event.result }, event.eventId);
    case 'failed': return sseEvent('failed', { failedReason: event.failedReason }, event.eventId);
    case 'removed': return sseEvent('removed', {}, event.eventId);
  }
}

/** The id of the newest entry of an events stream, or `0-0` for an empty (or absent) stream. */
async function newestEntryId(redis: Redis, eventsKey: string): Promise<string> {
  const [newest] = (await redis.xrevrange(eventsKey, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
  return newest ? newest[0] : '0-0';
}

/**
 * The job's relayed events after `lastEventId`, read back from the queue's events stream, up to the
 * stream's newest entry at the start (`scannedUpTo`). `undefined` when the stream does not cover the
 * whole range — entries after `lastEventId` were trimmed (before or during the read), or the id is
 * not one of this stream's — so the caller starts afresh instead of silently skipping events.
 */
async function readMissedEvents(
  redis: Redis,
  eventsKey: string,
  queue: string,
  jobId: string,
  lastEventId: string,
): Promise<{ events: JobFeedEvent[]; scannedUpTo: string } | undefined> {
  const oldestId = async () => ((await redis.xrange(eventsKey, '-', '+', 'COUNT', 1)) as Array<[string, string[]]>)[0]?.[0];
  const [oldest, newest] = await Promise.all([oldestId(), newestEntryId(redis, eventsKey)]);
  if (oldest === undefined || compareStreamIds(oldest, lastEventId) > 0 || compareStreamIds(lastEventId, newest) > 0) return undefined;
  const events: JobFeedEvent[] = [];
  let after = lastEventId;
  while (compareStreamIds(after, newest) < 0) {
    const entries = (await redis.xrange(eventsKey, nextStreamId(after), newest, 'COUNT', REPLAY_BATCH)) as Array<[string, string[]]>;
    for (const [id, flat] of entries) {
      const event = decodeJobEntry(queue, jobId, id, flat);
      if (event) events.push(event);
    }
    if (entries.length < REPLAY_BATCH) break;
    after = entries[entries.length - 1]![0];
  }
  // Trimming removes the oldest entries: if it reached past lastEventId while we read, we missed some.
  const stillOldest = await oldestId();
  if (stillOldest === undefined || compareStreamIds(stillOldest, lastEventId) > 0) return undefined;
  return { events, scannedUpTo: newest };
}

// The smallest id after `id` (exclusive XRANGE bounds need Redis 6.2; this works on any version).
function nextStreamId(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${Number(seq) + 1}`;
}

const feedEvents = new Set<string>(FEED_EVENTS);

/** One stream entry as a relayed event if it is one of `jobId`'s relayed events; decodes nothing else. */
function decodeJobEntry(queue: string, jobId: string, id: string, flat: readonly string[]): JobFeedEvent | undefined {
  let mine = false;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i] === 'jobId') {
      mine = flat[i + 1] === jobId;
      break;
    }
  }
  if (!mine) return undefined;
  const decoded = decodeEvent(queue, id, flat);
  if (decoded instanceof Error || decoded.kind !== 'job' || !feedEvents.has(decoded.event)) return undefined;
  return toFeedEvent(decoded.event as (typeof FEED_EVENTS)[number], id, decoded.fields as { data?: unknown; returnvalue?: unknown; failedReason?: unknown });
}
