import { PopekError, serviceId } from '@popek/core';

/** Options of the trap-and-emulate CPU mode, bound by a profile or host (all optional). */
export interface TrapEmulateOptions {
  /**
   * Model a hypothetical x86 that meets Popek & Goldberg's condition: every sensitive instruction
   * traps to the monitor and is emulated correctly, so there are no holes (default `false`: the
   * real x86, whose sensitive-unprivileged instructions run with their deprivileged semantics).
   */
  readonly virtualizable?: boolean;
  /** How many distinct hole sites (address and instruction) are kept in the list (default 64). */
  readonly maxHoles?: number;
  /**
   * Stop the machine with a `virtualization-hole` error when the holes have broken the guest
   * (default `true`). With `false` the diagnosis is only kept (`TrapEmulateMode.brokenGuest`).
   */
  readonly stopOnBrokenGuest?: boolean;
  /**
   * Once a hole has changed the guest's interrupt flag against its will: how many guest
   * instructions an interrupt may stay pending with interrupts disabled, or the guest kernel may
   * run with interrupts disabled without one trap to the monitor, before the guest counts as
   * broken (default 100 000 000; booting the Debian guest on a virtualizable x86, the longest
   * such stretch after its decompressor measured about 21 000 000).
   */
  readonly starvationLimit?: number;
  /**
   * The sentence that ends the broken-guest report, telling the user how to run the guest anyway
   * (a host puts its own option spelling here, such as a command-line flag).
   */
  readonly hint?: string;
}

/** The trap-and-emulate mode's options (optional: the defaults apply when unbound). */
export const TrapEmulateOptions = serviceId<TrapEmulateOptions>('@popek/cpu-trap-emulate:TrapEmulateOptions');

/** {@link TrapEmulateOptions} with the defaults applied. */
export interface ResolvedTrapEmulateOptions {
  /** Every sensitive instruction traps. */
  readonly virtualizable: boolean;
  /** Distinct hole sites kept. */
  readonly maxHoles: number;
  /** Throw when the guest is broken. */
  readonly stopOnBrokenGuest: boolean;
  /** Instructions of starvation before the guest counts as broken. */
  readonly starvationLimit: number;
  /** The closing sentence of the broken-guest report. */
  readonly hint: string;
}

/** The default closing sentence of the broken-guest report. */
export const DEFAULT_HINT =
  'To run this guest under trap-and-emulate, use the virtualizable option, which models an x86 on which every sensitive instruction traps.';

/**
 * Applies the defaults and checks the values.
 *
 * @throws `PopekError` (`options-invalid`) for a negative or non-integer count
 */
export function resolveTrapEmulateOptions(o: TrapEmulateOptions = {}): ResolvedTrapEmulateOptions {
  const maxHoles = o.maxHoles ?? 64;
  const starvationLimit = o.starvationLimit ?? 100_000_000;
  if (!Number.isSafeInteger(maxHoles) || maxHoles < 0) {
    throw new PopekError('options-invalid', `The trap-and-emulate option maxHoles must be a whole number of 0 or more, not ${maxHoles}.`);
  }
  if (!Number.isSafeInteger(starvationLimit) || starvationLimit < 1) {
    throw new PopekError('options-invalid', `The trap-and-emulate option starvationLimit must be a whole number of 1 or more, not ${starvationLimit}.`);
  }
  return {
    virtualizable: o.virtualizable ?? false,
    maxHoles,
    stopOnBrokenGuest: o.stopOnBrokenGuest ?? true,
    starvationLimit,
    hint: o.hint ?? DEFAULT_HINT,
  };
}
