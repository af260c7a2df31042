import { serviceId } from '@popek/core';
import type { Mmu } from './mmu.js';
import type { AccessKind } from './tlb-flag.js';

/**
 * What a control-register write changed, as a bit set passed to
 * {@link MmuStrategy.controlChanged}. The MMU has already updated its registers and flushed its
 * TLB when the strategy is told.
 */
export const ControlChange = {
  /** CR3 was written (the guest switched or reloaded its page tables). */
  Cr3: 1,
  /**
   * Something that changes how every translation is made: CR0.PG or CR0.WP, CR4.PSE, CR4.PAE or
   * CR4.PGE, or EFER.NXE. The MMU flushed everything, global translations included.
   */
  Paging: 2,
  /** The PAE PDPTE registers were loaded from memory. */
  Pdptes: 4,
} as const;

/** Why the whole TLB was flushed, for {@link MmuStrategy.invalidateAll}. */
export const FlushReason = {
  /** The list of filled entries overflowed; nothing the guest did. Derived state may stay. */
  Capacity: 0,
  /** The bus reported that guest-physical to host mappings changed (A20, P2M, tracing). */
  MappingChange: 1,
  /** Someone called {@link Mmu.flushAll} (the CPU or the host). */
  Explicit: 2,
  /** MMU state was loaded from a snapshot; derived state must be rebuilt. */
  Restore: 3,
} as const;

/** One of the {@link FlushReason} values. */
export type FlushReason = (typeof FlushReason)[keyof typeof FlushReason];

/**
 * How TLB misses are resolved: the seam between the {@link Mmu} (architectural state, the
 * software TLB, flush rules, fault reporting) and a memory-virtualization technique.
 *
 * - `DirectStrategy` (this package) walks the guest's page tables as hardware does.
 * - A shadow strategy resolves misses from shadow tables (guest-virtual to host frames), walking
 *   the guest tables only on a hidden fault, tracing writes to guest page-table pages
 *   ({@link physicalWrite}) and rebuilding or switching shadows on CR3 writes.
 * - A nested strategy walks the guest tables with every guest-physical reference translated
 *   through EPT-style tables, counting the references of the two-dimensional walk.
 *
 * Whatever the strategy, the guest sees the same translations, faults and accessed/dirty bits.
 * A strategy holds only state it can rebuild from guest memory and the MMU registers (the MMU
 * snapshot does not include it), so a snapshot taken under one strategy restores under another.
 *
 * Contract for {@link resolve}: on success, call {@link Mmu.fill} for the page (or not, if the
 * translation must not be cached) and return the guest-physical address (A20 mask applied,
 * `0 ≤ address < 2^32`); on a fault, return `mmu.pageFault(errorCode, linear)` (which is -1).
 * Accessed and dirty bits must be set in guest memory exactly as `PageWalker` does.
 */
export interface MmuStrategy {
  /** A short name for listings and metric labels (`direct`, `shadow`, `nested`). */
  readonly name: string;
  /** Connects the strategy to the MMU it serves; the MMU calls it once, from its constructor. */
  attach(mmu: Mmu): void;
  /**
   * Resolves a miss: the access `kind` by `user` mode to `linear` (a uint32) found no usable
   * entry in the TLB. Returns the guest-physical address or -1 after {@link Mmu.pageFault}.
   */
  resolve(linear: number, kind: AccessKind, user: boolean): number;
  /** CR0, CR3, CR4 or EFER was written; `change` holds {@link ControlChange} bits (may be 0). */
  controlChanged(change: number): void;
  /** The guest executed INVLPG for `linear`; the MMU already dropped its entries for the page. */
  invalidatePage(linear: number): void;
  /** The MMU dropped every TLB entry for `reason`. */
  invalidateAll(reason: FlushReason): void;
  /**
   * A write of `width` bytes reached guest-physical `physical` through a traced or slow path
   * (the page-table write hook: {@link Mmu.notifyPhysicalWrite}). The direct strategy ignores it.
   */
  physicalWrite(physical: number, width: number): void;
}

/** The machine's MMU strategy (exactly one is bound). */
export const MmuStrategy = serviceId<MmuStrategy>('@popek/mmu:MmuStrategy');
