import { createQueueClient, startWorkers } from 'queuewire';
import email from './handlers';
import { queues } from './queues';

export async function main() {
  const client = createQueueClient({ queues });
  // Runs until SIGTERM/SIGINT, then lets active jobs finish and exits.
  return startWorkers({ client, handlers: [email], concurrency: 5 });
}

if (require.main === module) void main();
