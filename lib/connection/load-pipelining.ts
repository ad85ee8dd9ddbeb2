import type { Redis } from 'ioredis';

/**
 * Auto-pipelining that follows load. Under load — other work of this client awaiting Redis — the
 * commands of one event-loop turn go out as one write, which cuts CPU per request. On an idle
 * connection a lone command is written at once: ioredis's batch costs a Pipeline object (it copies
 * every script command BullMQ defined) and a wait for the next turn, which at a low rate only adds CPU
 * and latency (see BENCHMARKS.md, "Where queuewire's cost comes from").
 *
 * ioredis reads `options.enableAutoPipelining` as it issues each command, so the flag can change from
 * one piece of work to the next. Order holds: a batch waiting to be flushed belongs to work still in
 * flight, so everything started meanwhile also joins a batch rather than overtaking it.
 */
export class LoadPipelining {
  private inFlight = 0;

  constructor(private readonly connection: Redis) {
    connection.options.enableAutoPipelining = false;
  }

  /** Runs `work`, whose commands pipeline when other tracked work is in flight. */
  track<Result>(work: () => Promise<Result>): Promise<Result> {
    this.connection.options.enableAutoPipelining = this.inFlight > 0;
    this.inFlight += 1;
    let pending: Promise<Result>;
    try {
      pending = work();
    } catch (error) {
      this.inFlight -= 1;
      throw error;
    }
    const settled = (): void => {
      this.inFlight -= 1;
    };
    pending.then(settled, settled);
    return pending;
  }
}
