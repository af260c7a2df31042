/** A typed event: every event has a discriminating `type`. */
export interface TypedEvent {
  /** The event's kind. */
  readonly type: string;
}

/** A listener of an {@link EventStream}. */
export type EventListener<E> = (event: E) => void;

/**
 * A typed publish/subscribe stream: hosts and UIs learn what a machine does through it, never by
 * reaching into the machine's objects. Listeners run synchronously, in subscription order; a
 * listener that throws does not stop the others (the error is reported to `onListenerError`).
 */
export class EventStream<E extends TypedEvent> {
  readonly #listeners: Array<EventListener<E>> = [];

  /** @param onListenerError - where a listener's exception goes (default: `console.error`) */
  constructor(private readonly onListenerError: (error: unknown) => void = (e) => console.error(e)) {}

  /** Subscribes to every event; returns the function that unsubscribes. */
  subscribe(listener: EventListener<E>): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Subscribes to the events of one type. */
  on<T extends E['type']>(type: T, listener: EventListener<Extract<E, { type: T }>>): () => void {
    return this.subscribe((e) => {
      if (e.type === type) listener(e as Extract<E, { type: T }>);
    });
  }

  /** Whether anybody listens (emitters may skip building an event nobody hears). */
  get hasListeners(): boolean {
    return this.#listeners.length > 0;
  }

  /** Delivers `event` to every listener. */
  emit(event: E): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
