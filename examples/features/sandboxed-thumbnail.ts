// The sandboxed half of examples/features/sandboxed.ts: loaded by path in a child process, never
// imported by the worker itself. Its handlers are typed from the same definition.
import { sandboxHandlers } from 'queuewire';
import { queues } from './sandboxed';

export default sandboxHandlers(queues, 'media', {
  thumbnail: async (job) => {
    await job.updateProgress({ stage: 'resizing' }); // reaches client.events as in-process progress does
    const out = resize(job.data.path, job.data.width); // blocks this child's event loop, not the worker's
    await job.updateProgress({ stage: 'done' });
    return { out, pid: process.pid };
  },
});

// Stands in for real image work: a few hundred ms of pure CPU.
function resize(path: string, width: number): string {
  let checksum = 0;
  for (let i = 0; i < 20_000_000; i++) checksum = (checksum + i * width) % 65_521;
  return `${path.replace(/\.\w+$/, '')}@${width}.webp#${checksum}`;
}
