import { handlers, jobMetadata } from 'queuewire';
import { queues } from './queues';

export default handlers(queues, 'orders', {
  place: async (job) => {
    const { tenant, requestId } = jobMetadata(job);
    const day = job.data.deliverOn.toISOString().slice(0, 10); // a Date: the schema's output
    return { confirmation: `${tenant}: ${job.data.quantity} × ${job.data.sku} on ${day} (request ${requestId})` };
  },
});
