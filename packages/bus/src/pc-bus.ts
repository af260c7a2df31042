import type {
  A20Gate,
  AccessWidth,
  Counter,
  Device,
  DeviceAttachment,
  DeviceHost,
  DirtyHook,
  GuestMemory,
  IrqLine,
  IrqRequest,
  LifecycleContribution,
  MemoryLayout,
  MemoryRegion,
  MemoryRegionKind,
  MmioWindowRequest,
  PciFunctionRequest,
  PhysicalBus,
  WriteTracer,
  WriteTracing,
  PortWindowRequest,
  ResourceClaim,
  Snapshotable,
  StateValue,
} from '@popek/core';
import { HostArena, MemoryStatus, Metrics, MetricsRegistry, PopekError, ResourceMap, booleanField, bytesField, field, inject, injectable, optional } from '@popek/core';
import { BusOptions, resolveBusOptions, type ResolvedBusOptions } from './bus-options.js';
import { FramePool } from './frame-pool.js';
import { IrqRouter, IrqSinkProvider, RoutedIrqLine, ISA_IRQ_COUNT } from './irq-router.js';
import {
  ADDRESS_SPACE_END,
  APIC_RESERVED_BASE,
  BIOS_AREA_BASE,
  FLOATING_PORT_BASE,
  PAGE_MASK,
  PAGE_SHIFT,
  PAGE_SIZE,
  VGA_WINDOW_BASE,
  VGA_WINDOW_END,
  hex,
} from './memory-map.js';
import { MmioSpace } from './mmio-space.js';
import { P2M_HFN_MASK, P2M_RAM, P2M_READ_SLOW, P2M_ROM, P2M_BALLOONED, P2M_WRITE_SLOW, P2mTable } from './p2m-table.js';
import { I440fxHostBridge } from './pci/i440fx-host-bridge.js';
import { PciFunction, pciLocation, type PciBarMapper, type PciFunctionDefaults } from './pci/pci-function.js';
import { PciHost } from './pci/pci-host.js';
import { PCI_BASE_ADDRESS_0, PCI_COMMAND, PCI_COMMAND_IO, PCI_COMMAND_MEMORY, PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_DATA_PORT, PCI_CONFIG_SPACE_SIZE, PCI_FUNCTION_COUNT, PCI_HEADER_SIZE, PCI_INTERRUPT_LINE, PCI_SLOT_COUNT } from './pci/pci-registers.js';
import { Piix3IsaBridge } from './pci/piix3-isa-bridge.js';
import { PciIrqRouting, PciIrqRoutingTable } from './pci-irq-routing.js';
import { ALL_WIDTHS, PortSpace, WindowPriority, type WidthMask } from './port-space.js';

/**
 * A port window request with the widths its handler takes directly. Core's
 * `PortWindowRequest` has no such field yet; the bus honours it when present, and splits
 * wider accesses into halves (as an ISA bus splits a 16-bit cycle for an 8-bit device).
 */
export interface BusPortWindowRequest extends PortWindowRequest {
  /** Widths the handler takes (default: all). */
  readonly widths?: readonly AccessWidth[];
}

/**
 * The order in which a device that asks for an IRQ without a line gets one: lines no standard
 * PC device uses first, the PCI lines last.
 */
const FLOATING_IRQ_ORDER: readonly number[] = [5, 7, 9, 3, 4, 6, 12, 14, 15, 10, 11];

/** The state-schema name of the bus. */
export const PC_BUS_STATE_TYPE = '@popek/bus:PcBus';

/**
 * The PC's bus: guest-physical memory (RAM in a frame pool behind a P2M table, ROM, MMIO windows,
 * holes), the 64 Ki I/O ports, PCI configuration mechanism #1 with an i440FX-class host bridge
 * and a PIIX3-class ISA bridge, the interrupt wiring from devices to the PIC, DMA access to guest
 * memory, the A20 gate, and the device host that assigns every device its resources.
 *
 * The CPU holds direct references to {@link PcBus.ram} and calls {@link PcBus.ramPageOffset}
 * once per page (its TLB caches the answer); everything else reaches the slow paths, which are
 * table lookups. Firmware's duties at reset (BAR placement, decode enables, PIRQ routing and
 * interrupt line registers) are done by {@link PcBus.reset}, which the machine calls through
 * its lifecycle hook.
 */
@injectable()
export class PcBus implements PhysicalBus, WriteTracing, DeviceHost, GuestMemory, A20Gate, MemoryLayout, Snapshotable, LifecycleContribution {
  readonly snapshotId = 'bus';
  readonly stateType = PC_BUS_STATE_TYPE;
  readonly stateVersion = 1;

  /** The options in force. */
  readonly options: ResolvedBusOptions;
  /** The frame pool's bytes: all guest RAM. */
  readonly ram: Uint8Array;
  /** The frame pool. */
  readonly pool: FramePool;
  /** The P2M table (write tracing, dirty logging, sharing and ballooning live here). */
  readonly p2m: P2mTable;
  /** Port I/O dispatch. */
  readonly ports: PortSpace;
  /** MMIO dispatch. */
  readonly mmio: MmioSpace;
  /** The interrupt wiring. */
  readonly irqs: IrqRouter;
  /** PCI configuration mechanism #1 and the functions of bus 0. */
  readonly pci: PciHost;
  /** The PCI interrupt routing firmware programs. */
  readonly routing: PciIrqRouting;
  /** The host bridge's registers (00:00.0). */
  readonly hostBridge: I440fxHostBridge;
  /** The ISA bridge's registers (00:01.0), including the PIRQ routers. */
  readonly isaBridge: Piix3IsaBridge;

  a20Mask = 0xffff_ffff;
  #a20GfnMask = 0xf_ffff;
  readonly #entries: Uint32Array;
  readonly #pageCount: number;
  readonly #listeners = new Set<() => void>();
  readonly #hooks = new Set<DirtyHook>();
  readonly #portClaims = new ResourceMap('I/O port', 0x1_0000);
  readonly #mmioClaims = new ResourceMap('MMIO', ADDRESS_SPACE_END);
  readonly #irqClaims = new ResourceMap('IRQ line', ISA_IRQ_COUNT);
  #barClaims: { map: ResourceMap; claim: ResourceClaim }[] = [];
  readonly #attached = new Set<string>();
  readonly #dmaRejected: Counter;
  readonly #barMapper: PciBarMapper = {
    mapBar: (kind, base, size, handler, owner) =>
      kind === 'io' ? this.ports.add(base, size, handler, owner, ALL_WIDTHS, WindowPriority.PciBar) : this.mmio.add(base, size, handler, owner, WindowPriority.PciBar),
    unmapBar: (kind, handle) => (kind === 'io' ? this.ports.remove(handle) : this.mmio.remove(handle)),
  };

  /**
   * @param options - memory size and PCI layout
   * @param metrics - the machine's metrics (a private registry when absent)
   * @param sinks - where the interrupt controller is found (IRQ lines go nowhere when absent)
   * @param routing - the PCI interrupt routing (computed from `options` when absent)
   * @param arena - the host arena the frame pool is taken from (a buffer of the pool's own when
   * absent)
   * @throws `PopekError` for invalid options, or when the host cannot allocate the RAM
   */
  constructor(
    @inject(BusOptions) @optional() options: BusOptions | undefined,
    @inject(Metrics) @optional() metrics?: MetricsRegistry,
    @inject(IrqSinkProvider) @optional() sinks?: IrqSinkProvider,
    @inject(PciIrqRouting) @optional() routing?: PciIrqRouting,
    @inject(HostArena) @optional() arena?: HostArena,
  ) {
    this.options = resolveBusOptions(options);
    const registry = metrics ?? new MetricsRegistry();
    this.#pageCount = this.options.memoryBytes >>> PAGE_SHIFT;
    this.pool = new FramePool(this.#pageCount, this.options.sharedMemory, arena);
    this.ram = this.pool.bytes;
    this.p2m = new P2mTable(this.pool, this.#pageCount, () => this.#notify(), registry);
    this.#entries = this.p2m.entries;
    this.p2m.initIdentity((gfn) => gfn < VGA_WINDOW_BASE >>> PAGE_SHIFT || gfn >= VGA_WINDOW_END >>> PAGE_SHIFT);
    this.ports = new PortSpace(registry);
    this.mmio = new MmioSpace(registry);
    this.irqs = new IrqRouter(sinks ?? { get: () => undefined });
    this.routing = routing ?? new PciIrqRoutingTable(this.options);
    this.pci = new PciHost();
    this.#dmaRejected = registry.counter('bus.dma.rejected', 'DMA accesses refused (out of range or not RAM)');

    this.#mmioClaims.claim(0, VGA_WINDOW_BASE, 'RAM');
    this.#mmioClaims.claim(BIOS_AREA_BASE, this.options.memoryBytes - BIOS_AREA_BASE, 'RAM');
    this.#irqClaims.claim(2, 1, 'the PIC cascade');

    // CONFIG_ADDRESS answers dword accesses only; the other widths at 0xCF8–0xCFB pass through,
    // so only its first port is claimed (the PIIX3 reset control register may sit at 0xCF9).
    this.#portClaims.claim(PCI_CONFIG_ADDRESS_PORT, 1, 'PCI CONFIG_ADDRESS');
    this.ports.add(PCI_CONFIG_ADDRESS_PORT, 4, this.pci.configAddress, 'PCI CONFIG_ADDRESS', 4, WindowPriority.HostBridge);
    this.#portClaims.claim(PCI_CONFIG_DATA_PORT, 4, 'PCI CONFIG_DATA');
    this.ports.add(PCI_CONFIG_DATA_PORT, 4, this.pci.configData, 'PCI CONFIG_DATA', ALL_WIDTHS, WindowPriority.HostBridge);

    this.hostBridge = new I440fxHostBridge(this.options.memoryBytes);
    this.isaBridge = new Piix3IsaBridge(this.irqs);
    this.#addPciFunction('i440fx', this.hostBridge.request(), 0, 0, this.hostBridge.defaults());
    this.#addPciFunction('piix3', this.isaBridge.request(), 1, 0, this.isaBridge.defaults());
  }

  // --- PhysicalBus: the CPU's view ------------------------------------------------------------------

  ramPageOffset(gfn: number, write: boolean): number {
    gfn &= this.#a20GfnMask;
    if (gfn >= this.#pageCount) return -1;
    const e = this.#entries[gfn]!;
    return (e & (write ? P2M_WRITE_SLOW : P2M_READ_SLOW)) === P2M_RAM ? (e & P2M_HFN_MASK) << PAGE_SHIFT : -1;
  }

  readPhysical(address: number, width: AccessWidth): number {
    address = (address & this.a20Mask) >>> 0;
    if ((address & PAGE_MASK) + width > PAGE_SIZE) {
      const half = (width >> 1) as AccessWidth;
      const lo = this.readPhysical(address, half);
      const hi = this.readPhysical((address + half) >>> 0, half);
      return (lo + hi * (half === 2 ? 0x1_0000 : 0x100)) >>> 0;
    }
    const gfn = address >>> PAGE_SHIFT;
    if (gfn < this.#pageCount && (this.#entries[gfn]! & P2M_RAM) !== 0) return this.p2m.read(address, width);
    return this.mmio.read(address, width);
  }

  writePhysical(address: number, width: AccessWidth, value: number): void {
    address = (address & this.a20Mask) >>> 0;
    if ((address & PAGE_MASK) + width > PAGE_SIZE) {
      const half = (width >> 1) as AccessWidth;
      this.writePhysical(address, half, value);
      this.writePhysical((address + half) >>> 0, half, half === 2 ? value >>> 16 : value >>> 8);
      return;
    }
    const gfn = address >>> PAGE_SHIFT;
    if (gfn < this.#pageCount && (this.#entries[gfn]! & P2M_RAM) !== 0) {
      this.p2m.write(address, width, value);
      return;
    }
    this.mmio.write(address, width, value);
  }

  ioRead(port: number, width: AccessWidth): number {
    return this.ports.read(port, width);
  }

  ioWrite(port: number, width: AccessWidth, value: number): void {
    this.ports.write(port, width, value);
  }

  onMappingChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }

  // --- WriteTracing ---------------------------------------------------------------------------------

  trace(gfn: number, tracer: WriteTracer): boolean {
    return this.p2m.trace(gfn, tracer);
  }

  untrace(gfn: number, tracer: WriteTracer): void {
    this.p2m.untrace(gfn, tracer);
  }

  // --- A20Gate ---------------------------------------------------------------------------------------

  /** Whether address line 20 passes through (open at power-on: there is no BIOS to open it). */
  get a20Enabled(): boolean {
    return this.a20Mask === 0xffff_ffff;
  }

  setA20(enabled: boolean): void {
    if (enabled === this.a20Enabled) return;
    this.a20Mask = enabled ? 0xffff_ffff : 0xffef_ffff;
    this.#a20GfnMask = this.a20Mask >>> PAGE_SHIFT;
    this.#notify();
  }

  // --- GuestMemory: DMA -------------------------------------------------------------------------------

  /** One past the highest guest-physical address that may be RAM: the RAM size. */
  get limit(): number {
    return this.options.memoryBytes;
  }

  read(address: number, dest: Uint8Array): MemoryStatus {
    const length = dest.length;
    const status = this.#check(address, length, false);
    if (status !== MemoryStatus.Ok) {
      this.#dmaRejected.value++;
      return status;
    }
    for (let done = 0; done < length; ) {
      const a = address + done;
      const e = this.#entries[a >>> PAGE_SHIFT]!;
      const n = Math.min(PAGE_SIZE - (a & PAGE_MASK), length - done);
      if ((e & P2M_BALLOONED) !== 0) dest.fill(0, done, done + n);
      else {
        const at = ((e & P2M_HFN_MASK) << PAGE_SHIFT) + (a & PAGE_MASK);
        dest.set(this.ram.subarray(at, at + n), done);
      }
      done += n;
    }
    return MemoryStatus.Ok;
  }

  write(address: number, src: Uint8Array): MemoryStatus {
    const length = src.length;
    const status = this.#check(address, length, true);
    if (status !== MemoryStatus.Ok) {
      this.#dmaRejected.value++;
      return status;
    }
    for (let done = 0; done < length; ) {
      const a = address + done;
      const gfn = a >>> PAGE_SHIFT;
      const n = Math.min(PAGE_SIZE - (a & PAGE_MASK), length - done);
      const page = this.p2m.prepareWrite(gfn);
      // Only a frame pool shared with other machines can run dry; the rest of the copy is dropped.
      if (page < 0) return MemoryStatus.NotRam;
      this.ram.set(src.subarray(done, done + n), page + (a & PAGE_MASK));
      this.p2m.afterWrite(gfn, a, n);
      done += n;
    }
    if (length > 0) for (const hook of this.#hooks) hook(address, length);
    return MemoryStatus.Ok;
  }

  /** Whether `[address, address + length)` is writable RAM (ROM, holes and MMIO are not). */
  isRam(address: number, length: number): boolean {
    return this.#check(address, length, true) === MemoryStatus.Ok;
  }

  onWrite(hook: DirtyHook): () => void {
    this.#hooks.add(hook);
    return () => {
      this.#hooks.delete(hook);
    };
  }

  #check(address: number, length: number, write: boolean): MemoryStatus {
    if (!Number.isSafeInteger(address) || !Number.isSafeInteger(length) || address < 0 || length < 0) return MemoryStatus.OutOfRange;
    if (address + length > ADDRESS_SPACE_END || address + length > this.options.memoryBytes) return MemoryStatus.OutOfRange;
    if (length === 0) return MemoryStatus.Ok;
    const last = (address + length - 1) >>> PAGE_SHIFT;
    const forbidden = write ? P2M_RAM | P2M_ROM : P2M_RAM;
    for (let gfn = address >>> PAGE_SHIFT; gfn <= last; gfn++) {
      if ((this.#entries[gfn]! & forbidden) !== P2M_RAM) return MemoryStatus.NotRam;
    }
    return MemoryStatus.Ok;
  }

  // --- ROM ---------------------------------------------------------------------------------------------

  /**
   * Makes the whole pages of `[address, address + size)` read-only ROM (guest writes ignored and
   * counted in `bus.rom.writes_ignored`), or RAM again.
   *
   * @throws `PopekError` `memory-region-invalid` unless the range is page-aligned RAM
   */
  setReadOnly(address: number, size: number, readOnly: boolean): void {
    this.#requireRamPages(address, size);
    for (let gfn = address >>> PAGE_SHIFT; gfn < (address + size) >>> PAGE_SHIFT; gfn++) this.p2m.setReadOnly(gfn, readOnly);
  }

  /**
   * Firmware's way to install a ROM image: copies `bytes` to `address` (page-aligned RAM) and
   * makes the pages it covers read-only.
   *
   * @throws `PopekError` `memory-region-invalid` unless the range is page-aligned RAM
   */
  installRom(address: number, bytes: Uint8Array): void {
    const size = Math.ceil(bytes.length / PAGE_SIZE) * PAGE_SIZE;
    this.#requireRamPages(address, size);
    this.setReadOnly(address, size, false);
    this.write(address, bytes);
    this.setReadOnly(address, size, true);
  }

  #requireRamPages(address: number, size: number): void {
    const ok =
      Number.isInteger(address) && Number.isInteger(size) && size > 0 && address >= 0 && (address & PAGE_MASK) === 0 && size % PAGE_SIZE === 0 && address + size <= this.options.memoryBytes;
    if (ok) {
      for (let gfn = address >>> PAGE_SHIFT; gfn < (address + size) >>> PAGE_SHIFT; gfn++) {
        if (!this.p2m.isRam(gfn)) throw new PopekError('memory-region-invalid', `The range ${hex(address)}+${hex(size)} includes ${hex(gfn << PAGE_SHIFT)}, which is not RAM.`);
      }
      return;
    }
    throw new PopekError('memory-region-invalid', `The range ${hex(address)}+${hex(size)} is not a whole number of 4 KiB pages inside RAM.`);
  }

  // --- MemoryLayout ------------------------------------------------------------------------------------

  /** Bytes of guest RAM and ROM (the RAM size less the VGA hole). */
  get ramBytes(): number {
    return this.options.memoryBytes - (VGA_WINDOW_END - VGA_WINDOW_BASE);
  }

  /**
   * RAM and ROM runs as the P2M holds them, the VGA window as reserved, and the PCI memory window
   * up to 4 GiB (BARs, floating MMIO, APICs) as reserved. Unlisted space is unassigned.
   */
  regions(): readonly MemoryRegion[] {
    const out: MemoryRegion[] = [];
    const push = (base: number, size: number, kind: MemoryRegionKind): void => {
      const last = out[out.length - 1];
      if (last !== undefined && last.kind === kind && last.base + last.size === base) out[out.length - 1] = { base: last.base, size: last.size + size, kind };
      else out.push({ base, size, kind });
    };
    for (let gfn = 0; gfn < this.#pageCount; gfn++) {
      const e = this.#entries[gfn]!;
      push(gfn << PAGE_SHIFT, PAGE_SIZE, (e & P2M_RAM) === 0 ? 'reserved' : (e & P2M_ROM) !== 0 ? 'rom' : 'ram');
    }
    push(this.options.pciMemoryBase, ADDRESS_SPACE_END - this.options.pciMemoryBase, 'reserved');
    return out;
  }

  // --- DeviceHost -----------------------------------------------------------------------------------

  /**
   * Allocates what `device` declares — fixed ports, MMIO ranges and IRQs checked against what is
   * taken, floating ones placed in free space, its PCI function at its slot or the next free one —
   * registers its windows and returns what it got. Nothing is kept when a request fails.
   *
   * @throws `PopekError` `resource-conflict` naming both owners when a fixed resource is
   *   taken; `resource-exhausted` when no free range is left; `device-resources-invalid` when the
   *   declaration itself is malformed
   */
  attachDevice(device: Device): DeviceAttachment {
    const id = device.id;
    if (typeof id !== 'string' || id.length === 0) throw new PopekError('device-resources-invalid', 'A device of the machine has no id.');
    if (this.#attached.has(id)) throw new PopekError('device-resources-invalid', `Two devices of the machine have the id '${id}'. Give each device its own id.`);
    const res = device.resources();
    const claims: { map: ResourceMap; claim: ResourceClaim }[] = [];
    const irqClaims: ResourceClaim[] = [];
    try {
      const portWindows = (res.ports ?? []).map((req) => {
        const widths = this.#checkWindow(id, 'port', req, 0x1_0000);
        const owner = `${id}/${req.name}`;
        const claim =
          req.base !== undefined
            ? this.#portClaims.claim(req.base, req.size, owner)
            : this.#portClaims.allocate(req.size, req.alignment ?? roundUpPow2(req.size), owner, FLOATING_PORT_BASE, this.options.pciIoBase);
        claims.push({ map: this.#portClaims, claim });
        return { req, claim, widths };
      });
      const mmioWindows = (res.mmio ?? []).map((req) => {
        this.#checkWindow(id, 'MMIO', req, ADDRESS_SPACE_END);
        const owner = `${id}/${req.name}`;
        const claim =
          req.base !== undefined
            ? this.#mmioClaims.claim(req.base, req.size, owner)
            : this.#mmioClaims.allocate(req.size, req.alignment ?? PAGE_SIZE, owner, this.options.pciMemoryBase, APIC_RESERVED_BASE);
        claims.push({ map: this.#mmioClaims, claim });
        return { req, claim };
      });
      const irqLines = (res.irqs ?? []).map((req) => {
        const claim = this.#claimIrq(id, req);
        irqClaims.push(claim);
        return { req, line: claim.base };
      });
      const pci = res.pci === undefined ? undefined : this.#placePci(id, res.pci);
      checkUniqueNames(id, [...portWindows.map((w) => w.req.name), ...mmioWindows.map((w) => w.req.name)], 'window');
      checkUniqueNames(id, [...irqLines.map((l) => l.req.name), ...(pci !== undefined && res.pci!.interruptPin !== 0 ? ['intx'] : [])], 'IRQ line');

      // Everything is claimed: register (nothing below can fail).
      const ports: Record<string, number> = {};
      const mmio: Record<string, number> = {};
      const irqs: Record<string, IrqLine> = {};
      for (const { req, claim, widths } of portWindows) {
        this.ports.add(claim.base, claim.size, req.handler, claim.owner, widths);
        ports[req.name] = claim.base;
      }
      for (const { req, claim } of mmioWindows) {
        this.mmio.add(claim.base, claim.size, req.handler, claim.owner);
        mmio[req.name] = claim.base;
      }
      for (const { req, line } of irqLines) irqs[req.name] = new RoutedIrqLine(this.irqs, this.irqs.addIsaSource(line), line);
      if (pci !== undefined) {
        const fn = this.#addPciFunction(id, res.pci!, pci.slot, pci.fn, {});
        if (fn.intx !== undefined) irqs['intx'] = fn.intx;
      }
      this.#attached.add(id);
      return res.dma === true ? { ports, mmio, irqs, memory: this } : { ports, mmio, irqs };
    } catch (error) {
      for (const { map, claim } of claims) map.release(claim);
      for (const claim of irqClaims) this.#irqClaims.release(claim);
      throw error;
    }
  }

  #checkWindow(id: string, space: string, req: PortWindowRequest | MmioWindowRequest, limit: number): WidthMask {
    const name = typeof req.name === 'string' && req.name.length > 0 ? req.name : undefined;
    const problem =
      name === undefined
        ? 'has no name'
        : !Number.isInteger(req.size) || req.size < 1 || req.size > limit
          ? `has size ${String(req.size)}`
          : req.base !== undefined && (!Number.isInteger(req.base) || req.base < 0 || req.base + req.size > limit)
            ? `has base ${String(req.base)}`
            : req.alignment !== undefined && (!Number.isInteger(req.alignment) || req.alignment < 1 || (req.alignment & (req.alignment - 1)) !== 0)
              ? `has alignment ${String(req.alignment)}, which is not a power of two`
              : typeof req.handler?.read !== 'function' || typeof req.handler?.write !== 'function'
                ? 'has no handler'
                : undefined;
    if (problem !== undefined) throw new PopekError('device-resources-invalid', `Device '${id}' declares a ${space} window '${name ?? '?'}' that ${problem}.`);
    const widths = (req as BusPortWindowRequest).widths;
    if (widths === undefined) return ALL_WIDTHS;
    let mask = 0;
    for (const w of widths) if (w === 1 || w === 2 || w === 4) mask |= w;
    if ((mask & 1) === 0) throw new PopekError('device-resources-invalid', `Device '${id}' declares port window '${name!}' without byte accesses; every window must take bytes.`);
    return mask;
  }

  #claimIrq(id: string, req: IrqRequest): ResourceClaim {
    const owner = `${id}/${typeof req.name === 'string' ? req.name : '?'}`;
    if (typeof req.name !== 'string' || req.name.length === 0) throw new PopekError('device-resources-invalid', `Device '${id}' declares an IRQ line without a name.`);
    if (req.line !== undefined) {
      if (!Number.isInteger(req.line) || req.line < 0 || req.line >= ISA_IRQ_COUNT) {
        throw new PopekError('device-resources-invalid', `${owner} asks for IRQ ${String(req.line)}; ISA IRQs are 0–15.`);
      }
      const holder = this.#irqClaims.find(req.line);
      if (holder !== undefined) throw new PopekError('resource-conflict', `${owner} asks for IRQ ${req.line}, which ${holder.owner} already uses.`);
      return this.#irqClaims.claim(req.line, 1, owner);
    }
    const pciIrqs = new Set(this.routing.pirqIrqs);
    const order = [...FLOATING_IRQ_ORDER.filter((l) => !pciIrqs.has(l)), ...FLOATING_IRQ_ORDER.filter((l) => pciIrqs.has(l))];
    const line = order.find((l) => this.#irqClaims.find(l) === undefined);
    if (line === undefined) throw new PopekError('resource-exhausted', `No free ISA IRQ is left for ${owner}.`);
    return this.#irqClaims.claim(line, 1, owner);
  }

  #placePci(id: string, req: PciFunctionRequest): { slot: number; fn: number } {
    const bad = (what: string): PopekError => new PopekError('device-resources-invalid', `Device '${id}' declares a PCI function whose ${what}.`);
    const u16 = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff;
    if (!u16(req.vendorId) || req.vendorId === 0xffff) throw bad(`vendor ID ${String(req.vendorId)} is not valid`);
    if (!u16(req.deviceId)) throw bad(`device ID ${String(req.deviceId)} is not valid`);
    if (req.revisionId !== undefined && (!Number.isInteger(req.revisionId) || req.revisionId < 0 || req.revisionId > 0xff)) throw bad('revision ID is not a byte');
    if (!Number.isInteger(req.classCode) || req.classCode < 0 || req.classCode > 0xff_ffff) throw bad('class code is not 24 bits');
    if ((req.subsystemVendorId !== undefined && !u16(req.subsystemVendorId)) || (req.subsystemId !== undefined && !u16(req.subsystemId))) throw bad('subsystem IDs are not 16 bits');
    if (![0, 1, 2, 3, 4].includes(req.interruptPin)) throw bad(`interrupt pin ${String(req.interruptPin)} is not 0–4`);
    const fn = req.function ?? 0;
    if (!Number.isInteger(fn) || fn < 0 || fn >= PCI_FUNCTION_COUNT) throw bad(`function number ${String(fn)} is not 0–7`);
    if (req.slot !== undefined && (!Number.isInteger(req.slot) || req.slot < 0 || req.slot >= PCI_SLOT_COUNT)) throw bad(`slot ${String(req.slot)} is not 0–31`);
    const indices = new Set<number>();
    for (const bar of req.bars ?? []) {
      if (!Number.isInteger(bar.index) || bar.index < 0 || bar.index > 5 || indices.has(bar.index)) throw bad(`BAR index ${String(bar.index)} is not 0–5 or is repeated`);
      indices.add(bar.index);
      const pow2 = Number.isInteger(bar.size) && bar.size > 0 && bar.size <= 0x8000_0000 && (bar.size & (bar.size - 1)) === 0;
      if (bar.kind === 'io') {
        // PCI 3.0 §6.2.5.1: an I/O BAR takes at most 256 bytes.
        if (!pow2 || bar.size < 4 || bar.size > 256) throw bad(`I/O BAR ${bar.index} size ${String(bar.size)} is not a power of two from 4 to 256`);
      } else if (bar.kind === 'memory') {
        if (!pow2 || bar.size < 16) throw bad(`memory BAR ${bar.index} size ${String(bar.size)} is not a power of two from 16 to 2 GiB`);
      } else {
        throw bad(`BAR ${bar.index} kind is neither 'io' nor 'memory'`);
      }
      if (typeof bar.handler?.read !== 'function' || typeof bar.handler?.write !== 'function') throw bad(`BAR ${bar.index} has no handler`);
    }
    let end = PCI_HEADER_SIZE;
    for (const cap of req.capabilities ?? []) {
      if (!Number.isInteger(cap.id) || cap.id < 0 || cap.id > 0xff || !(cap.body instanceof Uint8Array)) throw bad('capability is malformed');
      end = ((end + 3) & ~3) + 2 + cap.body.length;
    }
    if (end > PCI_CONFIG_SPACE_SIZE) throw bad('capabilities do not fit in configuration space');

    if (req.slot !== undefined) {
      const holder = this.pci.functionAt(req.slot, fn);
      if (holder !== undefined) {
        throw new PopekError('resource-conflict', `${id} asks for PCI ${pciLocation(req.slot, fn)}, which ${holder.owner} already occupies.`);
      }
      return { slot: req.slot, fn };
    }
    for (let slot = 0; slot < PCI_SLOT_COUNT; slot++) if (!this.pci.slotInUse(slot)) return { slot, fn };
    throw new PopekError('resource-exhausted', `No free PCI slot is left on bus 0 for ${id}.`);
  }

  #addPciFunction(owner: string, req: PciFunctionRequest, slot: number, fn: number, defaults: PciFunctionDefaults): PciFunction {
    const f = new PciFunction(slot, fn, req, owner, this.#barMapper, this.irqs, defaults);
    const multi = this.pci.slotInUse(slot);
    this.pci.add(f);
    if (multi || fn !== 0) {
      this.pci.functionAt(slot, 0)?.setMultiFunction();
    }
    return f;
  }

  // --- Machine reset: the firmware's duties ------------------------------------------------------------

  /** The lifecycle hook: the bus resolves the interrupt controller once everything is attached. */
  onBuild(): void {
    this.irqs.resolveSink();
  }

  /** The lifecycle hook: see {@link PcBus.reset}. */
  onReset(): void {
    this.reset();
  }

  /**
   * Machine reset, then what a PC BIOS would do before the OS runs (there is no BIOS): every PCI
   * function back to power-on, then BARs placed (I/O from `pciIoBase`, memory from
   * `pciMemoryBase`, each aligned to its size, memory BARs to at least a page, largest first),
   * I/O and memory decoding enabled where a function has such BARs, PIRQA–D routed to
   * `pirqIrqs` and each function's interrupt line register set to the IRQ its pin reaches.
   * RAM, ROM marks and the A20 gate are left as they are (a warm reset keeps memory; the devices
   * that drive A20 reset it themselves).
   *
   * @throws `PopekError` `resource-exhausted` when the BARs do not fit their windows
   */
  reset(): void {
    this.pci.reset();
    this.hostBridge.reset();
    this.isaBridge.reset();

    for (const { map, claim } of this.#barClaims) map.release(claim);
    this.#barClaims = [];
    const bars = this.pci.functions.flatMap((fn) => fn.bars.map((bar) => ({ fn, bar })));
    bars.sort((a, b) => b.bar.size - a.bar.size || a.fn.devfn - b.fn.devfn || a.bar.index - b.bar.index);
    for (const { fn, bar } of bars) {
      const owner = `${fn.owner} (${pciLocation(fn.slot, fn.fn)}) BAR${bar.index}`;
      const io = bar.kind === 'io';
      const map = io ? this.#portClaims : this.#mmioClaims;
      const claim = io
        ? map.allocate(bar.size, bar.size, owner, this.options.pciIoBase, 0x1_0000)
        : map.allocate(bar.size, Math.max(bar.size, PAGE_SIZE), owner, this.options.pciMemoryBase, APIC_RESERVED_BASE);
      this.#barClaims.push({ map, claim });
      fn.writeConfig(PCI_BASE_ADDRESS_0 + bar.index * 4, 4, claim.base);
    }
    for (const fn of this.pci.functions) {
      let command = fn.command;
      for (const bar of fn.bars) command |= bar.kind === 'io' ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
      if (command !== fn.command) fn.writeConfig(PCI_COMMAND, 2, command);
    }
    this.hostBridge.initialize();
    this.routing.pirqIrqs.forEach((irq, pirq) => this.isaBridge.routePirq(pirq, irq));
    for (const fn of this.pci.functions) {
      if (fn.interruptPin !== 0) fn.writeConfig(PCI_INTERRUPT_LINE, 1, this.routing.irqOf(fn.slot, fn.interruptPin));
    }
  }

  // --- Snapshots ----------------------------------------------------------------------------------------

  /**
   * RAM (frames in use that are not all zeros), the P2M, the A20 gate, the PCI headers, the
   * bridges' registers and the interrupt sources' levels.
   */
  saveState(): StateValue {
    return {
      a20: this.a20Enabled,
      memory: this.p2m.save(),
      pci: this.pci.save(),
      hostBridge: this.hostBridge.registers.bytes.slice(),
      isaBridge: this.isaBridge.registers.bytes.slice(),
      irqLevels: this.irqs.saveLevels(),
    };
  }

  /**
   * Loads what {@link saveState} returned into a bus built with the same options and devices.
   * Mapping-change listeners are told (cached host offsets are stale); the interrupt controller is
   * not driven (it restores its own input state).
   *
   * @throws TypeError when the state does not fit this machine
   */
  loadState(state: StateValue): void {
    const a20 = booleanField(state, 'a20');
    const memory = field(state, 'memory');
    const hostBridge = bytesField(state, 'hostBridge');
    const isaBridge = bytesField(state, 'isaBridge');
    const pci = field(state, 'pci');
    const irqLevels = bytesField(state, 'irqLevels');
    if (irqLevels.length !== this.irqs.sourceCount) throw new TypeError(`snapshot has ${irqLevels.length} interrupt sources; this machine has ${this.irqs.sourceCount}`);
    this.a20Mask = a20 ? 0xffff_ffff : 0xffef_ffff;
    this.#a20GfnMask = this.a20Mask >>> PAGE_SHIFT;
    // Loading the P2M tells the mapping listeners (once), A20 included.
    this.p2m.load(memory);
    this.hostBridge.registers.load(hostBridge);
    this.isaBridge.registers.load(isaBridge);
    this.pci.load(pci);
    this.irqs.restore(irqLevels, this.isaBridge.routes());
  }
}

function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function checkUniqueNames(id: string, names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new PopekError('device-resources-invalid', `Device '${id}' declares two ${what}s named '${name}'.`);
    seen.add(name);
  }
}
