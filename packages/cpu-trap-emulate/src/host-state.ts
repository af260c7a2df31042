/**
 * The host (monitor) state that a deprivileged guest kernel can see through x86's
 * sensitive-unprivileged instructions. The values are fixed and documented (README, "The host
 * the guest runs on"); they stand for a classic monitor that owns the top 4 MiB of the linear
 * address space, as VMware's did, and runs the guest kernel at ring 1 (ring compression).
 */
export const HostState = {
  /** The ring the guest kernel (virtual CPL 0) runs at. */
  ring: 1,
  /**
   * The real CR0: PG, AM, WP, NE, ET, MP, PE — a paging host with native x87 errors and
   * write-protected supervisor pages. SMSW shows its low word.
   */
  cr0: 0x8005_0033 | 0,
  /** The monitor's GDT: base in the monitor's area at the top of the linear address space. */
  gdtrBase: 0xffc0_0000 | 0,
  /** The monitor's GDT limit (32 descriptors). */
  gdtrLimit: 0x00ff,
  /** The monitor's IDT base: every vector enters the monitor. */
  idtrBase: 0xffc0_1000 | 0,
  /** The monitor's IDT limit (256 gates). */
  idtrLimit: 0x07ff,
  /** The monitor's LDTR: none loaded. */
  ldtr: 0x0000,
  /** The monitor's task register: its TSS, GDT entry 8. */
  tr: 0x0040,
  /** The real EFLAGS.IOPL: 0, so that IN, OUT, CLI and STI at ring 1 trap to the monitor. */
  iopl: 0,
} as const;
