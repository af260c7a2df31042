/**
 * `@popek/mmu`: x86 paging for Popek. The 32-bit and PAE walkers with accessed/dirty bits and
 * exact #PF error codes, the software TLB the CPU's fast path reads, INVLPG and CR3 semantics,
 * the {@link MmuStrategy} contract that memory-virtualization techniques implement, and the
 * baseline {@link DirectStrategy}.
 *
 * @packageDocumentation
 */
export { AccessKind, TlbEntry, TlbFlag, accessFlag } from './tlb-flag.js';
export { ControlRegister, PagingMode } from './paging-mode.js';
export {
  Cr0,
  Cr4,
  Efer,
  MAX_PHYSICAL_ADDRESS_BITS,
  PAE_RESERVED_HIGH,
  PDE32_4M_RESERVED,
  PDE_PAE_2M_RESERVED,
  PDPTE_RESERVED_LOW,
  PageEntry,
  PageFaultError,
  XD_HIGH,
} from './paging-bits.js';
export { ControlChange, FlushReason, MmuStrategy } from './mmu-strategy.js';
export {
  CR0_RESET_VALUE,
  Mmu,
  TLB_ENTRIES,
  TLB_FILL_CAPACITY,
  TRANSLATION_CACHE_ENTRIES,
  type MmuState,
} from './mmu.js';
export { PageWalker } from './page-walker.js';
export { readTableDword, setTableBits } from './page-table-access.js';
export { DirectStrategy } from './direct-strategy.js';
export { bindMmu, mmuModule } from './mmu-module.js';
