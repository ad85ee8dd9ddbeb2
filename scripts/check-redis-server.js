// The test harness starts its own redis-server processes; say how to get one instead of failing later.
const { spawnSync } = require('node:child_process');
const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
if (probe.error) {
  console.error('The tests need redis-server on PATH (they start private servers on free ports).');
  console.error('Install it: sudo apt-get install -y redis-server   (macOS: brew install redis)');
  process.exit(1);
}
