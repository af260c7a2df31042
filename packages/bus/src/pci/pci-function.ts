import type { AccessWidth, IoHandler, IrqLine, PciFunctionRequest, StateRecord, StateValue } from '@popek/core';
import { booleanField, bytesField } from '@popek/core';
import type { IrqRouter } from '../irq-router.js';
import { pirqOf } from '../pci-irq-routing.js';
import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_IO_MASK,
  PCI_BASE_ADDRESS_MEM_MASK,
  PCI_BASE_ADDRESS_MEM_PREFETCH,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_CACHE_LINE_SIZE,
  PCI_CAPABILITY_LIST,
  PCI_CLASS_PROG,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_WRITABLE,
  PCI_CONFIG_SPACE_SIZE,
  PCI_DEVICE_ID,
  PCI_HEADER_SIZE,
  PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_MULTI_FUNCTION,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_LATENCY_TIMER,
  PCI_REVISION_ID,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_STATUS_INTERRUPT,
  PCI_STATUS_W1C,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
} from './pci-registers.js';

/** Where a function's BARs are decoded: the bus registers and releases their windows. */
export interface PciBarMapper {
  /** Registers a BAR's window at `base` and returns a handle. */
  mapBar(kind: 'io' | 'memory', base: number, size: number, handler: IoHandler, owner: string): number;
  /** Releases a window {@link mapBar} returned. */
  unmapBar(kind: 'io' | 'memory', handle: number): void;
}

/** Power-on values of chipset functions whose command and status registers are not the default. */
export interface PciFunctionDefaults {
  /** The command register after reset (default 0: decoding off). */
  readonly command?: number;
  /** Command bits that always read as one (hard-wired enables of a host bridge). */
  readonly commandFixed?: number;
  /** Command bits the guest may change (default {@link PCI_COMMAND_WRITABLE}). */
  readonly commandWritable?: number;
  /** The status register after reset, besides the capability and interrupt bits. */
  readonly status?: number;
}

/** A BAR as the function decodes it. */
export interface PciBarInfo {
  /** BAR index, 0–5. */
  readonly index: number;
  /** I/O or memory space. */
  readonly kind: 'io' | 'memory';
  /** Size in bytes. */
  readonly size: number;
  /** The address the BAR register holds (type bits removed). */
  readonly address: number;
  /** Where the window is decoded now, or -1 (decoding disabled, address 0 or out of range). */
  readonly mappedAt: number;
}

interface Bar {
  readonly index: number;
  readonly kind: 'io' | 'memory';
  readonly size: number;
  readonly typeBits: number;
  readonly handler: IoHandler;
  handle: number;
  mappedAt: number;
}

interface Capability {
  readonly offset: number;
  readonly id: number;
  readonly next: number;
  readonly body: Uint8Array;
  readonly end: number;
  readonly onWrite: ((offset: number, width: AccessWidth, value: number) => void) | undefined;
}

/** An I/O BAR decodes only below 64 KiB; a memory BAR only below 4 GiB. */
const IO_SPACE_END = 0x1_0000;
const MEMORY_SPACE_END = 0x1_0000_0000;

/** The PCI location `bb:dd.f` of bus 0, for messages. */
export function pciLocation(slot: number, fn: number): string {
  return `00:${slot.toString(16).padStart(2, '0')}.${fn}`;
}

/**
 * One PCI function's configuration space (a type-0 header) and its decoding, as the hardware
 * implements it: read-only identity registers, a command register whose I/O and memory enables
 * switch the BAR windows on and off, status bits that are read-only or write-one-to-clear, BARs
 * that read back their size mask after a write of all ones and move their window when written,
 * a capabilities list, a writable interrupt line and a read-only interrupt pin.
 *
 * Capability bodies are read live from the device's `body` arrays, and writes to them go to the
 * capability's `onWrite`; registers at 0x40 and above outside the capabilities go to the
 * function's `deviceConfig` handler at their configuration-space offsets.
 */
export class PciFunction {
  /** Device number on bus 0. */
  readonly slot: number;
  /** Function number. */
  readonly fn: number;
  /** `slot << 3 | fn`. */
  readonly devfn: number;
  /** Who presents the function (the device id), for messages and window owners. */
  readonly owner: string;
  /** The function's INTx# line (present when it has an interrupt pin). */
  readonly intx: PciIntxLine | undefined;

  readonly #request: PciFunctionRequest;
  readonly #defaults: PciFunctionDefaults;
  readonly #mapper: PciBarMapper;
  readonly #router: IrqRouter | undefined;
  readonly #config = new Uint8Array(PCI_HEADER_SIZE);
  readonly #writable = new Uint8Array(PCI_HEADER_SIZE);
  readonly #clearable = new Uint8Array(PCI_HEADER_SIZE);
  readonly #bars: Bar[] = [];
  readonly #caps: Capability[] = [];
  #multiFunction = false;
  #intxLevel = false;
  #intxSource = -1;

  /**
   * @param slot - device number (0–31)
   * @param fn - function number (0–7)
   * @param request - what the device declared (already validated)
   * @param owner - the device id
   * @param mapper - where BAR windows are registered
   * @param router - where INTx# goes (absent for functions without an interrupt pin)
   * @param defaults - power-on values of chipset functions
   */
  constructor(
    slot: number,
    fn: number,
    request: PciFunctionRequest,
    owner: string,
    mapper: PciBarMapper,
    router: IrqRouter | undefined,
    defaults: PciFunctionDefaults = {},
  ) {
    this.slot = slot;
    this.fn = fn;
    this.devfn = (slot << 3) | fn;
    this.owner = owner;
    this.#request = request;
    this.#defaults = defaults;
    this.#mapper = mapper;
    this.#router = router;

    const commandWritable = defaults.commandWritable ?? PCI_COMMAND_WRITABLE;
    this.#writable[PCI_COMMAND] = commandWritable & 0xff;
    this.#writable[PCI_COMMAND + 1] = commandWritable >>> 8;
    this.#clearable[PCI_STATUS] = PCI_STATUS_W1C & 0xff;
    this.#clearable[PCI_STATUS + 1] = PCI_STATUS_W1C >>> 8;
    this.#writable[PCI_CACHE_LINE_SIZE] = 0xff;
    this.#writable[PCI_LATENCY_TIMER] = 0xff;
    this.#writable[PCI_INTERRUPT_LINE] = 0xff;

    for (const bar of request.bars ?? []) {
      const io = bar.kind === 'io';
      const typeBits = io ? PCI_BASE_ADDRESS_SPACE_IO : bar.prefetchable === true ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0;
      const mask = (~(bar.size - 1) & (io ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK)) >>> 0;
      const at = PCI_BASE_ADDRESS_0 + bar.index * 4;
      for (let i = 0; i < 4; i++) this.#writable[at + i] = (mask >>> (8 * i)) & 0xff;
      this.#bars.push({ index: bar.index, kind: bar.kind, size: bar.size, typeBits, handler: bar.handler, handle: -1, mappedAt: -1 });
    }
    this.#bars.sort((a, b) => a.index - b.index);

    let offset = PCI_HEADER_SIZE;
    const caps = request.capabilities ?? [];
    caps.forEach((cap, i) => {
      const end = offset + 2 + cap.body.length;
      const next = i + 1 < caps.length ? (end + 3) & ~3 : 0;
      this.#caps.push({ offset, id: cap.id, next, body: cap.body, end, onWrite: cap.onWrite });
      offset = next;
    });

    if (request.interruptPin !== 0 && router !== undefined) {
      this.#intxSource = router.addPirqSource(pirqOf(slot, request.interruptPin));
      this.intx = new PciIntxLine(this);
    }
    this.reset();
  }

  /** The interrupt pin (0 none, 1–4 INTA#–INTD#). */
  get interruptPin(): number {
    return this.#request.interruptPin;
  }

  /** The command register. */
  get command(): number {
    return this.#config[PCI_COMMAND]! | (this.#config[PCI_COMMAND + 1]! << 8);
  }

  /** The function's BARs and where they are decoded. */
  get bars(): readonly PciBarInfo[] {
    return this.#bars.map((b) => ({ index: b.index, kind: b.kind, size: b.size, address: this.#barAddress(b), mappedAt: b.mappedAt }));
  }

  /** Marks function 0 of a slot that holds other functions as multi-function (header bit 7). */
  setMultiFunction(): void {
    this.#multiFunction = true;
    this.#config[PCI_HEADER_TYPE]! |= PCI_HEADER_TYPE_MULTI_FUNCTION;
  }

  /** Returns the header to its power-on values: decoding off, BARs at 0, interrupt line 0. */
  reset(): void {
    const r = this.#request;
    const c = this.#config;
    c.fill(0);
    put16(c, PCI_VENDOR_ID, r.vendorId);
    put16(c, PCI_DEVICE_ID, r.deviceId);
    c[PCI_REVISION_ID] = r.revisionId ?? 0;
    c[PCI_CLASS_PROG] = r.classCode & 0xff;
    c[PCI_CLASS_PROG + 1] = (r.classCode >>> 8) & 0xff;
    c[PCI_CLASS_PROG + 2] = (r.classCode >>> 16) & 0xff;
    c[PCI_HEADER_TYPE] = r.multiFunction === true || this.#multiFunction ? PCI_HEADER_TYPE_MULTI_FUNCTION : 0;
    put16(c, PCI_SUBSYSTEM_VENDOR_ID, r.subsystemVendorId ?? 0);
    put16(c, PCI_SUBSYSTEM_ID, r.subsystemId ?? 0);
    put16(c, PCI_COMMAND, (this.#defaults.command ?? 0) | (this.#defaults.commandFixed ?? 0));
    let status = this.#defaults.status ?? 0;
    if (this.#caps.length > 0) {
      status |= PCI_STATUS_CAP_LIST;
      c[PCI_CAPABILITY_LIST] = this.#caps[0]!.offset;
    }
    if (this.#intxLevel) status |= PCI_STATUS_INTERRUPT;
    put16(c, PCI_STATUS, status);
    for (const bar of this.#bars) put32(c, PCI_BASE_ADDRESS_0 + bar.index * 4, bar.typeBits);
    c[PCI_INTERRUPT_PIN] = r.interruptPin;
    this.#refresh();
  }

  /** Reads `width` bytes of configuration space at `reg` (the access lies in one dword). */
  readConfig(reg: number, width: AccessWidth): number {
    const dc = this.#request.deviceConfig;
    if (reg >= PCI_HEADER_SIZE && dc !== undefined && this.#capAt(reg, width) === undefined) {
      return width === 4 ? dc.read(reg, 4) >>> 0 : dc.read(reg, width) & (width === 2 ? 0xffff : 0xff);
    }
    let value = 0;
    for (let i = width - 1; i >= 0; i--) value = value * 256 + this.#readByte(reg + i);
    return value >>> 0;
  }

  /** Writes `width` bytes of configuration space at `reg` (the access lies in one dword). */
  writeConfig(reg: number, width: AccessWidth, value: number): void {
    if (reg >= PCI_HEADER_SIZE) {
      this.#writeDeviceSpecific(reg, width, value);
      return;
    }
    let command = false;
    let bars = false;
    for (let i = 0; i < width; i++) {
      const r = reg + i;
      const b = (value >>> (8 * i)) & 0xff;
      if (r >= PCI_HEADER_SIZE) {
        this.#writeDeviceSpecific(r, 1, b);
        continue;
      }
      const w = this.#writable[r]!;
      let v = (this.#config[r]! & ~w) | (b & w);
      v &= ~(b & this.#clearable[r]!);
      this.#config[r] = v;
      if (r === PCI_COMMAND || r === PCI_COMMAND + 1) command = true;
      else if (r >= PCI_BASE_ADDRESS_0 && r < PCI_BASE_ADDRESS_0 + 24) bars = true;
    }
    if (command) {
      const fixed = this.#defaults.commandFixed ?? 0;
      if (fixed !== 0) put16(this.#config, PCI_COMMAND, this.command | fixed);
      this.#refresh();
      this.#request.onCommand?.(this.command);
    } else if (bars) {
      this.#refreshBars();
    }
  }

  /**
   * Sets write-one-to-clear status bits (a received master abort, a detected parity error), as
   * the function's hardware does when the event happens; the guest clears them by writing ones.
   */
  raiseStatus(bits: number): void {
    const set = bits & PCI_STATUS_W1C;
    this.#config[PCI_STATUS]! |= set & 0xff;
    this.#config[PCI_STATUS + 1]! |= set >>> 8;
  }

  /** Drives INTx# (through the function's {@link PciIntxLine}). */
  setIntx(level: boolean): void {
    this.#intxLevel = level;
    if (level) this.#config[PCI_STATUS]! |= PCI_STATUS_INTERRUPT;
    else this.#config[PCI_STATUS]! &= ~PCI_STATUS_INTERRUPT;
    if (this.#intxSource >= 0) this.#router!.setSource(this.#intxSource, level && (this.#config[PCI_COMMAND + 1]! & (PCI_COMMAND_INTX_DISABLE >>> 8)) === 0);
  }

  /** The level the device drives on INTx#. */
  get intxLevel(): boolean {
    return this.#intxLevel;
  }

  /** The header and the INTx# level: the function's part of the bus snapshot. */
  save(): StateRecord {
    return { header: this.#config.slice(), intx: this.#intxLevel };
  }

  /**
   * Restores the header saved by {@link save} and re-creates the BAR windows it describes (the
   * device's `onCommand` is not called: the device restores its own state).
   *
   * @throws TypeError when the saved header belongs to a different function
   */
  load(state: StateValue): void {
    const header = bytesField(state, 'header');
    if (header.length !== PCI_HEADER_SIZE) throw new TypeError(`snapshot PCI header of ${this.owner} has ${header.length} bytes`);
    for (const r of [PCI_VENDOR_ID, PCI_VENDOR_ID + 1, PCI_DEVICE_ID, PCI_DEVICE_ID + 1, PCI_CLASS_PROG, PCI_CLASS_PROG + 1, PCI_CLASS_PROG + 2]) {
      if (header[r] !== this.#config[r]) throw new TypeError(`snapshot PCI header at ${pciLocation(this.slot, this.fn)} is not ${this.owner}'s`);
    }
    this.#config.set(header);
    this.#intxLevel = booleanField(state, 'intx');
    this.#refreshBars();
  }

  #readByte(r: number): number {
    if (r < PCI_HEADER_SIZE) return this.#config[r]!;
    const cap = this.#capAt(r, 1);
    if (cap !== undefined) return r === cap.offset ? cap.id : r === cap.offset + 1 ? cap.next : (cap.body[r - cap.offset - 2] ?? 0);
    const dc = this.#request.deviceConfig;
    return dc === undefined || r >= PCI_CONFIG_SPACE_SIZE ? 0 : dc.read(r, 1) & 0xff;
  }

  #writeDeviceSpecific(reg: number, width: AccessWidth, value: number): void {
    const cap = this.#capAt(reg, width);
    const dc = this.#request.deviceConfig;
    if (cap === undefined) {
      dc?.write(reg, width, value);
      return;
    }
    if (reg >= cap.offset + 2 && reg + width <= cap.end) {
      cap.onWrite?.(reg - cap.offset - 2, width, value);
      return;
    }
    for (let i = 0; i < width; i++) {
      const r = reg + i;
      const b = (value >>> (8 * i)) & 0xff;
      const c = this.#capAt(r, 1);
      if (c === undefined) dc?.write(r, 1, b);
      else if (r >= c.offset + 2) c.onWrite?.(r - c.offset - 2, 1, b);
      // The ID and next-pointer bytes are read-only.
    }
  }

  /** The capability that `[reg, reg + width)` touches, if any. */
  #capAt(reg: number, width: number): Capability | undefined {
    for (const cap of this.#caps) if (reg < cap.end && reg + width > cap.offset) return cap;
    return undefined;
  }

  #barAddress(bar: Bar): number {
    const raw = get32(this.#config, PCI_BASE_ADDRESS_0 + bar.index * 4);
    return (raw & (bar.kind === 'io' ? PCI_BASE_ADDRESS_IO_MASK : PCI_BASE_ADDRESS_MEM_MASK)) >>> 0;
  }

  /** Applies the command register: INTx# masking and the BAR windows. */
  #refresh(): void {
    if (this.#intxSource >= 0) this.setIntx(this.#intxLevel);
    this.#refreshBars();
  }

  /** Moves each BAR's window to where its register and the command enables say it decodes. */
  #refreshBars(): void {
    const command = this.command;
    for (const bar of this.#bars) {
      const address = this.#barAddress(bar);
      const io = bar.kind === 'io';
      const enabled = (command & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) !== 0;
      // Address 0 never decodes (it is the reset value), nor does a window past the space's end.
      const target = enabled && address !== 0 && address + bar.size <= (io ? IO_SPACE_END : MEMORY_SPACE_END) ? address : -1;
      if (target === bar.mappedAt) continue;
      if (bar.handle >= 0) this.#mapper.unmapBar(bar.kind, bar.handle);
      bar.handle = target >= 0 ? this.#mapper.mapBar(bar.kind, target, bar.size, bar.handler, `${this.owner} (${pciLocation(this.slot, this.fn)}) BAR${bar.index}`) : -1;
      bar.mappedAt = target;
    }
  }
}

/**
 * A PCI function's INTx# as its device sees it: level-triggered; masked by the command
 * register's INTx disable bit and reflected in the status register's interrupt bit.
 */
export class PciIntxLine implements IrqLine {
  /** @param fn - the function whose INTx# this is */
  constructor(private readonly fn: PciFunction) {}

  get level(): boolean {
    return this.fn.intxLevel;
  }

  raise(): void {
    this.fn.setIntx(true);
  }

  lower(): void {
    this.fn.setIntx(false);
  }

  pulse(): void {
    this.fn.setIntx(true);
    this.fn.setIntx(false);
  }

  set(level: boolean): void {
    this.fn.setIntx(level);
  }
}

function put16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
}

function put32(bytes: Uint8Array, at: number, value: number): void {
  for (let i = 0; i < 4; i++) bytes[at + i] = (value >>> (8 * i)) & 0xff;
}

function get32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}
