import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import type { QueueClient, WorkerGroup } from '../lib/index';
import { useRedisServer } from './support/harness';

const root = join(__dirname, '..', '..');

describe('README quick start', () => {
  const redis = useRedisServer();

  it('shows exactly the code of examples/quickstart, which CI compiles', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n\/\/ (examples\/quickstart\/[\w/.-]+\.ts)\n([\s\S]*?)```/g)];
    expect(blocks.map((block) => block[1])).to.have.members([
      'examples/quickstart/queues.ts', 'examples/quickstart/handlers.ts',
      'examples/quickstart/web.ts', 'examples/quickstart/worker.ts',
    ]);
    for (const [, file, code] of blocks) expect(code, file).to.equal(readFileSync(join(root, file!), 'utf8'));
  });

  it('runs: POST /signup enqueues, the worker sends, the listener hears the typed result', async () => {
    process.env.REDIS_URL = redis().url;
    // Loaded from the build at run time: the example registers its own definition for req.queue.
    const web = require('../examples/quickstart/web.js') as { app: Express; client: QueueClient };
    const worker = require('../examples/quickstart/worker.js') as { client: QueueClient; workers: Promise<WorkerGroup> };
    const group = await worker.workers;
    try {
      await web.client.events.ready();
      const completed = new Promise<{ name?: string; returnvalue: unknown }>((resolve) => web.client.events.once('email:completed', resolve));
      const response = await request(web.app).post('/signup').send({ email: 'ada@example.com', name: 'Ada' }).expect(202);
      const event = await completed;
      expect(event.name).to.equal('welcome');
      expect(event.returnvalue).to.deep.equal({ messageId: `msg-${response.body.id}-ada@example.com` });
    } finally {
      await group.close();
      await worker.client.close();
      await web.client.close();
      delete process.env.REDIS_URL;
    }
  });
});
