import type { AccessWidth, Counter, IoHandler, MetricsRegistry } from '@popek/core';
import { allOnes } from '@popek/core';

/**
 * A set of access widths a window takes directly, as a bit mask of the widths in bytes:
 * 1 (bytes), 2 (words), 4 (dwords). Wider accesses a window does not take are split in halves,
 * as an ISA bus splits a 16-bit cycle to an 8-bit device; a byte access a window does not take
 * is not decoded by it (it floats: reads all ones).
 */
export type WidthMask = number;

/** Every width: the default for device windows. */
export const ALL_WIDTHS: WidthMask = 1 | 2 | 4;

/**
 * Which window wins where windows overlap (higher wins; at equal priority the newer one). PCI
 * devices decode positively and take precedence over the ISA bus's subtractive decode, so a BAR
 * the guest places over an ISA device's ports shadows them until it moves away; the host bridge's
 * own registers (CONFIG_ADDRESS, CONFIG_DATA) are claimed before anything is forwarded to PCI, so
 * no BAR can shadow them.
 */
export const WindowPriority = {
  /** A device's fixed or machine-chosen window. */
  Device: 1,
  /** A PCI BAR, placed by firmware or the guest. */
  PciBar: 2,
  /** The host bridge's configuration registers. */
  HostBridge: 3,
} as const;

/** A registered window, for inspection. */
export interface WindowInfo {
  /** First port or address. */
  readonly base: number;
  /** Number of ports or bytes. */
  readonly size: number;
  /** Who registered it (`com1/registers`, `00:02.0 BAR0`). */
  readonly owner: string;
}

interface PortWindow extends WindowInfo {
  readonly handler: IoHandler;
  readonly widths: WidthMask;
  readonly priority: number;
  readonly order: number;
}

const PORT_COUNT = 0x1_0000;

/**
 * The 64 Ki I/O ports: a 65536-entry table of window indices (0 = unassigned), so dispatch is
 * one typed-array load, one bounds check and a direct call. Accesses that straddle windows, run
 * past a window's end or use a width the window does not take are split in halves; ports nobody
 * decodes read as all ones and ignore writes, and are counted in `bus.io.unassigned`.
 *
 * A window that takes no byte accesses occupies only the ports where one of its widths can start
 * and still fit (a dword-only window of 4 ports occupies its first port), so byte-wide registers
 * of other devices can sit on the ports it spans — as the PIIX3 reset control register at 0xCF9
 * sits inside the dword-only CONFIG_ADDRESS at 0xCF8.
 */
export class PortSpace {
  readonly #table = new Uint16Array(PORT_COUNT);
  readonly #windows: (PortWindow | undefined)[] = [undefined];
  readonly #freeSlots: number[] = [];
  #order = 0;
  readonly #unassigned: Counter;

  /** @param metrics - where unassigned accesses are counted */
  constructor(metrics: MetricsRegistry) {
    this.#unassigned = metrics.counter('bus.io.unassigned', 'Port accesses no device decoded');
  }

  /**
   * Registers `handler` for ports `[base, base + size)` and returns the window's handle.
   * Overlaps are allowed (see {@link WindowPriority}); conflict checks belong to the caller.
   */
  add(base: number, size: number, handler: IoHandler, owner: string, widths: WidthMask = ALL_WIDTHS, priority: number = WindowPriority.Device): number {
    if (!Number.isInteger(base) || !Number.isInteger(size) || base < 0 || size < 1 || base + size > PORT_COUNT) {
      throw new RangeError(`port window ${base}+${size} lies outside the I/O space`);
    }
    const slot = this.#freeSlots.pop() ?? this.#windows.length;
    if (slot > 0xffff) throw new RangeError('too many port windows');
    this.#windows[slot] = { base, size, handler, owner, widths: widths & ALL_WIDTHS, priority, order: this.#order++ };
    this.#refill(base, base + size);
    return slot;
  }

  /** Unregisters a window; the ports it covered fall back to what lies beneath, or float. */
  remove(handle: number): void {
    const w = this.#windows[handle];
    if (w === undefined || handle === 0) return;
    this.#windows[handle] = undefined;
    this.#freeSlots.push(handle);
    this.#refill(w.base, w.base + w.size);
  }

  /** The window that decodes `port` (at some width), if any. */
  windowAt(port: number): WindowInfo | undefined {
    const w = this.#windows[this.#table[port & 0xffff]!];
    return w === undefined ? undefined : { base: w.base, size: w.size, owner: w.owner };
  }

  /** Reads `width` bytes at `port`. */
  read(port: number, width: AccessWidth): number {
    port &= 0xffff;
    const w = this.#windows[this.#table[port]!];
    if (w !== undefined) {
      const offset = port - w.base;
      if (offset + width <= w.size && (w.widths & width) !== 0) return w.handler.read(offset, width);
    }
    if (this.#empty(port, width)) {
      this.#unassigned.value++;
      return allOnes(width);
    }
    return this.#readPiece(port, width);
  }

  /** Writes the low `width` bytes of `value` at `port`. */
  write(port: number, width: AccessWidth, value: number): void {
    port &= 0xffff;
    const w = this.#windows[this.#table[port]!];
    if (w !== undefined) {
      const offset = port - w.base;
      if (offset + width <= w.size && (w.widths & width) !== 0) {
        w.handler.write(offset, width, width === 4 ? value >>> 0 : value & (width === 2 ? 0xffff : 0xff));
        return;
      }
    }
    if (this.#empty(port, width)) {
      this.#unassigned.value++;
      return;
    }
    this.#writePiece(port, width, value);
  }

  #readPiece(port: number, width: AccessWidth): number {
    if (port < PORT_COUNT) {
      const w = this.#windows[this.#table[port]!];
      if (w !== undefined) {
        const offset = port - w.base;
        if (offset + width <= w.size && (w.widths & width) !== 0) return w.handler.read(offset, width);
      }
    }
    if (width === 1) {
      this.#unassigned.value++;
      return 0xff;
    }
    const half = (width >> 1) as AccessWidth;
    const lo = this.#readPiece(port, half);
    const hi = this.#readPiece(port + half, half);
    return (lo + hi * (half === 2 ? 0x1_0000 : 0x100)) >>> 0;
  }

  #writePiece(port: number, width: AccessWidth, value: number): void {
    if (port < PORT_COUNT) {
      const w = this.#windows[this.#table[port]!];
      if (w !== undefined) {
        const offset = port - w.base;
        if (offset + width <= w.size && (w.widths & width) !== 0) {
          w.handler.write(offset, width, width === 4 ? value >>> 0 : value & (width === 2 ? 0xffff : 0xff));
          return;
        }
      }
    }
    if (width === 1) {
      this.#unassigned.value++;
      return;
    }
    const half = (width >> 1) as AccessWidth;
    this.#writePiece(port, half, value);
    this.#writePiece(port + half, half, half === 2 ? value >>> 16 : value >>> 8);
  }

  /** Whether no window covers any of the access's ports. */
  #empty(port: number, width: number): boolean {
    for (let i = 0; i < width; i++) {
      const p = port + i;
      if (p < PORT_COUNT && this.#table[p] !== 0) return false;
    }
    return true;
  }

  /** Recomputes the table entries of `[from, to)` from the windows, lowest priority first. */
  #refill(from: number, to: number): void {
    this.#table.fill(0, from, to);
    const covering: [number, PortWindow][] = [];
    this.#windows.forEach((w, i) => {
      if (w !== undefined && w.base < to && w.base + w.size > from) covering.push([i, w]);
    });
    covering.sort(([, a], [, b]) => a.priority - b.priority || a.order - b.order);
    for (const [i, w] of covering) {
      // The narrowest width the window takes: it occupies the ports where such an access fits.
      const narrowest = (w.widths & 1) !== 0 ? 1 : (w.widths & 2) !== 0 ? 2 : 4;
      this.#table.fill(i, Math.max(from, w.base), Math.min(to, w.base + w.size - narrowest + 1));
    }
  }
}
