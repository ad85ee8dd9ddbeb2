#!/usr/bin/env node
import { readdirSync, statSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createQueueClient } from './client';
import type { QueueSet } from './definition/define';
import { ConfigurationError, QueuewireError } from './errors';
import { isHandlerRegistry, type HandlerRegistry } from './workers/handlers';
import type { HandlerHooks } from './workers/handler-hooks';
import { ROLE_ENV, resolveRole } from './roles';
import { startWorkers } from './workers/workers';

const usage = `Usage: queuewire worker --queues <module> --handlers <file|dir> [options]

Starts BullMQ workers for the handler registries found in the given modules and runs them until
SIGTERM/SIGINT, then shuts down gracefully.

Options:
  --queues <module>         module exporting the defineQueues() result (as "queues" or default)
  --handlers <file|dir>     module, or directory of modules, exporting handlers() registries
                            (repeatable)
  --concurrency <n|q=n>     jobs at once: for every queue, or per queue as email=4 (repeatable)
  --redis <url>             Redis URL (default: $REDIS_URL, then redis://127.0.0.1:6379)
  --prefix <prefix>         Redis key prefix (default: bull)
  --shutdown-timeout <ms>   grace period for active jobs on shutdown (default: 25000)
  --hooks <module>          module exporting handler hooks ({ before, after, error } or an array) as
                            "hooks" or default; they run around every handler, with jobContext()
  --job-context             track jobContext() without hooks (see startWorkers' jobContext)
  -h, --help                show this help`;

/** Runs the `queuewire` command line; resolves when workers are running. */
export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv);
  if (values.help) {
    console.log(usage);
    return;
  }
  if (positionals.length === 0) throw new ConfigurationError(`no command given.\n\n${usage}`);
  if (positionals[0] !== 'worker' || positionals.length > 1) throw new ConfigurationError(`unknown command "${positionals.join(' ')}".\n\n${usage}`);
  if (!values.queues) throw new ConfigurationError(`--queues is required.\n\n${usage}`);
  if (!values.handlers?.length) throw new ConfigurationError(`--handlers is required.\n\n${usage}`);
  // Said before the modules are loaded or anything connects: a web deployment's environment started
  // this command by mistake, and it must not quietly take jobs from the real workers.
  if (resolveRole(undefined).role === 'web') {
    throw new ConfigurationError(`${ROLE_ENV} is "web" in this environment, and \`queuewire worker\` runs workers. Unset it or set it to "worker" (or "both") for the worker process.`);
  }

  const queues = await loadQueues(values.queues);
  const registries = (await Promise.all(values.handlers.flatMap(expandModules).map(loadRegistries))).flat();
  if (registries.length === 0) throw new ConfigurationError(`no handlers() registries found in ${values.handlers.join(', ')}.`);

  const hooks = values.hooks === undefined ? undefined : await loadHooks(values.hooks);

  const client = createQueueClient({ queues, connection: values.redis, prefix: values.prefix });
  const group = await startWorkers({
    client,
    handlers: registries,
    ...(hooks === undefined ? {} : { hooks }),
    ...(values['job-context'] ? { jobContext: true } : {}),
    concurrency: parseConcurrency(values.concurrency),
    shutdownTimeout: parseMilliseconds(values['shutdown-timeout'], '--shutdown-timeout'),
  }).catch(async (error: unknown) => {
    await client.close();
    throw error;
  });
  const served = [...group.workers.entries()].map(([queue, worker]) => `${queue} (concurrency ${worker.opts.concurrency})`);
  console.log(`queuewire worker ${process.pid}: serving ${served.join(', ')}`);
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        queues: { type: 'string' },
        handlers: { type: 'string', multiple: true },
        concurrency: { type: 'string', multiple: true },
        redis: { type: 'string' },
        prefix: { type: 'string' },
        'shutdown-timeout': { type: 'string' },
        hooks: { type: 'string' },
        'job-context': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // parseArgs reports a mistyped option as a TypeError; it is a usage error, so show the usage, not a stack.
    throw new ConfigurationError(`${(error as Error).message}\n\n${usage}`);
  }
}

async function importModule(path: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
}

// A wrong path is a usage error, not a crash: said before import() answers with a stack trace.
async function importModuleFile(path: string, flag: string, what: string): Promise<Record<string, unknown>> {
  const found = statSync(resolve(path), { throwIfNoEntry: false });
  if (!found) throw new ConfigurationError(`${flag} ${path}: no such file.`);
  if (found.isDirectory()) throw new ConfigurationError(`${flag} ${path}: a directory; give the file of ${what}.`);
  return importModule(path);
}

async function loadQueues(path: string): Promise<QueueSet> {
  const module = await importModuleFile(path, '--queues', 'the module');
  const candidates = [module.queues, module.default, (module.default as Record<string, unknown> | undefined)?.queues];
  const queues = candidates.find((value): value is QueueSet => typeof (value as QueueSet | undefined)?.definitions === 'object');
  if (!queues) throw new ConfigurationError(`${path} exports no defineQueues() result; export it as "queues" or as default.`);
  return queues;
}

// The hooks' shape is checked by startWorkers(), with its own messages; here only where they are.
async function loadHooks(path: string): Promise<HandlerHooks<QueueSet>> {
  const module = await importModuleFile(path, '--hooks', 'the hooks module');
  // A compiled TypeScript module's exports arrive under `default` when imported from CommonJS.
  const inner = (module.default ?? {}) as Record<string, unknown>;
  const hooks = module.hooks ?? inner.hooks ?? inner.default ?? module.default;
  if (typeof hooks !== 'object' || hooks === null) throw new ConfigurationError(`${path} exports no hooks; export { before, after, error } (or an array of them) as "hooks" or as default.`);
  return hooks as HandlerHooks<QueueSet>;
}

function expandModules(path: string): string[] {
  const full = resolve(path);
  if (!statSync(full, { throwIfNoEntry: false })) throw new ConfigurationError(`--handlers ${path}: no such file or directory.`);
  if (!statSync(full).isDirectory()) return [full];
  return readdirSync(full)
    .filter((file) => /\.(c|m)?js$/.test(file))
    .sort()
    .map((file) => join(full, file));
}

async function loadRegistries(path: string): Promise<HandlerRegistry[]> {
  const module = await importModule(path);
  const exported = [module.default, ...Object.values(module), ...Object.values((module.default ?? {}) as object)];
  return [...new Set(exported.filter(isHandlerRegistry))];
}

function parseMilliseconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new ConfigurationError(`${flag} ${value}: use a whole number of milliseconds.`);
  return Number(value);
}

function parseConcurrency(values: string[] | undefined): number | Record<string, number> | undefined {
  if (!values?.length) return undefined;
  if (values.length === 1 && /^\d+$/.test(values[0]!)) return Number(values[0]);
  const perQueue: Record<string, number> = {};
  for (const value of values) {
    const match = /^([^=]+)=(\d+)$/.exec(value);
    if (!match) throw new ConfigurationError(`--concurrency ${value}: use a number, or queue=number per queue.`);
    perQueue[match[1]!] = Number(match[2]);
  }
  return perQueue;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    const message = error instanceof QueuewireError ? error.message : error instanceof Error ? error.stack ?? error.message : String(error);
    console.error(`queuewire: ${message}`);
    process.exit(1);
  });
}
