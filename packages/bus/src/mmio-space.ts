import type { AccessWidth, Counter, IoHandler, MetricsRegistry } from '@popek/core';
import { allOnes } from '@popek/core';
import { ADDRESS_SPACE_END, PAGE_SHIFT } from './memory-map.js';
import { WindowPriority, type WindowInfo } from './port-space.js';

interface MmioWindow extends WindowInfo {
  readonly handler: IoHandler;
  readonly priority: number;
  readonly order: number;
}

/** Page-table value of a page that more than one window touches: those pages scan the windows. */
const SHARED_PAGE = 0xffff;

/**
 * The memory-mapped I/O windows of the 4 GiB physical space, found through a page-granular table
 * (one 16-bit window index per 4 KiB page, 2 MiB in all) so that a slow-path access costs one
 * lookup, not a scan. Only pages that several windows touch (sub-page BARs placed side by side,
 * or overlapping BARs) scan the windows, highest priority first.
 *
 * Accesses that run past a window's end are split in halves down to bytes, as the bus would split
 * them into separate cycles; bytes nobody decodes read as all ones, ignore writes, and are
 * counted in `bus.mmio.unassigned`.
 */
export class MmioSpace {
  readonly #pages = new Uint16Array(ADDRESS_SPACE_END / 4096);
  readonly #windows: (MmioWindow | undefined)[] = [undefined];
  readonly #freeSlots: number[] = [];
  /** Active windows, highest priority (then newest) first: the scan order of shared pages. */
  #ranked: MmioWindow[] = [];
  #order = 0;
  readonly #unassigned: Counter;

  /** @param metrics - where unassigned accesses are counted */
  constructor(metrics: MetricsRegistry) {
    this.#unassigned = metrics.counter('bus.mmio.unassigned', 'Physical accesses that hit neither RAM nor a device');
  }

  /** Registers `handler` for `[base, base + size)` and returns the window's handle. */
  add(base: number, size: number, handler: IoHandler, owner: string, priority: number = WindowPriority.Device): number {
    if (!Number.isInteger(base) || !Number.isInteger(size) || base < 0 || size < 1 || base + size > ADDRESS_SPACE_END) {
      throw new RangeError(`MMIO window ${base}+${size} lies outside the physical address space`);
    }
    const slot = this.#freeSlots.pop() ?? this.#windows.length;
    if (slot >= SHARED_PAGE) throw new RangeError('too many MMIO windows');
    const w: MmioWindow = { base, size, handler, owner, priority, order: this.#order++ };
    this.#windows[slot] = w;
    this.#rank();
    const last = Math.floor((base + size - 1) / 4096);
    for (let page = base >>> PAGE_SHIFT; page <= last; page++) {
      this.#pages[page] = this.#pages[page] === 0 ? slot : SHARED_PAGE;
    }
    return slot;
  }

  /** Unregisters a window. */
  remove(handle: number): void {
    const w = this.#windows[handle];
    if (w === undefined || handle === 0) return;
    this.#windows[handle] = undefined;
    this.#freeSlots.push(handle);
    this.#rank();
    const first = w.base >>> PAGE_SHIFT;
    const last = Math.floor((w.base + w.size - 1) / 4096);
    const end = w.base + w.size;
    const near: [number, MmioWindow][] = [];
    this.#windows.forEach((other, i) => {
      if (other !== undefined && other.base < end && other.base + other.size > w.base) near.push([i, other]);
    });
    for (let page = first; page <= last; page++) {
      const lo = page * 4096;
      const hi = lo + 4096;
      let found = 0;
      for (const [i, other] of near) {
        if (other.base < hi && other.base + other.size > lo) found = found === 0 ? i : SHARED_PAGE;
      }
      this.#pages[page] = found;
    }
  }

  /** The window that decodes `address`, if any. */
  windowAt(address: number): WindowInfo | undefined {
    const w = this.#find(address >>> 0);
    return w === undefined ? undefined : { base: w.base, size: w.size, owner: w.owner };
  }

  /** Reads `width` bytes at `address` (which must not wrap past 4 GiB). */
  read(address: number, width: AccessWidth): number {
    const w = this.#find(address);
    if (w !== undefined) {
      const offset = address - w.base;
      if (offset + width <= w.size) return w.handler.read(offset, width);
    }
    if (this.#empty(address, width)) {
      this.#unassigned.value++;
      return allOnes(width);
    }
    return this.#readPiece(address, width);
  }

  /** Writes the low `width` bytes of `value` at `address`. */
  write(address: number, width: AccessWidth, value: number): void {
    const w = this.#find(address);
    if (w !== undefined) {
      const offset = address - w.base;
      if (offset + width <= w.size) {
        w.handler.write(offset, width, width === 4 ? value >>> 0 : value & (width === 2 ? 0xffff : 0xff));
        return;
      }
    }
    if (this.#empty(address, width)) {
      this.#unassigned.value++;
      return;
    }
    this.#writePiece(address, width, value);
  }

  #find(address: number): MmioWindow | undefined {
    if (address >= ADDRESS_SPACE_END) return undefined;
    const slot = this.#pages[address >>> PAGE_SHIFT]!;
    if (slot === 0) return undefined;
    if (slot !== SHARED_PAGE) {
      const w = this.#windows[slot]!;
      return address >= w.base && address - w.base < w.size ? w : undefined;
    }
    for (const w of this.#ranked) if (address >= w.base && address - w.base < w.size) return w;
    return undefined;
  }

  #readPiece(address: number, width: AccessWidth): number {
    const w = this.#find(address);
    if (w !== undefined && address - w.base + width <= w.size) return w.handler.read(address - w.base, width);
    if (width === 1) {
      this.#unassigned.value++;
      return 0xff;
    }
    const half = (width >> 1) as AccessWidth;
    const lo = this.#readPiece(address, half);
    const hi = this.#readPiece(address + half, half);
    return (lo + hi * (half === 2 ? 0x1_0000 : 0x100)) >>> 0;
  }

  #writePiece(address: number, width: AccessWidth, value: number): void {
    const w = this.#find(address);
    if (w !== undefined && address - w.base + width <= w.size) {
      w.handler.write(address - w.base, width, width === 4 ? value >>> 0 : value & (width === 2 ? 0xffff : 0xff));
      return;
    }
    if (width === 1) {
      this.#unassigned.value++;
      return;
    }
    const half = (width >> 1) as AccessWidth;
    this.#writePiece(address, half, value);
    this.#writePiece(address + half, half, half === 2 ? value >>> 16 : value >>> 8);
  }

  #empty(address: number, width: number): boolean {
    for (let i = 0; i < width; i++) if (this.#find(address + i) !== undefined) return false;
    return true;
  }

  #rank(): void {
    this.#ranked = this.#windows.filter((w): w is MmioWindow => w !== undefined).sort((a, b) => b.priority - a.priority || b.order - a.order);
  }
}
