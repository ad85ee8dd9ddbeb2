import type { QueueSet } from '../definition/define';
import type { EventBus } from '../events/event-bus';
import type { JobProgress } from '../events/event-types';

/** One event of a single job, as a job's progress stream relays it. */
export type JobFeedEvent =
  | { readonly event: 'progress'; readonly eventId: string; readonly progress: JobProgress }
  | { readonly event: 'completed'; readonly eventId: string; readonly result: unknown }
  | { readonly event: 'failed'; readonly eventId: string; readonly failedReason: string }
  | { readonly event: 'removed'; readonly eventId: string };

/** The bus events a job's stream relays; every other event leaves the stream unchanged. */
export const FEED_EVENTS = ['progress', 'completed', 'failed', 'removed'] as const;

/**
 * The relayed form of one decoded bus event (or stream entry, for a replay): the fields a stream needs,
 * under the names the status route uses (`progress`, `result`, `failedReason`).
 */
export function toFeedEvent(
  event: (typeof FEED_EVENTS)[number],
  eventId: string,
  fields: { data?: unknown; returnvalue?: unknown; failedReason?: unknown },
): JobFeedEvent {
  if (event === 'progress') return { event, eventId, progress: (fields.data ?? 0) as JobProgress };
  if (event === 'completed') return { event, eventId, result: fields.returnvalue ?? null };
  if (event === 'failed') return { event, eventId, failedReason: String(fields.failedReason ?? '') };
  return { event, eventId };
}

interface FeedWatcher {
  readonly listener: (event: JobFeedEvent) => void;
  readonly onEventsLost: () => void;
}

type BusListener = (payload: { jobId: string; eventId: string; data?: JobProgress; returnvalue?: unknown; failedReason?: string }) => void;

/**
 * Fans the bus's events out to watchers of single jobs, through one bus listener per queue and event
 * name however many jobs are watched: an event costs one map lookup, not one call per open stream.
 * The bus listeners are added with a queue's first watcher and removed with its last, so with no
 * watchers the bus's listener counts are exactly what they were before.
 *
 * Delivery is synchronous and in bus order, so a job's progress events arrive before its `completed`.
 */
export class JobEventFeed {
  private readonly watchers = new Map<string, Set<FeedWatcher>>();
  private readonly attached = new Map<string, { watchers: number; listeners: Array<[string, BusListener]> }>();

  constructor(private readonly bus: EventBus<QueueSet>) {}

  /**
   * Calls `listener` for each progress, completed, failed and removed event of one job until the
   * returned function is called (which is idempotent). `onEventsLost` is called when the bus reports
   * that events of the job's queue were trimmed unread: the watcher must re-read the job's state.
   */
  watch(queue: string, jobId: string, listener: (event: JobFeedEvent) => void, onEventsLost: () => void = () => undefined): () => void {
    const key = `${queue}\0${jobId}`;
    let set = this.watchers.get(key);
    if (!set) this.watchers.set(key, (set = new Set()));
    // An entry per call, so the same function watching twice is removed once per stop.
    const entry: FeedWatcher = { listener, onEventsLost };
    set.add(entry);
    this.attach(queue);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      set!.delete(entry);
      if (set!.size === 0 && this.watchers.get(key) === set) this.watchers.delete(key);
      this.detach(queue);
    };
  }

  /** Number of jobs being watched (0 when every stream has closed). */
  get watchedJobCount(): number {
    return this.watchers.size;
  }

  private attach(queue: string): void {
    const current = this.attached.get(queue);
    if (current) {
      current.watchers++;
      return;
    }
    const listeners = FEED_EVENTS.map((event): [string, BusListener] => [`${queue}:${event}`, (payload) => this.relay(queue, event, payload)]);
    listeners.push([`${queue}:events-lost`, () => this.resync(queue)]);
    this.attached.set(queue, { watchers: 1, listeners });
    for (const [name, listener] of listeners) this.bus.on(name as never, listener as never);
  }

  private detach(queue: string): void {
    const current = this.attached.get(queue);
    if (!current || --current.watchers > 0) return;
    this.attached.delete(queue);
    for (const [name, listener] of current.listeners) this.bus.off(name as never, listener as never);
  }

  private relay(queue: string, event: (typeof FEED_EVENTS)[number], payload: Parameters<BusListener>[0]): void {
    const set = this.watchers.get(`${queue}\0${payload.jobId}`);
    if (!set) return;
    const relayed = toFeedEvent(event, payload.eventId, payload);
    // Every watcher runs even if one throws; the first error goes on to the bus's 'error' event.
    let failure: unknown;
    for (const watcher of [...set]) {
      try {
        watcher.listener(relayed);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  private resync(queue: string): void {
    for (const [key, set] of this.watchers) {
      if (key.startsWith(`${queue}\0`)) for (const watcher of [...set]) watcher.onEventsLost();
    }
  }
}
