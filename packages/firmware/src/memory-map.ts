import { PopekError, type MemoryRegion } from '@popek/core';

/**
 * Address range types of the BIOS E820 interface (ACPI 6.5 §15.1 "INT 15H, E820H", Table 15.1),
 * which Linux's `boot_params.e820_table` and the Multiboot memory map (0.6.96 §3.3) both use.
 */
export const E820Type = {
  /** AddressRangeMemory: RAM usable by the OS. */
  Ram: 1,
  /** AddressRangeReserved: in use or reserved by the system, not to be used by the OS. */
  Reserved: 2,
  /** AddressRangeACPI: ACPI reclaim memory, usable once the OS has read the ACPI tables. */
  Acpi: 3,
  /** AddressRangeNVS: ACPI NVS memory, to be saved across sleep states. */
  Nvs: 4,
  /** AddressRangeUnusable: memory in which errors were detected. */
  Unusable: 5,
} as const;

/** One of the {@link E820Type} values. */
export type E820Type = (typeof E820Type)[keyof typeof E820Type];

/** One entry of a memory map: `[base, base + size)` is of `type`. */
export interface MemoryMapEntry {
  /** First address. */
  readonly base: number;
  /** Size in bytes. */
  readonly size: number;
  /** What the range is. */
  readonly type: E820Type;
}

/** A range the firmware itself uses and reports in the memory map with its own type. */
export interface MemoryReservation extends MemoryMapEntry {
  /** What the range holds, for messages (`ACPI tables`). */
  readonly what: string;
}

/**
 * The PC's legacy hole, `[0xA0000, 0x100000)`: the VGA window, option ROMs and the system BIOS
 * area. A PC firmware never reports it as usable RAM, whatever backs it (ACPI 6.5 §15.2 example
 * memory map; Linux's `trim_bios_range` treats it the same way), so the memory map marks any RAM
 * the layout puts there as reserved.
 */
export const LEGACY_HOLE_BASE = 0xa_0000;
/** End (exclusive) of the legacy hole. */
export const LEGACY_HOLE_END = 0x10_0000;

/** One past the highest address a 32-bit boot protocol can express. */
export const FOUR_GIB = 0x1_0000_0000;

interface Span {
  base: number;
  end: number;
  type: E820Type;
}

/**
 * Builds the memory map a boot loader reports (Linux's e820 table, Multiboot's mmap) from the
 * machine's memory layout:
 *
 * - RAM is type 1, ROM and reserved regions type 2; unlisted space is not reported;
 * - RAM inside the legacy hole `[0xA0000, 0x100000)` is reported as reserved;
 * - each of the firmware's `reservations` is painted over whatever the layout says there;
 * - adjacent entries of one type are merged; the result is sorted and does not overlap.
 */
export function buildMemoryMap(
  regions: readonly MemoryRegion[],
  reservations: readonly MemoryReservation[] = [],
): MemoryMapEntry[] {
  let spans: Span[] = [];
  for (const r of regions) {
    if (!(r.size > 0)) continue;
    const type = r.kind === 'ram' ? E820Type.Ram : E820Type.Reserved;
    spans = paint(spans, r.base, r.base + r.size, type);
  }
  for (const s of [...spans]) {
    if (s.type !== E820Type.Ram) continue;
    const base = Math.max(s.base, LEGACY_HOLE_BASE);
    const end = Math.min(s.end, LEGACY_HOLE_END);
    if (base < end) spans = paint(spans, base, end, E820Type.Reserved);
  }
  for (const r of reservations) {
    if (r.size > 0) spans = paint(spans, r.base, r.base + r.size, r.type);
  }
  const merged: Span[] = [];
  for (const s of spans.sort((a, b) => a.base - b.base)) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.end === s.base && last.type === s.type) last.end = s.end;
    else merged.push({ ...s });
  }
  return merged.map((s) => ({ base: s.base, size: s.end - s.base, type: s.type }));
}

/** Replaces whatever `spans` say about `[base, end)` with `type`. */
function paint(spans: readonly Span[], base: number, end: number, type: E820Type): Span[] {
  const out: Span[] = [];
  for (const s of spans) {
    if (s.end <= base || s.base >= end) {
      out.push(s);
      continue;
    }
    if (s.base < base) out.push({ base: s.base, end: base, type: s.type });
    if (s.end > end) out.push({ base: end, end: s.end, type: s.type });
  }
  out.push({ base, end, type });
  return out.sort((a, b) => a.base - b.base);
}

/** The usable-RAM (type 1) ranges of a memory map below 4 GiB: where a boot loader may put things. */
export function usableRam(map: readonly MemoryMapEntry[]): MemoryMapEntry[] {
  const out: MemoryMapEntry[] = [];
  for (const e of map) {
    if (e.type !== E820Type.Ram || e.base >= FOUR_GIB) continue;
    out.push({ base: e.base, size: Math.min(e.base + e.size, FOUR_GIB) - e.base, type: E820Type.Ram });
  }
  return out;
}

/** Bytes of usable RAM in `[from, …)` before the first byte that is not usable RAM. */
export function contiguousRamFrom(map: readonly MemoryMapEntry[], from: number): number {
  let at = from;
  for (const e of [...map].sort((a, b) => a.base - b.base)) {
    if (e.type !== E820Type.Ram) continue;
    if (e.base <= at && e.base + e.size > at) at = e.base + e.size;
  }
  return at - from;
}

/**
 * Checks that a layout's regions are what the contract promises (sorted, not overlapping, finite
 * sizes), so that a faulty bus is a clear error instead of a wrong memory map.
 */
export function checkLayout(regions: readonly MemoryRegion[]): void {
  let previousEnd = 0;
  for (const r of regions) {
    if (!Number.isSafeInteger(r.base) || !Number.isSafeInteger(r.size) || r.base < 0 || r.size < 0) {
      throw new PopekError('memory-layout-invalid', `The machine's memory layout has a region with base ${r.base} and size ${r.size}, which are not valid.`);
    }
    if (r.base < previousEnd) {
      throw new PopekError('memory-layout-invalid', `The machine's memory layout has overlapping or unsorted regions at 0x${r.base.toString(16)}.`);
    }
    previousEnd = r.base + r.size;
  }
}
