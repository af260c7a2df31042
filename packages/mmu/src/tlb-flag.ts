/**
 * The permission flags of a software-TLB entry. An entry `e = tlb[linear >>> 12]` lets an access
 * take the fast path (`ram[(e & TlbEntry.OffsetMask) + (linear & 0xfff)]`) only when it carries
 * the flag for that access; flag `1 << (kind * 2 + (user ? 1 : 0))` (see {@link accessFlag}).
 *
 * A flag is set only when paging allows the access *and* the page is plain RAM for it, so MMIO,
 * ROM writes, traced and shared pages always miss and reach {@link Mmu.translate}.
 */
export const TlbFlag = {
  /** A supervisor-mode data read may use the entry. */
  ReadSupervisor: 1,
  /** A user-mode (CPL 3, not implicit-supervisor) data read may use the entry. */
  ReadUser: 2,
  /** A supervisor-mode write may use the entry (the dirty bit is already set). */
  WriteSupervisor: 4,
  /** A user-mode write may use the entry (the dirty bit is already set). */
  WriteUser: 8,
  /** A supervisor-mode instruction fetch may use the entry. */
  ExecSupervisor: 16,
  /** A user-mode instruction fetch may use the entry. */
  ExecUser: 32,
} as const;

/** One of the {@link TlbFlag} values. */
export type TlbFlag = (typeof TlbFlag)[keyof typeof TlbFlag];

/** The layout of a software-TLB entry (an `Int32Array` element; 0 = no entry). */
export const TlbEntry = {
  /** The six {@link TlbFlag} bits. */
  FlagMask: 0x3f,
  /** The two write flags. */
  WriteMask: 0x0c,
  /** The read and execute flags. */
  ReadExecMask: 0x33,
  /** MMU-internal: the translation is global (kept across CR3 writes). The CPU ignores it. */
  Global: 0x40,
  /** Bits 7–11 are reserved for the MMU and strategies; the CPU ignores them. */
  ReservedMask: 0xf80,
  /** The host byte offset of the page in `PhysicalBus.ram` (page-aligned, below 2^31). */
  OffsetMask: 0x7fff_f000,
} as const;

/** What an access does, for {@link Mmu.translate}. */
export const AccessKind = {
  /** A data read. */
  Read: 0,
  /** A data write (a read-modify-write is translated as a write). */
  Write: 1,
  /** An instruction fetch. */
  Execute: 2,
} as const;

/** One of the {@link AccessKind} values. */
export type AccessKind = (typeof AccessKind)[keyof typeof AccessKind];

/**
 * The {@link TlbFlag} an access needs: `1 << (kind * 2 + (user ? 1 : 0))`. CPUs usually inline
 * the expression or keep the six values in locals.
 */
export function accessFlag(kind: AccessKind, user: boolean): number {
  return 1 << ((kind << 1) | (user ? 1 : 0));
}
