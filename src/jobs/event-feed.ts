// Events handed to every listener, in the order they subscribed: the log and the metrics hear the same stream
// without one having to forward to the other.
import type { Events } from "./job-api";

export class EventFeed<Event> implements Events<Event> {
  private readonly listeners: ((event: Event) => void)[] = [];

  subscribe(listener: (event: Event) => void): void {
    this.listeners.push(listener);
  }

  /** Bound, so it can be handed on as an `onEvent` callback. */
  readonly emit = (event: Event): void => {
    for (const listener of this.listeners) listener(event);
  };
}
