// (a) What an application writes by hand on BullMQ: an Express 5 route over a module-level Queue, a raw
// Worker, raw QueueEvents (one per queue, as BullMQ offers them). Connection options, not instances, are
// passed, as BullMQ's docs show: each Queue, Worker and QueueEvents opens its own connections.
import { Queue, QueueEvents, Worker } from 'bullmq';
import express from 'express';
import { connectionOf, handlerWork, JOB, listenerSink, QUEUE, RETENTION } from '../shared.js';
import { closeServer, listen } from './http.js';
import type { Contender } from './types.js';

export const handwritten: Contender = {
  async web({ redisUrl, port }) {
    const queue = new Queue(QUEUE, { connection: connectionOf(redisUrl), defaultJobOptions: RETENTION });
    const app = express();
    app.use(express.json());
    app.post('/enqueue', async (req, res) => {
      const job = await queue.add(JOB, req.body);
      res.status(202).json({ id: job.id });
    });
    app.post('/control', (_req, res) => {
      res.status(202).json({ id: '0' });
    });
    await queue.waitUntilReady();
    const server = await listen(app, port);
    return async () => {
      await closeServer(server);
      await queue.close();
    };
  },

  async worker({ redisUrl, queues, concurrency }) {
    const workers = queues.map((name) => {
      const worker = new Worker(name, async (job) => handlerWork.run(job.data), { connection: connectionOf(redisUrl), concurrency });
      worker.on('error', (error) => console.error(`[handwritten worker] ${error.message}`));
      return worker;
    });
    await Promise.all(workers.map((worker) => worker.waitUntilReady()));
    return async () => {
      await Promise.all(workers.map((worker) => worker.close()));
    };
  },

  async listener({ redisUrl, queues }) {
    const all = queues.map((name) => {
      const events = new QueueEvents(name, { connection: connectionOf(redisUrl) });
      events.on('completed', ({ jobId, returnvalue }) => listenerSink.record(name, jobId, returnvalue));
      events.on('error', (error) => console.error(`[handwritten events] ${error.message}`));
      return events;
    });
    await Promise.all(all.map((events) => events.waitUntilReady()));
    return async () => {
      await Promise.all(all.map((events) => events.close()));
    };
  },

  async webWithEvents({ redisUrl, queues }) {
    const handles = queues.map((name) => new Queue(name, { connection: connectionOf(redisUrl), defaultJobOptions: RETENTION }));
    const closeListener = await handwritten.listener({ redisUrl, queues });
    await Promise.all(handles.map((queue) => queue.add(JOB, { seq: 0 })));
    return async () => {
      await closeListener();
      await Promise.all(handles.map((queue) => queue.close()));
    };
  },

  async requester({ redisUrl }) {
    const queue = new Queue(QUEUE, { connection: connectionOf(redisUrl), defaultJobOptions: RETENTION });
    const events = new QueueEvents(QUEUE, { connection: connectionOf(redisUrl) });
    // Every waitUntilFinished adds a 'closing' listener to the queue: many calls in flight pass Node's
    // default warning threshold of 10, which an application doing this would raise as well.
    queue.setMaxListeners(0);
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    return {
      async call(data) {
        const job = await queue.add(JOB, data);
        return job.waitUntilFinished(events, 30_000);
      },
      async close() {
        await events.close();
        await queue.close();
      },
    };
  },
};
