import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { useRedisServer } from './support/harness';

// examples/features/testing.test.ts is the test an application would write with queuewire/testing; it
// is compiled with the library and run here as the application would run it: mocha on its own, in a
// process of its own, against a Redis given by REDIS_URL.
const exampleTest = join(__dirname, '..', 'examples', 'features', 'testing.test.js');
const mocha = require.resolve('mocha/bin/mocha.js');

describe('example examples/features/testing.test.ts (queuewire/testing in an application test suite)', () => {
  const redis = useRedisServer();

  it('passes under mocha on a real Redis and leaves no key behind (each test client deletes its prefix)', async () => {
    const child = spawn(process.execPath, [mocha, '--timeout', '8000', '--reporter', 'dot', exampleTest], {
      env: { ...process.env, REDIS_URL: redis().url, QUEUEWIRE_ROLE: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const [code] = (await once(child, 'exit')) as [number | null];

    expect(code, output).to.equal(0);
    expect(output).to.match(/4 passing/);
    const probe = redis().connect();
    try {
      expect(await probe.dbsize()).to.equal(0);
    } finally {
      probe.disconnect();
    }
  });
});
