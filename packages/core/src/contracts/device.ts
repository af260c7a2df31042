import { serviceId } from '../service-id.js';
import type { Snapshotable } from '../snapshot/state.js';
import type { GuestMemory } from './guest-memory.js';
import type { IoHandler } from './io.js';
import type { IrqLine } from './irq-line.js';
import type { PciFunctionRequest } from './pci.js';

/** A window of I/O ports a device asks for. */
export interface PortWindowRequest {
  /** Name of the window, unique within the device (`registers`, `data`). */
  readonly name: string;
  /** Number of consecutive ports (≥ 1). */
  readonly size: number;
  /** A fixed base port (legacy ISA devices); absent to let the machine choose. */
  readonly base?: number;
  /** Alignment of a machine-chosen base (a power of two; default: the size rounded up). */
  readonly alignment?: number;
  /** What handles accesses to the window. */
  readonly handler: IoHandler;
}

/** A window of guest-physical addresses a device asks for (memory-mapped I/O). */
export interface MmioWindowRequest {
  /** Name of the window, unique within the device. */
  readonly name: string;
  /** Size in bytes (≥ 1). */
  readonly size: number;
  /** A fixed base address (the VGA window at 0xA0000); absent to let the machine choose. */
  readonly base?: number;
  /** Alignment of a machine-chosen base (a power of two; default 4096). */
  readonly alignment?: number;
  /** What handles accesses to the window. */
  readonly handler: IoHandler;
}

/** An interrupt line a device asks for. */
export interface IrqRequest {
  /** Name of the line, unique within the device (`irq`, `rx`). */
  readonly name: string;
  /** A fixed ISA interrupt line (4 for COM1); absent to let the machine choose. */
  readonly line?: number;
}

/**
 * Everything a device needs from the machine. The device states it; the machine allocates and
 * registers it, then calls {@link Device.attach} with what it assigned.
 */
export interface DeviceResources {
  /** I/O port windows. */
  readonly ports?: readonly PortWindowRequest[];
  /** MMIO windows. */
  readonly mmio?: readonly MmioWindowRequest[];
  /** Interrupt lines (for a PCI function, its INTx pin is declared in `pci` instead). */
  readonly irqs?: readonly IrqRequest[];
  /** A PCI function: configuration header, BARs, capabilities, interrupt pin. */
  readonly pci?: PciFunctionRequest;
  /** Whether the device reads or writes guest memory (DMA, bus mastering). */
  readonly dma?: boolean;
}

/** What the machine assigned to a device. */
export interface DeviceAttachment {
  /** The base port of each port window, by window name. */
  readonly ports: Readonly<Record<string, number>>;
  /** The base address of each MMIO window, by window name. */
  readonly mmio: Readonly<Record<string, number>>;
  /** Each requested IRQ line, by name; a PCI function's INTx line is named `intx`. */
  readonly irqs: Readonly<Record<string, IrqLine>>;
  /** Guest memory for DMA (present when the device asked for `dma`). */
  readonly memory?: GuestMemory;
}

/**
 * A device model (a guest-visible frontend). It declares its resources, is attached once, resets
 * to its power-on state, and saves and restores its state. It never registers itself, never
 * reaches another device, and never reads the wall clock (it takes timers from the core clock).
 */
export interface Device extends Snapshotable {
  /** Instance id, unique within the machine (`com1`, `pit`, `ide0`). */
  readonly id: string;
  /** The resources the device needs. Called once, at build. */
  resources(): DeviceResources;
  /** Receives the resources the machine assigned. Called once, after allocation. */
  attach(attachment: DeviceAttachment): void;
  /** Returns the device to its power-on state (machine reset). */
  reset(): void;
}

/**
 * The contribution point for devices: every binding to it is a device of the machine. A device
 * package binds its device class once and aliases it here with `toService`.
 */
export const DeviceContribution = serviceId<Device>('@popek/core:DeviceContribution');

/**
 * Assigns resources and wires devices into the machine: the bus implements it. The machine calls
 * it once per device at build, in profile order.
 */
export interface DeviceHost {
  /**
   * Allocates what the device declared, registers its windows and IRQ lines, and returns what was
   * assigned.
   *
   * @throws {@link PopekError} (`resource-conflict`) when a fixed resource is already taken
   */
  attachDevice(device: Device): DeviceAttachment;
}

/** The machine's device host (the bus). */
export const DeviceHost = serviceId<DeviceHost>('@popek/core:DeviceHost');
