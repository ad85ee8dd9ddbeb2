// (c) The same application through queuewire: `req.queue.add`, `startWorkers`, `client.events`.
// Loaded from the repository's build (dist/), which `npm run bench` refreshes first — through the copy
// the runner took at its start (QUEUEWIRE_DIST), so a rebuild during the run cannot change what runs.
import express from 'express';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as QueuewireApi from '../../../dist/lib/index.js';
import type { QueueClient, QueueSet } from '../../../dist/lib/index.js';
import type * as QueuewireExpress from '../../../dist/middleware/express.js';
import { handlerWork, JOB, listenerSink, QUEUE, type WorkResult } from '../shared.js';
import { closeServer, listen } from './http.js';
import type { Contender } from './types.js';

const dist = process.env.QUEUEWIRE_DIST ?? fileURLToPath(new URL('../../../dist', import.meta.url));
const load = async <Module>(file: string): Promise<Module> => ((await import(pathToFileURL(path.join(dist, file)).href)) as { default: Module }).default;
const { createQueueClient, defineQueues, handlers, job, startWorkers } = await load<typeof QueuewireApi>('lib/index.js');
const { queueErrorHandler, queueMiddleware } = await load<typeof QueuewireExpress>('middleware/express.js');

/** A definition with one job name, `work`, on each queue: the shape the other contenders use. */
function definition(names: string[]): QueueSet {
  const definitions: Record<string, { jobs: { work: ReturnType<typeof job<Record<string, unknown>, WorkResult>> } }> = {};
  for (const name of names) definitions[name] = { jobs: { [JOB]: job<Record<string, unknown>, WorkResult>() } as { work: ReturnType<typeof job<Record<string, unknown>, WorkResult>> } };
  return defineQueues(definitions);
}

const quiet = { info: () => undefined, warn: (message: string) => console.error(message), error: (message: string) => console.error(message) };

function client(redisUrl: string, names: string[]): QueueClient<QueueSet> {
  return createQueueClient({ queues: definition(names), connection: redisUrl, logger: quiet });
}

export const queuewire: Contender = {
  async web({ redisUrl, port }) {
    const queueClient = client(redisUrl, [QUEUE]);
    const app = express();
    app.use(express.json());
    app.use(queueMiddleware(queueClient));
    app.post('/enqueue', async (req, res) => {
      const added = await req.queue.add(QUEUE as never, JOB as never, req.body as never);
      res.status(202).json({ id: added.id });
    });
    app.post('/control', (_req, res) => {
      res.status(202).json({ id: '0' });
    });
    app.use(queueErrorHandler());
    await queueClient.health();
    const server = await listen(app, port);
    return async () => {
      await closeServer(server);
      await queueClient.close();
    };
  },

  async worker({ redisUrl, queues, concurrency }) {
    const queueClient = client(redisUrl, queues);
    const registries = queues.map((name) => handlers(queueClient.queues, name, { [JOB]: async (ran: { data: unknown }) => handlerWork.run(ran.data) } as never));
    const group = await startWorkers({ client: queueClient, handlers: registries, concurrency, handleSignals: false });
    return async () => {
      await group.close();
      await queueClient.close();
    };
  },

  async listener({ redisUrl, queues }) {
    const queueClient = client(redisUrl, queues);
    const bus = queueClient.events as unknown as { on(event: string, listener: (event: { queue: string; jobId: string; returnvalue: unknown }) => void): void; ready(): Promise<void> };
    if (queues.length === 1) bus.on(`${queues[0]}:completed`, (event) => listenerSink.record(event.queue, event.jobId, event.returnvalue));
    else bus.on('completed', (event) => listenerSink.record(event.queue, event.jobId, event.returnvalue));
    await bus.ready();
    return () => queueClient.close();
  },

  async webWithEvents({ redisUrl, queues }) {
    const queueClient = client(redisUrl, queues);
    const bus = queueClient.events as unknown as { on(event: string, listener: (event: { queue: string; jobId: string; returnvalue: unknown }) => void): void; ready(): Promise<void> };
    bus.on('completed', (event) => listenerSink.record(event.queue, event.jobId, event.returnvalue));
    await bus.ready();
    await Promise.all(queues.map((name) => queueClient.producer.add(name as never, JOB as never, { seq: 0 } as never)));
    return () => queueClient.close();
  },

  async requester({ redisUrl }) {
    const queueClient = client(redisUrl, [QUEUE]);
    await queueClient.events.ready();
    return {
      call: (data) => queueClient.producer.addAndWait(QUEUE as never, JOB as never, data as never, { timeout: 30_000 }),
      close: () => queueClient.close(),
    };
  },
};
