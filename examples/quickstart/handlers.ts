import { handlers } from 'queuewire';
import { queues } from './queues';

export default handlers(queues, 'email', {
  welcome: async (job) => {
    await job.updateProgress(50);
    return { messageId: `msg-${job.id}-${job.data.to}` };
  },
  digest: async (job) => {
    console.log(`digest for user ${job.data.userId}`);
  },
});
