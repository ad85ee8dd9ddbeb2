import { expect } from 'chai';
import { ConfigurationError, createQueueClient, defineQueues, job } from '../lib/index';
import { queues } from './support/queues';

// Misspelt or misplaced options must not be ignored in favour of a silent default.
describe('configuration is checked before anything connects', () => {
  it('createQueueClient() refuses unknown options and a prefix that is not a string', () => {
    const untyped = createQueueClient as unknown as (options: Record<string, unknown>) => unknown;
    expect(() => untyped({ queues, conection: 'redis://127.0.0.1:1' })).to.throw(ConfigurationError, 'unknown option "conection"');
    expect(() => untyped({ queues, prefix: 123 })).to.throw(ConfigurationError, 'prefix must be a string');
  });

  it('defineQueues() refuses unknown keys in a queue or its options, and jobs not made by job()', () => {
    const untyped = defineQueues as unknown as (definitions: Record<string, unknown>, options?: Record<string, unknown>) => unknown;
    expect(() => untyped({ email: { jobs: { send: job<{ to: string }>() }, defualts: { attempts: 2 } } })).to.throw(ConfigurationError, 'queues.email: unknown option "defualts"');
    expect(() => untyped({ email: { jobs: { send: job<{ to: string }>() }, limiter: { max: 5 } } })).to.throw(ConfigurationError, 'unknown option "limiter"');
    expect(() => untyped({ email: { jobs: { send: job<{ to: string }>() } } }, { default: {} })).to.throw(ConfigurationError, 'unknown option "default"');
    expect(() => untyped({ email: { jobs: { send: null } } })).to.throw(ConfigurationError, 'queues.email.jobs.send must come from job()');
  });
});
