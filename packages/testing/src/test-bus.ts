import {
  DeviceHost,
  FlatGuestMemory,
  FlatPhysicalBus,
  GuestMemory,
  IrqSink,
  PhysicalBus,
  ResourceMap,
  SinkIrqLine,
  injectable,
  type AccessWidth,
  type Device,
  type DeviceAttachment,
  type DirtyHook,
  type IoHandler,
  type IrqLine,
  type MemoryStatus,
} from '@popek/core';

/**
 * A simple bus for test machines: flat RAM from address 0, fixed and floating port windows,
 * ISA IRQ lines whose levels it records, and DMA into the same RAM. It implements the
 * `DeviceHost`, `PhysicalBus`, `GuestMemory` and `IrqSink` contracts. PCI functions and MMIO
 * windows are refused: test those with `@popek/bus`.
 */
@injectable()
export class TestBus implements DeviceHost, PhysicalBus, GuestMemory, IrqSink {
  /** RAM size of every test bus (1 MiB). */
  static readonly RAM_BYTES = 1 << 20;

  readonly #physical = new FlatPhysicalBus(TestBus.RAM_BYTES);
  readonly #memory = new FlatGuestMemory(this.#physical.ram);
  readonly #ports = new ResourceMap('I/O port', 0x1_0000);
  readonly #irqs = new ResourceMap('IRQ', 16);
  /** The level of each of the 16 ISA IRQ inputs. */
  readonly irqLevels: boolean[] = new Array<boolean>(16).fill(false);
  /** Every change of an IRQ input, in order: `[line, level]`. */
  readonly irqLog: Array<[number, boolean]> = [];

  get ram(): Uint8Array {
    return this.#physical.ram;
  }

  get a20Mask(): number {
    return this.#physical.a20Mask;
  }

  get limit(): number {
    return this.#memory.limit;
  }

  attachDevice(device: Device): DeviceAttachment {
    const r = device.resources();
    if ((r.mmio?.length ?? 0) > 0 || r.pci !== undefined) {
      throw new Error(`the test bus cannot host ${device.id}: it has MMIO windows or a PCI function`);
    }
    const ports: Record<string, number> = {};
    for (const w of r.ports ?? []) {
      const owner = `${device.id}/${w.name}`;
      const claim =
        w.base !== undefined
          ? this.#ports.claim(w.base, w.size, owner)
          : this.#ports.allocate(w.size, w.alignment ?? 2 ** Math.ceil(Math.log2(w.size)), owner, 0x1000);
      this.#physical.mapPorts(claim.base, claim.size, w.handler);
      ports[w.name] = claim.base;
    }
    const irqs: Record<string, IrqLine> = {};
    for (const q of r.irqs ?? []) {
      const claim = q.line !== undefined ? this.#irqs.claim(q.line, 1, `${device.id}/${q.name}`) : this.#irqs.allocate(1, 1, `${device.id}/${q.name}`, 3);
      irqs[q.name] = new SinkIrqLine(this, claim.base);
    }
    return { ports, mmio: {}, irqs, ...(r.dma ? { memory: this as GuestMemory } : {}) };
  }

  setIrq(line: number, level: boolean): void {
    this.irqLevels[line] = level;
    this.irqLog.push([line, level]);
  }

  ramPageOffset(gfn: number): number {
    return this.#physical.ramPageOffset(gfn);
  }

  readPhysical(address: number, width: AccessWidth): number {
    return this.#physical.readPhysical(address, width);
  }

  writePhysical(address: number, width: AccessWidth, value: number): void {
    this.#physical.writePhysical(address, width, value);
  }

  ioRead(port: number, width: AccessWidth): number {
    return this.#physical.ioRead(port, width);
  }

  ioWrite(port: number, width: AccessWidth, value: number): void {
    this.#physical.ioWrite(port, width, value);
  }

  /** Maps a port window by hand (for handlers that are not devices). */
  mapPorts(base: number, size: number, handler: IoHandler): void {
    this.#ports.claim(base, size, 'test');
    this.#physical.mapPorts(base, size, handler);
  }

  onMappingChange(listener: () => void): () => void {
    return this.#physical.onMappingChange(listener);
  }

  read(address: number, dest: Uint8Array): MemoryStatus {
    return this.#memory.read(address, dest);
  }

  write(address: number, src: Uint8Array): MemoryStatus {
    return this.#memory.write(address, src);
  }

  isRam(address: number, length: number): boolean {
    return this.#memory.isRam(address, length);
  }

  onWrite(hook: DirtyHook): () => void {
    return this.#memory.onWrite(hook);
  }
}
