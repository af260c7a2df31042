import { serviceId } from '../service-id.js';

/**
 * The A20 gate: address line 20 masked (real-mode wrap-around at 1 MiB) or passed through. The
 * keyboard controller's output port and port 0x92 drive it; the bus applies it.
 */
export interface A20Gate {
  /** Whether address line 20 passes through. */
  readonly a20Enabled: boolean;
  /** Opens (`true`) or closes the gate. */
  setA20(enabled: boolean): void;
}

/** The machine's A20 gate. */
export const A20Gate = serviceId<A20Gate>('@popek/core:A20Gate');
