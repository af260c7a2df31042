import {
  HostArena,
  Metrics,
  MetricsRegistry,
  PhysicalBus,
  inject,
  injectable,
  optional,
  numberField,
  field,
  type Counter,
  type Snapshotable,
  type StateValue,
} from '@popek/core';
import { ControlChange, FlushReason, MmuStrategy } from './mmu-strategy.js';
import { readTableDword } from './page-table-access.js';
import { Cr0, Cr4, Efer, PDPTE_RESERVED_LOW, PageEntry, PageFaultError } from './paging-bits.js';
import { ControlRegister, PagingMode } from './paging-mode.js';
import { TlbEntry, type AccessKind } from './tlb-flag.js';

/** Number of entries of {@link Mmu.tlb}: one per 4 KiB page of the 4 GiB linear space. */
export const TLB_ENTRIES = 1 << 20;

/**
 * How many filled TLB indices the MMU remembers for cheap flushes. When the list is full, the
 * next fill first flushes every entry (through the list), so no flush ever scans the whole TLB.
 */
export const TLB_FILL_CAPACITY = 16_384;

/** Entries of the translation cache that answers repeated slow-path `translate` calls. */
export const TRANSLATION_CACHE_ENTRIES = 256;

/** CR0 at power-on (SDM vol. 3A §9.1.1, table 9-1): CD and NW set, ET set, paging off. */
export const CR0_RESET_VALUE = 0x6000_0010;

const TC_MASK = TRANSLATION_CACHE_ENTRIES - 1;
// Module-local copies of the constants the TLB paths use (a plain local binding costs nothing
// per use, whatever module system or test transform sits between this file and its imports).
const ENTRY_GLOBAL = TlbEntry.Global;
const ENTRY_FLAGS = TlbEntry.FlagMask;
const ENTRY_WRITE = TlbEntry.WriteMask;
const ENTRY_READ_EXEC = TlbEntry.ReadExecMask;
const FAULT_P = PageFaultError.P;
const FAULT_RSVD = PageFaultError.RSVD;
const REASON_CAPACITY = FlushReason.Capacity;
/** 4 MiB regions of the linear space, for INVLPG of large pages. */
const LARGE_REGIONS = 1 << 10;
const CR0_PDPTE_RELOAD = Cr0.PG | Cr0.CD | Cr0.NW;
const CR4_PDPTE_RELOAD = Cr4.PAE | Cr4.PGE | Cr4.PSE;
const CR0_FLUSH_ALL = Cr0.PG | Cr0.WP;
const CR4_FLUSH_ALL = Cr4.PAE | Cr4.PGE | Cr4.PSE;

/** The saved MMU state: the control values and the PDPTE registers (low, high doublewords). */
export type MmuState = {
  /** CR0 (uint32). */
  readonly cr0: number;
  /** CR3 (uint32). */
  readonly cr3: number;
  /** CR4 (uint32). */
  readonly cr4: number;
  /** IA32_EFER, low doubleword (uint32). */
  readonly efer: number;
  /** The four PDPTE registers as low, high doubleword pairs. */
  readonly pdptes: Uint32Array;
};

/**
 * The x86 MMU: the paging-relevant control registers, the PAE PDPTE registers, the software TLB
 * the CPU's fast path reads, and the slow path ({@link translate}) that resolves misses through
 * the bound {@link MmuStrategy}.
 *
 * **Fast path (the CPU):** `const e = mmu.tlb[linear >>> 12]; if ((e & flag) !== 0) ram[(e &
 * TlbEntry.OffsetMask) + (linear & 0xfff)]`, with `flag` the {@link TlbFlag} of the access.
 * Otherwise call {@link translate}: a result of -1 means raise #PF with {@link faultErrorCode}
 * and CR2 = {@link faultAddress}; any other result is the guest-physical address, to be accessed
 * through the TLB again (now filled) or, for pages that never enter the fast path (MMIO, ROM
 * writes, traced pages), through `bus.readPhysical` / `bus.writePhysical`.
 *
 * **Control registers:** call {@link setControl} after every write of CR0, CR3, CR4 or EFER. With
 * PAE paging, first call {@link pdpteLoadFaults} for MOV to CR0/CR3/CR4: when it returns true the
 * instruction raises #GP(0) and changes nothing (SDM vol. 3A §4.4.1).
 */
@injectable()
export class Mmu implements Snapshotable {
  /** Snapshot id of the machine's MMU. */
  readonly snapshotId = 'mmu';
  /** State schema. */
  readonly stateType = '@popek/mmu:Mmu';
  /** State schema version. */
  readonly stateVersion = 1;

  /**
   * The software TLB, indexed by linear page number (`linear >>> 12`): `hostPageOffset | flags`
   * ({@link TlbEntry}, {@link TlbFlag}); 0 = no entry. Allocated once; only the MMU writes it.
   * With a host arena it is a region of the arena's memory (anywhere in its buffer: mind
   * `byteOffset`).
   */
  readonly tlb: Int32Array;
  /** The bus this MMU translates onto (strategies read guest page tables through it). */
  readonly bus: PhysicalBus;
  /** The machine's metrics (strategies add their series here). */
  readonly metrics: MetricsRegistry;

  readonly #strategy: MmuStrategy;
  #cr0 = CR0_RESET_VALUE;
  #cr3 = 0;
  #cr4 = 0;
  #efer = 0;
  #mode: PagingMode = PagingMode.Off;
  readonly #pdptes = new Uint32Array(8);
  readonly #pdpteScratch = new Uint32Array(8);
  #faultErrorCode = 0;
  #faultAddress = 0;

  readonly #filled = new Int32Array(TLB_FILL_CAPACITY);
  #filledCount = 0;
  readonly #largeRegions = new Uint8Array(LARGE_REGIONS);
  #anyLarge = false;
  readonly #tcTag = new Int32Array(TRANSLATION_CACHE_ENTRIES);
  readonly #tcPage = new Uint32Array(TRANSLATION_CACHE_ENTRIES);
  readonly #tcAccess = new Uint8Array(TRANSLATION_CACHE_ENTRIES);
  #tcUsed = false;

  readonly #misses: readonly Counter[];
  readonly #faultsNotPresent: Counter;
  readonly #faultsProtection: Counter;
  readonly #faultsReserved: Counter;
  readonly #flushesAll: Counter;
  readonly #flushesNonGlobal: Counter;
  readonly #flushesPage: Counter;
  readonly #flushedEntries: Counter;

  /**
   * @param bus - guest-physical memory (RAM through `ram`, the rest through the slow path)
   * @param strategy - how misses are resolved; attached here
   * @param metrics - where TLB misses, faults and flushes are counted
   * @param arena - the host arena the TLB is taken from (an array of its own when absent)
   */
  constructor(
    @inject(PhysicalBus) bus: PhysicalBus,
    @inject(MmuStrategy) strategy: MmuStrategy,
    @inject(Metrics) metrics: MetricsRegistry,
    @inject(HostArena) @optional() arena?: HostArena,
  ) {
    if (arena === undefined) {
      this.tlb = new Int32Array(TLB_ENTRIES);
    } else {
      // Allocate first: the allocation may grow the memory, and only the buffer read after it
      // covers the region.
      const offset = arena.allocate(TLB_ENTRIES * 4);
      this.tlb = new Int32Array(arena.memory.buffer, offset, TLB_ENTRIES);
    }
    this.bus = bus;
    this.metrics = metrics;
    this.#strategy = strategy;
    const missHelp = 'translations the TLB could not answer, resolved by the MMU strategy';
    this.#misses = [
      metrics.counter('mmu.tlb.misses', missHelp, { kind: 'read' }),
      metrics.counter('mmu.tlb.misses', missHelp, { kind: 'write' }),
      metrics.counter('mmu.tlb.misses', missHelp, { kind: 'execute' }),
    ];
    const faultHelp = 'page faults (#PF) reported to the guest';
    this.#faultsNotPresent = metrics.counter('mmu.page-faults', faultHelp, { reason: 'not-present' });
    this.#faultsProtection = metrics.counter('mmu.page-faults', faultHelp, { reason: 'protection' });
    this.#faultsReserved = metrics.counter('mmu.page-faults', faultHelp, { reason: 'reserved-bit' });
    const flushHelp = 'TLB flushes';
    this.#flushesAll = metrics.counter('mmu.tlb.flushes', flushHelp, { scope: 'all' });
    this.#flushesNonGlobal = metrics.counter('mmu.tlb.flushes', flushHelp, { scope: 'non-global' });
    this.#flushesPage = metrics.counter('mmu.tlb.flushes', flushHelp, { scope: 'page' });
    this.#flushedEntries = metrics.counter('mmu.tlb.flushed-entries', 'TLB entries cleared by flushes');
    strategy.attach(this);
    bus.onMappingChange(() => this.#flushEverything(FlushReason.MappingChange));
  }

  /** The strategy resolving misses. */
  get strategy(): MmuStrategy {
    return this.#strategy;
  }

  /** CR0 as last given to {@link setControl}. */
  get cr0(): number {
    return this.#cr0;
  }

  /** CR3 as last given to {@link setControl}. */
  get cr3(): number {
    return this.#cr3;
  }

  /** CR4 as last given to {@link setControl}. */
  get cr4(): number {
    return this.#cr4;
  }

  /** IA32_EFER as last given to {@link setControl}. */
  get efer(): number {
    return this.#efer;
  }

  /** The paging mode the control registers select. */
  get pagingMode(): PagingMode {
    return this.#mode;
  }

  /**
   * The four PAE PDPTE registers as eight doublewords (low, high, low, high, ...), loaded from
   * memory when PAE paging is enabled and on CR3 writes under PAE paging. Read-only for callers.
   */
  get pdptes(): Uint32Array {
    return this.#pdptes;
  }

  /** The #PF error code of the last failed {@link translate} (SDM vol. 3A §4.7). */
  get faultErrorCode(): number {
    return this.#faultErrorCode;
  }

  /** The linear address of the last failed {@link translate}: what the CPU loads into CR2. */
  get faultAddress(): number {
    return this.#faultAddress;
  }

  /**
   * The slow path: translates `linear` for an access of `kind` (`user` = a CPL-3 access that is
   * not an implicit supervisor access), filling the TLB. Returns the guest-physical address (A20
   * mask applied; a uint32) or -1 after storing the fault in {@link faultErrorCode} and
   * {@link faultAddress}. Sets accessed and dirty bits as the hardware does.
   */
  translate(linear: number, kind: AccessKind, user: boolean): number {
    const address = linear >>> 0;
    const page = address >>> 12;
    const slot = page & TC_MASK;
    if (this.#tcTag[slot] === page + 1 && (this.#tcAccess[slot]! & (1 << ((kind << 1) | (user ? 1 : 0)))) !== 0) {
      return this.#tcPage[slot]! + (address & 0xfff);
    }
    this.#misses[kind]!.value++;
    return this.#strategy.resolve(address, kind, user);
  }

  /**
   * Installs a translation (for strategies): the 4 KiB page containing `linear` maps to the
   * guest-physical page at `pagePhysical` (A20 applied) with the {@link TlbFlag}s `access` that
   * paging allows. The TLB entry keeps only the flags for which the page is plain RAM on the bus.
   * `global` keeps it across CR3 writes; `largePage` marks it part of a 4 MiB or 2 MiB page, so
   * INVLPG anywhere in that page drops it.
   */
  fill(linear: number, pagePhysical: number, access: number, global: boolean, largePage: boolean): void {
    const page = linear >>> 12;
    const gfn = pagePhysical >>> 12;
    const physicalBase = (gfn << 12) >>> 0;
    const bus = this.bus;
    let entry = 0;
    const readOffset = bus.ramPageOffset(gfn, false);
    if (readOffset !== -1) {
      entry = access & ENTRY_READ_EXEC;
      if ((access & ENTRY_WRITE) !== 0 && bus.ramPageOffset(gfn, true) === readOffset) {
        entry |= access & ENTRY_WRITE;
      }
      if (entry !== 0) entry |= readOffset;
    } else if ((access & ENTRY_WRITE) !== 0) {
      const writeOffset = bus.ramPageOffset(gfn, true);
      if (writeOffset !== -1) entry = writeOffset | (access & ENTRY_WRITE);
    }
    const tlb = this.tlb;
    if (entry !== 0) {
      if (global) entry |= ENTRY_GLOBAL;
      if (tlb[page] === 0) {
        if (this.#filledCount === TLB_FILL_CAPACITY) this.#flushEverything(REASON_CAPACITY);
        this.#filled[this.#filledCount++] = page;
      }
      tlb[page] = entry;
    } else {
      tlb[page] = 0;
    }
    if (largePage) {
      // Marked even without a TLB entry: the translation cache below may hold the piece.
      this.#largeRegions[page >>> 10] = 1;
      this.#anyLarge = true;
    }
    const slot = page & TC_MASK;
    this.#tcTag[slot] = page + 1;
    this.#tcPage[slot] = physicalBase;
    this.#tcAccess[slot] = access & ENTRY_FLAGS;
    this.#tcUsed = true;
  }

  /**
   * Records a page fault (for strategies): stores `errorCode` and `linear`, counts it, returns -1
   * (what {@link translate} returns).
   */
  pageFault(errorCode: number, linear: number): number {
    this.#faultErrorCode = errorCode;
    this.#faultAddress = linear >>> 0;
    if ((errorCode & FAULT_RSVD) !== 0) this.#faultsReserved.value++;
    else if ((errorCode & FAULT_P) !== 0) this.#faultsProtection.value++;
    else this.#faultsNotPresent.value++;
    return -1;
  }

  /**
   * Called on every write of CR0, CR3, CR4 or EFER, with all four new values (and, optionally,
   * which register was written; see {@link ControlRegister}). Flushes as the architecture
   * requires: a CR3 write drops non-global translations; a change of CR0.PG, CR0.WP, CR4.PGE,
   * CR4.PAE, CR4.PSE or EFER.NXE drops everything. Under PAE paging it loads the PDPTE registers
   * on a CR3 write and when CR0.PG/CD/NW or CR4.PAE/PGE/PSE change (SDM vol. 3A §4.4.1). It
   * raises nothing: call {@link pdpteLoadFaults} first to know whether the write must #GP.
   */
  setControl(cr0: number, cr3: number, cr4: number, efer: number, register?: ControlRegister): void {
    const newCr0 = cr0 >>> 0;
    const newCr3 = cr3 >>> 0;
    const newCr4 = cr4 >>> 0;
    const newEfer = efer >>> 0;
    const changed0 = newCr0 ^ this.#cr0;
    const changed4 = newCr4 ^ this.#cr4;
    const changedEfer = newEfer ^ this.#efer;
    const cr3Write = this.#isCr3Write(changed0, newCr3 !== this.#cr3, changed4, changedEfer, register);
    const reloadBits = (changed0 & CR0_PDPTE_RELOAD) !== 0 || (changed4 & CR4_PDPTE_RELOAD) !== 0;
    const flushAll = (changed0 & CR0_FLUSH_ALL) !== 0 || (changed4 & CR4_FLUSH_ALL) !== 0 || (changedEfer & Efer.NXE) !== 0;
    this.#cr0 = newCr0;
    this.#cr3 = newCr3;
    this.#cr4 = newCr4;
    this.#efer = newEfer;
    this.#mode = modeOf(newCr0, newCr4);
    let change = 0;
    if (this.#mode === PagingMode.Pae && (cr3Write || (reloadBits && register !== ControlRegister.Efer))) {
      this.#loadPdptes(this.#pdptes, newCr3);
      change |= ControlChange.Pdptes;
    }
    if (flushAll) {
      this.#flushTlb();
      this.#flushesAll.value++;
      change |= ControlChange.Paging;
    } else if (cr3Write) {
      this.#flushNonGlobal();
    }
    if (cr3Write) change |= ControlChange.Cr3;
    this.#strategy.controlChanged(change);
  }

  /**
   * Whether the control-register write about to happen (the new values, and optionally which
   * register) must raise #GP(0) because it would load PAE PDPTE registers and a present PDPTE has
   * a reserved bit set (bits 2:1, 8:5 or 63:32; SDM vol. 3A §4.4.1). The CPU calls it before
   * committing a MOV to CR0, CR3 or CR4 and, when it returns true, raises #GP(0) and leaves the
   * registers (and this MMU) unchanged. Reads guest memory only when the write would load PDPTEs.
   */
  pdpteLoadFaults(cr0: number, cr3: number, cr4: number, efer: number, register?: ControlRegister): boolean {
    if (register === ControlRegister.Efer) return false;
    const newCr0 = cr0 >>> 0;
    const newCr4 = cr4 >>> 0;
    if (modeOf(newCr0, newCr4) !== PagingMode.Pae) return false;
    const changed0 = newCr0 ^ this.#cr0;
    const changed4 = newCr4 ^ this.#cr4;
    const cr3Write = this.#isCr3Write(changed0, cr3 >>> 0 !== this.#cr3, changed4, (efer >>> 0) ^ this.#efer, register);
    if (!cr3Write && (changed0 & CR0_PDPTE_RELOAD) === 0 && (changed4 & CR4_PDPTE_RELOAD) === 0) return false;
    const pdptes = this.#pdpteScratch;
    this.#loadPdptes(pdptes, cr3 >>> 0);
    for (let i = 0; i < 8; i += 2) {
      if ((pdptes[i]! & PageEntry.P) !== 0 && ((pdptes[i]! & PDPTE_RESERVED_LOW) !== 0 || pdptes[i + 1]! !== 0)) return true;
    }
    return false;
  }

  /** INVLPG: drops the translations of the page containing `linear`, global or not, any size. */
  invlpg(linear: number): void {
    const page = (linear >>> 0) >>> 12;
    const tlb = this.tlb;
    let cleared = tlb[page] !== 0 ? 1 : 0;
    tlb[page] = 0;
    const region = page >>> 10;
    if (this.#anyLarge && this.#largeRegions[region] === 1) {
      // A large page may cover this address: its 4 KiB pieces are spread over the region.
      const start = region << 10;
      for (let i = start; i < start + 1024; i++) {
        if (tlb[i] !== 0) {
          tlb[i] = 0;
          cleared++;
        }
      }
      this.#largeRegions[region] = 0;
      this.#clearTranslationCache();
    } else if (this.#tcTag[page & TC_MASK] === page + 1) {
      this.#tcTag[page & TC_MASK] = 0;
    }
    this.#flushesPage.value++;
    this.#flushedEntries.value += cleared;
    this.#strategy.invalidatePage(linear >>> 0);
  }

  /** Drops every translation, global ones included (the strategy is told: {@link FlushReason}). */
  flushAll(): void {
    this.#flushEverything(FlushReason.Explicit);
  }

  /**
   * The page-table write hook: tells the strategy that `width` bytes at guest-physical `physical`
   * were written through a slow or traced path (shadow paging traces guest page tables this way).
   */
  notifyPhysicalWrite(physical: number, width: number): void {
    this.#strategy.physicalWrite(physical >>> 0, width);
  }

  /** Puts the MMU in its power-on state: paging off, CR3/CR4/EFER zero, PDPTEs clear, TLB empty. */
  reset(): void {
    this.#cr0 = CR0_RESET_VALUE;
    this.#cr3 = 0;
    this.#cr4 = 0;
    this.#efer = 0;
    this.#mode = PagingMode.Off;
    this.#pdptes.fill(0);
    this.#faultErrorCode = 0;
    this.#faultAddress = 0;
    this.#flushEverything(FlushReason.Restore);
  }

  /** The number of TLB indices currently remembered for flushing (at most {@link TLB_FILL_CAPACITY}). */
  get filledEntries(): number {
    return this.#filledCount;
  }

  /** Saves the control values and PDPTE registers (the TLB is a cache and is not saved). */
  saveState(): MmuState {
    return { cr0: this.#cr0, cr3: this.#cr3, cr4: this.#cr4, efer: this.#efer, pdptes: this.#pdptes.slice() };
  }

  /** Loads saved state; the TLB starts empty and the strategy rebuilds what it derives. */
  loadState(state: StateValue): void {
    const cr0 = uint32Field(state, 'cr0');
    const cr3 = uint32Field(state, 'cr3');
    const cr4 = uint32Field(state, 'cr4');
    const efer = uint32Field(state, 'efer');
    const pdptes = field(state, 'pdptes');
    if (!(pdptes instanceof Uint32Array) || pdptes.length !== 8) {
      throw new TypeError("snapshot field 'pdptes' is not a Uint32Array of 8 doublewords");
    }
    this.#cr0 = cr0;
    this.#cr3 = cr3;
    this.#cr4 = cr4;
    this.#efer = efer;
    this.#mode = modeOf(cr0, cr4);
    this.#pdptes.set(pdptes);
    this.#flushEverything(FlushReason.Restore);
  }

  #isCr3Write(changed0: number, cr3Changed: boolean, changed4: number, changedEfer: number, register: ControlRegister | undefined): boolean {
    if (register !== undefined) return register === ControlRegister.Cr3;
    return cr3Changed || (changed0 === 0 && changed4 === 0 && changedEfer === 0);
  }

  #loadPdptes(into: Uint32Array, cr3: number): void {
    // §4.4.1: with PAE paging CR3[31:5] is the 32-byte-aligned PDPT.
    const base = ((cr3 & 0xffff_ffe0) & this.bus.a20Mask) >>> 0;
    for (let i = 0; i < 8; i++) into[i] = readTableDword(this.bus, (base + i * 4) >>> 0);
  }

  #flushNonGlobal(): void {
    const tlb = this.tlb;
    const filled = this.#filled;
    const count = this.#filledCount;
    let kept = 0;
    let cleared = 0;
    for (let i = 0; i < count; i++) {
      const page = filled[i]!;
      const entry = tlb[page]!;
      if (entry === 0) continue;
      if ((entry & ENTRY_GLOBAL) !== 0) {
        filled[kept++] = page;
      } else {
        tlb[page] = 0;
        cleared++;
      }
    }
    this.#filledCount = kept;
    this.#clearTranslationCache();
    this.#flushesNonGlobal.value++;
    this.#flushedEntries.value += cleared;
  }

  /** Clears every filled entry through the list; never touches the rest of the TLB. */
  #flushTlb(): void {
    const tlb = this.tlb;
    const filled = this.#filled;
    let cleared = 0;
    for (let i = 0; i < this.#filledCount; i++) {
      const page = filled[i]!;
      if (tlb[page] !== 0) {
        tlb[page] = 0;
        cleared++;
      }
    }
    this.#filledCount = 0;
    if (this.#anyLarge) {
      this.#largeRegions.fill(0);
      this.#anyLarge = false;
    }
    this.#clearTranslationCache();
    this.#flushedEntries.value += cleared;
  }

  #flushEverything(reason: FlushReason): void {
    this.#flushTlb();
    this.#flushesAll.value++;
    this.#strategy.invalidateAll(reason);
  }

  #clearTranslationCache(): void {
    if (!this.#tcUsed) return;
    this.#tcTag.fill(0);
    this.#tcUsed = false;
  }
}

function modeOf(cr0: number, cr4: number): PagingMode {
  if ((cr0 & Cr0.PG) === 0) return PagingMode.Off;
  return (cr4 & Cr4.PAE) !== 0 ? PagingMode.Pae : PagingMode.Bits32;
}

function uint32Field(state: StateValue, key: string): number {
  const value = numberField(state, key);
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new TypeError(`snapshot field '${key}' is not a 32-bit unsigned value`);
  }
  return value;
}
