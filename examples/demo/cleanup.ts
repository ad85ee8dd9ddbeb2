import type { ChildProcess } from 'node:child_process';

/**
 * What the demo must undo before it exits, run last-registered first: children before the Redis they
 * use, the private redis-server last. `run()` runs each step once, however often it is called.
 */
export class Cleanup {
  private readonly steps: Array<() => Promise<unknown>> = [];
  private readonly children = new Set<ChildProcess>();
  private running: Promise<void> | undefined;

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  /** Remembers a child so that `killAll()` can reach it even when the orderly steps never ran. */
  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        await this.steps.pop()!().catch((error: unknown) => {
          console.error(`demo: cleanup step failed: ${error instanceof Error ? error.message : String(error)}`);
        });
      }
    })();
    return this.running;
  }

  /** Last resort, synchronous (usable in process 'exit'): SIGKILL every child still running. */
  killAll(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}
