import { PopekError } from '@popek/core';
import { hex } from './guest-writes.js';

/**
 * ELF constants (System V ABI, "Object Files", and the Intel386 supplement): the identification
 * bytes, the 52-byte ELF32 header and the 32-byte program header.
 */
export const Elf = {
  /** e_ident[EI_CLASS]. */
  EI_CLASS: 4,
  /** e_ident[EI_DATA]. */
  EI_DATA: 5,
  /** e_ident[EI_VERSION]. */
  EI_VERSION: 6,
  /** EI_CLASS value: 32-bit objects. */
  ELFCLASS32: 1,
  /** EI_CLASS value: 64-bit objects. */
  ELFCLASS64: 2,
  /** EI_DATA value: little-endian. */
  ELFDATA2LSB: 1,
  /** EI_VERSION and e_version value. */
  EV_CURRENT: 1,
  /** e_type: executable file. */
  ET_EXEC: 2,
  /** e_machine: Intel 80386. */
  EM_386: 3,
  /** p_type: loadable segment. */
  PT_LOAD: 1,
  /** e_type (u16). */
  E_TYPE: 16,
  /** e_machine (u16). */
  E_MACHINE: 18,
  /** e_version (u32). */
  E_VERSION: 20,
  /** e_entry (u32): virtual entry address. */
  E_ENTRY: 24,
  /** e_phoff (u32): program header table offset. */
  E_PHOFF: 28,
  /** e_phentsize (u16). */
  E_PHENTSIZE: 42,
  /** e_phnum (u16). */
  E_PHNUM: 44,
  /** Size of the ELF32 header. */
  EHDR_BYTES: 52,
  /** p_type (u32). */
  P_TYPE: 0,
  /** p_offset (u32): file offset. */
  P_OFFSET: 4,
  /** p_vaddr (u32). */
  P_VADDR: 8,
  /** p_paddr (u32): physical address, where Multiboot loads. */
  P_PADDR: 12,
  /** p_filesz (u32). */
  P_FILESZ: 16,
  /** p_memsz (u32). */
  P_MEMSZ: 20,
  /** Size of an ELF32 program header. */
  PHDR_BYTES: 32,
} as const;

/** One thing a loader puts in guest memory: `data`, then zeros up to `memSize` bytes. */
export interface LoadSegment {
  /** Guest-physical address. */
  readonly address: number;
  /** Bytes from the file (a view into it). */
  readonly data: Uint8Array;
  /** Bytes the segment occupies in memory (at least `data.length`); the rest is zeroed (bss). */
  readonly memSize: number;
}

/** A loadable ELF32 executable: its segments at their physical addresses and its entry point. */
export interface Elf32Executable {
  /** Physical entry address (e_entry translated through the segment that holds it). */
  readonly entry: number;
  /** The PT_LOAD segments with a non-zero memory size, at their physical addresses (p_paddr). */
  readonly segments: readonly LoadSegment[];
}

/** Whether `bytes` start with the ELF magic `\x7fELF`. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/**
 * Parses a little-endian ELF32 i386 executable for loading at physical addresses, as Multiboot
 * loaders do: segments go to p_paddr; the entry point e_entry is a virtual address, translated to
 * physical through the PT_LOAD segment that contains it (so higher-half kernels whose p_paddr
 * differs from p_vaddr start at the right place).
 *
 * @throws `PopekError` (`kernel-invalid`, `kernel-truncated`, `kernel-64-bit`) for anything
 *   malformed: header fields, program headers or segments outside the file, a segment larger in
 *   the file than in memory or beyond 4 GiB, overlapping segments, an entry outside every segment
 */
export function parseElf32Executable(bytes: Uint8Array, name: string): Elf32Executable {
  const invalid = (why: string): never => {
    throw new PopekError('kernel-invalid', `${name} is not a loadable ELF kernel: ${why}.`);
  };
  if (!isElf(bytes)) invalid('it does not start with the ELF magic');
  if (bytes.length < Elf.EHDR_BYTES) {
    throw new PopekError('kernel-truncated', `${name} is truncated: it is ${bytes.length} bytes, shorter than an ELF header (52 bytes).`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cls = bytes[Elf.EI_CLASS];
  if (cls === Elf.ELFCLASS64) {
    throw new PopekError('kernel-64-bit', `${name} is a 64-bit ELF file; Multiboot loads 32-bit (ELFCLASS32) kernels.`);
  }
  if (cls !== Elf.ELFCLASS32) invalid(`its ELF class is ${cls}, not ELFCLASS32`);
  if (bytes[Elf.EI_DATA] !== Elf.ELFDATA2LSB) invalid('it is not little-endian (ELFDATA2LSB)');
  if (bytes[Elf.EI_VERSION] !== Elf.EV_CURRENT) invalid(`its ELF version is ${bytes[Elf.EI_VERSION]}, not 1`);
  const type = view.getUint16(Elf.E_TYPE, true);
  if (type !== Elf.ET_EXEC) invalid(`its type is ${type}, not an executable (ET_EXEC)`);
  const machine = view.getUint16(Elf.E_MACHINE, true);
  if (machine !== Elf.EM_386) invalid(`it is for machine ${machine}, not the i386 (EM_386)`);

  const phoff = view.getUint32(Elf.E_PHOFF, true);
  const phentsize = view.getUint16(Elf.E_PHENTSIZE, true);
  const phnum = view.getUint16(Elf.E_PHNUM, true);
  if (phnum === 0) invalid('it has no program headers');
  if (phentsize < Elf.PHDR_BYTES) invalid(`its program headers are ${phentsize} bytes, less than 32`);
  if (phoff + phnum * phentsize > bytes.length) {
    throw new PopekError(
      'kernel-truncated',
      `${name} is truncated: its ${phnum} program headers end at offset ${hex(phoff + phnum * phentsize)} but the file has ${bytes.length} bytes.`,
    );
  }

  const segments: { address: number; vaddr: number; data: Uint8Array; memSize: number }[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (view.getUint32(ph + Elf.P_TYPE, true) !== Elf.PT_LOAD) continue;
    const offset = view.getUint32(ph + Elf.P_OFFSET, true);
    const vaddr = view.getUint32(ph + Elf.P_VADDR, true);
    const paddr = view.getUint32(ph + Elf.P_PADDR, true);
    const filesz = view.getUint32(ph + Elf.P_FILESZ, true);
    const memsz = view.getUint32(ph + Elf.P_MEMSZ, true);
    if (memsz === 0) continue;
    if (filesz > memsz) invalid(`segment ${i} has more bytes in the file (${filesz}) than in memory (${memsz})`);
    if (offset + filesz > bytes.length) {
      throw new PopekError(
        'kernel-truncated',
        `${name} is truncated: segment ${i} needs file bytes ${hex(offset)}-${hex(offset + filesz)} but the file has ${bytes.length} bytes.`,
      );
    }
    if (paddr + memsz > 0x1_0000_0000) invalid(`segment ${i} at ${hex(paddr)} (${memsz} bytes) runs past 4 GiB`);
    segments.push({ address: paddr, vaddr, data: bytes.subarray(offset, offset + filesz), memSize: memsz });
  }
  if (segments.length === 0) invalid('it has no loadable (PT_LOAD) segment');
  checkNoOverlap(segments, name);

  const eEntry = view.getUint32(Elf.E_ENTRY, true);
  const holder = segments.find((s) => s.vaddr <= eEntry && eEntry < s.vaddr + s.memSize);
  if (holder === undefined) invalid(`its entry point ${hex(eEntry)} is in none of its loadable segments`);
  const entry = eEntry - holder!.vaddr + holder!.address;
  return { entry, segments: segments.map(({ address, data, memSize }) => ({ address, data, memSize })) };
}

/** Fails when two segments share a byte of physical memory. */
export function checkNoOverlap(segments: readonly LoadSegment[], name: string): void {
  const sorted = [...segments].sort((a, b) => a.address - b.address);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.address < prev.address + prev.memSize) {
      throw new PopekError(
        'kernel-invalid',
        `${name} is not loadable: its segments at ${hex(prev.address)}-${hex(prev.address + prev.memSize)} and ${hex(cur.address)}-${hex(cur.address + cur.memSize)} overlap.`,
      );
    }
  }
}
