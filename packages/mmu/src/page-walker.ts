import type { Counter, MetricLabels, MetricsRegistry, PhysicalBus } from '@popek/core';
import type { Mmu } from './mmu.js';
import { readTableDword, setTableBits } from './page-table-access.js';
import {
  Cr0,
  Cr4,
  Efer,
  PAE_RESERVED_HIGH,
  PDE32_4M_RESERVED,
  PDE_PAE_2M_RESERVED,
  PDPTE_RESERVED_LOW,
  PageEntry,
  PageFaultError,
  XD_HIGH,
} from './paging-bits.js';
import { PagingMode } from './paging-mode.js';
import { AccessKind, TlbFlag } from './tlb-flag.js';

const ALL_ACCESS = 0x3f;

// Module-local copies of the constants the walk uses: a plain local binding costs nothing per use,
// whatever module system or test transform sits between this file and its imports.
const ENTRY_P = PageEntry.P;
const ENTRY_RW = PageEntry.RW;
const ENTRY_US = PageEntry.US;
const ENTRY_A = PageEntry.A;
const ENTRY_D = PageEntry.D;
const ENTRY_PS = PageEntry.PS;
const ENTRY_G = PageEntry.G;
const FAULT_P = PageFaultError.P;
const FAULT_RSVD_P = PageFaultError.P | PageFaultError.RSVD;
const FAULT_WR = PageFaultError.WR;
const FAULT_US = PageFaultError.US;
const FAULT_ID = PageFaultError.ID;
const CR0_WP = Cr0.WP;
const CR4_PSE = Cr4.PSE;
const CR4_PGE = Cr4.PGE;
const EFER_NXE = Efer.NXE;
const MODE_OFF = PagingMode.Off;
const MODE_PAE = PagingMode.Pae;
const KIND_WRITE = AccessKind.Write;
const KIND_EXECUTE = AccessKind.Execute;
const READ_SUPERVISOR = TlbFlag.ReadSupervisor;
const READ_USER = TlbFlag.ReadUser;
const READ_EXEC_USER = TlbFlag.ReadUser | TlbFlag.ExecUser;
const WRITE_SUPERVISOR = TlbFlag.WriteSupervisor;
const WRITE_USER = TlbFlag.WriteUser;
const READ_EXEC_SUPERVISOR = TlbFlag.ReadSupervisor | TlbFlag.ExecSupervisor;
const RESERVED_4M = PDE32_4M_RESERVED;
const RESERVED_2M = PDE_PAE_2M_RESERVED;
const RESERVED_PDPTE = PDPTE_RESERVED_LOW;
const RESERVED_HIGH = PAE_RESERVED_HIGH;
const XD = XD_HIGH;
const readDword = readTableDword;
const setEntryBits = setTableBits;

/**
 * The guest page-table walker: translates a linear address the way the processor does with
 * 32-bit or PAE paging (SDM vol. 3A §4.3, §4.4), checking present and reserved bits at each
 * level, combining U/S and R/W across levels with CR0.WP (§4.6), honouring XD when EFER.NXE = 1,
 * and setting accessed bits on every entry used and the dirty bit on the entry that maps the page
 * for a write (§4.8). Upper-level accessed bits are set as the walk passes them; the accessed and
 * dirty bits of the entry that maps the page are set only when the access is allowed.
 *
 * A walk allocates nothing: the result is left in the public fields. Subclasses (a nested
 * strategy's two-dimensional walker) may override {@link readEntry} and {@link setBits} to
 * translate and count each guest-physical reference.
 */
export class PageWalker {
  /** After a successful walk: the guest-physical base of the 4 KiB page (A20 applied). */
  pagePhysical = 0;
  /** After a successful walk: the {@link TlbFlag}s paging allows (write flags only if dirty). */
  access = 0;
  /** After a successful walk: the translation is global (G = 1 and CR4.PGE = 1). */
  global = false;
  /** After a successful walk: the page is a 4 MiB or 2 MiB page. */
  largePage = false;
  /** After a failed walk: the #PF error code. */
  errorCode = 0;
  /** The guest-physical addresses of the PDE and PTE read by the last walk (for write tracing). */
  readonly entryAddresses = new Uint32Array(2);
  /** How many of {@link entryAddresses} the last walk read (0 with paging off, 1 or 2). */
  entryCount = 0;
  /** The high doubleword of the last entry {@link readEntry} read with `wide` set. */
  protected high = 0;
  /** The bus page tables are read from. */
  protected readonly bus: PhysicalBus;
  readonly #walks: Counter;
  readonly #references: Counter;

  /**
   * @param mmu - the MMU whose registers select the paging mode and tables
   * @param metrics - where `mmu.walks` and `mmu.walk-references` are counted
   * @param labels - labels of those series (a strategy may name itself)
   */
  constructor(
    readonly mmu: Mmu,
    metrics: MetricsRegistry,
    labels: MetricLabels = {},
  ) {
    this.bus = mmu.bus;
    this.#walks = metrics.counter('mmu.walks', 'guest page-table walks', labels);
    this.#references = metrics.counter('mmu.walk-references', 'paging-structure entries read by walks', labels);
  }

  /**
   * Translates `linear` (uint32) for an access of `kind` in user mode or not. Returns `true` with
   * {@link pagePhysical}, {@link access}, {@link global} and {@link largePage} set, or `false` with
   * {@link errorCode} set. With paging off the translation is the identity (A20 applied).
   */
  walk(linear: number, kind: AccessKind, user: boolean): boolean {
    const mode = this.mmu.pagingMode;
    this.entryCount = 0;
    if (mode === MODE_OFF) {
      this.pagePhysical = (linear & this.bus.a20Mask & 0xffff_f000) >>> 0;
      this.access = ALL_ACCESS;
      this.global = false;
      this.largePage = false;
      return true;
    }
    this.#walks.value++;
    return mode === MODE_PAE ? this.#walkPae(linear, kind, user) : this.#walk32(linear, kind, user);
  }

  /**
   * Reads the paging-structure entry at guest-physical `address`: its low doubleword is
   * returned, and with `wide` (PAE) its high doubleword is left in {@link high}. Counts one
   * walk reference.
   */
  protected readEntry(address: number, wide: boolean): number {
    this.#references.value++;
    if (wide) this.high = readDword(this.bus, (address + 4) >>> 0);
    return readDword(this.bus, address);
  }

  /** Sets accessed/dirty `bits` in the entry at `address` whose low doubleword is `low`. */
  protected setBits(address: number, low: number, bits: number): void {
    setEntryBits(this.bus, address, low, bits);
  }

  #walk32(linear: number, kind: AccessKind, user: boolean): boolean {
    const mmu = this.mmu;
    const a20 = this.bus.a20Mask;
    // §4.3: the PDE is at CR3[31:12] | linear[31:22] << 2.
    const pdeAddress = (((mmu.cr3 & 0xffff_f000) | ((linear >>> 22) << 2)) & a20) >>> 0;
    this.entryAddresses[0] = pdeAddress;
    this.entryCount = 1;
    const pde = this.readEntry(pdeAddress, false);
    if ((pde & ENTRY_P) === 0) return this.#fault(0, kind, user);
    if ((pde & ENTRY_PS) !== 0 && (mmu.cr4 & CR4_PSE) !== 0) {
      // A 4 MiB page (table 4-4): bits 21:13 are reserved without PSE-36 at MAXPHYADDR 32.
      if ((pde & RESERVED_4M) !== 0) return this.#fault(FAULT_RSVD_P, kind, user);
      const base = (pde & 0xffc0_0000) | (linear & 0x003f_f000);
      return this.#finish(pdeAddress, pde, base, pde & ENTRY_US, pde & ENTRY_RW, false, true, kind, user);
    }
    if ((pde & ENTRY_A) === 0) this.setBits(pdeAddress, pde, ENTRY_A);
    const pteAddress = (((pde & 0xffff_f000) | ((linear >>> 10) & 0xffc)) & a20) >>> 0;
    this.entryAddresses[1] = pteAddress;
    this.entryCount = 2;
    const pte = this.readEntry(pteAddress, false);
    if ((pte & ENTRY_P) === 0) return this.#fault(0, kind, user);
    return this.#finish(pteAddress, pte, pte & 0xffff_f000, pde & pte & ENTRY_US, pde & pte & ENTRY_RW, false, false, kind, user);
  }

  #walkPae(linear: number, kind: AccessKind, user: boolean): boolean {
    const mmu = this.mmu;
    const a20 = this.bus.a20Mask;
    const nxe = (mmu.efer & EFER_NXE) !== 0;
    const reservedHigh = nxe ? RESERVED_HIGH : 0xffff_ffff;
    // §4.4.2: linear[31:30] selects a PDPTE register.
    const pdptes = mmu.pdptes;
    const index = linear >>> 30;
    const pdpte = pdptes[index << 1]!;
    if ((pdpte & ENTRY_P) === 0) return this.#fault(0, kind, user);
    // Loading invalid PDPTEs raises #GP at the MOV to CR; reaching one here means the CPU let the
    // write through anyway, so it faults as a reserved-bit violation rather than translating.
    if ((pdpte & RESERVED_PDPTE) !== 0 || pdptes[(index << 1) | 1]! !== 0) {
      return this.#fault(FAULT_RSVD_P, kind, user);
    }
    const pdeAddress = (((pdpte & 0xffff_f000) | ((linear >>> 18) & 0xff8)) & a20) >>> 0;
    this.entryAddresses[0] = pdeAddress;
    this.entryCount = 1;
    const pde = this.readEntry(pdeAddress, true);
    const pdeHigh = this.high;
    if ((pde & ENTRY_P) === 0) return this.#fault(0, kind, user);
    if ((pdeHigh & reservedHigh) !== 0) return this.#fault(FAULT_RSVD_P, kind, user);
    let noExecute = nxe && (pdeHigh & XD) !== 0;
    if ((pde & ENTRY_PS) !== 0) {
      // A 2 MiB page (table 4-9).
      if ((pde & RESERVED_2M) !== 0) return this.#fault(FAULT_RSVD_P, kind, user);
      const base = (pde & 0xffe0_0000) | (linear & 0x001f_f000);
      return this.#finish(pdeAddress, pde, base, pde & ENTRY_US, pde & ENTRY_RW, noExecute, true, kind, user);
    }
    if ((pde & ENTRY_A) === 0) this.setBits(pdeAddress, pde, ENTRY_A);
    const pteAddress = (((pde & 0xffff_f000) | ((linear >>> 9) & 0xff8)) & a20) >>> 0;
    this.entryAddresses[1] = pteAddress;
    this.entryCount = 2;
    const pte = this.readEntry(pteAddress, true);
    const pteHigh = this.high;
    if ((pte & ENTRY_P) === 0) return this.#fault(0, kind, user);
    if ((pteHigh & reservedHigh) !== 0) return this.#fault(FAULT_RSVD_P, kind, user);
    noExecute ||= nxe && (pteHigh & XD) !== 0;
    return this.#finish(pteAddress, pte, pte & 0xffff_f000, pde & pte & ENTRY_US, pde & pte & ENTRY_RW, noExecute, false, kind, user);
  }

  /** Checks the access against the combined rights (§4.6), then sets A (and D) on the leaf. */
  #finish(
    leafAddress: number,
    leaf: number,
    base: number,
    userAllowed: number,
    writeAllowed: number,
    noExecute: boolean,
    large: boolean,
    kind: AccessKind,
    user: boolean,
  ): boolean {
    const mmu = this.mmu;
    let rights = noExecute ? READ_SUPERVISOR : READ_EXEC_SUPERVISOR;
    if (userAllowed !== 0) rights |= noExecute ? READ_USER : READ_EXEC_USER;
    let writeRights = 0;
    // Supervisor writes ignore R/W unless CR0.WP = 1; user writes need U/S and R/W everywhere.
    if (writeAllowed !== 0 || (mmu.cr0 & CR0_WP) === 0) writeRights |= WRITE_SUPERVISOR;
    if (writeAllowed !== 0 && userAllowed !== 0) writeRights |= WRITE_USER;
    const need = 1 << ((kind << 1) | (user ? 1 : 0));
    if (((rights | writeRights) & need) === 0) return this.#fault(FAULT_P, kind, user);
    let dirty = (leaf & ENTRY_D) !== 0;
    if (kind === KIND_WRITE) {
      if (!dirty || (leaf & ENTRY_A) === 0) this.setBits(leafAddress, leaf, ENTRY_A | ENTRY_D);
      dirty = true;
    } else if ((leaf & ENTRY_A) === 0) {
      this.setBits(leafAddress, leaf, ENTRY_A);
    }
    this.pagePhysical = (base & this.bus.a20Mask) >>> 0;
    // A translation cached before the first write must not allow writes: they walk again and set D.
    this.access = dirty ? rights | writeRights : rights;
    this.global = (leaf & ENTRY_G) !== 0 && (mmu.cr4 & CR4_PGE) !== 0;
    this.largePage = large;
    return true;
  }

  #fault(code: number, kind: AccessKind, user: boolean): boolean {
    let error = code;
    if (kind === KIND_WRITE) error |= FAULT_WR;
    if (user) error |= FAULT_US;
    // §4.7: I/D is reported only with CR4.PAE = 1 and EFER.NXE = 1 (SMEP is not supported).
    if (kind === KIND_EXECUTE && this.mmu.pagingMode === MODE_PAE && (this.mmu.efer & EFER_NXE) !== 0) {
      error |= FAULT_ID;
    }
    this.errorCode = error;
    return false;
  }
}
