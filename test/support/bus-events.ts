import type { EventBus, EventMap, QueueSet } from '../../lib/index';

type Payload<Queues extends QueueSet, Event extends keyof EventMap<Queues>> = Parameters<EventMap<Queues>[Event]>[0];

/**
 * Resolves with the first `event` payload that `matches` accepts, listening from now on; then stops
 * listening. Call it before the action that causes the event, so the event cannot come first.
 */
export function nextEvent<Queues extends QueueSet, Event extends Extract<keyof EventMap<Queues>, string>>(
  bus: EventBus<Queues>,
  event: Event,
  matches: (payload: Payload<Queues, Event>) => boolean = () => true,
): Promise<Payload<Queues, Event>> {
  return new Promise((resolve) => {
    const listener = ((payload: Payload<Queues, Event>) => {
      if (!matches(payload)) return;
      bus.off(event, listener);
      resolve(payload);
    }) as EventMap<Queues>[Event];
    bus.on(event, listener);
  });
}
