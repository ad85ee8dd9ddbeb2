// One application, deployed as web processes, worker processes, or one process doing both: the same
// entry point, with the role from QUEUEWIRE_ROLE (or the role option, which wins over it).
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createQueueClient, defineQueues, handlers, job, startWorkers, type ProcessRole, type QueueClient, type WorkerGroup } from 'queuewire';
import { queueErrorHandler, queueMiddleware } from 'queuewire/express';

export const queues = defineQueues({
  thumbnails: { jobs: { resize: job<{ url: string; width: number }, { width: number }>() } },
});

const thumbnailHandlers = handlers(queues, 'thumbnails', {
  resize: async (job) => ({ width: job.data.width }),
});

export interface RunningApp {
  client: QueueClient<typeof queues>;
  /** The HTTP server, in the web and both roles. */
  server?: Server;
  /** The workers, in the worker and both roles. */
  workers?: WorkerGroup;
  close(): Promise<void>;
}

export async function startApp(options: { connection?: string; prefix?: string; role?: ProcessRole; port?: number } = {}): Promise<RunningApp> {
  const { port = 0, ...clientOptions } = options;
  const client = createQueueClient({ queues, ...clientOptions }); // role: option, else QUEUEWIRE_ROLE, else 'both'
  let server: Server | undefined;
  let workers: WorkerGroup | undefined;
  if (client.role !== 'worker') {
    const app = express();
    app.use(express.json());
    app.use(queueMiddleware(client));
    app.post('/thumbnails', async (req, res) => {
      const added = await client.producer.add('thumbnails', 'resize', { url: String(req.body.url), width: Number(req.body.width) });
      res.status(202).json({ id: added.id });
    });
    app.use(queueErrorHandler());
    server = app.listen(port);
  }
  if (client.role !== 'web') {
    workers = await startWorkers({ client, handlers: [thumbnailHandlers], handleSignals: false });
  }
  return {
    client,
    server,
    workers,
    async close() {
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      await client.close(); // closes the workers too
    },
  };
}

/** The port a started server listens on. */
export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}
