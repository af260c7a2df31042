import type { Counter, MetricLabels, MetricsRegistry, PhysicalBus } from '@popek/core';
import type { Mmu } from './mmu.js';
import { readTableDword, setTableBits } from './page-table-access.js';
import {
  Cr0,
  Efer,
  PAE_RESERVED_HIGH,
  PDE32_4M_RESERVED,
  PDE_PAE_2M_RESERVED,
  PDPTE_RESERVED_LOW,
  PageEntry,
  PageFaultError,
  XD_HIGH,
  Cr4,
} from './paging-bits.js';
import { PagingMode } from './paging-mode.js';
import { AccessKind, TlbFlag } from './tlb-flag.js';

const ALL_ACCESS = 0x3f;
const READ_EXEC_SUPERVISOR = TlbFlag.ReadSupervisor | TlbFlag.ExecSupervisor;

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
    if (mode === PagingMode.Off) {
      this.pagePhysical = (linear & this.bus.a20Mask & 0xffff_f000) >>> 0;
      this.access = ALL_ACCESS;
      this.global = false;
      this.largePage = false;
      return true;
    }
    this.#walks.value++;
    return mode === PagingMode.Pae ? this.#walkPae(linear, kind, user) : this.#walk32(linear, kind, user);
  }

  /**
   * Reads the paging-structure entry at guest-physical `address`: its low doubleword is
   * returned, and with `wide` (PAE) its high doubleword is left in {@link high}. Counts one
   * walk reference.
   */
  protected readEntry(address: number, wide: boolean): number {
    this.#references.value++;
    if (wide) this.high = readTableDword(this.bus, (address + 4) >>> 0);
    return readTableDword(this.bus, address);
  }

  /** Sets accessed/dirty `bits` in the entry at `address` whose low doubleword is `low`. */
  protected setBits(address: number, low: number, bits: number): void {
    setTableBits(this.bus, address, low, bits);
  }

  #walk32(linear: number, kind: AccessKind, user: boolean): boolean {
    const mmu = this.mmu;
    const a20 = this.bus.a20Mask;
    // §4.3: the PDE is at CR3[31:12] | linear[31:22] << 2.
    const pdeAddress = (((mmu.cr3 & 0xffff_f000) | ((linear >>> 22) << 2)) & a20) >>> 0;
    this.entryAddresses[0] = pdeAddress;
    this.entryCount = 1;
    const pde = this.readEntry(pdeAddress, false);
    if ((pde & PageEntry.P) === 0) return this.#fault(0, kind, user);
    if ((pde & PageEntry.PS) !== 0 && (mmu.cr4 & Cr4.PSE) !== 0) {
      // A 4 MiB page (table 4-4): bits 21:13 are reserved without PSE-36 at MAXPHYADDR 32.
      if ((pde & PDE32_4M_RESERVED) !== 0) return this.#fault(PageFaultError.P | PageFaultError.RSVD, kind, user);
      const base = (pde & 0xffc0_0000) | (linear & 0x003f_f000);
      return this.#finish(pdeAddress, pde, base, pde & PageEntry.US, pde & PageEntry.RW, false, true, kind, user);
    }
    if ((pde & PageEntry.A) === 0) this.setBits(pdeAddress, pde, PageEntry.A);
    const pteAddress = (((pde & 0xffff_f000) | ((linear >>> 10) & 0xffc)) & a20) >>> 0;
    this.entryAddresses[1] = pteAddress;
    this.entryCount = 2;
    const pte = this.readEntry(pteAddress, false);
    if ((pte & PageEntry.P) === 0) return this.#fault(0, kind, user);
    return this.#finish(pteAddress, pte, pte & 0xffff_f000, pde & pte & PageEntry.US, pde & pte & PageEntry.RW, false, false, kind, user);
  }

  #walkPae(linear: number, kind: AccessKind, user: boolean): boolean {
    const mmu = this.mmu;
    const a20 = this.bus.a20Mask;
    const nxe = (mmu.efer & Efer.NXE) !== 0;
    const reservedHigh = nxe ? PAE_RESERVED_HIGH : 0xffff_ffff;
    // §4.4.2: linear[31:30] selects a PDPTE register.
    const pdptes = mmu.pdptes;
    const index = linear >>> 30;
    const pdpte = pdptes[index << 1]!;
    if ((pdpte & PageEntry.P) === 0) return this.#fault(0, kind, user);
    // Loading invalid PDPTEs raises #GP at the MOV to CR; reaching one here means the CPU let the
    // write through anyway, so it faults as a reserved-bit violation rather than translating.
    if ((pdpte & PDPTE_RESERVED_LOW) !== 0 || pdptes[(index << 1) | 1]! !== 0) {
      return this.#fault(PageFaultError.P | PageFaultError.RSVD, kind, user);
    }
    const pdeAddress = (((pdpte & 0xffff_f000) | ((linear >>> 18) & 0xff8)) & a20) >>> 0;
    this.entryAddresses[0] = pdeAddress;
    this.entryCount = 1;
    const pde = this.readEntry(pdeAddress, true);
    const pdeHigh = this.high;
    if ((pde & PageEntry.P) === 0) return this.#fault(0, kind, user);
    if ((pdeHigh & reservedHigh) !== 0) return this.#fault(PageFaultError.P | PageFaultError.RSVD, kind, user);
    let noExecute = nxe && (pdeHigh & XD_HIGH) !== 0;
    if ((pde & PageEntry.PS) !== 0) {
      // A 2 MiB page (table 4-9).
      if ((pde & PDE_PAE_2M_RESERVED) !== 0) return this.#fault(PageFaultError.P | PageFaultError.RSVD, kind, user);
      const base = (pde & 0xffe0_0000) | (linear & 0x001f_f000);
      return this.#finish(pdeAddress, pde, base, pde & PageEntry.US, pde & PageEntry.RW, noExecute, true, kind, user);
    }
    if ((pde & PageEntry.A) === 0) this.setBits(pdeAddress, pde, PageEntry.A);
    const pteAddress = (((pde & 0xffff_f000) | ((linear >>> 9) & 0xff8)) & a20) >>> 0;
    this.entryAddresses[1] = pteAddress;
    this.entryCount = 2;
    const pte = this.readEntry(pteAddress, true);
    const pteHigh = this.high;
    if ((pte & PageEntry.P) === 0) return this.#fault(0, kind, user);
    if ((pteHigh & reservedHigh) !== 0) return this.#fault(PageFaultError.P | PageFaultError.RSVD, kind, user);
    noExecute ||= nxe && (pteHigh & XD_HIGH) !== 0;
    return this.#finish(pteAddress, pte, pte & 0xffff_f000, pde & pte & PageEntry.US, pde & pte & PageEntry.RW, noExecute, false, kind, user);
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
    let rights = noExecute ? TlbFlag.ReadSupervisor : READ_EXEC_SUPERVISOR;
    if (userAllowed !== 0) rights |= noExecute ? TlbFlag.ReadUser : TlbFlag.ReadUser | TlbFlag.ExecUser;
    let writeRights = 0;
    // Supervisor writes ignore R/W unless CR0.WP = 1; user writes need U/S and R/W everywhere.
    if (writeAllowed !== 0 || (mmu.cr0 & Cr0.WP) === 0) writeRights |= TlbFlag.WriteSupervisor;
    if (writeAllowed !== 0 && userAllowed !== 0) writeRights |= TlbFlag.WriteUser;
    const need = 1 << ((kind << 1) | (user ? 1 : 0));
    if (((rights | writeRights) & need) === 0) return this.#fault(PageFaultError.P, kind, user);
    let dirty = (leaf & PageEntry.D) !== 0;
    if (kind === AccessKind.Write) {
      if (!dirty || (leaf & PageEntry.A) === 0) this.setBits(leafAddress, leaf, PageEntry.A | PageEntry.D);
      dirty = true;
    } else if ((leaf & PageEntry.A) === 0) {
      this.setBits(leafAddress, leaf, PageEntry.A);
    }
    this.pagePhysical = (base & this.bus.a20Mask) >>> 0;
    // A translation cached before the first write must not allow writes: they walk again and set D.
    this.access = dirty ? rights | writeRights : rights;
    this.global = (leaf & PageEntry.G) !== 0 && (mmu.cr4 & Cr4.PGE) !== 0;
    this.largePage = large;
    return true;
  }

  #fault(code: number, kind: AccessKind, user: boolean): boolean {
    let error = code;
    if (kind === AccessKind.Write) error |= PageFaultError.WR;
    if (user) error |= PageFaultError.US;
    // §4.7: I/D is reported only with CR4.PAE = 1 and EFER.NXE = 1 (SMEP is not supported).
    if (kind === AccessKind.Execute && this.mmu.pagingMode === PagingMode.Pae && (this.mmu.efer & Efer.NXE) !== 0) {
      error |= PageFaultError.ID;
    }
    this.errorCode = error;
    return false;
  }
}
