import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The compiled path of a fixture under test/fixtures (tests run from dist/test). */
export function fixturePath(name: string): string {
  return join(__dirname, '..', 'fixtures', `${name}.js`);
}

/** The compiled `queuewire` command line. */
export const cliPath = join(__dirname, '..', '..', 'lib', 'cli.js');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A Node child process whose stdout is read line by line; lines holding JSON objects are parsed, so a
 * fixture can report what it saw (`{"event":"completed",…}`) and a test can wait for that fact.
 */
export class NodeChild {
  /** Every stdout line, parsed when it is a JSON object, else kept as text. */
  readonly lines: Array<Record<string, unknown> | string> = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  private readonly process: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private exit: Exit | undefined;

  constructor(script: string, args: readonly string[], nodeOptions: readonly string[] = []) {
    this.process = spawn(process.execPath, [...nodeOptions, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let partial = '';
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      for (const line of parts) this.lines.push(parseLine(line));
      this.notify();
    });
    this.process.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        if (partial) this.lines.push(parseLine(partial));
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  /** The JSON lines whose `event` field is `event`. */
  events(event: string): Array<Record<string, unknown>> {
    return this.lines.filter((line): line is Record<string, unknown> => typeof line === 'object' && line.event === event);
  }

  /**
   * Resolves with the first line `matches` accepts, once it has been printed. Rejects after `timeout` ms,
   * or when the process exits without printing it, showing what it did print.
   */
  waitForLine(matches: (line: Record<string, unknown> | string) => boolean, what: string, timeout = 10_000): Promise<Record<string, unknown> | string> {
    return this.waitFor(() => this.lines.find(matches), what, timeout);
  }

  /** Resolves once `read` returns something other than undefined (re-checked on every line and on exit). */
  waitFor<Value>(read: () => Value | undefined, what: string, timeout = 10_000): Promise<Value> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const value = read();
        if (value !== undefined) return done(() => resolve(value));
        if (this.exit) return done(() => reject(this.failure(`exited (${JSON.stringify(this.exit)}) before ${what}`)));
      };
      const timer = setTimeout(() => done(() => reject(this.failure(`no ${what} within ${timeout} ms`))), timeout);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends a signal to the process. */
  kill(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }

  /** Writes one line to the child's stdin (fixtures read commands this way). */
  send(line: string): void {
    this.process.stdin!.write(`${line}\n`);
  }

  /** Closes the child's stdin (fixtures read this as "close and exit"). */
  endInput(): void {
    this.process.stdin!.end();
  }

  /** Kills the process if it is still running and waits for it to be gone. */
  async stop(): Promise<void> {
    if (!this.exit) this.process.kill('SIGKILL');
    await this.exited;
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }

  private failure(message: string): Error {
    const printed = this.lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n');
    return new Error(`child ${this.pid}: ${message}\n--- stdout ---\n${printed}\n--- stderr ---\n${this.stderr}`);
  }
}

/** Runs a Node script to completion and returns its exit and output. */
export async function runNode(script: string, args: readonly string[], nodeOptions: readonly string[] = [], timeout = 15_000): Promise<Exit & { stdout: string; stderr: string }> {
  const child = new NodeChild(script, args, nodeOptions);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
  const exit = await child.exited;
  clearTimeout(timer);
  const stdout = child.lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n');
  return { ...exit, stdout, stderr: child.stderr };
}

function parseLine(line: string): Record<string, unknown> | string {
  if (!line.startsWith('{')) return line;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
}
