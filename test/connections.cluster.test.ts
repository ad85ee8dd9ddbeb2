import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { ConfigurationError, createQueueClient } from '../lib/index';
import { queues } from './support/queues';

describe('connections: Redis Cluster', () => {
  it('C22: a Cluster client is refused at start with a clear configuration error, before anything connects', () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    try {
      expect(() => createQueueClient({ queues, connection: cluster as never })).to.throw(ConfigurationError, 'Redis Cluster is not supported yet');
      expect(cluster.status).to.equal('wait');
    } finally {
      cluster.disconnect();
    }
  });
});
