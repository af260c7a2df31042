import type { PhysicalBus } from '@popek/core';

/**
 * Reads the little-endian doubleword at guest-physical `address` (4-byte aligned) as the paging
 * hardware does: from RAM through `ramPageOffset`, otherwise through the bus's slow path (page
 * tables in MMIO or unassigned space are legal, if odd). Returns a uint32.
 */
export function readTableDword(bus: PhysicalBus, address: number): number {
  const offset = bus.ramPageOffset(address >>> 12, false);
  if (offset === -1) return bus.readPhysical(address, 4) >>> 0;
  const ram = bus.ram;
  const at = offset + (address & 0xffc);
  return (ram[at]! | (ram[at + 1]! << 8) | (ram[at + 2]! << 16) | (ram[at + 3]! << 24)) >>> 0;
}

/**
 * Sets `bits` (accessed and dirty flags, all in the low byte) in the paging-structure entry at
 * guest-physical `address` whose low doubleword was read as `low`. Writes one byte, so the rest
 * of the entry is untouched; a page the bus refuses fast writes to (ROM, traced) gets the write
 * through `writePhysical`, which traces it or drops it as the bus decides.
 */
export function setTableBits(bus: PhysicalBus, address: number, low: number, bits: number): void {
  const offset = bus.ramPageOffset(address >>> 12, true);
  if (offset === -1) {
    bus.writePhysical(address, 1, (low | bits) & 0xff);
    return;
  }
  const ram = bus.ram;
  const at = offset + (address & 0xfff);
  ram[at] = ram[at]! | bits;
}
