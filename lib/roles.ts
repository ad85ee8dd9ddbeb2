import { ConfigurationError } from './errors';

/**
 * What a process of the application does with its queue client:
 * - `'web'`: serves requests and adds jobs (`queueMiddleware`, `jobRoutes`, `client.producer`, the
 *   event bus); `startWorkers` refuses to run;
 * - `'worker'`: runs handlers (`startWorkers`, the CLI) and may add follow-up jobs and use the bus;
 *   `queueMiddleware` and `jobRoutes` refuse to be mounted;
 * - `'both'`: everything, in one process (development, small apps, tests).
 */
export type ProcessRole = 'web' | 'worker' | 'both';

/** The environment variable a client reads its role from when `createQueueClient({ role })` is not given. */
export const ROLE_ENV = 'QUEUEWIRE_ROLE';

const ROLES: readonly ProcessRole[] = ['web', 'worker', 'both'];

/** A role and where it came from, so a refusal can say which setting to change. */
export interface ResolvedRole {
  readonly role: ProcessRole;
  /** `role option`, `QUEUEWIRE_ROLE=<value>` or `default`. */
  readonly source: string;
}

/**
 * The role of a client: the `role` option, else `QUEUEWIRE_ROLE` (an empty value counts as unset),
 * else `'both'`. Checked when the client is created, before anything connects.
 *
 * @throws ConfigurationError naming the option or the environment variable that holds an unknown role
 */
export function resolveRole(option: unknown, environment: NodeJS.ProcessEnv = process.env): ResolvedRole {
  if (option !== undefined) {
    if (!ROLES.includes(option as ProcessRole)) {
      throw new ConfigurationError(`createQueueClient(): role must be one of ${ROLES.map((role) => `"${role}"`).join(', ')}; got ${describe(option)}.`);
    }
    return { role: option as ProcessRole, source: 'role option' };
  }
  const fromEnvironment = environment[ROLE_ENV];
  if (fromEnvironment === undefined || fromEnvironment === '') return { role: 'both', source: 'default' };
  if (!ROLES.includes(fromEnvironment as ProcessRole)) {
    throw new ConfigurationError(`${ROLE_ENV} must be one of ${ROLES.join(', ')} (or unset, for both); got ${JSON.stringify(fromEnvironment)}. Fix the environment of this process, or pass createQueueClient({ role }), which wins over it.`);
  }
  return { role: fromEnvironment as ProcessRole, source: `${ROLE_ENV}=${fromEnvironment}` };
}

/**
 * Refuses a part of the library that the client's role excludes: workers in a `'web'` process, request
 * middleware in a `'worker'` process. Called where that part starts, before it opens any connection.
 *
 * @throws ConfigurationError saying the role, where it came from and how to change it
 */
export function assertRoleAllows(client: { readonly role: ProcessRole; readonly roleSource: string }, part: 'web' | 'worker', where: string): void {
  const { role, roleSource: source } = client;
  if (role === 'both' || role === part) return;
  const does = part === 'worker' ? 'runs workers' : 'serves requests';
  throw new ConfigurationError(`${where} ${does}, but this queue client's role is "${role}" (${source}): a ${role} process does not. Start it in a process whose role is "${part}" or "both" (set ${ROLE_ENV}, or createQueueClient({ role })).`);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value !== null ? 'an object' : String(value);
}
