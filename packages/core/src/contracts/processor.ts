import type { InstructionCounter } from '../clock.js';
import { serviceId } from '../service-id.js';
import type { Snapshotable } from '../snapshot/state.js';

/** Why {@link Processor.runSlice} returned. */
export const SliceExit = {
  /** The instruction budget was used. */
  Budget: 0,
  /** The CPU is halted (HLT, or waiting for SIPI) and no interrupt it can take is pending. */
  Halted: 1,
  /** Something asked the CPU to leave the slice early ({@link Processor.requestExit}). */
  Requested: 2,
} as const;

/** One of the {@link SliceExit} values. */
export type SliceExit = (typeof SliceExit)[keyof typeof SliceExit];

/**
 * The virtual CPU as the machine's run loop drives it: in bounded slices, between which timers,
 * devices and host I/O make progress. The CPU counts retired instructions for the clock.
 */
export interface Processor extends Snapshotable, InstructionCounter {
  /**
   * Runs at most `maxInstructions` instructions (a halted CPU first checks for an interrupt that
   * wakes it) and returns why it stopped.
   */
  runSlice(maxInstructions: number): SliceExit;
  /** Whether the CPU is halted, waiting for an interrupt. */
  readonly halted: boolean;
  /** Puts the CPU in its power-on (RESET) state. */
  reset(): void;
  /** Makes the running slice end at the next instruction boundary. */
  requestExit(): void;
}

/** The machine's CPU. */
export const Processor = serviceId<Processor>('@popek/core:Processor');

/** Why the machine is asked to reset. */
export type ResetReason = 'guest' | 'triple-fault' | 'host';

/**
 * Power and reset requests, as chipset devices make them (ACPI sleep to S5, the 0xCF9 reset
 * register, the keyboard controller's reset line, port 0x92) and as the CPU makes them on a
 * triple fault. The machine acts on them at the end of the current slice.
 */
export interface PowerControl {
  /** The guest turned the machine off. */
  powerOff(): void;
  /** The machine must reset. */
  reset(reason: ResetReason): void;
}

/** The machine's power and reset control. */
export const PowerControl = serviceId<PowerControl>('@popek/core:PowerControl');
