// A test an application would write for its handlers and routes, with mocha (jest and vitest read the
// same: the helpers use no test runner's globals). It needs a Redis: REDIS_URL, else 127.0.0.1:6379.
import assert from 'node:assert/strict';
import request from 'supertest';
import { startWorkers, ValidationError } from 'queuewire';
import { createTestClient, runHandler, waitFor, type TestQueueClient } from 'queuewire/testing';
import { buildApp, invoiceHandlers, queues } from './testing-app';

describe('invoices', () => {
  let client: TestQueueClient<typeof queues>;
  beforeEach(() => {
    client = createTestClient({ queues }); // its own prefix (qwtest-…): tests never share keys
  });
  afterEach(() => client.close()); // closes workers, bus and connections, deletes the prefix's keys

  it('render adds up the lines', async () => {
    const result = await runHandler(client, invoiceHandlers, 'render', { invoiceId: 'inv-1', lines: [{ cents: 1200 }, { cents: 300 }] });
    assert.deepEqual(result, { totalCents: 1500 });
  });

  it('render refuses an invoice without lines, and fails a void one', async () => {
    await assert.rejects(runHandler(client, invoiceHandlers, 'render', { invoiceId: 'inv-2', lines: [] }), ValidationError);
    await assert.rejects(runHandler(client, invoiceHandlers, 'render', { invoiceId: 'void-2', lines: [{ cents: 1 }] }), /invoice void-2 is void/);
  });

  it('POST /invoices/:id/render queues a render that a worker completes', async () => {
    await startWorkers({ client, handlers: [invoiceHandlers], handleSignals: false });
    const response = await request(buildApp(client)).post('/invoices/inv-3/render').send({ lines: [{ cents: 250 }] }).expect(202);
    const rendered = await waitFor(client, 'invoices', response.body.id, 'completed');
    assert.deepEqual(rendered.returnvalue, { totalCents: 250 });
  });

  it('a void invoice fails; the test finds its job by what it holds', async () => {
    await startWorkers({ client, handlers: [invoiceHandlers], handleSignals: false });
    await request(buildApp(client)).post('/invoices/void-4/render').send({ lines: [{ cents: 1 }] }).expect(202);
    const failed = await waitFor(client, 'invoices', (job) => job.data.invoiceId === 'void-4', 'failed');
    assert.equal(failed.failedReason, 'invoice void-4 is void');
  });
});
