import { EventEmitter } from 'eventemitter3';

type Listener = (...args: any[]) => unknown;
type ListenerMap = { [event: string]: Listener };

/**
 * A typed eventemitter3 whose listeners cannot hurt each other or the process: a listener that throws
 * (or returns a rejected promise) is reported on `error` and the remaining listeners still run.
 *
 * `on`, `once` and `off` take the caller's own function; the guard around it is kept internally so
 * `off(event, fn)` removes exactly what `on(event, fn)` added.
 */
export class GuardedEmitter<Events extends ListenerMap> {
  private readonly emitter = new EventEmitter();
  private readonly guards = new Map<string, Map<Listener, Listener[]>>();

  constructor(private readonly onListenerError: (error: unknown, event: string) => void) {}

  /** Calls `listener` for every `event` until `off` removes it. */
  on<Event extends Extract<keyof Events, string>>(event: Event, listener: Events[Event]): this {
    this.emitter.on(event, this.guard(event, listener, false));
    return this;
  }

  /** Calls `listener` for the next `event` only. */
  once<Event extends Extract<keyof Events, string>>(event: Event, listener: Events[Event]): this {
    this.emitter.once(event, this.guard(event, listener, true));
    return this;
  }

  /** Removes one registration of `listener` for `event` (all of them when `listener` is omitted). */
  off<Event extends Extract<keyof Events, string>>(event: Event, listener?: Events[Event]): this {
    const byListener = this.guards.get(event);
    if (!listener) {
      this.emitter.removeAllListeners(event);
      this.guards.delete(event);
      return this;
    }
    const wrapped = byListener?.get(listener)?.pop();
    if (wrapped) {
      this.emitter.off(event, wrapped);
      if (byListener!.get(listener)!.length === 0) byListener!.delete(listener);
    }
    return this;
  }

  /** How many listeners `event` has. */
  listenerCount(event: Extract<keyof Events, string>): number {
    return this.emitter.listenerCount(event);
  }

  /** Whether anyone listens to `event`; lets the bus skip decoding work nobody will see. */
  hasListeners(event: string): boolean {
    return this.emitter.listenerCount(event) > 0;
  }

  /** Delivers `payload` to every listener of `event`. */
  protected deliver(event: string, payload: unknown): void {
    this.emitter.emit(event, payload);
  }

  private guard(event: string, listener: Listener, once: boolean): Listener {
    const guarded: Listener = (payload: unknown) => {
      if (once) this.forget(event, listener, guarded);
      try {
        const result = listener(payload);
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).then(undefined, (error: unknown) => this.onListenerError(error, event));
        }
      } catch (error) {
        this.onListenerError(error, event);
      }
    };
    let byListener = this.guards.get(event);
    if (!byListener) this.guards.set(event, (byListener = new Map()));
    const list = byListener.get(listener) ?? [];
    list.push(guarded);
    byListener.set(listener, list);
    return guarded;
  }

  private forget(event: string, listener: Listener, guarded: Listener): void {
    const byListener = this.guards.get(event);
    const list = byListener?.get(listener);
    if (!list) return;
    const index = list.indexOf(guarded);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) byListener!.delete(listener);
  }
}
