/** What a job waiting for a slot must still obey: an end (cancel) or an abort (shutdown) of its attempt. */
export interface StoppableAttempt {
  readonly stopped: boolean;
  whenStopped(): Promise<void>;
}

/**
 * The slots of one queue's worker that handlers take (C36: no more handlers run at once than the
 * concurrency). BullMQ counts jobs: an attempt that a timeout or cancel ended frees its job's slot there
 * at once, while a handler that ignores its signal is still running. Such a handler keeps its slot here
 * until it returns, and the next job's handler waits for one.
 */
export class HandlerSlots {
  private running = 0;
  private readonly outliving = new Set<Promise<void>>();
  // Wakers of the jobs waiting for a slot: one per wait, dropped once called, so nothing long-lived
  // collects a reaction per wait (a Promise.race on a handler that never returns would).
  private readonly waiting = new Set<() => void>();

  constructor(private readonly capacity: () => number) {}

  /**
   * Takes a slot when one is free now: always, unless a handler outlives its attempt. Synchronous, so
   * one freed slot is taken by one job: the check and the count happen in the same turn.
   */
  takeNow(): boolean {
    if (this.outliving.size > 0 && this.running + this.outliving.size >= this.capacity()) return false;
    this.running++;
    return true;
  }

  /**
   * Waits until a slot is free and takes it; false when the attempt was stopped first (its handler must
   * not start: a cancelled job fails at once, and a shutdown does not start work it then abandons).
   * Looks again whenever a handler returns, the concurrency changes or the attempt stops.
   */
  async waitFor(attempt: StoppableAttempt): Promise<boolean> {
    for (;;) {
      if (attempt.stopped) return false;
      if (this.takeNow()) return true;
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      this.waiting.add(wake);
      await Promise.race([woken, attempt.whenStopped()]);
      this.waiting.delete(wake);
    }
  }

  /** Gives a slot back, or hands it to `outlived`, the handler still running after its attempt ended. */
  release(outlived: Promise<unknown> | undefined): void {
    this.running--;
    if (outlived) {
      const settled = outlived.then(noop, noop);
      this.outliving.add(settled);
      void settled.then(() => {
        this.outliving.delete(settled);
        this.wakeAll();
      });
    } else if (this.waiting.size > 0) {
      this.wakeAll();
    }
  }

  /** Handlers still running after their attempt ended (a timeout or cancel they ignored). */
  get outlivingCount(): number {
    return this.outliving.size;
  }

  /** Tells waiting jobs that the concurrency changed: a raise may let them start. */
  capacityChanged(): void {
    this.wakeAll();
  }

  // Every waiter looks again; takeNow() lets as many start as there are free slots, in one turn each.
  private wakeAll(): void {
    for (const wake of this.waiting) wake();
    this.waiting.clear();
  }
}

function noop(): void {}
