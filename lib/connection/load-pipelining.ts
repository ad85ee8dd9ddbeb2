import type { Redis } from 'ioredis';

/**
 * Auto-pipelining that follows load. Under load — other work of this client awaiting Redis — the
 * commands of one event-loop turn go out as one write, which cuts CPU per request. On an idle
 * connection a lone command is written at once: ioredis's batch costs a Pipeline object (it copies
 * every script command BullMQ defined) and a wait for the next turn, which at a low rate only adds CPU
 * and latency (see BENCHMARKS.md, "Where queuewire's cost comes from").
 *
 * ioredis reads `options.enableAutoPipelining` as it issues each command, so the flag can change from
 * one piece of work to the next. Order holds: while a batch waits to be flushed (its commands may come
 * from tracked work or from any other use of the connection, such as a queue handle's `getJob`), the
 * flag stays on, so later commands join a batch behind it instead of overtaking it.
 */
export class LoadPipelining {
  private inFlight = 0;

  constructor(private readonly connection: Redis) {
    connection.options.enableAutoPipelining = false;
  }

  /** Runs `work`; its commands pipeline when other tracked work is in flight or a batch is still waiting. */
  track<Result>(work: () => Promise<Result>): Promise<Result> {
    this.connection.options.enableAutoPipelining = this.inFlight > 0 || this.connection.autoPipelineQueueSize > 0;
    this.inFlight += 1;
    const settled = (): void => {
      this.inFlight -= 1;
      // Idle again: commands made outside tracked work (a lookup in a route) are written at once too.
      if (this.inFlight === 0) this.connection.options.enableAutoPipelining = this.connection.autoPipelineQueueSize > 0;
    };
    let pending: Promise<Result>;
    try {
      pending = work();
    } catch (error) {
      settled();
      throw error;
    }
    pending.then(settled, settled);
    return pending;
  }
}
