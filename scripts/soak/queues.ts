import { defineQueues, job } from '../../lib/index';

/**
 * The soak's one queue. Completed jobs are kept (not the default bounded retention), so that at the
 * end every accepted job can be found in Redis and reconciled.
 */
export const soakQueues = defineQueues({
  orders: {
    jobs: {
      /** Records `businessId` as done (the handler's side effect), after `workMs` of simulated work. */
      fulfil: job<{ businessId: string; workMs: number }, { businessId: string; pid: number }>(),
    },
    defaults: { attempts: 3, backoff: { type: 'fixed', delay: 200 }, removeOnComplete: false, removeOnFail: false },
  },
});

export type SoakQueues = typeof soakQueues;
