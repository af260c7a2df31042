import type { CharReceiver } from '@popek/core';

/**
 * Host input a backend holds until its device can take it, as a list of chunks. The queue itself
 * takes whatever it is given; a backend bounds it by pausing its source (a socket, stdin) when
 * {@link length} passes its high-water mark, or by refusing input (see {@link pushBounded}).
 */
export class CharInputQueue {
  readonly #chunks: Uint8Array[] = [];
  #offset = 0;
  #length = 0;

  /** Bytes held. */
  get length(): number {
    return this.#length;
  }

  /** Holds `bytes` (kept by reference: pass a buffer nobody reuses). */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  /** Holds as much of `bytes` (copied) as fits below `limit` bytes in all; returns how many. */
  pushBounded(bytes: Uint8Array, limit: number): number {
    const n = Math.max(0, Math.min(bytes.length, limit - this.#length));
    if (n > 0) this.push(bytes.slice(0, n));
    return n;
  }

  /** Hands the receiver as many bytes as it can take now (asking only when there is input); returns how many. */
  deliver(receiver: CharReceiver | undefined): number {
    if (receiver === undefined || this.#length === 0) return 0;
    const n = Math.min(receiver.canAccept(), this.#length);
    if (!(n > 0)) return 0;
    receiver.accept(this.take(n));
    return n;
  }

  /** Removes and returns the oldest `n` bytes (at most {@link length}). */
  take(n: number): Uint8Array {
    const count = Math.min(n, this.#length);
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.#chunks[0]!;
      const part = Math.min(chunk.length - this.#offset, count - filled);
      out.set(chunk.subarray(this.#offset, this.#offset + part), filled);
      filled += part;
      this.#offset += part;
      if (this.#offset === chunk.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    this.#length -= count;
    return out;
  }

  /** Drops everything held. */
  clear(): void {
    this.#chunks.length = 0;
    this.#offset = 0;
    this.#length = 0;
  }
}
