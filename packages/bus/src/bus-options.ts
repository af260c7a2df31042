import { PopekError, serviceId } from '@popek/core';
import { DEFAULT_PCI_IO_BASE, DEFAULT_PCI_MEMORY_BASE, APIC_RESERVED_BASE, FLOATING_PORT_BASE, hex } from './memory-map.js';

/**
 * Options of the bus, bound by the profile or the host under the {@link BusOptions} token.
 *
 * Only `memoryBytes` is required; the rest have PC-compatible defaults.
 */
export interface BusOptions {
  /** Guest RAM in bytes: a multiple of 4 KiB, from 1 MiB to {@link MAX_MEMORY_BYTES}. */
  readonly memoryBytes: number;
  /**
   * The ISA IRQ firmware routes PIRQA–PIRQD to at reset (default `[10, 10, 11, 11]`, what
   * SeaBIOS programs on QEMU's PIIX). Each must be one the PIIX3 route registers can select:
   * 3–7, 9–12, 14 or 15.
   */
  readonly pirqIrqs?: readonly number[];
  /** First port firmware gives PCI I/O BARs (default 0xC000). */
  readonly pciIoBase?: number;
  /** First address of the PCI memory window (default 0xE0000000); at or above the top of RAM. */
  readonly pciMemoryBase?: number;
  /**
   * Whether to back the frame pool with a `SharedArrayBuffer` when the host has one (default
   * `true`). Node always has it; a browser has it only on cross-origin-isolated pages, and the
   * bus falls back to an `ArrayBuffer` there.
   */
  readonly sharedMemory?: boolean;
}

/** The bus's options. */
export const BusOptions = serviceId<BusOptions>('@popek/bus:BusOptions');

/** {@link BusOptions} with every default applied and every value checked. */
export interface ResolvedBusOptions {
  /** Guest RAM in bytes. */
  readonly memoryBytes: number;
  /** ISA IRQ of PIRQA–PIRQD. */
  readonly pirqIrqs: readonly [number, number, number, number];
  /** First port of PCI I/O BARs. */
  readonly pciIoBase: number;
  /** First address of the PCI memory window. */
  readonly pciMemoryBase: number;
  /** Whether to use a `SharedArrayBuffer` when available. */
  readonly sharedMemory: boolean;
}

/** The smallest RAM the bus accepts: 1 MiB (real mode's whole address space). */
export const MIN_MEMORY_BYTES = 0x10_0000;
/**
 * The largest RAM the bus accepts: 2 GiB − 1 MiB. The frame pool must stay below 2 GiB so that
 * every host offset fits in 31 bits (the CPU's TLB stores offsets in int32 slots).
 */
export const MAX_MEMORY_BYTES = 0x7ff0_0000;

/**
 * The ISA IRQs a PIIX3 PIRQ route register can select (82371SB datasheet, PIRQRC[A:D] bits 3:0:
 * 0000–0010, 1000 and 1101 are reserved).
 */
export const PIRQ_ROUTABLE_IRQS: readonly number[] = [3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15];

/** SeaBIOS's PIRQA–D routing on QEMU's i440FX/PIIX machines. */
export const DEFAULT_PIRQ_IRQS: readonly [number, number, number, number] = [10, 10, 11, 11];

/**
 * Applies the defaults to `options` and checks every value.
 *
 * @throws `PopekError` `memory-size-invalid` when the RAM size is not a whole number of
 *   pages, is below 1 MiB or is 2 GiB or more; `bus-options-invalid` for any other bad option
 */
export function resolveBusOptions(options: BusOptions | undefined): ResolvedBusOptions {
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new PopekError(
      'bus-options-invalid',
      'The bus has no options. Bind BusOptions (at least { memoryBytes }) in the machine profile or host modules.',
    );
  }
  const memoryBytes = options.memoryBytes;
  if (typeof memoryBytes !== 'number' || !Number.isInteger(memoryBytes) || memoryBytes % 4096 !== 0) {
    throw new PopekError('memory-size-invalid', `The memory size ${String(memoryBytes)} is not a whole number of 4 KiB pages. Give the size in bytes, for example 134217728 for 128 MiB.`);
  }
  if (memoryBytes < MIN_MEMORY_BYTES) {
    throw new PopekError('memory-size-invalid', `The machine needs at least 1 MiB of memory; ${memoryBytes} bytes were asked for.`);
  }
  if (memoryBytes > MAX_MEMORY_BYTES) {
    throw new PopekError(
      'memory-size-invalid',
      `The machine can have at most 2047 MiB of memory (the frame pool must stay below 2 GiB); ${Math.ceil(memoryBytes / 0x10_0000)} MiB were asked for.`,
    );
  }

  const pirq = options.pirqIrqs ?? DEFAULT_PIRQ_IRQS;
  if (!Array.isArray(pirq) || pirq.length !== 4 || !pirq.every((irq) => PIRQ_ROUTABLE_IRQS.includes(irq))) {
    throw new PopekError(
      'bus-options-invalid',
      `pirqIrqs must list four ISA IRQs for PIRQA–PIRQD, each one of ${PIRQ_ROUTABLE_IRQS.join(', ')}; got ${JSON.stringify(pirq)}.`,
    );
  }

  const pciIoBase = options.pciIoBase ?? DEFAULT_PCI_IO_BASE;
  if (!Number.isInteger(pciIoBase) || pciIoBase < FLOATING_PORT_BASE || pciIoBase > 0xf000 || pciIoBase % 0x100 !== 0) {
    throw new PopekError('bus-options-invalid', `pciIoBase must be a multiple of 0x100 from 0x1000 to 0xf000; got ${String(pciIoBase)}.`);
  }

  const pciMemoryBase = options.pciMemoryBase ?? DEFAULT_PCI_MEMORY_BASE;
  if (!Number.isInteger(pciMemoryBase) || pciMemoryBase % 0x10_0000 !== 0 || pciMemoryBase < memoryBytes || pciMemoryBase >= APIC_RESERVED_BASE) {
    throw new PopekError(
      'bus-options-invalid',
      `pciMemoryBase must be a multiple of 1 MiB at or above the top of RAM (${hex(memoryBytes)}) and below ${hex(APIC_RESERVED_BASE)}; got ${String(pciMemoryBase)}.`,
    );
  }

  const sharedMemory = options.sharedMemory ?? true;
  if (typeof sharedMemory !== 'boolean') {
    throw new PopekError('bus-options-invalid', `sharedMemory must be true or false; got ${String(sharedMemory)}.`);
  }

  return {
    memoryBytes,
    pirqIrqs: [pirq[0]!, pirq[1]!, pirq[2]!, pirq[3]!],
    pciIoBase,
    pciMemoryBase,
    sharedMemory,
  };
}
