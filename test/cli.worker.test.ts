import { expect } from 'chai';
import { join } from 'node:path';
import { createQueueClient } from '../lib/index';
import { cliPath, NodeChild, runNode } from './support/child-process';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { pollUntil } from './support/poll';
import { queues } from './support/queues';

const queuesModule = join(__dirname, 'support', 'queues.js');
const handlersDir = join(__dirname, 'fixtures', 'handlers');

describe('cli: queuewire worker', () => {
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('processes jobs of every registry in the handlers directory, and exits 0 on SIGTERM after its active job', async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    const child = new NodeChild(cliPath, [
      'worker', '--queues', queuesModule, '--handlers', handlersDir, '--redis', redis().url, '--prefix', prefix,
      '--concurrency', 'email=2', '--concurrency', 'echo=1',
    ]);
    cleanup(() => child.stop());
    const banner = await child.waitForLine((line) => typeof line === 'string' && line.startsWith('queuewire worker'), 'startup line');
    expect(banner).to.equal(`queuewire worker ${child.pid}: serving echo (concurrency 1), email (concurrency 2)`);

    expect(await client.producer.addAndWait('email', 'welcome', { to: 'cli@x.y', name: 'C' }, { timeout: 5000 })).to.deep.equal({ messageId: 'cli-cli@x.y' });
    expect(await client.producer.addAndWait('echo', 'value', { value: [1, 'two'] }, { timeout: 5000 })).to.deep.equal([1, 'two']);

    const slow = await client.producer.add('echo', 'slow', { ms: 300 });
    await child.waitForLine((line) => typeof line === 'object' && line.event === 'job-started', 'job-started line');
    child.kill('SIGTERM');
    expect(await child.exited).to.deep.equal({ code: 0, signal: null });
    expect(await client.queue('echo').getJobState(slow.id!)).to.equal('completed');
  });

  it("--hooks runs a module's hooks around every handler, with jobContext() tracked", async () => {
    const prefix = uniquePrefix();
    const client = createQueueClient({ queues, connection: redis().url, prefix });
    cleanup(() => client.close());
    const child = new NodeChild(cliPath, [
      'worker', '--queues', queuesModule, '--handlers', handlersDir, '--redis', redis().url, '--prefix', prefix,
      '--hooks', join(__dirname, 'fixtures', 'cli-hooks.js'),
    ]);
    cleanup(() => child.stop());
    await child.waitForLine((line) => typeof line === 'string' && line.startsWith('queuewire worker'), 'startup line');
    const job = await client.producer.add('echo', 'value', { value: 1 });
    const line = await child.waitForLine((seen) => typeof seen === 'object' && seen.event === 'hook-after', 'hook line');
    expect(line).to.deep.equal({ event: 'hook-after', jobId: job.id, contextJobId: job.id });
  });

  for (const flag of [true, false]) {
    it(`${flag ? 'with' : 'without'} --job-context, a handler's jobContext() ${flag ? 'names its job' : 'is undefined and the worker says why once'}`, async () => {
      const prefix = uniquePrefix();
      const client = createQueueClient({ queues, connection: redis().url, prefix });
      cleanup(() => client.close());
      const child = new NodeChild(cliPath, [
        'worker', '--queues', queuesModule, '--handlers', join(__dirname, 'fixtures', 'cli-context-handlers.js'), '--redis', redis().url, '--prefix', prefix,
        ...(flag ? ['--job-context'] : []),
      ]);
      cleanup(() => child.stop());
      await child.waitForLine((line) => typeof line === 'string' && line.startsWith('queuewire worker'), 'startup line');
      const job = await client.producer.add('echo', 'value', { value: 1 });
      const done = await client.producer.addAndWait('echo', 'value', { value: 2 }, { timeout: 5000 });
      expect(done).to.equal(flag ? String(Number(job.id) + 1) : null);
      // The warning travels over the child's stderr, which may arrive after the job's completion.
      const warnings = () => child.stderr.split('jobContext() returned undefined').length - 1;
      if (!flag) await pollUntil(warnings, (count) => count > 0);
      expect(warnings()).to.equal(flag ? 0 : 1);
    });
  }

  it('--help prints the usage and exits 0', async () => {
    const result = await runNode(cliPath, ['--help']);
    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(/^Usage: queuewire worker --queues <module> --handlers <file\|dir> \[options\]/);
    expect(result.stdout).to.contain('--shutdown-timeout <ms>');
  });

  const badArgs: Array<{ what: string; args: string[]; message: string; usage: boolean }> = [
    { what: 'no command', args: [], message: 'queuewire: no command given.', usage: true },
    { what: 'an unknown command', args: ['wokrer'], message: 'queuewire: unknown command "wokrer"', usage: true },
    { what: 'an unknown option', args: ['worker', '--queue', queuesModule], message: "queuewire: Unknown option '--queue'", usage: true },
    { what: 'a missing --queues', args: ['worker', '--handlers', handlersDir], message: 'queuewire: --queues is required.', usage: true },
    { what: 'a missing --handlers', args: ['worker', '--queues', queuesModule], message: 'queuewire: --handlers is required.', usage: true },
    { what: 'a --queues file that does not exist', args: ['worker', '--queues', 'no/such/queues.js', '--handlers', handlersDir], message: 'queuewire: --queues no/such/queues.js: no such file.', usage: false },
    { what: 'a --queues module without a definition', args: ['worker', '--queues', join(handlersDir, 'echo.js'), '--handlers', handlersDir], message: 'exports no defineQueues() result; export it as "queues" or as default.', usage: false },
    { what: 'a --handlers path that does not exist', args: ['worker', '--queues', queuesModule, '--handlers', 'no/such/dir'], message: 'queuewire: --handlers no/such/dir: no such file or directory.', usage: false },
    { what: 'handlers without registries', args: ['worker', '--queues', queuesModule, '--handlers', queuesModule], message: `queuewire: no handlers() registries found in ${queuesModule}.`, usage: false },
    { what: 'a malformed --concurrency', args: ['worker', '--queues', queuesModule, '--handlers', handlersDir, '--concurrency', 'email=x'], message: 'queuewire: --concurrency email=x: use a number, or queue=number per queue.', usage: false },
    { what: 'a --concurrency for an unknown queue', args: ['worker', '--queues', queuesModule, '--handlers', handlersDir, '--concurrency', 'sms=2', '--redis', 'redis://127.0.0.1:1'], message: 'queuewire: concurrency names queue "sms", which the definition does not declare.', usage: false },
    { what: 'a --shutdown-timeout that is not a number', args: ['worker', '--queues', queuesModule, '--handlers', handlersDir, '--shutdown-timeout', 'abc'], message: 'queuewire: --shutdown-timeout abc: use a whole number of milliseconds.', usage: false },
    { what: 'a --hooks file that does not exist', args: ['worker', '--queues', queuesModule, '--handlers', handlersDir, '--hooks', 'no/such/hooks.js'], message: 'queuewire: --hooks no/such/hooks.js: no such file.', usage: false },
    { what: 'a --hooks path that is a directory', args: ['worker', '--queues', queuesModule, '--handlers', handlersDir, '--hooks', handlersDir], message: `queuewire: --hooks ${handlersDir}: a directory; give the file of the hooks module.`, usage: false },
    { what: 'a --queues path that is a directory', args: ['worker', '--queues', handlersDir, '--handlers', handlersDir], message: `queuewire: --queues ${handlersDir}: a directory; give the file of the module.`, usage: false },
    { what: 'a --hooks module of malformed hooks', args: ['worker', '--queues', queuesModule, '--handlers', handlersDir, '--hooks', queuesModule, '--redis', 'redis://127.0.0.1:1'], message: 'queuewire: startWorkers(): hooks: unknown option "queues". Known options: before, after, error.', usage: false },
    { what: 'a --redis that is not a URL', args: ['worker', '--queues', queuesModule, '--handlers', handlersDir, '--redis', 'localhost:6379'], message: 'queuewire: connection "localhost:6379" is not a Redis URL', usage: false },
  ];
  for (const { what, args, message, usage } of badArgs) {
    it(`exits 1 with a clear message for ${what}`, async () => {
      const result = await runNode(cliPath, args);
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderr.startsWith(message) || result.stderr.includes(message), result.stderr).to.equal(true);
      expect(result.stderr, 'no stack trace').to.not.match(/^\s+at /m);
      expect(result.stderr.includes('Usage: queuewire worker'), 'usage shown').to.equal(usage);
      expect(result.stdout).to.equal('');
    });
  }
});
