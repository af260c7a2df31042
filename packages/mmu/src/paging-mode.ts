/** The paging mode the control registers select (SDM vol. 3A §4.1.1, table 4-1). */
export const PagingMode = {
  /** CR0.PG = 0: linear addresses are physical addresses (A20 masked). */
  Off: 0,
  /** CR0.PG = 1, CR4.PAE = 0: two levels, 4 KiB pages and, with CR4.PSE, 4 MiB pages. */
  Bits32: 1,
  /** CR0.PG = 1, CR4.PAE = 1: PDPTE registers plus two levels, 4 KiB and 2 MiB pages, XD. */
  Pae: 2,
} as const;

/** One of the {@link PagingMode} values. */
export type PagingMode = (typeof PagingMode)[keyof typeof PagingMode];

/**
 * Which register an instruction wrote, for the optional last argument of
 * {@link Mmu.setControl} and {@link Mmu.pdpteLoadFaults}. Without it the MMU infers the register
 * from what changed, treating a write that changes nothing as a CR3 reload (the safe choice: it
 * flushes non-global translations and reloads PAE PDPTEs).
 */
export const ControlRegister = {
  /** MOV to CR0 (or LMSW, CLTS). */
  Cr0: 0,
  /** MOV to CR3 (or a task switch that loads CR3). */
  Cr3: 3,
  /** MOV to CR4. */
  Cr4: 4,
  /** WRMSR to IA32_EFER. */
  Efer: 8,
} as const;

/** One of the {@link ControlRegister} values. */
export type ControlRegister = (typeof ControlRegister)[keyof typeof ControlRegister];
