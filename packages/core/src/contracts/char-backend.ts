import { serviceId } from '../service-id.js';

/**
 * The host side of a character device (a serial port, a debug console): where the bytes the guest
 * writes go, and where the bytes it reads come from. Backends: stdio, a file, a TCP socket, the
 * machine's event stream, a buffer in tests.
 */
export interface CharBackend {
  /** Delivers bytes the guest wrote. Must not block; a backend that cannot keep up drops or buffers. */
  write(bytes: Uint8Array): void;
  /**
   * Registers the receiver of host input (one per backend: the device it is attached to).
   * The device tells the backend how many bytes it can take through `accept`; the backend holds the
   * rest until `ready` is called again, so guest-side buffers never grow without bound.
   */
  connect(receiver: CharReceiver): void;
  /** The device can take more input (its receive buffer drained). */
  ready(): void;
}

/** The device side of a {@link CharBackend}. */
export interface CharReceiver {
  /** How many bytes the device can take now. */
  canAccept(): number;
  /** Bytes from the host, at most `canAccept()` of them. */
  accept(bytes: Uint8Array): void;
}

/** A character backend that keeps what the guest writes and feeds scripted input: for tests. */
export class BufferCharBackend implements CharBackend {
  readonly #output: number[] = [];
  readonly #input: number[] = [];
  #receiver: CharReceiver | undefined;

  write(bytes: Uint8Array): void {
    for (const b of bytes) this.#output.push(b);
  }

  connect(receiver: CharReceiver): void {
    this.#receiver = receiver;
    this.ready();
  }

  ready(): void {
    const r = this.#receiver;
    if (r === undefined || this.#input.length === 0) return;
    const n = Math.min(r.canAccept(), this.#input.length);
    if (n > 0) r.accept(Uint8Array.from(this.#input.splice(0, n)));
  }

  /** Queues host input (text is UTF-8 encoded). */
  type(input: string | Uint8Array): void {
    const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
    for (const b of bytes) this.#input.push(b);
    this.ready();
  }

  /** Bytes still waiting for the device to take them. */
  get pendingInput(): number {
    return this.#input.length;
  }

  /** Everything the guest wrote so far, as bytes. */
  get output(): Uint8Array {
    return Uint8Array.from(this.#output);
  }

  /** Everything the guest wrote so far, decoded as UTF-8 (Latin-1 bytes come out replaced). */
  get text(): string {
    return new TextDecoder().decode(this.output);
  }

  /** Forgets the output collected so far. */
  clearOutput(): void {
    this.#output.length = 0;
  }
}

/**
 * Names a character backend for one device instance: a device asks for
 * `charBackendId('com1')` and the host binds a backend under it.
 */
export function charBackendId(deviceId: string) {
  return serviceId<CharBackend>(`@popek/core:CharBackend:${deviceId}`);
}
