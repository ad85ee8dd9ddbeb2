import { createQueueClient, startWorkers } from 'queuewire';
import email from './handlers';
import { queues } from './queues';

export const client = createQueueClient({ queues });

// Runs until SIGTERM/SIGINT, then lets active jobs finish, closes the client and exits.
export const workers = startWorkers({ client, handlers: [email], concurrency: 5 });
