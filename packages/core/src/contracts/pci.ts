import type { AccessWidth, IoHandler } from './io.js';

/** A base address register a PCI function asks for. */
export interface PciBarRequest {
  /** BAR index, 0–5. */
  readonly index: number;
  /** I/O space or 32-bit memory space. */
  readonly kind: 'io' | 'memory';
  /** Size in bytes: a power of two, at least 4 for I/O and 16 for memory. */
  readonly size: number;
  /** Whether a memory BAR is prefetchable. */
  readonly prefetchable?: boolean;
  /** What handles accesses to the BAR's window, at offsets from its base. */
  readonly handler: IoHandler;
}

/**
 * A PCI capability the function exposes in its configuration space (MSI, vendor-specific virtio
 * structures, power management). The bus chains capabilities with their next pointers.
 */
export interface PciCapabilityRequest {
  /** Capability ID (0x09 vendor-specific, 0x05 MSI, 0x01 power management). */
  readonly id: number;
  /** The bytes after the ID and next-pointer bytes (their length fixes the capability's size). */
  readonly body: Uint8Array;
  /** Offsets inside `body` the guest may write, with a write handler; others are read-only. */
  readonly onWrite?: (offset: number, width: AccessWidth, value: number) => void;
}

/** A PCI function a device presents: its type-0 configuration header and resources. */
export interface PciFunctionRequest {
  /** Vendor ID. */
  readonly vendorId: number;
  /** Device ID. */
  readonly deviceId: number;
  /** Revision ID. */
  readonly revisionId?: number;
  /** Class code: base class, subclass, programming interface (24 bits). */
  readonly classCode: number;
  /** Subsystem vendor ID. */
  readonly subsystemVendorId?: number;
  /** Subsystem ID. */
  readonly subsystemId?: number;
  /** Header type bits other than the layout (bit 7: multi-function). */
  readonly multiFunction?: boolean;
  /** Interrupt pin: 0 none, 1–4 INTA#–INTD#. */
  readonly interruptPin: 0 | 1 | 2 | 3 | 4;
  /** A fixed device number on bus 0 (the host bridge at 0, the ISA bridge at 1); absent: any free slot. */
  readonly slot?: number;
  /** Function number within the slot (default 0). */
  readonly function?: number;
  /** The BARs. */
  readonly bars?: readonly PciBarRequest[];
  /** Capabilities, chained in order. */
  readonly capabilities?: readonly PciCapabilityRequest[];
  /**
   * Device-specific configuration registers at 0x40 and above (outside capabilities), for
   * chipset functions such as the PIIX3 PIRQ routing registers.
   */
  readonly deviceConfig?: IoHandler;
  /** Called when the guest writes the command register (bus master, I/O and memory enables). */
  readonly onCommand?: (command: number) => void;
}
