import { expect } from 'chai';
import { createQueueClient, handlers, jobContext, startWorkers, type QueueClient, type WorkerGroup } from '../lib/index';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { recordingLogger } from './support/recording-logger';
import { echoHandlers, queues, type TestQueues } from './support/queues';

// Review of noteUntrackedGroup (fbcf113): the warning a group without contexts gives when jobContext()
// finds none is said once per group, by each group's own logger, never by a closed group, and its
// advice fits the group (a group with hooks and jobContext: false cannot be told to "give it hooks").
describe('workers: the warning of groups that track no job context', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  async function untrackedGroup(options: { hooks?: object } = {}) {
    const logger = recordingLogger();
    const client: QueueClient<TestQueues> = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), logger });
    cleanup(() => client.close());
    const group: WorkerGroup = await startWorkers({
      client,
      handleSignals: false,
      jobContext: false,
      ...(options.hooks ? { hooks: options.hooks } : {}),
      handlers: [handlers(queues, 'email', { welcome: async () => ({ messageId: 'm' }), digest: async () => undefined })],
    });
    cleanup(() => group.close());
    const warnings = () => logger.lines.filter(({ level, message }) => level === 'warn' && message.includes('jobContext()'));
    return { group, warnings };
  }

  it('two groups each say it once, by their own logger; a closed group says nothing', async () => {
    const first = await untrackedGroup();
    const second = await untrackedGroup();
    const third = await untrackedGroup();
    await third.group.close();
    expect(jobContext()).to.equal(undefined);
    expect(jobContext()).to.equal(undefined);
    expect([first.warnings().length, second.warnings().length, third.warnings().length]).to.deep.equal([1, 1, 0]);
  });

  it('a group with hooks started with jobContext: false is told to set jobContext: true, not to add hooks', async () => {
    const { warnings } = await untrackedGroup({ hooks: { before: () => undefined } });
    expect(jobContext()).to.equal(undefined);
    expect(warnings()).to.have.length(1);
    expect(warnings()[0]!.message).to.include('jobContext: true').and.not.include('give it hooks');
  });

  it('a group with jobContext: true notes nothing, and a call in its job finds the context', async () => {
    const logger = recordingLogger();
    const client: QueueClient<TestQueues> = createQueueClient({ queues, connection: redis().url, prefix: uniquePrefix(), logger });
    cleanup(() => client.close());
    const group = await startWorkers({ client, handleSignals: false, jobContext: true, handlers: [echoHandlers({ value: async () => jobContext()?.name ?? null })] });
    cleanup(() => group.close());
    await client.events.ready();
    expect(await client.producer.addAndWait('echo', 'value', { value: 1 }, { timeout: 5000 })).to.equal('value');
    expect(jobContext()).to.equal(undefined);
    expect(logger.lines.filter(({ level }) => level === 'warn')).to.deep.equal([]);
  });
});
