import { serviceId } from '../service-id.js';

/**
 * What the CPU asks at every instruction boundary where interrupts are enabled: is a maskable
 * interrupt pending, and which vector is it. The PIC pair (or an APIC) implements it.
 */
export interface InterruptController {
  /** Whether a maskable interrupt is pending for the CPU (cheap: called on the hot path). */
  hasInterrupt(): boolean;
  /**
   * True when {@link hasInterrupt} changes only while device code runs (a line raised or
   * lowered, an acknowledge, a register written), never as guest time passes on its own. An
   * engine that runs guest code with no device access in between (the binary translator's
   * WebAssembly chains, which leave for any access they cannot make inline) then need not ask
   * again until it has let a device run. False or absent (a timer evaluated lazily in
   * {@link hasInterrupt}): the engine asks at every block boundary where interrupts are enabled.
   */
  readonly eventDriven?: boolean;
  /**
   * Acknowledges the highest-priority pending interrupt (the INTA cycle) and returns its vector
   * (0–255). Called only after {@link hasInterrupt} returned true.
   */
  acknowledge(): number;
}

/** The machine's interrupt controller, as the CPU sees it. */
export const InterruptController = serviceId<InterruptController>('@popek/core:InterruptController');

/**
 * The non-maskable interrupt input of the CPU. Chipset devices (the NMI button, a watchdog)
 * raise it; the CPU takes it at the next instruction boundary.
 */
export interface NmiLine {
  /** Requests an NMI. */
  raiseNmi(): void;
}

/** The CPU's NMI input. */
export const NmiLine = serviceId<NmiLine>('@popek/core:NmiLine');
