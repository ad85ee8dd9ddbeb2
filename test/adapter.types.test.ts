import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';

// dist/test/adapter.types.test.js → the repository root.
const root = path.resolve(__dirname, '..', '..');

describe('adapter types (C48): ctx.queue and the job routes', function () {
  this.timeout(30_000);

  it('ctx.queue is the strict producer despite @types/koa\'s index signature, and authorize sees typed jobs: every marked misuse fails to compile', () => {
    // test/types/job-routes/koa.ts marks each line that must not compile with @ts-expect-error; tsc
    // fails on a marked line that compiles, so a clean run proves every one of them is refused.
    const tscBin = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
    const tsc = spawnSync(process.execPath, [tscBin, '-p', 'test/types/job-routes'], { cwd: root, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).to.equal('');
    expect(tsc.status).to.equal(0);
  });
});
