/*
 * Architectural constants of IA-32 paging, named after the Intel SDM's registers and fields.
 * References are to the Intel 64 and IA-32 Architectures Software Developer's Manual, volume 3A.
 */

/** CR0 bits the MMU looks at (SDM vol. 3A §2.5 "Control Registers", figure 2-7). */
export const Cr0 = {
  /** Protection enable (bit 0). */
  PE: 0x0000_0001,
  /** Write protect (bit 16): supervisor writes honour read-only pages (§4.6). */
  WP: 0x0001_0000,
  /** Not write-through (bit 29): a change reloads the PAE PDPTEs (§4.4.1). */
  NW: 0x2000_0000,
  /** Cache disable (bit 30): a change reloads the PAE PDPTEs (§4.4.1). */
  CD: 0x4000_0000,
  /** Paging (bit 31). */
  PG: 0x8000_0000,
} as const;

/** CR4 bits the MMU looks at (SDM vol. 3A §2.5, figure 2-8). */
export const Cr4 = {
  /** Page size extensions (bit 4): 4 MiB pages with 32-bit paging (§4.3). */
  PSE: 0x0000_0010,
  /** Physical address extension (bit 5): PAE paging (§4.4). */
  PAE: 0x0000_0020,
  /** Page global enable (bit 7): global translations survive CR3 writes (§4.10.2.4). */
  PGE: 0x0000_0080,
} as const;

/** IA32_EFER (MSR C000_0080h) bits the MMU looks at (SDM vol. 3A §2.2.1, table 2-1). */
export const Efer = {
  /** Execute-disable enable (bit 11): bit 63 of PAE entries is XD (§4.6). */
  NXE: 0x0000_0800,
} as const;

/**
 * Bits of the low doubleword of paging-structure entries, common to 32-bit and PAE paging
 * (SDM vol. 3A §4.3 tables 4-4 to 4-6, §4.4.2 tables 4-8 to 4-11).
 */
export const PageEntry = {
  /** Present (bit 0). */
  P: 0x001,
  /** Read/write (bit 1): 0 = writes not allowed through this entry. */
  RW: 0x002,
  /** User/supervisor (bit 2): 0 = user-mode accesses not allowed through this entry. */
  US: 0x004,
  /** Page-level write-through (bit 3); memory types are not modelled. */
  PWT: 0x008,
  /** Page-level cache disable (bit 4); memory types are not modelled. */
  PCD: 0x010,
  /** Accessed (bit 5), set by the processor on every entry it uses (§4.8). */
  A: 0x020,
  /** Dirty (bit 6), set on the entry that maps the page when it is written (§4.8). */
  D: 0x040,
  /** Page size (bit 7) in a PDE: the entry maps a 4 MiB (32-bit) or 2 MiB (PAE) page. */
  PS: 0x080,
  /** Global (bit 8) in an entry that maps a page, honoured when CR4.PGE = 1 (§4.10.2.4). */
  G: 0x100,
} as const;

/** Execute-disable (bit 63) of a PAE PDE or PTE, as a bit of the high doubleword (§4.4.2). */
export const XD_HIGH = 0x8000_0000;

/**
 * The MAXPHYADDR this MMU implements (SDM vol. 3A §4.1.4). Physical addresses fit in 32 bits, so
 * with PAE paging bits 62:32 of every entry are reserved. The CPU must report this width in
 * CPUID.80000008H:EAX[7:0] (and must not advertise PSE-36).
 */
export const MAX_PHYSICAL_ADDRESS_BITS = 32;

/**
 * Reserved bits 21:13 of a 32-bit PDE that maps a 4 MiB page: with MAXPHYADDR = 32 and no PSE-36
 * they hold no address bits (SDM vol. 3A §4.3, table 4-4).
 */
export const PDE32_4M_RESERVED = 0x003f_e000;

/** Reserved bits 20:13 of a PAE PDE that maps a 2 MiB page (SDM vol. 3A §4.4.2, table 4-9). */
export const PDE_PAE_2M_RESERVED = 0x001f_e000;

/** Reserved bits 2:1 and 8:5 of a PAE PDPTE (SDM vol. 3A §4.4.1, table 4-8). */
export const PDPTE_RESERVED_LOW = 0x0000_01e6;

/** Reserved bits 62:32 (MAXPHYADDR = 32) of a PAE entry, in its high doubleword (§4.4.2). */
export const PAE_RESERVED_HIGH = 0x7fff_ffff;

/**
 * Bits of the #PF error code (SDM vol. 3A §4.7 "Page-Fault Exceptions", figure 4-12).
 */
export const PageFaultError = {
  /** P (bit 0): 0 = a not-present entry, 1 = a protection violation or a reserved bit. */
  P: 0x01,
  /** W/R (bit 1): the access was a write. */
  WR: 0x02,
  /** U/S (bit 2): the access was a user-mode access. */
  US: 0x04,
  /** RSVD (bit 3): a reserved bit was set in a paging-structure entry (P is then 1). */
  RSVD: 0x08,
  /** I/D (bit 4): an instruction fetch, reported only when CR4.PAE = 1 and EFER.NXE = 1. */
  ID: 0x10,
} as const;
