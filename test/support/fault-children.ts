import { fixturePath, NodeChild } from './child-process';
import type { FaultProcessConfig } from '../fixtures/fault-process';

export type { FaultProcessConfig };

/** A line a child printed, when it is a JSON object. */
export type Line = Record<string, unknown>;

/** Whether `line` is the JSON line `{ event, … }` and every field of `fields` equals the line's. */
export function isLine(line: Line | string, event: string, fields: Line = {}): line is Line {
  return typeof line === 'object' && line.event === event && Object.entries(fields).every(([key, value]) => line[key] === value);
}

/**
 * Starts test/fixtures/fault-process.js with `config` and waits until each of its roles printed
 * `ready` (the web role's line carries its port). `nodeOptions` go before the script, e.g.
 * `--unhandled-rejections=strict`. `waitForReady: false` returns at once (Redis may be absent).
 */
export async function startFaultProcess(
  config: FaultProcessConfig,
  { nodeOptions = [], waitForReady = true, timeout = 10_000 }: { nodeOptions?: string[]; waitForReady?: boolean; timeout?: number } = {},
): Promise<NodeChild> {
  const child = new NodeChild(fixturePath('fault-process'), [JSON.stringify(config)], nodeOptions);
  if (waitForReady) await waitForRoles(child, config.roles, timeout);
  return child;
}

/** Waits until `child` printed a `ready` line for each of `roles`. */
export async function waitForRoles(child: NodeChild, roles: readonly string[], timeout = 10_000): Promise<void> {
  await Promise.all(roles.map((role) => child.waitForLine((line) => isLine(line, 'ready', { role }), `ready line of the ${role}`, timeout)));
}

/** The port the child's web role listens on (after its `ready` line). */
export function webPort(child: NodeChild): number {
  const ready = child.lines.find((line): line is Line => isLine(line, 'ready', { role: 'web' }));
  if (!ready) throw new Error(`child ${child.pid} has no web role ready yet`);
  return ready.port as number;
}
