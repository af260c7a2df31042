/**
 * A bounded FIFO of bytes in a fixed ring buffer: a PS/2 device's output buffer or the keyboard
 * controller's response queue. It never grows; a push that does not fit is refused.
 */
export class ByteQueue {
  readonly #ring: Uint8Array;
  #head = 0;
  #length = 0;

  /** @param capacity - the most bytes the queue holds */
  constructor(readonly capacity: number) {
    this.#ring = new Uint8Array(capacity);
  }

  /** Number of queued bytes. */
  get length(): number {
    return this.#length;
  }

  /** Number of bytes that still fit. */
  get free(): number {
    return this.capacity - this.#length;
  }

  /** Appends `byte`; returns false (and drops it) when the queue is full. */
  push(byte: number): boolean {
    if (this.#length === this.capacity) return false;
    this.#ring[(this.#head + this.#length) % this.capacity] = byte;
    this.#length++;
    return true;
  }

  /** Removes and returns the oldest byte, or -1 when the queue is empty. */
  shift(): number {
    if (this.#length === 0) return -1;
    const byte = this.#ring[this.#head]!;
    this.#head = (this.#head + 1) % this.capacity;
    this.#length--;
    return byte;
  }

  /** The oldest byte without removing it, or -1 when empty. */
  peek(): number {
    return this.#length === 0 ? -1 : this.#ring[this.#head]!;
  }

  /** Empties the queue. */
  clear(): void {
    this.#head = 0;
    this.#length = 0;
  }

  /** The queued bytes, oldest first (a fresh copy, for snapshots). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    for (let i = 0; i < this.#length; i++) out[i] = this.#ring[(this.#head + i) % this.capacity]!;
    return out;
  }

  /** Replaces the contents with `bytes` (at most `capacity` of them, the oldest kept). */
  load(bytes: Uint8Array): void {
    this.clear();
    const n = Math.min(bytes.length, this.capacity);
    for (let i = 0; i < n; i++) this.push(bytes[i]!);
  }
}
