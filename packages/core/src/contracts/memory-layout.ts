import { serviceId } from '../service-id.js';

/** What a range of the guest-physical address space is. */
export type MemoryRegionKind = 'ram' | 'rom' | 'reserved';

/** One range of the guest-physical address space. */
export interface MemoryRegion {
  /** First address. */
  readonly base: number;
  /** Size in bytes. */
  readonly size: number;
  /** RAM, read-only memory, or reserved (MMIO windows, holes firmware must report as unusable). */
  readonly kind: MemoryRegionKind;
}

/**
 * The guest-physical memory layout as the machine built it: what boot loaders turn into an e820
 * map or a Multiboot memory map. The bus implements it.
 */
export interface MemoryLayout {
  /** The regions, sorted by base, not overlapping. Unlisted space is unassigned. */
  regions(): readonly MemoryRegion[];
  /** Total RAM in bytes. */
  readonly ramBytes: number;
}

/** The machine's memory layout. */
export const MemoryLayout = serviceId<MemoryLayout>('@popek/core:MemoryLayout');
