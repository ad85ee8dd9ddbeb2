import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Cleanup } from './cleanup';
import { DemoError } from './demo-error';

/** A Node child process the demo started and waits on. */
export interface DemoChild {
  readonly name: string;
  readonly process: ChildProcess;
  /** The match of the readiness line. */
  readonly ready: RegExpMatchArray;
  /** Everything it printed so far (both streams), for explaining a failure. */
  output(): string;
  /** Rejects with a `DemoError` if the child exits before `stop()` was called. */
  readonly unexpectedExit: Promise<never>;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`); resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<number | NodeJS.Signals>;
}

/**
 * Runs `node <args>` and resolves once it prints a line matching `ready` on stdout. The child gets its
 * own process group (detached), so a Ctrl-C in the terminal reaches the demo only and the demo stops
 * its children in order: two signals would make a worker abandon its jobs.
 */
export async function startNode(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  cleanup: Cleanup,
): Promise<DemoChild> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  cleanup.track(child);
  const lines: string[] = [];
  let stopping = false;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const output = (): string => lines.join('\n');

  const readyLine = new Promise<RegExpMatchArray>((resolve) => {
    for (const [stream, label] of [[child.stdout!, ''], [child.stderr!, '(stderr) ']] as const) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(`${label}${line}`);
        const match = stream === child.stdout ? ready.exec(line) : null;
        if (match) resolve(match);
      });
    }
  });
  // Settles only when the child exits without being asked to; a stopped child leaves it pending.
  const unexpectedExit = exited.then(([code, signal]): Promise<never> => {
    if (stopping) return new Promise<never>(() => undefined);
    throw new DemoError(`${name} exited unexpectedly (${signal ?? `code ${code}`}). Its output:\n${indent(output())}`);
  });
  unexpectedExit.catch(() => undefined);

  const stop = async (graceMs = 30_000): Promise<number | NodeJS.Signals> => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited.finally(() => clearTimeout(timer));
    }
    return child.signalCode ?? child.exitCode ?? 0;
  };
  cleanup.add(() => stop());

  let timer: NodeJS.Timeout | undefined;
  const startTimeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DemoError(`${name} did not get ready within 20 s. Its output:\n${indent(output())}`)), 20_000);
  });
  try {
    const match = await Promise.race([readyLine, unexpectedExit, startTimeout]);
    return {
      name,
      process: child,
      ready: match,
      output,
      unexpectedExit,
      stop,
    };
  } finally {
    clearTimeout(timer);
  }
}

function indent(text: string): string {
  return (text || '(nothing)').split('\n').map((line) => `    ${line}`).join('\n');
}
