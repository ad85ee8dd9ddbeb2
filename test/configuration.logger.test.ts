import { expect } from 'chai';
import { ConfigurationError, createQueueClient, defineQueues, job } from '../lib/index';
import { useCleanup } from './support/harness';

const queues = defineQueues({ reports: { jobs: { daily: job() } } });

// Found in review: createQueueClient() took a logger without info/warn (e.g. { error: console.error },
// or a JavaScript caller's partial logger), and the first line it had to say crashed later:
// startWorkers() threw "TypeError: client.logger.info is not a function" after it had written the
// schedules to Redis.
describe('configuration: the logger option', () => {
  const cleanup = useCleanup();
  const partials: Array<[string, unknown]> = [
    ['without info and warn', { error: () => undefined }],
    ['with a method that is not a function', { info: () => undefined, warn: 'console.warn', error: () => undefined }],
    ['that is not an object', 'console'],
  ];
  for (const [what, logger] of partials) {
    it(`refuses a logger ${what} when the client is created, before anything connects`, () => {
      let error: unknown;
      try {
        const client = createQueueClient({ queues, connection: 'redis://127.0.0.1:1', logger: logger as never });
        cleanup(() => client.close());
      } catch (thrown) {
        error = thrown;
      }
      expect(error).to.be.instanceOf(ConfigurationError);
      expect((error as Error).message).to.match(/logger must have info, warn and error functions/);
    });
  }
});
