import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';

const root = join(__dirname, '..', '..');

describe('README excerpts', () => {
  it('every block marked "// excerpt of <file>" appears, line for line, in that compiled file', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n\/\/ excerpt of ([\w/.-]+\.ts)\n([\s\S]*?)```/g)];
    expect(blocks.length).to.be.at.least(4);
    for (const [, file, code] of blocks) {
      // Compared without indentation: an excerpt from inside a function is shown flush left.
      const excerpt = code!.trimEnd().split('\n').map((line) => line.trim()).join('\n');
      const source = readFileSync(join(root, file!), 'utf8').split('\n').map((line) => line.trim()).join('\n');
      expect(source, `README excerpt of ${file}:\n${excerpt}`).to.include(excerpt);
    }
  });
});
