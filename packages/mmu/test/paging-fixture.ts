import { FlatPhysicalBus, MetricsRegistry, type AccessWidth } from '@popek/core';
import { DirectStrategy } from '../src/direct-strategy.js';
import { Mmu } from '../src/mmu.js';

/**
 * A {@link FlatPhysicalBus} with some pages taken out of the fast path, as a real bus does:
 * `mmio` pages (a device: never RAM; slow accesses answered from `mmioValues` and logged),
 * `rom` pages (fast reads, slow writes that are dropped) and `traced` pages (fast reads, slow
 * writes that reach RAM and are logged).
 */
export class TestBus extends FlatPhysicalBus {
  /** Guest frame numbers of MMIO pages. */
  readonly mmio = new Set<number>();
  /** Guest frame numbers of ROM pages. */
  readonly rom = new Set<number>();
  /** Guest frame numbers of write-traced RAM pages. */
  readonly traced = new Set<number>();
  /** Doubleword values MMIO reads return, by address (default 0). */
  readonly mmioValues = new Map<number, number>();
  /** Slow-path reads: `[address, width]`. */
  readonly slowReads: Array<[number, number]> = [];
  /** Slow-path writes: `[address, width, value]`. */
  readonly slowWrites: Array<[number, number, number]> = [];

  override ramPageOffset(gfn: number, write = false): number {
    if (this.mmio.has(gfn)) return -1;
    if (write && (this.rom.has(gfn) || this.traced.has(gfn))) return -1;
    return super.ramPageOffset(gfn);
  }

  override readPhysical(address: number, width: AccessWidth): number {
    if (!this.mmio.has(address >>> 12)) return super.readPhysical(address, width);
    this.slowReads.push([address, width]);
    const dword = this.mmioValues.get(address & ~3) ?? 0;
    const shifted = dword >>> ((address & 3) * 8);
    return width === 4 ? shifted >>> 0 : shifted & ((1 << (width * 8)) - 1);
  }

  override writePhysical(address: number, width: AccessWidth, value: number): void {
    this.slowWrites.push([address, width, value]);
    if (this.mmio.has(address >>> 12) || this.rom.has(address >>> 12)) return;
    super.writePhysical(address, width, value);
  }
}

/** A small test machine: RAM from address 0, an MMU with the direct strategy. */
export interface PagingFixture {
  readonly bus: TestBus;
  readonly metrics: MetricsRegistry;
  readonly mmu: Mmu;
}

/** Builds a {@link PagingFixture} with `ramBytes` of RAM (16 MiB by default). */
export function pagingFixture(ramBytes = 16 << 20): PagingFixture {
  const bus = new TestBus(ramBytes);
  const metrics = new MetricsRegistry();
  const mmu = new Mmu(bus, new DirectStrategy(), metrics);
  return { bus, metrics, mmu };
}

/** Writes a little-endian doubleword into RAM. */
export function poke32(bus: FlatPhysicalBus, address: number, value: number): void {
  FlatPhysicalBus.prototype.writePhysical.call(bus, address, 4, value >>> 0);
}

/** Reads a little-endian doubleword from RAM. */
export function peek32(bus: FlatPhysicalBus, address: number): number {
  return FlatPhysicalBus.prototype.readPhysical.call(bus, address, 4);
}

/** Writes a 64-bit PAE entry as two doublewords. */
export function poke64(bus: FlatPhysicalBus, address: number, low: number, high = 0): void {
  poke32(bus, address, low);
  poke32(bus, address + 4, high);
}

/** Where the 32-bit fixtures put the page directory. */
export const PD32 = 0x1000;

/** Sets the 32-bit PDE for `linear` in the directory at {@link PD32}. */
export function setPde32(bus: FlatPhysicalBus, linear: number, value: number): void {
  poke32(bus, PD32 + (linear >>> 22) * 4, value);
}

/** Sets the 32-bit PTE for `linear` in the page table at `table`. */
export function setPte32(bus: FlatPhysicalBus, table: number, linear: number, value: number): void {
  poke32(bus, table + ((linear >>> 12) & 0x3ff) * 4, value);
}

/** Where the PAE fixtures put the PDPT (32-byte aligned) and the four page directories. */
export const PAE_PDPT = 0x1000;
/** Page directory `i` of the PAE fixtures is at `PAE_PD + i * 0x1000`. */
export const PAE_PD = 0x2000;

/** Points the four PDPTEs at the fixture page directories (present). */
export function setPdptes(bus: FlatPhysicalBus): void {
  for (let i = 0; i < 4; i++) poke64(bus, PAE_PDPT + i * 8, (PAE_PD + i * 0x1000) | 1);
}

/** Sets the PAE PDE for `linear`. */
export function setPdePae(bus: FlatPhysicalBus, linear: number, low: number, high = 0): void {
  poke64(bus, PAE_PD + (linear >>> 30) * 0x1000 + ((linear >>> 21) & 0x1ff) * 8, low, high);
}

/** Sets the PAE PTE for `linear` in the page table at `table`. */
export function setPtePae(bus: FlatPhysicalBus, table: number, linear: number, low: number, high = 0): void {
  poke64(bus, table + ((linear >>> 12) & 0x1ff) * 8, low, high);
}
