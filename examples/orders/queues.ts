import { defineQueues, job } from 'queuewire';
import { z } from 'zod';

export const queues = defineQueues({
  orders: {
    jobs: {
      // Producers send the schema's input (an ISO day); the handler reads its output (a Date).
      place: job(z.object({
        sku: z.string().min(1),
        quantity: z.number().int().positive(),
        deliverOn: z.iso.date().transform((day) => new Date(`${day}T00:00:00Z`)),
      }), { attempts: 3 }).returns<{ confirmation: string }>(),
    },
  },
});

declare module 'queuewire' {
  interface Register {
    queues: typeof queues;
  }
  // Metadata keys this app puts on its jobs, typed wherever jobMetadata(job) is read.
  interface JobMetadata {
    tenant?: string;
  }
}
