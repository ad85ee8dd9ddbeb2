import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** One Markdown file to send. */
export interface DemoDocument {
  /** Path relative to the repository root, e.g. `node_modules/chai/README.md`. */
  path: string;
  markdown: string;
}

const README = /^readme\.(md|markdown)$/i;

/**
 * Every README.md (any case) under `node_modules`, sorted by path, the first `limit` of them when
 * given. Symbolic links (such as node_modules/.bin) are not followed, so no file is found twice.
 */
export async function findReadmes(root: string, limit?: number): Promise<DemoDocument[]> {
  const paths: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && README.test(entry.name)) paths.push(full);
    }
  };
  await walk(join(root, 'node_modules'));
  paths.sort();
  const chosen = limit === undefined ? paths : paths.slice(0, limit);
  return Promise.all(chosen.map(async (path) => ({ path: relative(root, path), markdown: await readFile(path, 'utf8') })));
}
