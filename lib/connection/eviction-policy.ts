import type { Redis } from 'ioredis';

/** What queuewire found out about Redis's `maxmemory-policy`. */
export interface EvictionPolicyFinding {
  /** The policy, or `null` when Redis would not say (CONFIG disabled on managed services). */
  readonly policy: string | null;
  /** True only for `noeviction`: any other policy lets Redis delete job keys under memory pressure. */
  readonly ok: boolean;
  /** Why the finding is not ok, in words an operator can act on. */
  readonly warning?: string;
}

/**
 * Reads `maxmemory-policy`. Under any policy other than `noeviction` Redis may evict job hashes and
 * queue lists when memory runs short, which loses jobs silently. Never throws: a refused CONFIG command
 * gives a finding with `policy: null` and a warning saying what to check by hand.
 */
export async function readEvictionPolicy(redis: Redis): Promise<EvictionPolicyFinding> {
  const policy = await readFromInfo(redis).catch(() => null) ?? await readFromConfig(redis).catch((error: Error) => error);
  if (policy instanceof Error) return unreadable(policy.message);
  if (policy === null) return unreadable('neither INFO nor CONFIG GET named it');
  if (policy === 'noeviction') return { policy, ok: true };
  return {
    policy,
    ok: false,
    warning: `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict job data and lose jobs. Set it to "noeviction".`,
  };
}

// INFO first: managed services that disable CONFIG still answer it (BullMQ itself relies on it).
async function readFromInfo(redis: Redis): Promise<string | null> {
  const info = await redis.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? null;
}

async function readFromConfig(redis: Redis): Promise<string | null> {
  const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
  return reply[1] ?? null;
}

function unreadable(reason: string): EvictionPolicyFinding {
  return {
    policy: null,
    ok: false,
    warning: `Could not read Redis maxmemory-policy (${reason}); make sure it is "noeviction", or jobs may be evicted under memory pressure.`,
  };
}
