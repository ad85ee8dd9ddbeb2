// `npm run bench` (after the root build): installs bench/'s own dependencies when they are missing or
// older than bench/package-lock.json, compiles the bench (bench/tsconfig.json) and runs it, passing on
// its arguments (`npm run bench -- --smoke`). Plain JavaScript: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const rootDir = path.dirname(benchDir);

function run(command, args, cwd = rootDir) {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.error) {
    console.error(`bench: could not run ${command}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (spawnSync('redis-server', ['--version']).error) {
  console.error('bench: needs redis-server on PATH (it starts a private one). Install it: sudo apt-get install -y redis-server');
  process.exit(1);
}

// npm ci records what it installed in node_modules/.package-lock.json; a newer lockfile means a stale install.
const installed = path.join(benchDir, 'node_modules', '.package-lock.json');
const lockfile = path.join(benchDir, 'package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lockfile).mtimeMs) {
  console.log('bench: installing bench/ dependencies (npm --prefix bench ci)');
  run('npm', ['ci', '--no-audit', '--no-fund'], benchDir);
}

run(process.execPath, [path.join(rootDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(benchDir, 'tsconfig.json')]);
run(process.execPath, [path.join(benchDir, 'dist', 'run.js'), ...process.argv.slice(2)]);
