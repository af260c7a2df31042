import type { CharBackend, CharReceiver, EventStream, LifecycleContribution, MachineEvent } from '@popek/core';
import { CharInputQueue } from '../char-input-queue.js';

/** Options of an {@link EventStreamCharBackend}. */
export interface EventStreamCharBackendOptions {
  /** The machine's event stream (else attached later, see {@link EventStreamCharBackend.attachMachineEvents}). */
  readonly events?: EventStream<MachineEvent>;
  /** Most host input bytes held for the guest (default 64 KiB); {@link EventStreamCharBackend.send} refuses the rest. */
  readonly maxPendingInput?: number;
  /** Called when input arrives (a host passes `() => machine.wake()`). */
  readonly onInput?: () => void;
}

/**
 * A character backend for hosts that talk to a machine through its event stream (a worker
 * thread, a browser Web Worker): guest output becomes `console` events on `channel`, and host
 * input arrives through {@link send}. It holds no host resources, so it runs anywhere.
 */
export class EventStreamCharBackend implements CharBackend, LifecycleContribution {
  readonly #queue = new CharInputQueue();
  readonly #maxPendingInput: number;
  readonly #onInput: (() => void) | undefined;
  #events: EventStream<MachineEvent> | undefined;
  #receiver: CharReceiver | undefined;
  #disposed = false;

  /**
   * @param channel - the `console` events' channel (conventionally the device id, `com1`)
   * @param options - event stream and input bound
   */
  constructor(
    readonly channel: string,
    options: EventStreamCharBackendOptions = {},
  ) {
    this.#events = options.events;
    this.#maxPendingInput = options.maxPendingInput ?? 64 * 1024;
    this.#onInput = options.onInput;
  }

  /** Connects the machine's event stream (the serial backend module does this at build). */
  attachMachineEvents(events: EventStream<MachineEvent>): void {
    this.#events = events;
  }

  /** Publishes guest output as a `console` event (a copy; skipped while nobody listens). */
  write(bytes: Uint8Array): void {
    const events = this.#events;
    if (events === undefined || this.#disposed || !events.hasListeners || bytes.length === 0) return;
    events.emit({ type: 'console', channel: this.channel, bytes: bytes.slice() });
  }

  /** Registers the device and hands it any input already waiting. */
  connect(receiver: CharReceiver): void {
    this.#receiver = receiver;
    this.ready();
  }

  /** Hands the device what it can take. */
  ready(): void {
    this.#queue.deliver(this.#receiver);
  }

  /**
   * Queues host input for the guest (text is UTF-8 encoded). Returns how many bytes were taken:
   * fewer than given when the guest has not read what is already waiting.
   */
  send(input: string | Uint8Array): number {
    if (this.#disposed) return 0;
    const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
    const taken = this.#queue.pushBounded(bytes, this.#maxPendingInput);
    this.ready();
    if (taken > 0) this.#onInput?.();
    return taken;
  }

  /** Host input bytes the guest has not taken yet. */
  get pendingInput(): number {
    return this.#queue.length;
  }

  /** Drops pending input and stops publishing. */
  dispose(): void {
    this.#disposed = true;
    this.#queue.clear();
    this.#receiver = undefined;
  }

  /** Disposes with the machine. */
  onDispose(): void {
    this.dispose();
  }
}
