// queuewire/testing: helpers for an application's own test suites, on a real Redis. Framework-agnostic
// (mocha, jest, vitest, node:test): nothing here uses a test runner's globals.
export { createTestClient, TestQueueClient } from './test-client';
export type { TestClientOptions } from './test-client';
export { waitFor } from './wait-for';
export type { WaitableState, WaitForOptions, JobMatcher, StoredJob } from './wait-for';
export { runHandler } from './run-handler';
export type { RunHandlerOptions } from './run-handler';
export { WaitForStateError } from '../errors';
export type { WaitedJobState } from '../errors';
