import type { QueueClient } from '../client';
import { cancelChannel, decodeCancelRequest } from '../cancel/cancel-channel';
import type { JobRoute } from './job-router';

/**
 * Subscribes one connection of this worker group to the prefix's cancel channel, and hands each request
 * to the route of its queue; the route aborts the job if this process runs it and ignores it otherwise
 * (every worker process hears every cancel). ioredis re-subscribes after a reconnect; a cancel published
 * while this process is disconnected is not heard (pub/sub keeps nothing), and `cancel()` then reports
 * fewer listeners.
 */
export async function listenForCancels(client: QueueClient<any>, routes: ReadonlyMap<string, JobRoute>): Promise<{ close(): Promise<void> }> {
  const subscriber = client.connections.openBlocking('cancel');
  const channel = cancelChannel(client.prefix);
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const request = decodeCancelRequest(message);
    if (!request) {
      client.logger.warn(`[queuewire] ignored a malformed message on ${channel}: ${message.slice(0, 200)}`);
      return;
    }
    routes.get(request.queue)?.cancel(request.jobId, request.reason);
  });
  await subscriber.subscribe(channel);
  return { close: () => client.connections.release(subscriber) };
}
