// C48: compile-time checks of the public types. This file is built by `tsc -p .` (part of `npm test`)
// and never run. Each `@ts-expect-error` line must fail to compile: if a change makes it compile,
// the directive itself becomes an error and the build fails. `Assert<…>` lines fail the build when the
// type they check is wrong. test/types.compile.test.ts checks that each directive marks a real error.
import {
  defineQueues, handlers, job, startWorkers,
  type EnqueuedJob, type EventMap, type JobEvent, type QueueClient,
} from '../../lib/index';
// Schemas and request metadata (issue 6): see the section at the end of this file.
import type { StandardSchemaV1 as SpecStandardSchema } from '@standard-schema/spec';
import * as v from 'valibot';
import { z } from 'zod';
import { createQueueClient, jobMetadata, type JobMetadata, type PendingJob, type StandardSchemaV1 } from '../../lib/index';
import { childResults, type Producer } from '../../lib/index';

// Queue admin (issue 6): see its section at the end of this file.
import type { AdminJob, JobCounts, QueueJobState } from '../../lib/index';

// ---- assertion helpers ----
/** true when `Type` is `any` (only `any` makes `1 & Type` accept 0). */
export type IsAny<Type> = 0 extends 1 & Type ? true : false;
/** true when `A` and `B` are the same type (not merely assignable either way). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
export type Assert<Condition extends true> = Condition;
export type Not<Condition extends boolean> = Condition extends true ? false : true;

const queues = defineQueues({
  email: {
    jobs: {
      welcome: job<{ to: string; name: string }, { messageId: string }>(),
      digest: job<{ userId: number }>(),
    },
  },
  media: { jobs: { thumbnail: job<{ path: string; width: number }, { out: string }>() } },
});
type Queues = typeof queues;
declare const client: QueueClient<Queues>;

// ---- producer: payload shape, job name and queue are checked ----
export async function producer(): Promise<void> {
  const welcome = await client.producer.add('email', 'welcome', { to: 'a@b.c', name: 'A' });
  type _WelcomeData = Assert<Equal<typeof welcome.data, { to: string; name: string }>>;
  type _WelcomeResult = Assert<Equal<typeof welcome.returnvalue, { messageId: string }>>;
  type _WelcomeName = Assert<Equal<typeof welcome.name, 'welcome'>>;
  type _WelcomeJob = Assert<Equal<typeof welcome, EnqueuedJob<Queues, 'email', 'welcome'>>>;

  // @ts-expect-error wrong payload shape: `to` must be a string
  await client.producer.add('email', 'welcome', { to: 1, name: 'A' });
  // @ts-expect-error wrong payload shape: `name` is missing
  await client.producer.add('email', 'welcome', { to: 'a@b.c' });
  // @ts-expect-error wrong payload shape: an undeclared field
  await client.producer.add('email', 'digest', { userId: 1, extra: true });
  // @ts-expect-error the payload of another job name of the same queue
  await client.producer.add('email', 'digest', { to: 'a@b.c', name: 'A' });
  // @ts-expect-error wrong job name: `thumbnail` belongs to `media`
  await client.producer.add('email', 'thumbnail', { path: 'x', width: 1 });
  // @ts-expect-error wrong job name: not declared anywhere
  await client.producer.add('email', 'welcom', { to: 'a@b.c', name: 'A' });
  // @ts-expect-error wrong queue
  await client.producer.add('sms', 'welcome', { to: 'a@b.c', name: 'A' });

  const thumbnail = await client.producer.addAndWait('media', 'thumbnail', { path: 'a.png', width: 64 }, { timeout: 1000 });
  type _ThumbnailResult = Assert<Equal<typeof thumbnail, { out: string }>>;
  // A job that returns nothing resolves with null: JSON has no undefined.
  const digest = await client.producer.addAndWait('email', 'digest', { userId: 1 });
  type _DigestResult = Assert<Equal<typeof digest, null>>;
  // @ts-expect-error wrong payload shape in addAndWait
  await client.producer.addAndWait('media', 'thumbnail', { path: 'a.png' });

  const bulk = await client.producer.addBulk([
    { queue: 'email', name: 'welcome', data: { to: 'a@b.c', name: 'A' } },
    { queue: 'media', name: 'thumbnail', data: { path: 'a.png', width: 64 } },
  ]);
  type _BulkDataNotAny = Assert<Not<IsAny<(typeof bulk)[number]['data']>>>;
  type _BulkResultNotAny = Assert<Not<IsAny<(typeof bulk)[number]['returnvalue']>>>;
  // @ts-expect-error wrong payload shape in addBulk: the data of another job name
  await client.producer.addBulk([{ queue: 'media', name: 'thumbnail', data: { to: 'a@b.c', name: 'A' } }]);
}

// ---- handlers: job.data is typed, the result type is enforced ----
export const emailHandlers = handlers(queues, 'email', {
  welcome: async (job) => {
    type _Data = Assert<Equal<typeof job.data, { to: string; name: string }>>;
    return { messageId: job.data.to };
  },
  digest: async (job) => {
    type _Data = Assert<Equal<typeof job.data, { userId: number }>>;
  },
});

export const wrongResult = handlers(queues, 'media', {
  // @ts-expect-error a handler returning the wrong result type
  thumbnail: async () => ({ out: 42 }),
});

export const missingResult = handlers(queues, 'media', {
  // @ts-expect-error a handler returning nothing where a result is declared
  thumbnail: async () => undefined,
});

export const wrongField = handlers(queues, 'media', {
  // @ts-expect-error job.data has no field `to`
  thumbnail: async (job) => ({ out: job.data.to }),
});

// @ts-expect-error a handler map missing a job name
export const missingHandler = handlers(queues, 'email', { welcome: async () => ({ messageId: 'm' }) });

export const extraHandler = handlers(queues, 'media', {
  thumbnail: async () => ({ out: 'o' }),
  // @ts-expect-error a handler for a job name the queue does not declare
  resize: async () => ({ out: 'o' }),
});

// @ts-expect-error handlers for an undeclared queue
export const unknownQueue = handlers(queues, 'sms', { send: async () => undefined });

export async function workers(): Promise<void> {
  await startWorkers({ client, handlers: [emailHandlers], concurrency: { email: 2, media: 1 }, handleSignals: false });
  // @ts-expect-error concurrency for an undeclared queue
  await startWorkers({ client, handlers: [emailHandlers], concurrency: { sms: 2 } });
  const group = await startWorkers({ client, handlers: [emailHandlers], limits: { email: { concurrency: process.env.EMAIL_CONCURRENCY, limiter: { max: 5, duration: '1000' }, globalConcurrency: null } } });
  group.setConcurrency('email', 3);
  // @ts-expect-error limits for an undeclared queue
  await startWorkers({ client, handlers: [emailHandlers], limits: { sms: { concurrency: 2 } } });
  // @ts-expect-error an unknown key in a rate limit
  await startWorkers({ client, handlers: [emailHandlers], limits: { email: { limiter: { max: 5, duration: 1000, per: 's' } } } });
  const cancelled = await client.producer.cancel('email', '42', { reason: 'typo' });
  type _Outcome = Assert<Equal<typeof cancelled.outcome, 'removed' | 'signalled' | 'unheard' | 'finished' | 'not-found' | 'scheduled' | 'locked'>>;
  // @ts-expect-error cancel on an undeclared queue
  await client.producer.cancel('sms', '42');
}

// ---- events: typed per queue and narrowed by job name ----
export function events(): void {
  client.events.on('completed', (event) => {
    type _Queue = Assert<Equal<typeof event.queue, 'email' | 'media'>>;
    type _JobId = Assert<Equal<typeof event.jobId, string>>;
    type _NameNotAny = Assert<Not<IsAny<typeof event.name>>>;
    type _ResultNotAny = Assert<Not<IsAny<typeof event.returnvalue>>>;
    // Before narrowing: any job's stored result, with `null` (never `void`) for a job returning nothing.
    type _AnyResult = Assert<Equal<typeof event.returnvalue, { messageId: string } | { out: string } | null>>;
    if (event.name === 'welcome') {
      type _Welcome = Assert<Equal<typeof event.returnvalue, { messageId: string }>>;
    }
    if (event.name === 'thumbnail') {
      type _Thumbnail = Assert<Equal<typeof event.returnvalue, { out: string }>>;
    }
    if (event.name === 'digest') {
      type _Digest = Assert<Equal<typeof event.returnvalue, null>>;
    }
  });

  client.events.on('email:completed', (event) => {
    type _Queue = Assert<Equal<typeof event.queue, 'email'>>;
    type _Event = Assert<Equal<typeof event, JobEvent<Queues, 'email', 'completed'>>>;
    type _AnyResult = Assert<Equal<typeof event.returnvalue, { messageId: string } | null>>;
    if (event.name === 'welcome') {
      const messageId: string = event.returnvalue.messageId;
      void messageId;
    }
    // @ts-expect-error without narrowing, the result may be another job's (or null)
    void event.returnvalue.messageId;
    // @ts-expect-error `thumbnail` is not a job of `email`
    if (event.name === 'thumbnail') void event;
  });

  client.events.on('failed', (event) => {
    type _Reason = Assert<Equal<typeof event.failedReason, string>>;
    // @ts-expect-error failed events carry no returnvalue
    void event.returnvalue;
  });

  client.events.on('media:progress', (event) => {
    type _ProgressNotAny = Assert<Not<IsAny<typeof event.data>>>;
  });

  client.events.on('error', (error) => {
    type _Error = Assert<Equal<typeof error, Error>>;
  });

  // @ts-expect-error events of an undeclared queue
  client.events.on('sms:completed', () => undefined);
  // @ts-expect-error an event BullMQ does not have
  client.events.on('email:finished', () => undefined);
  // @ts-expect-error the listener's payload is typed: a completed event has no failedReason
  client.events.on('email:completed', (event: { failedReason: string }) => void event);

  type _PayloadNotAny = Assert<Not<IsAny<Parameters<EventMap<Queues>['completed']>[0]>>>;
}

// ---- no `any` leaks from the producer and the event bus ----
type _AddNotAny = Assert<Not<IsAny<Awaited<ReturnType<typeof client.producer.add<'email', 'welcome'>>>['data']>>>;
type _WaitNotAny = Assert<Not<IsAny<Awaited<ReturnType<typeof client.producer.addAndWait<'media', 'thumbnail'>>>>>>;
type _WatchedNotAny = Assert<Not<IsAny<typeof client.events.watchedJobCount>>>;
type _QueueHandleJobDataNotAny = Assert<Not<IsAny<NonNullable<Awaited<ReturnType<ReturnType<typeof client.queue>['getJob']>>>['data']>>>;

// ---- schemas: producers pass a schema's input type, handlers read its output type ----
const schemaQueues = defineQueues({
  shop: {
    jobs: {
      order: job(z.object({
        sku: z.string(),
        deliverOn: z.iso.date().transform((day) => new Date(day)),
        note: z.string().default('none'),
      })).returns<{ ok: boolean }>(),
      ping: job(v.object({ n: v.pipe(v.string(), v.transform(Number)) })),
      typed: job<{ id: string }>(),
    },
  },
});
type SchemaQueues = typeof schemaQueues;
declare const schemaClient: QueueClient<SchemaQueues>;
type OrderInput = { sku: string; deliverOn: string; note?: string | undefined };

export async function schemaProducer(): Promise<void> {
  const order = await schemaClient.producer.add('shop', 'order', { sku: 'a', deliverOn: '2030-01-01' });
  type _OrderData = Assert<Equal<typeof order.data, OrderInput>>;
  type _OrderResult = Assert<Equal<typeof order.returnvalue, { ok: boolean }>>;
  type _Duplicate = Assert<Equal<typeof order.duplicate, boolean>>;
  // @ts-expect-error producers pass the schema's input: deliverOn is an ISO day, not a Date
  await schemaClient.producer.add('shop', 'order', { sku: 'a', deliverOn: new Date() });
  // @ts-expect-error a field the schema requires is missing
  await schemaClient.producer.add('shop', 'order', { deliverOn: '2030-01-01' });
  // @ts-expect-error valibot's input: n is a string before its transform
  await schemaClient.producer.add('shop', 'ping', { n: 1 });
  // A schema job without .returns<>() returns nothing: its result is null.
  const ping = await schemaClient.producer.addAndWait('shop', 'ping', { n: '1' });
  type _PingResult = Assert<Equal<typeof ping, null>>;
  const view = schemaClient.producer.withRequest({ requestId: 'r', idempotencyKey: 'k' });
  type _ViewIsProducer = Assert<Equal<typeof view, typeof schemaClient.producer>>;
}

export const schemaHandlers = handlers(schemaQueues, 'shop', {
  order: async (job) => {
    type _OrderOutput = Assert<Equal<typeof job.data, { sku: string; deliverOn: Date; note: string }>>;
    const metadata = jobMetadata(job);
    type _Metadata = Assert<Equal<typeof metadata, Readonly<JobMetadata>>>;
    type _RequestId = Assert<Equal<typeof metadata.requestId, string | undefined>>;
    return { ok: job.data.deliverOn.getTime() > 0 };
  },
  ping: async (job) => {
    type _PingOutput = Assert<Equal<typeof job.data, { n: number }>>;
  },
  typed: async (job) => {
    type _TypedData = Assert<Equal<typeof job.data, { id: string }>>;
  },
});
// @ts-expect-error the handler of a schema job returns what .returns<>() declared
export const wrongSchemaResult = handlers(schemaQueues, 'shop', { order: async () => ({ ok: 'yes' }), ping: async () => undefined, typed: async () => undefined });

// ---- beforeAdd hooks: typed per queue and job name; metadata holds strings ----
export const hookedClient = createQueueClient({
  queues: schemaQueues,
  beforeAdd: (pending) => {
    type _Pending = Assert<Equal<typeof pending, PendingJob<SchemaQueues>>>;
    if (pending.name === 'order') {
      type _HookData = Assert<Equal<typeof pending.data, OrderInput>>;
      pending.metadata.sku = pending.data.sku;
    }
    // @ts-expect-error metadata values are strings
    pending.metadata.count = 1;
  },
});

// ---- queuewire's copy of the Standard Schema interface is interchangeable with the spec's ----
type _SpecToOurs = Assert<SpecStandardSchema<{ a: string }, number> extends StandardSchemaV1<{ a: string }, number> ? true : false>;
type _OursToSpec = Assert<StandardSchemaV1<{ a: string }, number> extends SpecStandardSchema<{ a: string }, number> ? true : false>;
// @ts-expect-error a schema is not job defaults, and job defaults are not a schema
export const notASchema = job({ '~standard': { version: 2 } }, {});


// ---- Flows (issue 6): every node typed by the definition; a parent reads its children's results typed ----
const flowQueues = defineQueues({
  media: { jobs: { thumbnail: job<{ path: string; width: number }, { out: string }>(), probe: job<{ path: string }>() } },
  text: { jobs: { wordCount: job<{ text: string }, { words: number }>() } },
  reports: {
    jobs: {
      assemble: job<{ title: string }, { words: number }>().children({ media: 'thumbnail', text: 'wordCount' }),
      cover: job(z.object({ title: z.string() })).returns<{ ok: boolean }>().children({ media: 'thumbnail' }),
    },
  },
});
declare const flowClient: QueueClient<typeof flowQueues>;
export async function flows(): Promise<void> {
  const added = await flowClient.producer.flow({ queue: 'reports', name: 'assemble', data: { title: 't' }, children: [{ queue: 'media', name: 'thumbnail', data: { path: 'p', width: 1 } }, { queue: 'text', name: 'wordCount', data: { text: 'x' } }] });
  type _FlowRoot = Assert<Equal<typeof added.job.returnvalue, { words: number }>>;
  type _FlowRootData = Assert<Equal<typeof added.job.data, { title: string }>>;
  await flowClient.producer.flow({ queue: 'reports', name: 'cover', data: { title: 't' }, children: [] });
  await flowClient.producer.flow({ queue: 'media', name: 'probe', data: { path: 'p' } });
  // @ts-expect-error a child its parent's .children() does not declare (another job name of the same queue)
  await flowClient.producer.flow({ queue: 'reports', name: 'assemble', data: { title: 't' }, children: [{ queue: 'media', name: 'probe', data: { path: 'p' } }] });
  // @ts-expect-error a child of a queue its parent does not expect
  await flowClient.producer.flow({ queue: 'reports', name: 'cover', data: { title: 't' }, children: [{ queue: 'text', name: 'wordCount', data: { text: 'x' } }] });
  // @ts-expect-error a child's payload of the wrong shape
  await flowClient.producer.flow({ queue: 'reports', name: 'assemble', data: { title: 't' }, children: [{ queue: 'media', name: 'thumbnail', data: { path: 'p', width: '1' } }] });
  // @ts-expect-error the parent's payload of the wrong shape
  await flowClient.producer.flow({ queue: 'reports', name: 'assemble', data: { title: 1 }, children: [] });
  // @ts-expect-error an undeclared queue
  await flowClient.producer.flow({ queue: 'video', name: 'assemble', data: { title: 't' } });
  // @ts-expect-error an undeclared job name
  await flowClient.producer.flow({ queue: 'reports', name: 'summary', data: { title: 't' } });
  // @ts-expect-error children under a job that declared none
  await flowClient.producer.flow({ queue: 'media', name: 'probe', data: { path: 'p' }, children: [{ queue: 'media', name: 'thumbnail', data: { path: 'p', width: 1 } }] });
  // @ts-expect-error a parent needs its children array
  await flowClient.producer.flow({ queue: 'reports', name: 'assemble', data: { title: 't' } });
  // @ts-expect-error deduplication is not available in flows
  await flowClient.producer.flow({ queue: 'media', name: 'probe', data: { path: 'p' }, options: { deduplication: { id: 'x' } } });
}
// A producer without a registered definition (what req.queue is until you register one) takes any tree.
declare const untypedProducer: Producer;
export const untypedFlow = untypedProducer.flow({ queue: 'any', name: 'job', data: 1, children: [{ queue: 'other', name: 'child', data: 'x' }] });
export const flowReports = handlers(flowQueues, 'reports', {
  assemble: async (job) => {
    for (const child of await childResults(job)) {
      if (child.queue === 'media') {
        type _MediaResult = Assert<Equal<typeof child.result, { out: string }>>;
      } else {
        type _TextResult = Assert<Equal<typeof child.result, { words: number }>>;
      }
    }
    return { words: 1 };
  },
  cover: async (job) => {
    const [first] = await childResults(job);
    // @ts-expect-error only media:thumbnail children: their result has no `words`
    return { ok: first!.result.words > 0 };
  },
});
export const flowMedia = handlers(flowQueues, 'media', {
  // @ts-expect-error a job that declared no children has no typed child results
  thumbnail: async (job) => ({ out: String((await childResults(job)).length) }),
  probe: async () => undefined,
});

// ---- sandboxed handlers (issue 6): sandboxed() stands in for a handler; the child module is typed ----
import { sandboxed, sandboxHandlers } from '../../lib/index';

export const mixedHandlers = handlers(queues, 'email', {
  welcome: sandboxed('/srv/app/dist/email-welcome.js'),
  digest: async (job) => {
    type _Data = Assert<Equal<typeof job.data, { userId: number }>>;
  },
});
export const wholeQueueSandboxed = handlers(queues, 'media', sandboxed('/srv/app/dist/media.js', { useWorkerThreads: true }));
export const childModule = sandboxHandlers(queues, 'email', {
  welcome: async (job) => {
    type _Data = Assert<Equal<typeof job.data, { to: string; name: string }>>;
    return { messageId: job.data.to };
  },
});
export const childWrongResult = sandboxHandlers(queues, 'media', {
  // @ts-expect-error a sandboxed module's handler returning the wrong result type
  thumbnail: async () => ({ out: 42 }),
});
export const childExtra = sandboxHandlers(queues, 'email', {
  // @ts-expect-error a sandboxed module's handler for a job name the queue does not declare
  resize: async () => undefined,
});
// @ts-expect-error sandboxed() options are checked
export const badSandboxOption = sandboxed('/srv/app/dist/media.js', { threads: true });
// @ts-expect-error a sandboxed module is not a registry for startWorkers
export const notARegistry = startWorkers({ client, handlers: [childModule] });

// ---- queue admin: queue names come from the definition, jobs are typed by name ----
export async function queueAdmin(): Promise<void> {
  const { admin } = client;
  await admin.pause('email');
  // @ts-expect-error an undeclared queue
  await admin.pause('sms');
  // @ts-expect-error an undeclared queue
  await admin.counts('sms');
  // @ts-expect-error an undeclared queue
  await admin.getJob('sms', '1');
  // @ts-expect-error an undeclared queue
  await admin.drain('sms', { delayed: true });

  const counts = await admin.counts('media');
  type _Counts = Assert<Equal<typeof counts, JobCounts>>;
  type _CountedStates = Assert<Equal<keyof JobCounts, QueueJobState>>;
  const overview = await admin.overview();
  type _OverviewQueue = Assert<Equal<(typeof overview)[number]['queue'], 'email' | 'media'>>;

  const job = await admin.getJob('email', '1');
  type _EmailJob = Assert<Equal<typeof job, AdminJob<Queues, 'email'> | undefined>>;
  if (job?.name === 'welcome') {
    type _AdminData = Assert<Equal<typeof job.data, { to: string; name: string }>>;
    type _AdminResult = Assert<Equal<typeof job.result, { messageId: string } | undefined>>;
  }
  // @ts-expect-error `thumbnail` is a job of `media`, not of `email`
  if (job?.name === 'thumbnail') return;

  const page = await admin.listJobs('media', 'failed', { start: 0, end: 9 });
  type _PageQueue = Assert<Equal<(typeof page.jobs)[number]['queue'], 'media'>>;
  type _PageData = Assert<Equal<(typeof page.jobs)[number]['data'], { path: string; width: number }>>;
  // @ts-expect-error BullMQ's internal name `wait` is not a state: `waiting` is
  await admin.listJobs('media', 'wait');
  // @ts-expect-error pages are positions, not a page number
  await admin.listJobs('media', 'failed', { page: 2 });

  const retried: string[] = await admin.retryFailed('email', { count: 10 });
  void retried;
  // @ts-expect-error retry names one job
  await admin.retry('email');
  const removed: string[] = await admin.clean('email', 'completed', { olderThan: 60_000, limit: 100 });
  void removed;
  // @ts-expect-error active jobs are never cleaned
  await admin.clean('email', 'active', { olderThan: 0 });
  // @ts-expect-error olderThan is required
  await admin.clean('email', 'failed', { limit: 10 });
}

// ---- schedules: each names a job of its own queue and carries that job's data type ----
const scheduleJobs = {
  cleanup: job<{ olderThanDays: number }>(),
  order: job(z.object({ sku: z.string(), deliverOn: z.iso.date().transform((day) => new Date(day)) })),
};
export const scheduledQueues = defineQueues({
  reports: {
    jobs: scheduleJobs,
    schedules: {
      nightly: { job: 'cleanup', data: { olderThanDays: 30 }, pattern: '0 3 * * *', tz: 'Europe/Paris', options: { attempts: 3 } },
      often: { job: 'cleanup', data: { olderThanDays: 1 }, every: 60_000, startDate: new Date(), endDate: '2030-01-01', limit: 5 },
      // A schema job's schedule carries the schema's input, as producers send it.
      restock: { job: 'order', data: { sku: 'tea', deliverOn: '2030-01-01' }, every: 3_600_000 },
    },
  },
  media: { jobs: { thumbnail: job<{ path: string }>() } },
});
export const wrongScheduleJob = defineQueues({
  reports: {
    jobs: scheduleJobs,
    // @ts-expect-error a job name the queue does not declare (thumbnail belongs to media)
    schedules: { a: { job: 'thumbnail', data: { path: 'x' }, every: 1000 } },
  },
  media: { jobs: { thumbnail: job<{ path: string }>() } },
});
export const wrongScheduleData = defineQueues({
  reports: {
    jobs: scheduleJobs,
    // @ts-expect-error the data of another job name of the queue
    schedules: { a: { job: 'cleanup', data: { sku: 'tea', deliverOn: '2030-01-01' }, every: 1000 } },
  },
});
export const scheduleDataAsOutput = defineQueues({
  reports: {
    jobs: scheduleJobs,
    // @ts-expect-error a schema job's schedule data is the schema's input: deliverOn is an ISO day, not a Date
    schedules: { a: { job: 'order', data: { sku: 'tea', deliverOn: new Date() }, every: 1000 } },
  },
});
export const scheduleTimings = defineQueues({
  reports: {
    jobs: scheduleJobs,
    schedules: {
      // @ts-expect-error both a pattern and every
      both: { job: 'cleanup', data: { olderThanDays: 1 }, pattern: '0 3 * * *', every: 1000 },
      // @ts-expect-error neither a pattern nor every
      neither: { job: 'cleanup', data: { olderThanDays: 1 } },
      // @ts-expect-error tz goes with a pattern only
      zoned: { job: 'cleanup', data: { olderThanDays: 1 }, every: 1000, tz: 'UTC' },
      // @ts-expect-error the schedule sets its jobs' ids itself
      withId: { job: 'cleanup', data: { olderThanDays: 1 }, every: 1000, options: { jobId: 'x' } },
    },
  },
});
