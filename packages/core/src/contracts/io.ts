/** The width of a port or MMIO access, in bytes. */
export type AccessWidth = 1 | 2 | 4;

/**
 * The handler of a port or MMIO window: reads and writes at *offsets* into the window, never at
 * absolute addresses, so the bus may place (and PCI may move) the window anywhere.
 *
 * Values are unsigned and fit the width. A handler must accept every offset inside its window at
 * every width: the guest chooses both. Where the hardware ignores an access, ignore it; where it
 * reads as all ones, return all ones for the width.
 */
export interface IoHandler {
  /** Reads `width` bytes at `offset` into the window. */
  read(offset: number, width: AccessWidth): number;
  /** Writes the low `width` bytes of `value` at `offset` into the window. */
  write(offset: number, width: AccessWidth, value: number): void;
}

/** All ones for an access width: what an unassigned port or a floating bus reads as. */
export function allOnes(width: AccessWidth): number {
  return width === 4 ? 0xffff_ffff : width === 2 ? 0xffff : 0xff;
}
