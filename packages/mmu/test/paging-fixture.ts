import { FlatPhysicalBus, MetricsRegistry } from '@popek/core';
import { DirectStrategy } from '../src/direct-strategy.js';
import { Mmu } from '../src/mmu.js';

/** A small test machine: RAM from address 0, an MMU with the direct strategy. */
export interface PagingFixture {
  readonly bus: FlatPhysicalBus;
  readonly metrics: MetricsRegistry;
  readonly mmu: Mmu;
}

/** Builds a {@link PagingFixture} with `ramBytes` of RAM (16 MiB by default). */
export function pagingFixture(ramBytes = 16 << 20): PagingFixture {
  const bus = new FlatPhysicalBus(ramBytes);
  const metrics = new MetricsRegistry();
  const mmu = new Mmu(bus, new DirectStrategy(), metrics);
  return { bus, metrics, mmu };
}

/** Writes a little-endian doubleword into RAM. */
export function poke32(bus: FlatPhysicalBus, address: number, value: number): void {
  bus.writePhysical(address, 4, value >>> 0);
}

/** Reads a little-endian doubleword from RAM. */
export function peek32(bus: FlatPhysicalBus, address: number): number {
  return bus.readPhysical(address, 4);
}

/** Writes a 64-bit PAE entry as two doublewords. */
export function poke64(bus: FlatPhysicalBus, address: number, low: number, high = 0): void {
  poke32(bus, address, low);
  poke32(bus, address + 4, high);
}
