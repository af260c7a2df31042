import type { AccessWidth, Counter, MetricsRegistry, StateRecord, StateValue, WriteTracer } from '@popek/core';
import { bytesField, field } from '@popek/core';
import type { FramePool } from './frame-pool.js';
import { PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from './memory-map.js';

/*
 * A P2M entry is one 32-bit word per guest frame:
 *
 *   bits 0–19   host frame number in the frame pool (meaningless for ballooned pages)
 *   bit 20      RAM        the page is guest RAM (or ROM); clear for holes, MMIO and unassigned
 *   bit 21      ROM        read-only: guest writes are ignored
 *   bit 22      SHARED     the host frame may be shared with other pages: copy on write
 *   bit 23      BALLOONED  the frame was given back to the host: reads as zeros, a write brings
 *                          back a fresh zeroed frame
 *   bit 24      TRACED     writes are reported to write tracers (code and page-table tracking)
 *   bit 25      LOG_CLEAN  dirty logging is on and the page was not written since the last
 *                          collection (the architecture's "dirty" flag, stored inverted so that
 *                          the write fast path is one mask-and-compare)
 *
 * The fast path (`hostOffset`) allows a read when (entry & READ_SLOW) === RAM and a write when
 * (entry & WRITE_SLOW) === RAM; everything else takes the slow path, which performs the access,
 * breaks sharing, records dirtiness and calls the tracers.
 */

/** Mask of the host frame number in a P2M entry. */
export const P2M_HFN_MASK = 0x000f_ffff;
/** P2M flag: the page is guest RAM or ROM backed by a host frame. */
export const P2M_RAM = 1 << 20;
/** P2M flag: the page is read-only (ROM); guest writes are ignored. */
export const P2M_ROM = 1 << 21;
/** P2M flag: the page's frame may be shared; a write copies it first. */
export const P2M_SHARED = 1 << 22;
/** P2M flag: the page's frame was returned to the host (balloon); it reads as zeros. */
export const P2M_BALLOONED = 1 << 23;
/** P2M flag: writes to the page are reported to its write tracers. */
export const P2M_TRACED = 1 << 24;
/** P2M flag: dirty logging is on and the page is clean since the last collection. */
export const P2M_LOG_CLEAN = 1 << 25;
/** Flags that send a read to the slow path (compared against {@link P2M_RAM}). */
export const P2M_READ_SLOW = P2M_RAM | P2M_BALLOONED;
/** Flags that send a write to the slow path (compared against {@link P2M_RAM}). */
export const P2M_WRITE_SLOW = P2M_RAM | P2M_ROM | P2M_SHARED | P2M_BALLOONED | P2M_TRACED | P2M_LOG_CLEAN;
/** The bits of an entry that are guest state (saved in snapshots); the rest are host tracking. */
const P2M_PERSISTENT = P2M_HFN_MASK | P2M_RAM | P2M_ROM | P2M_SHARED | P2M_BALLOONED;

/** A page's write tracer (the core contract; re-exported here for the bus's users). */
export type { WriteTracer };

/**
 * The P2M table: guest frame number → host frame number plus flags (RAM, ROM, shared
 * copy-on-write, ballooned, write-traced, dirty-logged), over a {@link FramePool}.
 *
 * It covers the guest frames below the top of RAM; frames above are never RAM. Changes that can
 * invalidate a host offset someone cached (a frame replaced, a write permission withdrawn) call
 * the mapping-change callback; changes that only widen access do not.
 */
export class P2mTable {
  /** One entry per guest frame below the top of RAM (see the flag constants). */
  readonly entries: Uint32Array;
  /** Number of guest frames covered. */
  readonly pageCount: number;
  /** The frames. */
  readonly pool: FramePool;
  readonly #changed: () => void;
  readonly #tracers = new Map<number, readonly WriteTracer[]>();
  readonly #dirty: Uint32Array;
  #logging = false;
  readonly #cowBreaks: Counter;
  readonly #balloonFaults: Counter;
  readonly #tracedWrites: Counter;
  readonly #exhausted: Counter;
  readonly #romWrites: Counter;

  /**
   * @param pool - the frames
   * @param pageCount - number of guest frames covered (at most the pool's frame count)
   * @param changed - called when cached host offsets may have become stale
   * @param metrics - where the P2M counts its slow-path events
   */
  constructor(pool: FramePool, pageCount: number, changed: () => void, metrics: MetricsRegistry) {
    if (pageCount > pool.frameCount) throw new RangeError('the P2M covers more pages than the pool has frames');
    this.pool = pool;
    this.pageCount = pageCount;
    this.entries = new Uint32Array(pageCount);
    this.#dirty = new Uint32Array(Math.ceil(pageCount / 32));
    this.#changed = changed;
    this.#cowBreaks = metrics.counter('bus.p2m.cow_breaks', 'Writes that copied a shared frame');
    this.#balloonFaults = metrics.counter('bus.p2m.balloon_faults', 'Writes that brought back a ballooned page');
    this.#tracedWrites = metrics.counter('bus.p2m.traced_writes', 'Writes reported to write tracers');
    this.#exhausted = metrics.counter('bus.p2m.frames_exhausted', 'Writes dropped because no free frame was left');
    this.#romWrites = metrics.counter('bus.rom.writes_ignored', 'Guest writes to read-only memory, ignored');
  }

  /**
   * Maps every page for which `isRam(gfn)` holds to the host frame of the same number, marks the
   * others as not RAM, and puts the unused frames on the pool's free stack.
   */
  initIdentity(isRam: (gfn: number) => boolean): void {
    const counts = new Uint32Array(this.pool.frameCount);
    for (let gfn = 0; gfn < this.pageCount; gfn++) {
      if (isRam(gfn)) {
        this.entries[gfn] = P2M_RAM | gfn;
        counts[gfn] = 1;
      } else {
        this.entries[gfn] = 0;
      }
    }
    this.pool.rebuild(counts);
  }

  /**
   * The fast path: the host byte offset of page `gfn` in the pool for this kind of access, or
   * -1 when the access must take the slow path.
   */
  hostOffset(gfn: number, write: boolean): number {
    if (gfn >= this.pageCount) return -1;
    const e = this.entries[gfn]!;
    return (e & (write ? P2M_WRITE_SLOW : P2M_READ_SLOW)) === P2M_RAM ? (e & P2M_HFN_MASK) << PAGE_SHIFT : -1;
  }

  /** Whether page `gfn` is RAM or ROM. */
  isRam(gfn: number): boolean {
    return gfn < this.pageCount && (this.entries[gfn]! & P2M_RAM) !== 0;
  }

  /** Whether page `gfn` is read-only ROM. */
  isRom(gfn: number): boolean {
    return gfn < this.pageCount && (this.entries[gfn]! & P2M_ROM) !== 0;
  }

  /**
   * Reads `width` bytes (little-endian) at `address`, which lies in one RAM page.
   */
  read(address: number, width: AccessWidth): number {
    const e = this.entries[address >>> PAGE_SHIFT]!;
    if ((e & P2M_BALLOONED) !== 0) return 0;
    const at = ((e & P2M_HFN_MASK) << PAGE_SHIFT) + (address & PAGE_MASK);
    const ram = this.pool.bytes;
    if (width === 1) return ram[at]!;
    if (width === 2) return ram[at]! | (ram[at + 1]! << 8);
    return (ram[at]! | (ram[at + 1]! << 8) | (ram[at + 2]! << 16) | (ram[at + 3]! << 24)) >>> 0;
  }

  /**
   * Writes `width` bytes (little-endian) at `address`, which lies in one RAM page: the slow path
   * of a CPU write. ROM ignores it (returns false); otherwise the write is done, then recorded.
   */
  write(address: number, width: AccessWidth, value: number): boolean {
    const gfn = address >>> PAGE_SHIFT;
    const page = this.prepareWrite(gfn);
    if (page < 0) {
      if ((this.entries[gfn]! & P2M_ROM) !== 0) this.#romWrites.value++;
      return false;
    }
    const at = page + (address & PAGE_MASK);
    const ram = this.pool.bytes;
    ram[at] = value;
    if (width >= 2) {
      ram[at + 1] = value >>> 8;
      if (width === 4) {
        ram[at + 2] = value >>> 16;
        ram[at + 3] = value >>> 24;
      }
    }
    this.afterWrite(gfn, address, width);
    return true;
  }

  /**
   * Makes page `gfn` privately writable — copies a shared frame, brings back a ballooned one —
   * and returns its host byte offset, or -1 when the page is ROM or not RAM (or no frame is free).
   * Call {@link afterWrite} once the bytes are written.
   */
  prepareWrite(gfn: number): number {
    if (gfn >= this.pageCount) return -1;
    let e = this.entries[gfn]!;
    if ((e & (P2M_RAM | P2M_ROM)) !== P2M_RAM) return -1;
    if ((e & P2M_BALLOONED) !== 0) {
      const hfn = this.pool.allocate();
      if (hfn < 0) {
        this.#exhausted.value++;
        return -1;
      }
      this.pool.zero(hfn);
      e = (e & ~(P2M_BALLOONED | P2M_HFN_MASK)) | hfn;
      this.entries[gfn] = e;
      this.#balloonFaults.value++;
      this.#changed();
    } else if ((e & P2M_SHARED) !== 0) {
      const old = e & P2M_HFN_MASK;
      if (this.pool.refCount(old) > 1) {
        const hfn = this.pool.allocate();
        if (hfn < 0) {
          this.#exhausted.value++;
          return -1;
        }
        const bytes = this.pool.bytes;
        bytes.copyWithin(hfn << PAGE_SHIFT, old << PAGE_SHIFT, (old + 1) << PAGE_SHIFT);
        this.pool.release(old);
        e = (e & ~(P2M_SHARED | P2M_HFN_MASK)) | hfn;
        this.entries[gfn] = e;
        this.#cowBreaks.value++;
        this.#changed();
      } else {
        // The last sharer keeps the frame: only the flag goes (a widening, no notification).
        e &= ~P2M_SHARED;
        this.entries[gfn] = e;
      }
    }
    return (e & P2M_HFN_MASK) << PAGE_SHIFT;
  }

  /** Records a write of `length` bytes at `address` in page `gfn`: dirty log, then tracers. */
  afterWrite(gfn: number, address: number, length: number): void {
    const e = this.entries[gfn]!;
    if (this.#logging) {
      this.#dirty[gfn >>> 5]! |= 1 << (gfn & 31);
      if ((e & P2M_LOG_CLEAN) !== 0) this.entries[gfn] = e & ~P2M_LOG_CLEAN;
    }
    if ((e & P2M_TRACED) !== 0) {
      const tracers = this.#tracers.get(gfn);
      if (tracers !== undefined) {
        this.#tracedWrites.value++;
        for (const t of tracers) t.onTracedWrite(address, length);
      }
    }
  }

  // --- Write tracing ----------------------------------------------------------------------------

  /**
   * Traces writes to RAM page `gfn`: from now on every write to it (CPU or DMA) takes the slow
   * path and is reported to `tracer` after it is done. Returns false (and does nothing) when the
   * page is not RAM. Tracing the same page with the same tracer twice is one registration.
   */
  trace(gfn: number, tracer: WriteTracer): boolean {
    if (!this.isRam(gfn)) return false;
    const list = this.#tracers.get(gfn) ?? [];
    if (list.includes(tracer)) return true;
    this.#tracers.set(gfn, [...list, tracer]);
    if ((this.entries[gfn]! & P2M_TRACED) === 0) {
      this.entries[gfn]! |= P2M_TRACED;
      this.#changed();
    }
    return true;
  }

  /** Stops `tracer` tracing page `gfn` (the page stays traced while others trace it). */
  untrace(gfn: number, tracer: WriteTracer): void {
    const list = this.#tracers.get(gfn);
    if (list === undefined) return;
    const rest = list.filter((t) => t !== tracer);
    if (rest.length > 0) {
      this.#tracers.set(gfn, rest);
      return;
    }
    this.#tracers.delete(gfn);
    this.entries[gfn]! &= ~P2M_TRACED;
  }

  /** Whether page `gfn` is write-traced. */
  isTraced(gfn: number): boolean {
    return gfn < this.pageCount && (this.entries[gfn]! & P2M_TRACED) !== 0;
  }

  // --- Dirty logging (migration, incremental snapshots) -----------------------------------------

  /** Whether dirty logging is on. */
  get dirtyLogging(): boolean {
    return this.#logging;
  }

  /** Starts dirty logging: every RAM page is clean, and its next write takes the slow path once. */
  startDirtyLog(): void {
    this.#logging = true;
    this.#dirty.fill(0);
    for (let gfn = 0; gfn < this.pageCount; gfn++) {
      if ((this.entries[gfn]! & P2M_RAM) !== 0) this.entries[gfn]! |= P2M_LOG_CLEAN;
    }
    this.#changed();
  }

  /**
   * Returns the pages written since logging started or since the last collection, as a bitmap
   * (bit `gfn & 31` of word `gfn >>> 5`), and marks them clean again.
   */
  collectDirty(): Uint32Array {
    const out = this.#dirty.slice();
    if (!this.#logging) return out;
    let any = false;
    for (let w = 0; w < out.length; w++) {
      let bits = out[w]!;
      if (bits === 0) continue;
      any = true;
      while (bits !== 0) {
        const bit = 31 - Math.clz32(bits);
        bits &= ~(1 << bit);
        const gfn = (w << 5) + bit;
        if ((this.entries[gfn]! & P2M_RAM) !== 0) this.entries[gfn]! |= P2M_LOG_CLEAN;
      }
    }
    this.#dirty.fill(0);
    if (any) this.#changed();
    return out;
  }

  /** Stops dirty logging. */
  stopDirtyLog(): void {
    this.#logging = false;
    this.#dirty.fill(0);
    for (let gfn = 0; gfn < this.pageCount; gfn++) this.entries[gfn]! &= ~P2M_LOG_CLEAN;
  }

  // --- Page sharing and ballooning ----------------------------------------------------------------

  /**
   * Content-based page sharing: when RAM pages `gfn` and `sourceGfn` hold the same bytes, maps
   * `gfn` to the source's frame copy-on-write and frees its own. Returns whether they now share.
   */
  share(gfn: number, sourceGfn: number): boolean {
    if (gfn === sourceGfn || !this.#plainRam(gfn) || !this.#plainRam(sourceGfn)) return false;
    const a = this.entries[gfn]!;
    const b = this.entries[sourceGfn]!;
    const frameA = a & P2M_HFN_MASK;
    const frameB = b & P2M_HFN_MASK;
    if (frameA === frameB) return true;
    const { buffer, byteOffset } = this.pool.bytes;
    const wordsA = new Uint32Array(buffer, byteOffset + (frameA << PAGE_SHIFT), PAGE_SIZE / 4);
    const wordsB = new Uint32Array(buffer, byteOffset + (frameB << PAGE_SHIFT), PAGE_SIZE / 4);
    for (let i = 0; i < wordsA.length; i++) if (wordsA[i] !== wordsB[i]) return false;
    this.pool.retain(frameB);
    this.pool.release(frameA);
    this.entries[gfn] = (a & ~P2M_HFN_MASK) | frameB | P2M_SHARED;
    this.entries[sourceGfn] = b | P2M_SHARED;
    this.#changed();
    return true;
  }

  /**
   * Gives RAM page `gfn`'s frame back to the host (the guest's balloon driver handed the page
   * over). The page then reads as zeros; a write brings back a fresh zeroed frame. Returns false
   * for pages that are not plain RAM.
   */
  balloon(gfn: number): boolean {
    if (!this.#plainRam(gfn)) return false;
    const e = this.entries[gfn]!;
    this.pool.release(e & P2M_HFN_MASK);
    this.entries[gfn] = (e & (P2M_TRACED | P2M_LOG_CLEAN)) | P2M_RAM | P2M_BALLOONED;
    this.#changed();
    return true;
  }

  /** Whether page `gfn` is ballooned out. */
  isBallooned(gfn: number): boolean {
    return gfn < this.pageCount && (this.entries[gfn]! & P2M_BALLOONED) !== 0;
  }

  #plainRam(gfn: number): boolean {
    return gfn < this.pageCount && (this.entries[gfn]! & (P2M_RAM | P2M_ROM | P2M_BALLOONED)) === P2M_RAM;
  }

  /** Makes RAM page `gfn` read-only ROM, or RAM again. */
  setReadOnly(gfn: number, readOnly: boolean): void {
    if (!this.isRam(gfn)) return;
    if (readOnly) {
      if ((this.entries[gfn]! & P2M_ROM) !== 0) return;
      this.entries[gfn]! |= P2M_ROM;
      this.#changed();
    } else {
      this.entries[gfn]! &= ~P2M_ROM;
    }
  }

  // --- Snapshots ------------------------------------------------------------------------------------

  /**
   * The guest state: the persistent bits of every entry, the free-frame stack, and the content
   * of every frame in use that is not all zeros (frames listed in ascending order).
   */
  save(): StateRecord {
    const entries = new Uint32Array(this.pageCount);
    for (let gfn = 0; gfn < this.pageCount; gfn++) entries[gfn] = this.entries[gfn]! & P2M_PERSISTENT;
    const frames: number[] = [];
    for (let hfn = 0; hfn < this.pool.frameCount; hfn++) {
      if (this.pool.refCount(hfn) > 0 && !this.pool.isZero(hfn)) frames.push(hfn);
    }
    const data = new Uint8Array(frames.length * PAGE_SIZE);
    frames.forEach((hfn, i) => data.set(this.pool.bytes.subarray(hfn << PAGE_SHIFT, (hfn + 1) << PAGE_SHIFT), i * PAGE_SIZE));
    return { entries, free: this.pool.freeList(), frames: Uint32Array.from(frames), data };
  }

  /**
   * Replaces the table and frame contents with saved state. Write tracers registered now stay
   * registered (they are host-side); with dirty logging on, every page counts as dirty.
   *
   * @throws TypeError when the state does not fit this table
   */
  load(state: StateValue): void {
    const entries = field(state, 'entries');
    const free = field(state, 'free');
    const frames = field(state, 'frames');
    const data = bytesField(state, 'data');
    if (!(entries instanceof Uint32Array) || entries.length !== this.pageCount) {
      throw new TypeError(`snapshot P2M has ${entries instanceof Uint32Array ? entries.length : 'no'} entries; this machine has ${this.pageCount} pages`);
    }
    if (!(free instanceof Int32Array) || !(frames instanceof Uint32Array) || data.length !== frames.length * PAGE_SIZE) {
      throw new TypeError('snapshot frame data is malformed');
    }
    const counts = new Uint32Array(this.pool.frameCount);
    for (let gfn = 0; gfn < this.pageCount; gfn++) {
      const e = entries[gfn]!;
      if ((e & ~P2M_PERSISTENT) !== 0 || ((e & P2M_RAM) === 0 && e !== 0)) throw new TypeError(`snapshot P2M entry ${gfn} is malformed`);
      if ((e & (P2M_RAM | P2M_BALLOONED)) === P2M_RAM) {
        const hfn = e & P2M_HFN_MASK;
        if (hfn >= this.pool.frameCount) throw new TypeError(`snapshot P2M entry ${gfn} names frame ${hfn}, beyond the pool`);
        counts[hfn]!++;
      } else if ((e & P2M_HFN_MASK) !== 0) {
        throw new TypeError(`snapshot P2M entry ${gfn} is ballooned but names a frame`);
      }
    }
    for (let i = 0; i < frames.length; i++) {
      const hfn = frames[i]!;
      if (hfn >= this.pool.frameCount || counts[hfn] === 0 || (i > 0 && hfn <= frames[i - 1]!)) {
        throw new TypeError(`snapshot frame list names frame ${hfn}, which is unused, repeated or out of order`);
      }
    }
    this.pool.rebuild(counts, free);
    this.pool.bytes.fill(0);
    for (let i = 0; i < frames.length; i++) this.pool.bytes.set(data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE), frames[i]! << PAGE_SHIFT);
    for (let gfn = 0; gfn < this.pageCount; gfn++) {
      const e = entries[gfn]!;
      this.entries[gfn] = e | (this.#tracers.has(gfn) ? P2M_TRACED : 0);
    }
    for (const gfn of [...this.#tracers.keys()]) {
      if ((this.entries[gfn]! & P2M_RAM) === 0) this.#tracers.delete(gfn);
    }
    if (this.#logging) {
      for (let gfn = 0; gfn < this.pageCount; gfn++) if ((this.entries[gfn]! & P2M_RAM) !== 0) this.#dirty[gfn >>> 5]! |= 1 << (gfn & 31);
    }
    this.#changed();
  }
}
