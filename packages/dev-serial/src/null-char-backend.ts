import type { CharBackend, CharReceiver } from '@popek/core';

/**
 * A character backend connected to nothing: what the guest writes is discarded and no input ever
 * arrives. A serial port without a configured backend uses it (the `none` spec).
 */
export class NullCharBackend implements CharBackend {
  /** Discards the bytes. */
  write(_bytes: Uint8Array): void {}

  /** Never delivers input, so it keeps no receiver. */
  connect(_receiver: CharReceiver): void {}

  /** Has nothing to deliver. */
  ready(): void {}
}
