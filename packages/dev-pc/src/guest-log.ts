import type { EventStream, MachineEvent } from '@popek/core';

/**
 * Tells the host, through the machine's event stream, that the guest did something odd with a
 * device (an unsupported sleep state, an unknown controller command). The guest controls how
 * often that happens, so only the first `limit` messages are emitted; devices count every
 * occurrence in a metric as well.
 */
export class GuestLog {
  #emitted = 0;

  /**
   * @param events - the machine's event stream
   * @param source - the device id, shown as the message's source
   * @param limit - how many messages to emit at most over the machine's life
   */
  constructor(
    private readonly events: EventStream<MachineEvent>,
    private readonly source: string,
    private readonly limit = 16,
  ) {}

  /** Emits a warning, unless the limit was reached or nobody listens. */
  warn(message: string): void {
    if (this.#emitted >= this.limit || !this.events.hasListeners) return;
    this.#emitted++;
    this.events.emit({ type: 'log', level: 'warn', source: this.source, message });
  }
}
