// Starting and talking to the processes under test.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildConfig, ToChild } from './child.js';

const childScript = fileURLToPath(new URL('./child.js', import.meta.url));
const clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ChildOptions {
  /** Directory for `node --cpu-prof` output; no profiling when absent. */
  cpuProfDir?: string;
  /** Lets the runner ask the process to collect garbage before reading its memory. */
  exposeGc?: boolean;
  /** How long to wait for the process to say it is ready. */
  readyTimeoutMs?: number;
}

/** A process started by the runner, with its IPC channel. */
export class Child {
  private readonly inbox: Array<{ type: string }> = [];
  private readonly waiters: Array<{ type: string; resolve: (message: any) => void; reject: (error: Error) => void }> = [];
  private exited = false;

  private constructor(readonly process: ChildProcess, readonly label: string) {
    process.on('message', (message: { type: string; message?: string }) => {
      if (message.type === 'error') {
        this.failAll(new Error(`${label}: ${message.message}`));
        return;
      }
      const index = this.waiters.findIndex((waiter) => waiter.type === message.type);
      if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
      else this.inbox.push(message);
    });
    process.once('exit', (code, signal) => {
      this.exited = true;
      this.failAll(new Error(`${label} exited (code ${code}, signal ${signal})`));
    });
  }

  static async start(config: ChildConfig, options: ChildOptions = {}): Promise<Child> {
    const execArgv = [...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []), ...(options.exposeGc ? ['--expose-gc'] : [])];
    const label = 'contender' in config ? `${config.contender} ${config.role}` : config.role;
    const child = new Child(fork(childScript, [JSON.stringify(config)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }), label);
    try {
      await child.next('ready', options.readyTimeoutMs ?? 60_000);
    } catch (error) {
      child.kill();
      throw error;
    }
    return child;
  }

  get pid(): number {
    return this.process.pid!;
  }

  send(message: ToChild): void {
    this.process.send(message);
  }

  /** The next message of `type` (one that already arrived, or the next to come). */
  next<Message = any>(type: string, timeoutMs = 120_000): Promise<Message> {
    const index = this.inbox.findIndex((message) => message.type === type);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0] as Message);
    if (this.exited) return Promise.reject(new Error(`${this.label} has exited`));
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new Error(`${this.label}: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        type,
        resolve: (message: Message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends a request and waits for its answer. */
  async ask<Message = any>(message: ToChild, answer: string, timeoutMs?: number): Promise<Message> {
    const reply = this.next<Message>(answer, timeoutMs);
    this.send(message);
    return reply;
  }

  /** Asks the process to close its connections and exit; kills it if it has not within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    const exited = once(this.process, 'exit');
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.kill(), graceMs);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited) this.process.kill('SIGKILL');
  }

  /** Resident set size now, in MB (from /proc). */
  rssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return kb / 1024;
  }

  /** CPU time (user + system) used so far, in ms (from /proc). */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / clockTicksPerSecond;
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}

/** Stops every child, in parallel. */
export async function stopAll(children: Child[]): Promise<void> {
  await Promise.all(children.map((child) => child.stop()));
}
