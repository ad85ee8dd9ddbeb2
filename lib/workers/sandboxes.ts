import type { HandlerRegistry } from './handlers';
import type { DelegatedRun } from './job-router';
import { SandboxPool } from './sandbox-pool';
import { isSandboxedHandler } from './sandboxed';

/**
 * The sandbox pools of one registry: one per module (and mode) its `sandboxed()` names point at, and
 * which pool runs each such name. Empty for a registry of in-process handlers only.
 */
export function sandboxesOf(registry: HandlerRegistry<any, any>): { runs: Map<string, DelegatedRun>; pools: SandboxPool[] } {
  const byModule = new Map<string, string[]>();
  const modes = new Map<string, boolean>();
  for (const [name, handler] of Object.entries(registry.handlers as Record<string, unknown>)) {
    if (!isSandboxedHandler(handler)) continue;
    const key = `${handler.useWorkerThreads ? 'thread' : 'process'}:${handler.module}`;
    byModule.set(key, [...(byModule.get(key) ?? []), name]);
    modes.set(key, handler.useWorkerThreads);
  }
  const runs = new Map<string, DelegatedRun>();
  const pools: SandboxPool[] = [];
  for (const [key, names] of byModule) {
    const pool = new SandboxPool(registry.queue, key.slice(key.indexOf(':') + 1), names, modes.get(key)!);
    pools.push(pool);
    for (const name of names) runs.set(name, pool.run);
  }
  return { runs, pools };
}
