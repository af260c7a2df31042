import type { AccessWidth, Device, DeviceAttachment, DeviceResources, IoHandler, IrqSink, StateValue } from '@popek/core';
import { MetricsRegistry } from '@popek/core';
import { PcBus } from '../src/pc-bus.js';
import type { BusOptions } from '../src/bus-options.js';

/** An interrupt controller that records what it is told. */
export class RecordingSink implements IrqSink {
  readonly levels = new Array<boolean>(16).fill(false);
  readonly calls: [number, boolean][] = [];

  /** Acknowledge callbacks by IRQ, as an interrupt controller keeps them. */
  readonly onAck = new Map<number, (() => void)[]>();

  setIrq(line: number, level: boolean): void {
    this.levels[line] = level;
    this.calls.push([line, level]);
  }

  onAcknowledge(line: number, callback: () => void): void {
    this.onAck.set(line, [...(this.onAck.get(line) ?? []), callback]);
  }
}

/** A register window backed by bytes, logging every access it receives. */
export class RegisterFile implements IoHandler {
  readonly bytes: Uint8Array;
  readonly log: { op: 'r' | 'w'; offset: number; width: AccessWidth; value: number }[] = [];

  constructor(size: number, fill = 0) {
    this.bytes = new Uint8Array(size).fill(fill);
  }

  read(offset: number, width: AccessWidth): number {
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + this.bytes[offset + i]!;
    this.log.push({ op: 'r', offset, width, value: v });
    return v >>> 0;
  }

  write(offset: number, width: AccessWidth, value: number): void {
    this.log.push({ op: 'w', offset, width, value });
    for (let i = 0; i < width; i++) this.bytes[offset + i] = (value >>> (8 * i)) & 0xff;
  }
}

/** A device with fixed resources that keeps what it was given. */
export class FakeDevice implements Device {
  readonly snapshotId: string;
  readonly stateType = 'test:FakeDevice';
  readonly stateVersion = 1;
  attachment: DeviceAttachment | undefined;

  constructor(
    readonly id: string,
    private readonly declared: DeviceResources,
  ) {
    this.snapshotId = id;
  }

  resources(): DeviceResources {
    return this.declared;
  }

  attach(attachment: DeviceAttachment): void {
    this.attachment = attachment;
  }

  reset(): void {}

  saveState(): StateValue {
    return {};
  }

  loadState(): void {}
}

/** A bus with its metrics and a recording interrupt controller. */
export function makeBus(options: Partial<BusOptions> = {}): { bus: PcBus; metrics: MetricsRegistry; sink: RecordingSink } {
  const metrics = new MetricsRegistry();
  const sink = new RecordingSink();
  const bus = new PcBus({ memoryBytes: 16 * 1024 * 1024, ...options }, metrics, { get: () => sink });
  return { bus, metrics, sink };
}

/** Attaches a device and returns what it got. */
export function attach(bus: PcBus, device: FakeDevice): DeviceAttachment {
  const a = bus.attachDevice(device);
  device.attach(a);
  return a;
}

/* Linux's configuration mechanism #1 accessors (arch/x86/pci/direct.c), as the guest runs them. */

/** `PCI_CONF1_ADDRESS(bus, devfn, reg)`. */
export function conf1Address(busNo: number, devfn: number, reg: number): number {
  return (0x8000_0000 | ((reg & 0xf00) << 16) | (busNo << 16) | (devfn << 8) | (reg & 0xfc)) >>> 0;
}

/** `pci_conf1_read`. */
export function conf1Read(bus: PcBus, busNo: number, devfn: number, reg: number, len: AccessWidth): number {
  bus.ioWrite(0xcf8, 4, conf1Address(busNo, devfn, reg));
  switch (len) {
    case 1:
      return bus.ioRead(0xcfc + (reg & 3), 1);
    case 2:
      return bus.ioRead(0xcfc + (reg & 2), 2);
    case 4:
      return bus.ioRead(0xcfc, 4);
  }
}

/** `pci_conf1_write`. */
export function conf1Write(bus: PcBus, busNo: number, devfn: number, reg: number, len: AccessWidth, value: number): void {
  bus.ioWrite(0xcf8, 4, conf1Address(busNo, devfn, reg));
  switch (len) {
    case 1:
      bus.ioWrite(0xcfc + (reg & 3), 1, value);
      break;
    case 2:
      bus.ioWrite(0xcfc + (reg & 2), 2, value);
      break;
    case 4:
      bus.ioWrite(0xcfc, 4, value);
      break;
  }
}

/**
 * BAR sizing as Linux's `__pci_read_base` does it: decoding off, write all ones, read the mask,
 * restore. Returns the BAR's flags, address and size.
 */
export function readBase(bus: PcBus, devfn: number, index: number): { io: boolean; address: number; size: number; prefetch: boolean } {
  const pos = 0x10 + index * 4;
  const cmd = conf1Read(bus, 0, devfn, 0x04, 2);
  conf1Write(bus, 0, devfn, 0x04, 2, cmd & ~0x3);
  const l = conf1Read(bus, 0, devfn, pos, 4);
  conf1Write(bus, 0, devfn, pos, 4, 0xffff_ffff);
  const sz = conf1Read(bus, 0, devfn, pos, 4);
  conf1Write(bus, 0, devfn, pos, 4, l);
  conf1Write(bus, 0, devfn, 0x04, 2, cmd);
  const io = (l & 1) === 1;
  // pci_size(): the lowest set bit of the writable address bits is the size.
  const mask = io ? 0xffff & 0xffff_fffc : 0xffff_fff0;
  const bits = (sz & mask) >>> 0;
  const size = bits === 0 ? 0 : (bits & -bits) >>> 0;
  return { io, address: (l & (io ? 0xffff_fffc : 0xffff_fff0)) >>> 0, size, prefetch: !io && (l & 8) !== 0 };
}
