import type { MemoryMapEntry } from './memory-map.js';

/** A range of guest-physical memory a boot loader has claimed: `[base, end)`. */
export interface ClaimedRange {
  /** First address. */
  readonly base: number;
  /** One past the last address. */
  readonly end: number;
  /** What the range holds, for messages (`the kernel`, `module 2`). */
  readonly what: string;
}

/** Rounds `value` down to a multiple of `align` (any positive integer, not only powers of two). */
export function alignDown(value: number, align: number): number {
  return value - (value % align);
}

/** Rounds `value` up to a multiple of `align`. */
export function alignUp(value: number, align: number): number {
  const r = value % align;
  return r === 0 ? value : value + (align - r);
}

/**
 * Where a boot loader may put things: the usable RAM of the memory map it reports, minus what it
 * has already claimed. Addresses are plain numbers (below 2^53), so ranges near 4 GiB need no
 * 32-bit tricks. Placement is first-fit from the top or the bottom; a loader claims a handful of
 * ranges, so the linear scans cost nothing.
 */
export class PhysicalAllocator {
  readonly #ram: { base: number; end: number }[] = [];
  readonly #claimed: ClaimedRange[] = [];

  /** @param usable - usable RAM ranges (need not be sorted or merged) */
  constructor(usable: readonly MemoryMapEntry[]) {
    for (const e of [...usable].sort((a, b) => a.base - b.base)) {
      if (!(e.size > 0)) continue;
      const last = this.#ram[this.#ram.length - 1];
      if (last !== undefined && last.end >= e.base) last.end = Math.max(last.end, e.base + e.size);
      else this.#ram.push({ base: e.base, end: e.base + e.size });
    }
  }

  /** Total usable RAM in bytes. */
  get ramBytes(): number {
    return this.#ram.reduce((sum, r) => sum + (r.end - r.base), 0);
  }

  /** The ranges claimed so far, in the order they were claimed. */
  get claimed(): readonly ClaimedRange[] {
    return this.#claimed;
  }

  /** Whether `[base, base + size)` lies wholly in one usable RAM range. */
  isRam(base: number, size: number): boolean {
    return this.#ramRangeOf(base, size) !== undefined;
  }

  /** The end of the usable RAM range containing `address`, or `undefined`. */
  ramEndAt(address: number): number | undefined {
    return this.#ram.find((r) => r.base <= address && address < r.end)?.end;
  }

  /** The claimed range that `[base, base + size)` overlaps, if any. */
  overlap(base: number, size: number): ClaimedRange | undefined {
    const end = base + size;
    return this.#claimed.find((c) => c.base < end && base < c.end);
  }

  /** Records `[base, base + size)` as used by `what`. The caller has checked it is free. */
  claim(base: number, size: number, what: string): void {
    if (size > 0) this.#claimed.push({ base, end: base + size, what });
  }

  /**
   * The highest `align`-aligned base such that `[base, base + size)` is usable RAM, ends at or
   * below `limit`, and overlaps nothing claimed; `undefined` when there is none.
   */
  highest(size: number, align: number, limit: number): number | undefined {
    let best: number | undefined;
    const tops: number[] = [];
    for (const r of this.#ram) tops.push(Math.min(r.end, limit));
    for (const c of this.#claimed) if (c.base <= limit) tops.push(c.base);
    for (const top of tops) {
      if (top < size) continue;
      const base = alignDown(top - size, align);
      if (best !== undefined && base <= best) continue;
      if (this.#fits(base, size, limit)) best = base;
    }
    return best;
  }

  /**
   * The lowest `align`-aligned base at or above `min` such that `[base, base + size)` is usable
   * RAM, ends at or below `limit`, and overlaps nothing claimed; `undefined` when there is none.
   */
  lowest(size: number, align: number, min: number, limit: number): number | undefined {
    let best: number | undefined;
    const bottoms: number[] = [];
    for (const r of this.#ram) bottoms.push(Math.max(r.base, min));
    for (const c of this.#claimed) if (c.end >= min) bottoms.push(c.end);
    for (const bottom of bottoms) {
      const base = alignUp(bottom, align);
      if (best !== undefined && base >= best) continue;
      if (this.#fits(base, size, limit)) best = base;
    }
    return best;
  }

  #fits(base: number, size: number, limit: number): boolean {
    return base >= 0 && base + size <= limit && this.#ramRangeOf(base, size) !== undefined && this.overlap(base, size) === undefined;
  }

  #ramRangeOf(base: number, size: number): { base: number; end: number } | undefined {
    return this.#ram.find((r) => r.base <= base && base + size <= r.end);
  }
}
