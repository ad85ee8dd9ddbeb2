/**
 * Lets a test decide when a handler takes its next step: the handler awaits `pass(jobId)`, the test
 * calls `open(jobId)` once per step. A test thus waits for facts (an event it caused) and never for
 * a guessed amount of time.
 */
export class Gates {
  private readonly opened = new Map<string, number>();
  private readonly passed = new Map<string, number>();
  private readonly waiting = new Map<string, () => void>();
  private allOpen = false;

  /** Resolves when the test has opened one more gate for this job than the handler has passed. */
  pass(jobId: string): Promise<void> {
    const passed = (this.passed.get(jobId) ?? 0) + 1;
    this.passed.set(jobId, passed);
    if (this.allOpen || (this.opened.get(jobId) ?? 0) >= passed) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(jobId, resolve));
  }

  /** Lets the job take one more step. */
  open(jobId: string): void {
    this.opened.set(jobId, (this.opened.get(jobId) ?? 0) + 1);
    if ((this.opened.get(jobId) ?? 0) >= (this.passed.get(jobId) ?? 0)) this.wake(jobId);
  }

  /** Opens every gate for good, so workers can finish and close after a test. */
  openAll(): void {
    this.allOpen = true;
    for (const jobId of [...this.waiting.keys()]) this.wake(jobId);
  }

  private wake(jobId: string): void {
    const resolve = this.waiting.get(jobId);
    this.waiting.delete(jobId);
    resolve?.();
  }
}
