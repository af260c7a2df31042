/*
 * Test fixtures: synthetic boot images built field by field, a fake CPU that records what the
 * loaders set, and PC-shaped memory layouts.
 */
import {
  FlatGuestMemory,
  MemoryStatus,
  type BootProcessorState,
  type BootRegisters,
  type DirtyHook,
  type GuestMemory,
  type MemoryLayout,
  type MemoryRegion,
  type SegmentName,
  type SegmentState,
} from '@popek/core';

/** Options of a synthetic bzImage; every header field can be chosen. */
export interface BzImageSpec {
  protocol?: number;
  setupSects?: number;
  loadFlags?: number;
  payload?: Uint8Array;
  /** syssize in 16-byte paragraphs; default: the payload's length rounded up. */
  syssize?: number;
  relocatable?: boolean;
  kernelAlignment?: number;
  prefAddress?: number;
  initSize?: number;
  initrdAddrMax?: number;
  cmdlineSize?: number;
  xloadFlags?: number;
  bootFlag?: number;
  magic?: number;
  /** The rel8 of the jump at 0x200; default makes the header end at 0x26C. */
  jump?: number;
  kernelVersion?: string;
  /** Bytes dropped from the end of the file (to make it truncated). */
  truncateBy?: number;
}

/** Builds a bzImage: boot sector + setup sectors with the header, then the payload. */
export function buildBzImage(spec: BzImageSpec = {}): Uint8Array {
  const setupSects = spec.setupSects ?? 4;
  const realSetup = setupSects === 0 ? 4 : setupSects;
  const setupBytes = (realSetup + 1) * 512;
  const payload = spec.payload ?? patternBytes(0x3000, 7);
  const paddedPayload = Math.ceil(payload.length / 16) * 16;
  const file = new Uint8Array(setupBytes + paddedPayload);
  const v = new DataView(file.buffer);
  v.setUint8(0x1ef, 0xff); // the image's sentinel byte, which loaders must not copy
  v.setUint8(0x1f1, setupSects);
  v.setUint32(0x1f4, spec.syssize ?? paddedPayload / 16, true);
  v.setUint16(0x1fe, spec.bootFlag ?? 0xaa55, true);
  v.setUint8(0x200, 0xeb);
  v.setUint8(0x201, spec.jump ?? 0x6a);
  v.setUint32(0x202, spec.magic ?? 0x5372_6448, true);
  v.setUint16(0x206, spec.protocol ?? 0x020f, true);
  v.setUint8(0x210, 0x00);
  v.setUint8(0x211, spec.loadFlags ?? 0x01);
  v.setUint32(0x214, 0x10_0000, true);
  v.setUint32(0x22c, spec.initrdAddrMax ?? 0x37ff_ffff, true);
  v.setUint32(0x230, spec.kernelAlignment ?? 0x20_0000, true);
  v.setUint8(0x234, spec.relocatable ? 1 : 0);
  v.setUint8(0x235, 21);
  v.setUint16(0x236, spec.xloadFlags ?? 0, true);
  v.setUint32(0x238, spec.cmdlineSize ?? 2048, true);
  v.setUint32(0x248, 0x1234, true); // payload_offset, a read-only field copied as is
  v.setUint32(0x258, spec.prefAddress ?? 0x10_0000, true);
  v.setUint32(0x260, spec.initSize ?? 0x8000, true);
  file.fill(0x90, 0x26c, setupBytes); // stands for the real-mode setup code
  if (spec.kernelVersion !== undefined) {
    const at = 0x400;
    v.setUint16(0x20e, at - 0x200, true);
    for (let i = 0; i < spec.kernelVersion.length; i++) file[at + i] = spec.kernelVersion.charCodeAt(i);
    file[at + spec.kernelVersion.length] = 0;
  }
  file.set(payload, setupBytes);
  return spec.truncateBy === undefined ? file : file.subarray(0, file.length - spec.truncateBy);
}

/** Deterministic non-trivial bytes. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A memory layout from a list of regions. */
export class FakeLayout implements MemoryLayout {
  constructor(readonly list: MemoryRegion[]) {}
  regions(): readonly MemoryRegion[] {
    return this.list;
  }
  get ramBytes(): number {
    return this.list.filter((r) => r.kind === 'ram').reduce((n, r) => n + r.size, 0);
  }
}

/**
 * A PC layout with `ramBytes` of RAM: 0–0x9FFFF RAM, the VGA window reserved, 0xC0000–0xFFFFF
 * RAM-backed firmware area (reported reserved... or RAM, as the bus chooses: `biosAreaKind`),
 * RAM from 1 MiB.
 */
export function pcLayout(ramBytes: number, biosAreaKind: 'ram' | 'reserved' | 'rom' = 'reserved'): FakeLayout {
  return new FakeLayout([
    { base: 0, size: 0xa_0000, kind: 'ram' },
    { base: 0xa_0000, size: 0x2_0000, kind: 'reserved' },
    { base: 0xc_0000, size: 0x4_0000, kind: biosAreaKind },
    { base: 0x10_0000, size: ramBytes - 0x10_0000, kind: 'ram' },
  ]);
}

/** Guest memory whose accesses to `[holeBase, holeEnd)` fail, as a bus with ROM there. */
export class HoleyMemory implements GuestMemory {
  readonly inner: FlatGuestMemory;
  constructor(
    size: number,
    readonly holeBase: number,
    readonly holeEnd: number,
  ) {
    this.inner = new FlatGuestMemory(size);
  }
  get limit(): number {
    return this.inner.limit;
  }
  get bytes(): Uint8Array {
    return this.inner.bytes;
  }
  isRam(address: number, length: number): boolean {
    return this.inner.isRam(address, length) && (address + length <= this.holeBase || address >= this.holeEnd);
  }
  read(address: number, dest: Uint8Array): MemoryStatus {
    return this.isRam(address, dest.length) ? this.inner.read(address, dest) : MemoryStatus.NotRam;
  }
  write(address: number, src: Uint8Array): MemoryStatus {
    return this.isRam(address, src.length) ? this.inner.write(address, src) : MemoryStatus.NotRam;
  }
  onWrite(hook: DirtyHook): () => void {
    return this.inner.onWrite(hook);
  }
}

/** A CPU that records the state a loader sets. */
export class FakeBootCpu implements BootProcessorState {
  registers: Record<string, number> = {};
  segments: Partial<Record<SegmentName, SegmentState>> = {};
  gdtr: { base: number; limit: number } | undefined;
  idtr: { base: number; limit: number } | undefined;
  cr: Record<number, number> = {};
  calls: string[] = [];

  setRegisters(registers: BootRegisters): void {
    this.calls.push('registers');
    for (const [k, v] of Object.entries(registers)) if (v !== undefined) this.registers[k] = v;
  }
  setSegment(name: SegmentName, state: SegmentState): void {
    this.calls.push(`segment:${name}`);
    this.segments[name] = state;
  }
  setDescriptorTable(which: 'gdtr' | 'idtr', base: number, limit: number): void {
    this.calls.push(which);
    this[which] = { base, limit };
  }
  setControlRegister(index: 0 | 3 | 4, value: number): void {
    this.calls.push(`cr${index}`);
    this.cr[index] = value;
  }
}

/** Little-endian reads from a byte array. */
export function u8(b: Uint8Array, o: number): number {
  return b[o]!;
}
export function u16(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(o, true);
}
export function u32(b: Uint8Array, o: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o, true);
}
export function u64(b: Uint8Array, o: number): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return v.getUint32(o + 4, true) * 0x1_0000_0000 + v.getUint32(o, true);
}
/** The NUL-terminated ASCII string at `o`. */
export function cstring(b: Uint8Array, o: number): string {
  let s = '';
  for (let i = o; i < b.length && b[i] !== 0; i++) s += String.fromCharCode(b[i]!);
  return s;
}
/** Reads the e820 table of a zero page. */
export function e820Of(zeroPage: Uint8Array): { base: number; size: number; type: number }[] {
  const n = u8(zeroPage, 0x1e8);
  return Array.from({ length: n }, (_, i) => ({
    base: u64(zeroPage, 0x2d0 + i * 20),
    size: u64(zeroPage, 0x2d0 + i * 20 + 8),
    type: u32(zeroPage, 0x2d0 + i * 20 + 16),
  }));
}

/** One ELF program header for {@link buildElf32}. */
export interface ElfSegmentSpec {
  paddr: number;
  vaddr?: number;
  data: Uint8Array;
  memsz?: number;
  type?: number;
  /** Override p_offset (to point outside the file). */
  offset?: number;
}

/** Builds an ELF32 i386 executable with a Multiboot header in its first page. */
export function buildElf32(spec: {
  entry: number;
  segments: ElfSegmentSpec[];
  multibootFlags?: number;
  /** Overrides of ELF header bytes: [offset, value] written as bytes. */
  patch?: [number, number][];
  noMultiboot?: boolean;
}): Uint8Array {
  const phoff = 52;
  const headerArea = 0x100; // Multiboot header at 0x100
  let offset = 0x1000;
  const placed = spec.segments.map((s) => {
    const at = s.offset ?? offset;
    if (s.offset === undefined) offset += Math.ceil(s.data.length / 0x1000) * 0x1000 || 0x1000;
    return { ...s, at };
  });
  const size = Math.max(offset, ...placed.map((p) => (p.offset === undefined ? p.at + p.data.length : 0)));
  const file = new Uint8Array(size);
  const v = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true);
  v.setUint32(24, spec.entry, true);
  v.setUint32(28, phoff, true);
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, spec.segments.length, true);
  placed.forEach((s, i) => {
    const ph = phoff + i * 32;
    v.setUint32(ph, s.type ?? 1, true);
    v.setUint32(ph + 4, s.at, true);
    v.setUint32(ph + 8, s.vaddr ?? s.paddr, true);
    v.setUint32(ph + 12, s.paddr, true);
    v.setUint32(ph + 16, s.data.length, true);
    v.setUint32(ph + 20, s.memsz ?? s.data.length, true);
    v.setUint32(ph + 24, 5, true);
    v.setUint32(ph + 28, 0x1000, true);
    if (s.offset === undefined) file.set(s.data, s.at);
  });
  if (!spec.noMultiboot) {
    const flags = spec.multibootFlags ?? 0x3;
    v.setUint32(headerArea, 0x1bad_b002, true);
    v.setUint32(headerArea + 4, flags, true);
    v.setUint32(headerArea + 8, (-(0x1bad_b002 + flags)) >>> 0, true);
  }
  for (const [o, b] of spec.patch ?? []) file[o] = b;
  return file;
}

/**
 * Builds an a.out-kludge Multiboot kernel: the header at `headerOffset` in a flat binary whose
 * byte 0 loads at `loadAddr`.
 */
export function buildAoutKernel(spec: {
  loadAddr: number;
  headerOffset?: number;
  length?: number;
  loadEndAddr?: number;
  bssEndAddr?: number;
  entry?: number;
  headerAddr?: number;
  flags?: number;
  checksum?: number;
}): Uint8Array {
  const headerOffset = spec.headerOffset ?? 0x40;
  const file = patternBytes(spec.length ?? 0x2000, 3);
  const v = new DataView(file.buffer);
  const flags = spec.flags ?? 0x1_0003;
  v.setUint32(headerOffset, 0x1bad_b002, true);
  v.setUint32(headerOffset + 4, flags, true);
  v.setUint32(headerOffset + 8, spec.checksum ?? (-(0x1bad_b002 + flags)) >>> 0, true);
  v.setUint32(headerOffset + 12, spec.headerAddr ?? spec.loadAddr + headerOffset, true);
  v.setUint32(headerOffset + 16, spec.loadAddr, true);
  v.setUint32(headerOffset + 20, spec.loadEndAddr ?? 0, true);
  v.setUint32(headerOffset + 24, spec.bssEndAddr ?? 0, true);
  v.setUint32(headerOffset + 28, spec.entry ?? spec.loadAddr + 0x80, true);
  return file;
}
