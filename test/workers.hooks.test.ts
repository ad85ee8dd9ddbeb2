import { Queue, UnrecoverableError } from 'bullmq';
import { expect } from 'chai';
import { z } from 'zod';
import {
  ConfigurationError, createQueueClient, defineQueues, handlers, job, startWorkers,
  type HandlerHooks, type HandlerRegistry, type HookContext, type HookedJob, type HookedResult, type QueueClient,
} from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { echoHandlers, queues, type TestQueues } from './support/queues';
import { recordingLogger } from './support/recording-logger';

const email = handlers(queues, 'email', {
  welcome: async (job) => ({ messageId: `m-${job.data.to}` }),
  digest: async () => undefined,
});

describe('workers: hooks around handlers (before / after / error)', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  async function served(registries: ReadonlyArray<HandlerRegistry<TestQueues, any>>, hooks: HandlerHooks<TestQueues> | Array<HandlerHooks<TestQueues>>) {
    const logger = recordingLogger();
    const client = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), logger });
    cleanup(() => client.close());
    const group = await startWorkers({ client, handleSignals: false, handlers: registries, hooks });
    cleanup(() => group.close());
    await client.events.ready();
    return { client, logger };
  }

  // Two hooks that write down every call, so a test asserts the exact sequence.
  function tracingHooks(calls: string[]): Array<HandlerHooks<TestQueues>> {
    return ['outer', 'inner'].map((tag) => ({
      before: (job, context) => {
        calls.push(`${tag}.before ${context.queue}/${job.name} attempt ${context.attemptsMade}`);
      },
      after: (job, result) => {
        calls.push(`${tag}.after ${job.name} ${JSON.stringify(result)}`);
      },
      error: (job, error, context) => {
        calls.push(`${tag}.error ${job.name} attempt ${context.attemptsMade}: ${error.message}`);
      },
    }));
  }

  it('success: before hooks in order, the handler, then after hooks in reverse with the stored result', async () => {
    const calls: string[] = [];
    const { client, logger } = await served([handlers(queues, 'email', {
      welcome: async (job) => {
        calls.push('handler');
        return { messageId: `m-${job.data.to}` };
      },
      digest: async () => {
        calls.push('handler');
      },
    })], tracingHooks(calls));

    const completed = nextEvent(client.events, 'email:completed', (e) => e.name === 'digest');
    await client.producer.add('email', 'welcome', { to: 'a@b.c', name: 'A' });
    await client.producer.add('email', 'digest', { userId: 1 });
    const digest = await completed;
    expect(digest.returnvalue).to.equal(null);
    expect(calls).to.deep.equal([
      'outer.before email/welcome attempt 0', 'inner.before email/welcome attempt 0', 'handler',
      'inner.after welcome {"messageId":"m-a@b.c"}', 'outer.after welcome {"messageId":"m-a@b.c"}',
      // A handler that returns nothing stores null, and after hooks see that null.
      'outer.before email/digest attempt 0', 'inner.before email/digest attempt 0', 'handler',
      'inner.after digest null', 'outer.after digest null',
    ]);
    expect(logger.lines).to.deep.equal([]);
  });

  it('handler throws: the error hooks see the error (in reverse order), no after hook runs, and each retry runs the hooks again', async () => {
    const calls: string[] = [];
    const { client } = await served([echoHandlers()], tracingHooks(calls));
    const failed = nextEvent(client.events, 'echo:failed');
    const added = await client.producer.add('echo', 'fail', { message: 'boom' }, { attempts: 2 });
    const event = await failed;
    expect(event).to.deep.include({ jobId: added.id, failedReason: 'boom' });
    expect((await client.queue('echo').getJob(added.id!))!.attemptsMade).to.equal(2);
    expect(calls).to.deep.equal([
      'outer.before echo/fail attempt 0', 'inner.before echo/fail attempt 0', 'inner.error fail attempt 0: boom', 'outer.error fail attempt 0: boom',
      'outer.before echo/fail attempt 1', 'inner.before echo/fail attempt 1', 'inner.error fail attempt 1: boom', 'outer.error fail attempt 1: boom',
    ]);
  });

  it('a throwing before fails the attempt like a handler error: later befores and the handler do not run, only entered hooks see the error, and the job is retried', async () => {
    const calls: string[] = [];
    const [outer, inner] = tracingHooks(calls);
    const gate: HandlerHooks<TestQueues> = {
      before: (job, context) => {
        calls.push(`gate.before attempt ${context.attemptsMade}`);
        if (context.attemptsMade === 0) throw new Error(`tenant of ${job.name} is suspended`);
      },
      error: () => {
        calls.push('gate.error (must not run: its before did not finish)');
      },
    };
    const { client } = await served([handlers(queues, 'email', {
      welcome: async () => {
        calls.push('handler');
        return { messageId: 'sent' };
      },
      digest: async () => undefined,
    })], [outer!, gate, inner!]);

    const completed = nextEvent(client.events, 'email:completed');
    const added = await client.producer.add('email', 'welcome', { to: 'a@b.c', name: 'A' }, { attempts: 2 });
    expect((await completed).returnvalue).to.deep.equal({ messageId: 'sent' });
    expect(calls).to.deep.equal([
      'outer.before email/welcome attempt 0', 'gate.before attempt 0', 'outer.error welcome attempt 0: tenant of welcome is suspended',
      'outer.before email/welcome attempt 1', 'gate.before attempt 1', 'inner.before email/welcome attempt 1', 'handler',
      'inner.after welcome {"messageId":"sent"}', 'outer.after welcome {"messageId":"sent"}',
    ]);
    const stored = (await client.queue('email').getJob(added.id!))!;
    expect(stored.attemptsMade).to.equal(2);
    expect((stored.stacktrace ?? []).join('\n')).to.contain('tenant of welcome is suspended');
  });

  it('a before that throws UnrecoverableError fails the job for good; one that throws a non-Error fails it with an Error saying so', async () => {
    const { client } = await served([email], {
      before: (job) => {
        if (job.name === 'digest') throw new UnrecoverableError('digests are switched off');
        throw 'not an Error'; // eslint-disable-line no-throw-literal
      },
    });
    const digestFailed = nextEvent(client.events, 'email:failed', (e) => e.name === 'digest');
    const digest = await client.producer.add('email', 'digest', { userId: 1 }, { attempts: 3 });
    expect((await digestFailed).failedReason).to.equal('digests are switched off');
    expect((await client.queue('email').getJob(digest.id!))!.attemptsMade).to.equal(1);

    const welcomeFailed = nextEvent(client.events, 'email:failed', (e) => e.name === 'welcome');
    await client.producer.add('email', 'welcome', { to: 'a@b.c', name: 'A' });
    expect((await welcomeFailed).failedReason).to.equal('A "before" hook for "welcome" threw a non-Error value: not an Error');
  });

  it('after hooks cannot change the result, and one that throws is logged while the job completes and the other after hooks still run', async () => {
    const calls: string[] = [];
    const { client, logger } = await served([email], [
      {
        after: (_job, result) => {
          calls.push(`outer.after ${JSON.stringify(result)}`);
        },
      },
      {
        after: () => {
          throw new Error('metrics endpoint down');
        },
      },
      {
        // Its return value is ignored: the stored result is the handler's.
        after: (async () => ({ messageId: 'replaced' })) as never,
      },
    ]);
    const completed = nextEvent(client.events, 'email:completed');
    const added = await client.producer.add('email', 'welcome', { to: 'a@b.c', name: 'A' }, { attempts: 3 });
    expect((await completed).returnvalue).to.deep.equal({ messageId: 'm-a@b.c' });
    const stored = (await client.queue('email').getJob(added.id!))!;
    expect(stored.returnvalue).to.deep.equal({ messageId: 'm-a@b.c' });
    expect(stored.attemptsMade).to.equal(1);
    expect(calls).to.deep.equal(['outer.after {"messageId":"m-a@b.c"}']);
    expect(logger.lines).to.deep.equal([{
      level: 'error',
      message: `[queuewire] an "after" hook threw for job email/${added.id} ("welcome"): metrics endpoint down; the job completes.`,
    }]);
  });

  it('error hooks cannot swallow or replace the error: one that throws is logged and the job fails with its own error', async () => {
    const seen: string[] = [];
    const { client, logger } = await served([echoHandlers()], [
      {
        error: (_job, error) => {
          seen.push(`outer saw ${error.message}`);
        },
      },
      {
        error: () => {
          throw new Error('logger crashed');
        },
      },
      {
        // Returning a value (as if to recover) changes nothing.
        error: (async () => 'recovered') as never,
      },
    ]);
    const failed = nextEvent(client.events, 'echo:failed');
    const added = await client.producer.add('echo', 'fail', { message: 'card declined' });
    expect((await failed).failedReason).to.equal('card declined');
    expect(await (await client.queue('echo').getJob(added.id!))!.getState()).to.equal('failed');
    expect(seen).to.deep.equal(['outer saw card declined']);
    expect(logger.lines).to.deep.equal([{
      level: 'error',
      message: `[queuewire] an "error" hook threw for job echo/${added.id} ("fail"): logger crashed; the job fails with its own error.`,
    }]);
  });

  it('a result that cannot be stored reaches the error hooks as the job\'s unrecoverable error, not the after hooks', async () => {
    const calls: string[] = [];
    const { client } = await served([echoHandlers({ value: async () => new Date(0) })], tracingHooks(calls));
    const failed = nextEvent(client.events, 'echo:failed');
    await client.producer.add('echo', 'value', { value: 1 }, { attempts: 3 });
    const reason = (await failed).failedReason;
    expect(reason).to.match(/^Handler for "value" returned a value that cannot be stored: /);
    expect(calls).to.deep.equal([
      'outer.before echo/value attempt 0', 'inner.before echo/value attempt 0', `inner.error value attempt 0: ${reason}`, `outer.error value attempt 0: ${reason}`,
    ]);
  });

  it('a plain-JavaScript handler that throws before returning a promise fails like an async one (the error hooks see an Error); one returning a plain value completes', async () => {
    const seen: unknown[] = [];
    const { client } = await served([echoHandlers({
      // Not async, as a JavaScript caller could write them: no promise comes back.
      value: ((job: { data: { value: unknown } }) => {
        if (job.data.value === 'throw') throw 'thrown synchronously'; // eslint-disable-line no-throw-literal
        return job.data.value;
      }) as never,
    })], { error: (_job, error) => void seen.push(error) });

    const failed = nextEvent(client.events, 'echo:failed');
    await client.producer.add('echo', 'value', { value: 'throw' });
    expect((await failed).failedReason).to.equal('Handler for "value" threw a non-Error value: thrown synchronously');
    expect(seen).to.have.length(1);
    expect(seen[0]).to.be.instanceOf(Error);

    const completed = nextEvent(client.events, 'echo:completed');
    await client.producer.add('echo', 'value', { value: 7 });
    expect((await completed).returnvalue).to.equal(7);
  });

  it('no hook runs for a job the worker refuses before its handler: a name without a handler, data its schema refuses', async () => {
    const strict = defineQueues({ orders: { jobs: { place: job(z.object({ quantity: z.number().int().positive() })) } } });
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues: strict, connection: redis().url, prefix });
    cleanup(() => client.close());
    const calls: string[] = [];
    const group = await startWorkers({
      client,
      handleSignals: false,
      handlers: [handlers(strict, 'orders', { place: async () => undefined })],
      hooks: { before: () => void calls.push('before'), after: () => void calls.push('after'), error: () => void calls.push('error') },
    });
    cleanup(() => group.close());
    await client.events.ready();
    // Written past the producer's checks, as another deploy or plain BullMQ could.
    const raw = new Queue('orders', { connection: { host: '127.0.0.1', port: redis().port }, prefix });
    cleanup(() => raw.close());

    const ghostFailed = nextEvent(client.events, 'orders:failed', (e) => String(e.name) === 'ghost');
    await raw.add('ghost', {});
    expect((await ghostFailed).failedReason).to.match(/^No handler for job "ghost"/);
    const invalidFailed = nextEvent(client.events, 'orders:failed', (e) => e.name === 'place');
    await raw.add('place', { quantity: -1 });
    expect((await invalidFailed).failedReason).to.match(/quantity/);
    expect(calls).to.deep.equal([]);

    // A valid job does run them: the hooks were live all along.
    const completed = nextEvent(client.events, 'orders:completed');
    await client.producer.add('orders', 'place', { quantity: 2 });
    await completed;
    expect(calls).to.deep.equal(['before', 'after']);
  });

  describe('startWorkers() checks hooks before connecting', () => {
    const refusals: Array<{ what: string; hooks: unknown; message: string }> = [
      { what: 'a function instead of hook objects', hooks: () => undefined, message: 'startWorkers(): hooks must be an object of functions { before?, after?, error? }; got function.' },
      { what: 'a misspelt key', hooks: [{ before: () => undefined }, { onError: () => undefined }], message: 'startWorkers(): hooks[1]: unknown option "onError". Known options: before, after, error.' },
      { what: 'a hook that is not a function', hooks: { after: 'log' }, message: 'startWorkers(): hooks.after must be a function; got string.' },
      { what: 'null in the list', hooks: [null], message: 'startWorkers(): hooks[0] must be an object of functions { before?, after?, error? }; got null.' },
    ];
    for (const { what, hooks, message } of refusals) {
      it(`refuses ${what} with a ConfigurationError`, async () => {
        // Nothing listens there: a start that connected before checking would hang, not reject.
        const client = createQueueClient({ queues, connection: 'redis://127.0.0.1:1', prefix: uniquePrefix(), logger: recordingLogger() });
        cleanup(() => client.close());
        const error = await startWorkers({ client, handleSignals: false, handlers: [email], hooks } as never).then(
          (group: { close(): Promise<unknown> }) => group.close().then(() => undefined),
          (caught: Error) => caught,
        );
        expect(error).to.be.instanceOf(ConfigurationError);
        expect(error!.message).to.equal(message);
      });
    }
  });
});

// ---- compile-time checks (C48): never run; each @ts-expect-error line must fail to compile ----
export function hookTypes(client: QueueClient<TestQueues>): void {
  // Hooks are typed by the registries served: here only `email`'s jobs.
  void startWorkers({
    client,
    handlers: [email],
    hooks: {
      before: (job, context) => {
        const queue: 'email' = context.queue;
        if (job.name === 'welcome') {
          const to: string = job.data.to;
          void to;
        } else {
          const userId: number = job.data.userId;
          void userId;
          // @ts-expect-error a digest has no `to`
          void job.data.to;
        }
        // @ts-expect-error `echo` is not served by these workers
        if (job.name === 'value') void queue;
      },
      after: (_job, result) => {
        // The union of the served results: { messageId } for welcome, null for digest.
        const stored: { messageId: string } | null = result;
        void stored;
      },
      error: (_job, error) => void error.message,
    },
  });
  type Served = HookedJob<TestQueues, 'email' | 'echo'>['name'];
  const names: Served[] = ['welcome', 'digest', 'value', 'fail', 'slow'];
  void names;
  const context = null as unknown as HookContext<TestQueues, 'echo'>;
  const echoName: 'value' | 'fail' | 'slow' = context.name;
  void echoName;
  const result = null as unknown as HookedResult<TestQueues, 'email'>;
  // @ts-expect-error the result may be null (digest returns nothing)
  void result.messageId;
}
