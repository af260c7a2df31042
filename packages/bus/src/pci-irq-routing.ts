import { inject, injectable, optional, serviceId } from '@popek/core';
import { BusOptions, resolveBusOptions } from './bus-options.js';

/**
 * How the bus wires PCI interrupts, for the components that must agree with it: the PIC (which
 * sets the ELCR so the PCI IRQs are level-triggered), and firmware that writes ACPI `_PRT` or a
 * `$PIR` table.
 *
 * INTx# pin `p` (1–4) of a function in slot `s` of bus 0 drives PIRQ `(s + p − 1) mod 4`
 * (0–3 for PIRQA#–PIRQD#); the PIIX3 routes each PIRQ to the ISA IRQ in its route register,
 * which firmware programs at every reset to {@link PciIrqRouting.pirqIrqs}.
 */
export interface PciIrqRouting {
  /** The ISA IRQ of PIRQA–PIRQD after reset. */
  readonly pirqIrqs: readonly number[];
  /** The distinct ISA IRQs the PIRQs use, ascending: the ones to make level-triggered. */
  readonly levelTriggeredIrqs: readonly number[];
  /**
   * The ELCR bits for them: bit `n` for IRQ `n`. The low byte goes to ELCR1 (port 0x4D0), the
   * high byte to ELCR2 (port 0x4D1).
   */
  readonly elcrMask: number;
  /** The PIRQ (0–3) that INTx# pin `pin` (1–4) of a function in `slot` drives. */
  pirqOf(slot: number, pin: number): number;
  /** The ISA IRQ that INTx# pin `pin` of a function in `slot` reaches after reset. */
  irqOf(slot: number, pin: number): number;
}

/** The machine's PCI interrupt routing (bound by the bus module). */
export const PciIrqRouting = serviceId<PciIrqRouting>('@popek/bus:PciIrqRouting');

/**
 * The PCI interrupt swizzle: INTx# pin `pin` (1–4 for INTA#–INTD#) of a function in `slot`
 * drives PIRQ `(slot + pin − 1) mod 4`.
 */
export function pirqOf(slot: number, pin: number): number {
  return (slot + pin - 1) & 3;
}

/**
 * The routing table, computed from the bus options alone (it depends on nothing else, so the PIC
 * can depend on it without a cycle through the bus).
 */
@injectable()
export class PciIrqRoutingTable implements PciIrqRouting {
  readonly pirqIrqs: readonly number[];
  readonly levelTriggeredIrqs: readonly number[];
  readonly elcrMask: number;

  /** @param options - the bus options (their `pirqIrqs`) */
  constructor(@inject(BusOptions) @optional() options: BusOptions | undefined) {
    const resolved = resolveBusOptions(options);
    this.pirqIrqs = Object.freeze([...resolved.pirqIrqs]);
    this.levelTriggeredIrqs = Object.freeze([...new Set(resolved.pirqIrqs)].sort((a, b) => a - b));
    this.elcrMask = this.levelTriggeredIrqs.reduce((mask, irq) => mask | (1 << irq), 0);
  }

  pirqOf(slot: number, pin: number): number {
    return pirqOf(slot, pin);
  }

  irqOf(slot: number, pin: number): number {
    return this.pirqIrqs[pirqOf(slot, pin)]!;
  }
}
