import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const source = join(root, 'test', 'types', 'typing.ts');

describe('types: compile-time checks (test/types/typing.ts)', () => {
  it('C48: each @ts-expect-error in typing.ts marks a type error on its own line, and nothing else fails', async function () {
    this.timeout(60_000);
    const lines = readFileSync(source, 'utf8').split('\n');
    // The line after each directive, numbered from 1 as tsc reports it.
    const expected = lines.flatMap((line, index) => (/^\s*\/\/ @ts-expect-error\b/.test(line) ? [index + 2] : []));
    expect(expected.length, 'directives in typing.ts').to.be.above(20);

    // Compile a copy without the directives (same depth below the root, so imports resolve alike) in a
    // directory outside the build: every formerly expected error must now be reported, exactly there.
    mkdirSync(join(root, 'test-output'), { recursive: true });
    const dir = mkdtempSync(join(root, 'test-output', 'types-'));
    try {
      writeFileSync(join(dir, 'typing.ts'), lines.map((line) => line.replace(/\/\/ @ts-expect-error\b.*/, '// (expected error below)')).join('\n'));
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true, rootDir: '../..', types: ['node'] },
        include: [],
        files: ['typing.ts'],
      }));
      const output = await new Promise<string>((resolve) => {
        execFile(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'],
          { cwd: root }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
      });
      const reported = [...output.matchAll(/typing\.ts\((\d+),\d+\): error/g)].map((match) => Number(match[1]));
      const others = output.split('\n').filter((line) => line.trim() && !/typing\.ts\(\d+,\d+\): error/.test(line) && !/^\s/.test(line));
      expect(others, 'errors outside typing.ts').to.deep.equal([]);
      expect([...new Set(reported)].sort((a, b) => a - b), output).to.deep.equal(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
