// Summarises V8 CPU profiles (`npm run bench -- --cpu-prof DIR` writes one per process under test):
// where the samples' own time went (by package and by function), and how much time was spent under
// queuewire's frames (dist/lib, dist/middleware) inclusive of what they called.
//
//   node bench/dist/profile-summary.js FILE.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package a script belongs to: `bullmq`, `@nestjs/core`, `queuewire` (the repository's dist/), `node:` internals… */
function packageOf(rawUrl: string): string {
  const url = rawUrl.replace(/^file:\/\//, '');
  if (url === '') return '(native / idle / gc)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (/\/dist\/(\.bench-snapshot\/\d+\/)?(lib|middleware)\//.test(url)) return 'queuewire';
  if (url.includes('/bench/dist/')) return 'bench harness';
  return url;
}

/** A script's path from its package: `bullmq/dist/cjs/classes/job.js`, `dist/lib/producer/producer.js`. */
function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  return url.replace(/^.*\/dist\/(\.bench-snapshot\/\d+\/)?/, 'dist/');
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: profile-summary FILE.cpuprofile [--top N]');
  const topIndex = process.argv.indexOf('--top');
  const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // Framework frames: a queuewire middleware calls next(), so time below it that passes back through
  // the framework (the route, the response) is not queuewire's doing.
  const framework = new Set(['express', 'router', 'koa', 'koa-compose', '@nestjs/core', '@nestjs/platform-express']);
  const attributed = new Map<string, number>();
  const attributedByCallee = new Map<string, number>();
  let attributedTotal = 0;
  const selfByPackage = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusiveByQueuewireFunction = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let underQueuewire = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const leaf = byId.get(id)!;
    const name = leaf.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') {
      idle += delta;
      return;
    }
    total += delta;
    const pkg = packageOf(leaf.callFrame.url);
    selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + delta);
    const fn = `${name || '(anonymous)'} ${shortUrl(leaf.callFrame.url)}:${leaf.callFrame.lineNumber + 1}`;
    selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + delta);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (packageOf(frame.url) !== 'queuewire') continue;
      const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusiveByQueuewireFunction.set(key, (inclusiveByQueuewireFunction.get(key) ?? 0) + delta);
    }
    if (seen.size > 0) underQueuewire += delta;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const owner = packageOf(frame.url);
      if (framework.has(owner)) break;
      if (owner !== 'queuewire') continue;
      const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      attributed.set(key, (attributed.get(key) ?? 0) + delta);
      attributedByCallee.set(pkg, (attributedByCallee.get(pkg) ?? 0) + delta);
      attributedTotal += delta;
      break;
    }
  });

  const ms = (us: number): string => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const print = (title: string, map: Map<string, number>, count: number): void => {
    console.log(`\n${title}`);
    for (const [key, value] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) console.log(`${ms(value)} ${pct(value)}  ${key}`);
  };
  console.log(`${file}\nbusy ${ms(total)} (idle ${ms(idle)}); under queuewire frames (inclusive) ${ms(underQueuewire)} = ${pct(underQueuewire)} of busy`);
  print('self time by package', selfByPackage, 20);
  print('self time by function', selfByFunction, top);
  print('inclusive time of queuewire functions (a middleware includes what runs after its next())', inclusiveByQueuewireFunction, top);
  console.log(`\nqueuewire's own cost: samples whose innermost queuewire frame is not below a framework frame: ${ms(attributedTotal)} = ${pct(attributedTotal)} of busy`);
  print('  by that queuewire function', attributed, top);
  print('  by the package the time was spent in', attributedByCallee, 12);
}

main();
