import { PopekError, type HostArena } from '@popek/core';
import { PAGE_SHIFT, PAGE_SIZE } from './memory-map.js';

/**
 * The host frames that hold guest RAM: one buffer of 4 KiB frames, with a reference count per
 * frame (a frame shared copy-on-write by several guest pages has a count above one) and a stack
 * of free frames.
 *
 * The buffer is a `SharedArrayBuffer` when the host has one and the caller allows it, so the pool
 * can later be handed to a worker or shared by several machines of one host (page sharing,
 * ballooning, overcommit); otherwise an `ArrayBuffer`. Its size stays below 2 GiB, so every host
 * byte offset fits in 31 bits.
 *
 * With a {@link HostArena}, the frames are one region of the arena's `WebAssembly.Memory`
 * instead, so generated WebAssembly code reaches guest RAM directly; {@link FramePool.buffer} is
 * then the whole memory and the frames start at `bytes.byteOffset` in it, not at 0. Host frame
 * offsets (frame `f` at `f * 4096`) are always relative to {@link FramePool.bytes}.
 */
export class FramePool {
  /**
   * The backing buffer. The frames start at `bytes.byteOffset` in it: at 0 for a buffer of the
   * pool's own, anywhere in a host arena's memory.
   */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Every frame's bytes: frame `f` is `bytes[f * 4096, (f + 1) * 4096)`. */
  readonly bytes: Uint8Array;
  /** Number of frames. */
  readonly frameCount: number;
  /** Whether the buffer is a `SharedArrayBuffer` (always, with a host arena). */
  readonly shared: boolean;
  readonly #refs: Uint32Array;
  readonly #free: Int32Array;
  #freeCount = 0;

  /**
   * @param frameCount - number of frames (the pool is `frameCount * 4096` bytes, below 2 GiB)
   * @param preferShared - use a `SharedArrayBuffer` when the host provides one (ignored with an
   * arena: the arena's memory decides)
   * @param arena - where to take the frames from, when the machine has a host arena
   * @throws `PopekError` `memory-unavailable` when the host (or the arena) cannot allocate the pool
   */
  constructor(frameCount: number, preferShared: boolean, arena?: HostArena) {
    if (!Number.isInteger(frameCount) || frameCount < 1 || frameCount * PAGE_SIZE >= 0x8000_0000) {
      throw new RangeError(`a frame pool of ${frameCount} frames is not between 1 frame and 2 GiB`);
    }
    const bytes = frameCount * PAGE_SIZE;
    if (arena !== undefined) {
      const offset = arena.allocate(bytes, PAGE_SIZE);
      // Read after allocate (which may have grown the memory). The memory is shared, so this
      // buffer is a SharedArrayBuffer (whatever the WebAssembly typings say) and later growth
      // keeps it and the view valid.
      this.buffer = arena.memory.buffer;
      this.shared = typeof SharedArrayBuffer === 'function' && this.buffer instanceof SharedArrayBuffer;
      this.bytes = new Uint8Array(this.buffer, offset, bytes);
    } else {
      const shared = preferShared && typeof SharedArrayBuffer === 'function';
      try {
        this.buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
      } catch (cause) {
        throw new PopekError(
          'memory-unavailable',
          `The host could not allocate ${Math.ceil(bytes / 0x10_0000)} MiB for guest memory. Give the machine less memory.`,
          { cause },
        );
      }
      this.shared = shared;
      this.bytes = new Uint8Array(this.buffer);
    }
    this.frameCount = frameCount;
    this.#refs = new Uint32Array(frameCount);
    this.#free = new Int32Array(frameCount);
  }

  /** Number of frames on the free stack. */
  get freeFrames(): number {
    return this.#freeCount;
  }

  /** The reference count of frame `hfn` (0 when free). */
  refCount(hfn: number): number {
    return this.#refs[hfn] ?? 0;
  }

  /** Adds a reference to frame `hfn` (which must be in use, or being claimed during setup). */
  retain(hfn: number): void {
    this.#refs[hfn]!++;
  }

  /** Drops a reference to frame `hfn`; the frame goes on the free stack when none are left. */
  release(hfn: number): void {
    const refs = this.#refs[hfn]!;
    if (refs === 0) throw new Error(`frame ${hfn} released while free`);
    this.#refs[hfn] = refs - 1;
    if (refs === 1) this.#free[this.#freeCount++] = hfn;
  }

  /** Takes a free frame (reference count 1) and returns its number, or -1 when none is free. */
  allocate(): number {
    if (this.#freeCount === 0) return -1;
    const hfn = this.#free[--this.#freeCount]!;
    this.#refs[hfn] = 1;
    return hfn;
  }

  /** Fills frame `hfn` with zeros. */
  zero(hfn: number): void {
    this.bytes.fill(0, hfn << PAGE_SHIFT, (hfn + 1) << PAGE_SHIFT);
  }

  /** Whether frame `hfn` holds only zeros. */
  isZero(hfn: number): boolean {
    // Eight bytes at a time through a Float64Array would misread -0; 32-bit words are exact.
    const words = new Uint32Array(this.buffer, this.bytes.byteOffset + (hfn << PAGE_SHIFT), PAGE_SIZE / 4);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
    return true;
  }

  /**
   * Recomputes every reference count from `counts` (one per frame) and puts the frames with no
   * reference on the free stack in `order` (frames listed there are popped last-first), or in
   * descending number order when `order` is absent, so the lowest free frame is handed out first.
   *
   * @throws TypeError when `order` does not list exactly the unreferenced frames
   */
  rebuild(counts: Uint32Array, order?: Int32Array): void {
    this.#refs.set(counts);
    this.#freeCount = 0;
    if (order === undefined) {
      for (let hfn = this.frameCount - 1; hfn >= 0; hfn--) if (counts[hfn] === 0) this.#free[this.#freeCount++] = hfn;
      return;
    }
    const seen = new Uint8Array(this.frameCount);
    for (const hfn of order) {
      if (!Number.isInteger(hfn) || hfn < 0 || hfn >= this.frameCount || counts[hfn] !== 0 || seen[hfn] !== 0) {
        throw new TypeError(`snapshot free-frame list names frame ${hfn}, which is in use, repeated or out of range`);
      }
      seen[hfn] = 1;
      this.#free[this.#freeCount++] = hfn;
    }
    for (let hfn = 0; hfn < this.frameCount; hfn++) {
      if (counts[hfn] === 0 && seen[hfn] === 0) throw new TypeError(`snapshot free-frame list misses free frame ${hfn}`);
    }
  }

  /** The free stack, bottom first (a copy). */
  freeList(): Int32Array {
    return this.#free.slice(0, this.#freeCount);
  }
}
