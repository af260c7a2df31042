import { PopekError } from '@popek/core';
import { checkNoOverlap, isElf, parseElf32Executable, type LoadSegment } from './elf32.js';
import { hex } from './guest-writes.js';

/** The Multiboot header magic (Multiboot 0.6.96 §3.1.2). */
export const MULTIBOOT_HEADER_MAGIC = 0x1bad_b002;
/** What EAX holds when a Multiboot loader enters the kernel (§3.2). */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2bad_b002;
/** The header must lie wholly in the image's first 8192 bytes, 32-bit aligned (§3.1.1). */
export const MULTIBOOT_SEARCH_BYTES = 8192;

/** Multiboot header fields (§3.1.1). */
export const MultibootHeader = {
  /** magic: 0x1BADB002. */
  MAGIC: 0,
  /** flags: requirements (bits 0-15) and features (16-31). */
  FLAGS: 4,
  /** checksum: magic + flags + checksum = 0. */
  CHECKSUM: 8,
  /** header_addr: physical address of the magic (bit 16). */
  HEADER_ADDR: 12,
  /** load_addr: physical address of the text start (bit 16). */
  LOAD_ADDR: 16,
  /** load_end_addr: end of the data to load; 0 means the whole file (bit 16). */
  LOAD_END_ADDR: 20,
  /** bss_end_addr: end of the bss; 0 means none (bit 16). */
  BSS_END_ADDR: 24,
  /** entry_addr: physical entry point (bit 16). */
  ENTRY_ADDR: 28,
  /** mode_type: preferred video mode (bit 2). */
  MODE_TYPE: 32,
  /** Bytes of the header with the address fields (flags bit 16). */
  WITH_ADDRESSES: 32,
  /** Bytes of the header with the graphics fields (flags bit 2). */
  WITH_GRAPHICS: 48,
} as const;

/** Multiboot header flags (§3.1.2). Bits 0–15 are requirements; 16–31 optional features. */
export const MultibootHeaderFlags = {
  /** Modules must be page (4 KiB) aligned. */
  PAGE_ALIGN: 1 << 0,
  /** mem_* fields (and the memory map, if available) must be provided. */
  MEMORY_INFO: 1 << 1,
  /** The video mode table must be provided. */
  VIDEO_MODE: 1 << 2,
  /** The header's address fields are valid: load by them, not by the executable's headers. */
  AOUT_KLUDGE: 1 << 16,
} as const;

/** The requirement bits (0–15) Popek's loader fulfils: page-aligned modules and memory info. */
export const SUPPORTED_REQUIREMENTS = MultibootHeaderFlags.PAGE_ALIGN | MultibootHeaderFlags.MEMORY_INFO;

/** A parsed and validated Multiboot v1 kernel. */
export interface MultibootImage {
  /** How messages name the image. */
  readonly name: string;
  /** File offset of the Multiboot header. */
  readonly headerOffset: number;
  /** The header's flags. */
  readonly flags: number;
  /** How the load addresses were found: the ELF program headers, or the a.out kludge fields. */
  readonly format: 'elf' | 'aout-kludge';
  /** Physical entry point. */
  readonly entry: number;
  /** What to load, at physical addresses; not overlapping. */
  readonly segments: readonly LoadSegment[];
}

/**
 * Finds the Multiboot header: the first 4-byte-aligned `0x1BADB002` in the first 8192 bytes whose
 * checksum is right (magic + flags + checksum = 0 mod 2^32). A magic with a wrong checksum is
 * skipped, as GRUB does, but named in the error when no valid header follows.
 */
function findHeader(bytes: Uint8Array, name: string): { offset: number; flags: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(bytes.length, MULTIBOOT_SEARCH_BYTES);
  let badChecksumAt: number | undefined;
  for (let off = 0; off + 12 <= end; off += 4) {
    if (view.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = view.getUint32(off + MultibootHeader.FLAGS, true);
    const checksum = view.getUint32(off + MultibootHeader.CHECKSUM, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) === 0) return { offset: off, flags };
    badChecksumAt ??= off;
  }
  if (badChecksumAt !== undefined) {
    throw new PopekError(
      'kernel-invalid',
      `${name} has a Multiboot header at offset ${hex(badChecksumAt)} whose checksum is wrong (magic + flags + checksum must be 0 modulo 2^32).`,
    );
  }
  const linux = bytes.length >= 0x206 && view.getUint32(0x202, true) === 0x5372_6448;
  throw new PopekError(
    'kernel-not-multiboot',
    `${name} is not a Multiboot kernel: it has no Multiboot header (magic 0x1BADB002 on a 4-byte boundary) in its first 8192 bytes${linux ? '; it is a Linux bzImage, so boot it with kind "linux"' : ''}.`,
  );
}

/**
 * Parses and validates a Multiboot v1 kernel (Multiboot Specification 0.6.96 §3.1): finds the
 * header, refuses requirement bits the loader cannot meet, and works out what to load where,
 * from the a.out kludge address fields when flags bit 16 is set, else from the ELF32 program
 * headers. The image is hostile input: every field is checked.
 *
 * @throws `PopekError` `kernel-not-multiboot`, `kernel-invalid`, `kernel-truncated`,
 *   `kernel-unsupported` or `kernel-64-bit`
 */
export function parseMultibootImage(bytes: Uint8Array, name = 'The kernel image'): MultibootImage {
  const { offset, flags } = findHeader(bytes, name);
  const unsupported = flags & 0xffff & ~SUPPORTED_REQUIREMENTS;
  if (unsupported !== 0) {
    const bits = [...Array(16).keys()].filter((b) => (unsupported & (1 << b)) !== 0);
    const names = bits.map((b) => (b === 2 ? '2 (video mode information)' : String(b)));
    throw new PopekError(
      'kernel-unsupported',
      `${name} requires Multiboot features Popek's loader does not provide (header flag bit${bits.length > 1 ? 's' : ''} ${names.join(', ')}); a Multiboot loader must refuse such a kernel.`,
    );
  }
  if ((flags & MultibootHeaderFlags.AOUT_KLUDGE) !== 0) {
    const image = parseAoutKludge(bytes, name, offset);
    return { name, headerOffset: offset, flags, format: 'aout-kludge', ...image };
  }
  if (!isElf(bytes)) {
    throw new PopekError(
      'kernel-invalid',
      `${name} has a Multiboot header without load addresses (flags bit 16 clear) and is not an ELF file, so there is no way to know where to load it.`,
    );
  }
  const elf = parseElf32Executable(bytes, name);
  return { name, headerOffset: offset, flags, format: 'elf', entry: elf.entry, segments: elf.segments };
}

/**
 * The a.out kludge (§3.1.3): the text starts in the file at `header_offset - (header_addr -
 * load_addr)`; `[load_addr, load_end_addr)` comes from the file (to its end when load_end_addr is
 * 0); `[load_end_addr, bss_end_addr)` is zeroed; execution starts at entry_addr.
 */
function parseAoutKludge(bytes: Uint8Array, name: string, offset: number): { entry: number; segments: LoadSegment[] } {
  if (offset + MultibootHeader.WITH_ADDRESSES > bytes.length) {
    throw new PopekError('kernel-truncated', `${name} is truncated: its Multiboot header at ${hex(offset)} ends before its address fields.`);
  }
  const invalid = (why: string): never => {
    throw new PopekError('kernel-invalid', `${name} has an invalid Multiboot header: ${why}.`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const field = (f: number): number => view.getUint32(offset + f, true);
  const headerAddr = field(MultibootHeader.HEADER_ADDR);
  const loadAddr = field(MultibootHeader.LOAD_ADDR);
  const loadEndAddr = field(MultibootHeader.LOAD_END_ADDR);
  const bssEndAddr = field(MultibootHeader.BSS_END_ADDR);
  const entry = field(MultibootHeader.ENTRY_ADDR);

  if (loadAddr > headerAddr) invalid(`load_addr ${hex(loadAddr)} is above header_addr ${hex(headerAddr)}`);
  if (headerAddr - loadAddr > offset) {
    invalid(`header_addr - load_addr (${hex(headerAddr - loadAddr)}) is more than the header's file offset ${hex(offset)}, so the text would start before the file`);
  }
  const fileOffset = offset - (headerAddr - loadAddr);
  let loadLength: number;
  if (loadEndAddr === 0) loadLength = bytes.length - fileOffset;
  else {
    if (loadEndAddr < loadAddr) invalid(`load_end_addr ${hex(loadEndAddr)} is below load_addr ${hex(loadAddr)}`);
    loadLength = loadEndAddr - loadAddr;
    if (fileOffset + loadLength > bytes.length) {
      throw new PopekError(
        'kernel-truncated',
        `${name} is truncated: its Multiboot header says ${loadLength} bytes load from file offset ${hex(fileOffset)}, but the file has ${bytes.length} bytes.`,
      );
    }
  }
  let memSize = loadLength;
  if (bssEndAddr !== 0) {
    if (bssEndAddr < loadAddr + loadLength) invalid(`bss_end_addr ${hex(bssEndAddr)} is below load_end_addr ${hex(loadAddr + loadLength)}`);
    memSize = bssEndAddr - loadAddr;
  }
  if (memSize === 0) invalid('it loads nothing (load_end_addr = load_addr and no bss)');
  if (loadAddr + memSize > 0x1_0000_0000) invalid(`the image at ${hex(loadAddr)} (${memSize} bytes) runs past 4 GiB`);
  if (entry < loadAddr || entry >= loadAddr + memSize) {
    invalid(`entry_addr ${hex(entry)} is outside the loaded image ${hex(loadAddr)}-${hex(loadAddr + memSize)}`);
  }
  const segments = [{ address: loadAddr, data: bytes.subarray(fileOffset, fileOffset + loadLength), memSize }];
  checkNoOverlap(segments, name);
  return { entry, segments };
}
