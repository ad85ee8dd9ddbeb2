import type { QueueSet } from './define';
import type { Producer } from '../producer/producer';

/**
 * Tells queuewire your application's definition once, so `req.queue` / `ctx.queue` are typed in every
 * route. Add this to any `.ts` file of your app:
 *
 * ```ts
 * declare module 'queuewire' {
 *   interface Register { queues: typeof queues }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Register {}

/** The registered definition, or the untyped `QueueSet` until one is registered. */
export type RegisteredQueues = Register extends { queues: infer Queues extends QueueSet } ? Queues : QueueSet;

/** The producer type that request objects carry. */
export type RegisteredProducer = Producer<RegisteredQueues>;
