import { serviceId } from '@popek/core';

/**
 * The edge/level control of the ISA interrupt inputs (the ELCR registers at ports 0x4D0/0x4D1
 * of PIIX-style chipsets). The profile, which knows which ISA IRQs the bus routes PCI INTx
 * lines to, marks those level-triggered at build; the setting is also the power-on value that
 * a machine reset restores. The guest can change it through the ports afterwards.
 */
export interface ElcrControl {
  /**
   * Makes ISA IRQ `line` level-triggered (`true`) or edge-triggered. IRQs 0, 1, 2, 8 and 13
   * are always edge-triggered (their ELCR bits are reserved); asking for them is ignored.
   *
   * @throws RangeError when `line` is not an integer 0–15 (a host configuration bug)
   */
  setLevelTriggered(line: number, levelTriggered: boolean): void;
  /** Whether ISA IRQ `line` is currently level-triggered. */
  isLevelTriggered(line: number): boolean;
}

/** The machine's ELCR (the PIC pair binds itself here). */
export const ElcrControl = serviceId<ElcrControl>('@popek/dev-pc:ElcrControl');
