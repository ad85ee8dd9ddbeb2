// Prints the Redis connections a web process (producer + event bus) and a worker process hold with 1
// and 20 queues defined, counted with CLIENT LIST. Usage: npm run build && node scripts/count-connections.js <redis port>
const { createQueueClient, defineQueues, job, handlers, startWorkers } = require('../dist/lib/index.js');
const { Redis } = require('ioredis');
async function count(port) { const r = new Redis(port); const l = await r.client('LIST'); r.disconnect(); return l.trim().split('\n').length - 1; }
(async () => {
  const port = Number(process.argv[2]);
  for (const n of [1, 20]) {
    const defs = {}; for (let i = 0; i < n; i++) defs['q' + i] = { jobs: { run: job() } };
    const queues = defineQueues(defs);
    const base = await count(port);
    const web = createQueueClient({ queues, connection: `redis://127.0.0.1:${port}`, prefix: 'm' + n });
    await web.events.ready();
    for (let i = 0; i < n; i++) await web.producer.add('q' + i, 'run', {});
    const webCount = (await count(port)) - base;
    const wc = createQueueClient({ queues, connection: `redis://127.0.0.1:${port}`, prefix: 'm' + n });
    const regs = Object.keys(defs).map((q) => handlers(queues, q, { run: async () => 1 }));
    const g = await startWorkers({ client: wc, handlers: regs, handleSignals: false });
    await new Promise((r) => setTimeout(r, 300));
    const workerCount = (await count(port)) - base - webCount;
    console.log(`${n} queue(s): web process (producer + bus) = ${webCount} connections; worker process = ${workerCount} connections`);
    await g.close(); await wc.close(); await web.close();
  }
})();
