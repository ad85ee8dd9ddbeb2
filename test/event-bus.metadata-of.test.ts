import { expect } from 'chai';
import { ConfigurationError, createQueueClient, type QueueClient } from '../lib/index';
import { nextEvent } from './support/bus-events';
import { uniquePrefix, useCleanup, useRedisServer } from './support/harness';
import { echoHandlers, queues, type TestQueues } from './support/queues';
import { servedClient } from './support/served-client';

describe('event bus: events.metadataOf(event) reads the job\'s metadata on demand', function () {
  this.timeout(10_000);
  const redis = useRedisServer();
  const cleanup = useCleanup();

  it('one HGET of the job\'s options, only when a listener asks: the bus reads nothing per event by itself', async () => {
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers()]);
    // MONITOR takes a connection of its own: both are closed, or their reconnects outlive the server.
    const plain = redis().connect();
    cleanup(() => plain.disconnect());
    const monitor = await plain.monitor();
    cleanup(() => monitor.disconnect());
    const optionReads: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'hget' && args[2] === 'opts') optionReads.push(args);
    });
    // MONITOR sees commands from when it is set up: a PING through it marks that point.
    const settled = async () => {
      const marker = `marker-${Math.random()}`;
      const seen = new Promise<void>((resolve) => monitor.on('monitor', (_time: string, args: string[]) => args[1] === marker && resolve()));
      await client.connections.producer.echo(marker);
      await seen;
    };
    await settled();

    const silent = nextEvent(client.events, 'echo:completed');
    await client.producer.withRequest({ requestId: 'r-1' }).add('echo', 'value', { value: 1 });
    await silent;
    await settled();
    expect(optionReads, 'reads without metadataOf').to.deep.equal([]);

    const completed = nextEvent(client.events, 'echo:completed');
    const added = await client.producer.withRequest({ requestId: 'r-2', metadata: { tenant: 'acme' } }).add('echo', 'value', { value: 2 });
    const event = await completed;
    expect(await client.events.metadataOf(event)).to.deep.equal({ requestId: 'r-2', tenant: 'acme' });
    await settled();
    expect(optionReads).to.deep.equal([['hget', `${client.prefix}:echo:${added.id}`, 'opts']]);
  });

  it('resolves {} for a job without metadata, a removed job and a queue-wide event; never rejects', async () => {
    const { client } = await servedClient(redis().url, cleanup, [echoHandlers()]);
    const plain = nextEvent(client.events, 'echo:completed');
    await client.producer.add('echo', 'value', { value: 1 });
    expect(await client.events.metadataOf(await plain)).to.deep.equal({});

    const completed = nextEvent(client.events, 'echo:completed');
    await client.producer.withRequest({ requestId: 'r-3' }).add('echo', 'value', { value: 2 }, { removeOnComplete: true });
    expect(await client.events.metadataOf(await completed), 'removed on completion').to.deep.equal({});

    const drained = await client.events.metadataOf({ queue: 'echo' });
    expect(drained).to.deep.equal({});
    // A queue the definition lacks fails to compile; from an untyped caller it is not an error either.
    // @ts-expect-error 'nope' is not a queue of the definition
    expect(await client.events.metadataOf({ queue: 'nope', jobId: '1' })).to.deep.equal({});
  });

  it('resolves {} within its timeout when Redis does not answer; a bad timeout is a ConfigurationError', async () => {
    const client: QueueClient<TestQueues> = createQueueClient({ queues, connection: 'redis://127.0.0.1:1', prefix: uniquePrefix(), logger: { info() {}, warn() {}, error() {} } });
    cleanup(() => client.close());
    const started = Date.now();
    expect(await client.events.metadataOf({ queue: 'echo', jobId: '1' }, { timeout: 300 })).to.deep.equal({});
    expect(Date.now() - started).to.be.lessThan(1000);
    const error = await client.events.metadataOf({ queue: 'echo', jobId: '1' }, { timeout: 0 }).then(() => undefined, (caught: Error) => caught);
    expect(error).to.be.instanceOf(ConfigurationError);
    expect(error!.message).to.equal('events.metadataOf(): timeout must be a positive whole number of ms; got 0.');
  });
});
