import { serviceId } from '@popek/core';

/**
 * Options of the PIC pair, bound by the profile (optional). The bus knows which ISA IRQs it routes
 * PCI INTx# lines to; the profile passes them here so they are level-triggered from power-on, as
 * PC firmware leaves the ELCR:
 *
 * ```ts
 * bind(PicOptions).toDynamicValue((ctx) => ({ levelTriggeredIrqs: ctx.get(PciIrqRouting).levelTriggeredIrqs }));
 * ```
 */
export interface PicOptions {
  /** ISA IRQs whose ELCR bit is set at power-on (IRQ 0, 1, 2, 8 and 13 cannot be). */
  readonly levelTriggeredIrqs?: readonly number[];
}

/** The PIC options. */
export const PicOptions = serviceId<PicOptions>('@popek/dev-pc:PicOptions');
