/**
 * The fixed landmarks of the PC guest-physical address space, as the bus lays it out.
 *
 * ```
 * 0x0000_0000 ┬ RAM (conventional memory)
 * 0x000A_0000 ┼ VGA window: not RAM; MMIO when a device claims it, else unassigned
 * 0x000C_0000 ┼ option-ROM / BIOS area: RAM by default, regions can be made read-only ROM
 * 0x0010_0000 ┼ RAM (extended memory) up to the RAM size
 *    RAM top  ┼ unassigned
 * PCI base    ┼ PCI memory window (BARs, floating MMIO windows); 0xE000_0000 by default
 * 0xFEC0_0000 ┼ reserved for the I/O APIC, local APIC and high BIOS alias (not allocated)
 * 0x1_0000_0000
 * ```
 *
 * @packageDocumentation
 */

/** log2 of the page size: guest frame numbers are `address >>> PAGE_SHIFT`. */
export const PAGE_SHIFT = 12;
/** The page size in bytes (4 KiB, the x86 small page). */
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** Mask of the offset inside a page. */
export const PAGE_MASK = PAGE_SIZE - 1;

/** One past the highest guest-physical address (32-bit physical addressing, no PAE above 4 GiB). */
export const ADDRESS_SPACE_END = 0x1_0000_0000;

/** Start of the legacy VGA memory window (IBM VGA: 0xA0000–0xBFFFF). */
export const VGA_WINDOW_BASE = 0x000a_0000;
/** One past the end of the legacy VGA memory window. */
export const VGA_WINDOW_END = 0x000c_0000;
/** Start of the option-ROM and system-BIOS area (expansion ROMs at 0xC0000, BIOS at 0xF0000). */
export const BIOS_AREA_BASE = 0x000c_0000;
/** One past the end of the BIOS area: the first megabyte. */
export const BIOS_AREA_END = 0x0010_0000;

/**
 * Start of the range kept for the I/O APIC (0xFEC00000), local APIC (0xFEE00000) and the high
 * BIOS alias: never handed to a floating MMIO window or a PCI BAR.
 */
export const APIC_RESERVED_BASE = 0xfec0_0000;

/** Default start of the PCI memory window (like QEMU's i440FX with ≤ 3.5 GiB RAM: 0xE0000000). */
export const DEFAULT_PCI_MEMORY_BASE = 0xe000_0000;
/** Default start of the I/O range firmware gives PCI I/O BARs (as SeaBIOS: 0xC000). */
export const DEFAULT_PCI_IO_BASE = 0xc000;
/** Lowest port a floating (machine-chosen) port window may get; below is legacy ISA space. */
export const FLOATING_PORT_BASE = 0x1000;

/** Formats a number as `0x…` for messages. */
export function hex(value: number): string {
  return `0x${value.toString(16)}`;
}
