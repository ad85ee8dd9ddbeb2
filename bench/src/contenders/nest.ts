// (b) The same application as a minimal NestJS app with @nestjs/bullmq, written the way its docs show:
// BullModule.forRoot + registerQueue, a controller with an injected queue, a @Processor worker and a
// @QueueEventsListener. One module per process role, so a web process runs no listener it does not need.
import 'reflect-metadata';
import { BullModule, getQueueToken, InjectQueue, OnQueueEvent, Processor, QueueEventsHost, QueueEventsListener, WorkerHost } from '@nestjs/bullmq';
import { Body, Controller, HttpCode, Inject, Injectable, Module, Post, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Job, Queue } from 'bullmq';
import { connectionOf, handlerWork, JOB, listenerSink, QUEUE, RETENTION } from '../shared.js';
import type { Contender } from './types.js';

@Controller()
class BenchController {
  constructor(@InjectQueue(QUEUE) private readonly queue: Queue) {}

  @Post('enqueue')
  @HttpCode(202)
  async enqueue(@Body() body: unknown): Promise<{ id: string | undefined }> {
    const job = await this.queue.add(JOB, body);
    return { id: job.id };
  }

  @Post('control')
  @HttpCode(202)
  control(@Body() _body: unknown): { id: string } {
    return { id: '0' };
  }
}

function named<Class extends Type<unknown>>(target: Class, name: string): Class {
  Object.defineProperty(target, 'name', { value: name });
  return target;
}

function processorFor(queue: string, concurrency: number): Type<WorkerHost> {
  @Processor(queue, { concurrency })
  class BenchProcessor extends WorkerHost {
    async process(job: Job): Promise<unknown> {
      return handlerWork.run(job.data);
    }
  }
  return named(BenchProcessor, `BenchProcessor_${queue}`);
}

function listenerFor(queue: string): Type<QueueEventsHost> {
  @QueueEventsListener(queue)
  class BenchListener extends QueueEventsHost {
    @OnQueueEvent('completed')
    onCompleted({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }): void {
      listenerSink.record(queue, jobId, returnvalue);
    }
  }
  return named(BenchListener, `BenchListener_${queue}`);
}

/** A listener with no handlers of its own: the QueueEvents that `waitUntilFinished` needs. */
function waitListenerFor(queue: string): Type<QueueEventsHost> {
  @QueueEventsListener(queue)
  class BenchWaitListener extends QueueEventsHost {}
  return named(BenchWaitListener, `BenchWaitListener_${queue}`);
}

function bullImports(redisUrl: string, queues: string[]) {
  return [
    BullModule.forRoot({ connection: connectionOf(redisUrl) }),
    BullModule.registerQueue(...queues.map((name) => ({ name, defaultJobOptions: RETENTION }))),
  ];
}

async function context(module: Type<unknown>): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(module, { logger: false });
  await app.init();
  return app;
}

async function readyListeners(app: INestApplicationContext, listeners: Array<Type<QueueEventsHost>>): Promise<void> {
  await Promise.all(listeners.map((listener) => app.get(listener).queueEvents.waitUntilReady()));
}

export const nest: Contender = {
  async web({ redisUrl, port }) {
    @Module({ imports: bullImports(redisUrl, [QUEUE]), controllers: [BenchController] })
    class WebModule {}
    const app = await NestFactory.create(WebModule, { logger: false });
    await app.get<Queue>(getQueueToken(QUEUE)).waitUntilReady();
    await app.listen(port, '127.0.0.1');
    return () => app.close();
  },

  async worker({ redisUrl, queues, concurrency }) {
    const processors = queues.map((name) => processorFor(name, concurrency));
    @Module({ imports: bullImports(redisUrl, queues), providers: processors })
    class WorkerModule {}
    const app = await context(WorkerModule);
    for (const processor of processors) app.get(processor).worker.on('error', (error) => console.error(`[nest worker] ${error.message}`));
    await Promise.all(processors.map((processor) => app.get(processor).worker.waitUntilReady()));
    return () => app.close();
  },

  async listener({ redisUrl, queues }) {
    const listeners = queues.map((name) => listenerFor(name));
    @Module({ imports: bullImports(redisUrl, queues), providers: listeners })
    class ListenerModule {}
    const app = await context(ListenerModule);
    await readyListeners(app, listeners);
    return () => app.close();
  },

  async webWithEvents({ redisUrl, queues }) {
    const listeners = queues.map((name) => listenerFor(name));
    @Module({ imports: bullImports(redisUrl, queues), providers: listeners })
    class WebEventsModule {}
    const app = await context(WebEventsModule);
    await readyListeners(app, listeners);
    await Promise.all(queues.map((name) => app.get<Queue>(getQueueToken(name)).add(JOB, { seq: 0 })));
    return () => app.close();
  },

  async requester({ redisUrl }) {
    const Listener = waitListenerFor(QUEUE);

    @Injectable()
    class ReplyService {
      constructor(@InjectQueue(QUEUE) private readonly queue: Queue, @Inject(Listener) private readonly events: QueueEventsHost) {}

      async call(data: unknown): Promise<unknown> {
        const job = await this.queue.add(JOB, data);
        return job.waitUntilFinished(this.events.queueEvents, 30_000);
      }
    }

    @Module({ imports: bullImports(redisUrl, [QUEUE]), providers: [Listener, ReplyService] })
    class RequesterModule {}
    const app = await context(RequesterModule);
    await readyListeners(app, [Listener]);
    await app.get<Queue>(getQueueToken(QUEUE)).waitUntilReady();
    // As for the hand-written requester: waitUntilFinished adds a 'closing' listener per call in flight.
    app.get<Queue>(getQueueToken(QUEUE)).setMaxListeners(0);
    const service = app.get(ReplyService);
    return { call: (data) => service.call(data), close: () => app.close() };
  },
};
