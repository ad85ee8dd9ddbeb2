// Compile-time contract of the Koa adapter (C48 for ctx.queue): every line marked @ts-expect-error
// must fail to compile, and the program must compile otherwise. Were ctx.queue left to @types/koa's
// `[key: PropertyKey]: any`, the marked lines would compile and tsc would report the unused markers.
import Koa from 'koa';
import { createQueueClient } from 'queuewire';
import { adminRoutes, jobRoutes, queueErrorHandler, queueMiddleware } from 'queuewire/koa';
import { currentUserId, queues } from './queues';

const client = createQueueClient({ queues });
const app = new Koa();
app.use(queueErrorHandler());
app.use(queueMiddleware(client));

app.use(async (ctx) => {
  const job = await ctx.queue.add('email', 'welcome', { to: 'a@b.c', name: 'A' });
  const to: string = job.data.to;
  const result: { messageId: string } = await ctx.queue.addAndWait('email', 'welcome', { to, name: 'A' });
  ctx.body = { id: job.id, result };

  // @ts-expect-error a field of the wrong type
  await ctx.queue.add('email', 'welcome', { to: 1, name: 'A' });
  // @ts-expect-error a missing field
  await ctx.queue.add('email', 'welcome', { to: 'a@b.c' });
  // @ts-expect-error the payload of another job name
  await ctx.queue.add('email', 'digest', { to: 'a@b.c', name: 'A' });
  // @ts-expect-error an unknown job name
  await ctx.queue.add('email', 'nope', {});
  // @ts-expect-error an unknown queue
  await ctx.queue.add('nope', 'welcome', { to: 'a@b.c', name: 'A' });
  // @ts-expect-error ctx.queue is the producer, not `any`
  ctx.queue.enqueue('email');
  // @ts-expect-error a result is not what the job declares
  const wrong: { id: number } = await ctx.queue.addAndWait('email', 'welcome', { to, name: 'A' });
  void wrong;

  // Other custom properties keep Koa's loose typing.
  ctx.somethingElse = 1;
});

// The job routes: authorize sees the job typed by the definition.
app.use(jobRoutes(client, {
  prefix: '/jobs',
  authorize: (ctx, job) => {
    if (job.queue === 'reports') return job.data.owner === currentUserId(ctx);
    // @ts-expect-error email jobs carry no owner
    if (job.queue === 'email') return job.data.owner === currentUserId(ctx);
    return false;
  },
}));
app.use(jobRoutes(client, { prefix: '/public', unsafePublicAccess: true }));
// @ts-expect-error an access rule is required
app.use(jobRoutes(client, { prefix: '/jobs' }));
// @ts-expect-error not both
app.use(jobRoutes(client, { prefix: '/jobs', unsafePublicAccess: true, authorize: () => true }));
// @ts-expect-error public mode is spelled out, not truthy
app.use(jobRoutes(client, { prefix: '/jobs', unsafePublicAccess: 1 }));

// The admin routes: authorize sees ctx and the action, its queue typed by the registered definition.
app.use(adminRoutes(client, {
  basePath: '/admin',
  authorize: (ctx, action) => {
    // @ts-expect-error `sms` is not a declared queue
    if (action.queue === 'sms') return false;
    if (action.action === 'getJob') {
      const jobId: string = action.jobId;
      void jobId;
    }
    return currentUserId(ctx) === 'ops';
  },
}));
// @ts-expect-error admin routes are deny-by-default: authorize is required
app.use(adminRoutes(client, { basePath: '/admin' }));
