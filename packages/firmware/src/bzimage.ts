import { PopekError } from '@popek/core';
import { hex } from './guest-writes.js';

/**
 * Offsets of the real-mode kernel header ("setup header") fields, from Linux's
 * Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header". The header sits at the same
 * offsets in the image file and in `struct boot_params` (the zero page).
 */
export const SetupHeader = {
  /** setup_sects (u8): setup sectors after the boot sector; 0 means 4. */
  SETUP_SECTS: 0x1f1,
  /** root_flags (u16): mount the root read-only (deprecated). */
  ROOT_FLAGS: 0x1f2,
  /** syssize (u32, 2.04+): protected-mode code size in 16-byte paragraphs. */
  SYSSIZE: 0x1f4,
  /** vid_mode (u16): video mode control, written by the loader. */
  VID_MODE: 0x1fa,
  /** boot_flag (u16): 0xAA55. */
  BOOT_FLAG: 0x1fe,
  /** jump (u16): 0xEB and a rel8 to the end of the header. */
  JUMP: 0x200,
  /** header (u32): "HdrS". */
  HEADER: 0x202,
  /** version (u16): boot protocol version. */
  VERSION: 0x206,
  /** kernel_version (u16): version string pointer, less 0x200. */
  KERNEL_VERSION: 0x20e,
  /** type_of_loader (u8): boot loader id, written by the loader. */
  TYPE_OF_LOADER: 0x210,
  /** loadflags (u8): LOADED_HIGH, QUIET, CAN_USE_HEAP. */
  LOADFLAGS: 0x211,
  /** code32_start (u32): 32-bit entry point of the loaded kernel. */
  CODE32_START: 0x214,
  /** ramdisk_image (u32): initrd address, written by the loader. */
  RAMDISK_IMAGE: 0x218,
  /** ramdisk_size (u32): initrd size, written by the loader. */
  RAMDISK_SIZE: 0x21c,
  /** heap_end_ptr (u16, 2.01+): end of the setup heap, less 0x200. */
  HEAP_END_PTR: 0x224,
  /** ext_loader_ver (u8, 2.02+): extended boot loader version. */
  EXT_LOADER_VER: 0x226,
  /** ext_loader_type (u8, 2.02+): extended boot loader type. */
  EXT_LOADER_TYPE: 0x227,
  /** cmd_line_ptr (u32, 2.02+): command line address. */
  CMD_LINE_PTR: 0x228,
  /** initrd_addr_max (u32, 2.03+): highest address the initrd may occupy. */
  INITRD_ADDR_MAX: 0x22c,
  /** kernel_alignment (u32, 2.05+): alignment of a relocatable kernel. */
  KERNEL_ALIGNMENT: 0x230,
  /** relocatable_kernel (u8, 2.05+): non-zero when relocatable. */
  RELOCATABLE_KERNEL: 0x234,
  /** min_alignment (u8, 2.10+): minimum alignment as a power of two. */
  MIN_ALIGNMENT: 0x235,
  /** xloadflags (u16, 2.12+): XLF_KERNEL_64 and the EFI handover flags. */
  XLOADFLAGS: 0x236,
  /** cmdline_size (u32, 2.06+): longest command line without its NUL. */
  CMDLINE_SIZE: 0x238,
  /** hardware_subarch (u32, 2.07+): 0 for the x86/PC environment. */
  HARDWARE_SUBARCH: 0x23c,
  /** hardware_subarch_data (u64, 2.07+). */
  HARDWARE_SUBARCH_DATA: 0x240,
  /** payload_offset (u32, 2.08+): compressed payload offset in the protected-mode code. */
  PAYLOAD_OFFSET: 0x248,
  /** payload_length (u32, 2.08+). */
  PAYLOAD_LENGTH: 0x24c,
  /** setup_data (u64, 2.09+): linked list of struct setup_data. */
  SETUP_DATA: 0x250,
  /** pref_address (u64, 2.10+): preferred load address. */
  PREF_ADDRESS: 0x258,
  /** init_size (u32, 2.10+): memory needed from the runtime start while booting. */
  INIT_SIZE: 0x260,
  /** handover_offset (u32, 2.11+): EFI handover entry. */
  HANDOVER_OFFSET: 0x264,
  /** kernel_info_offset (u32, 2.15+). */
  KERNEL_INFO_OFFSET: 0x268,
} as const;

/** `boot_flag`: the boot sector signature 0xAA55 (boot.rst, field boot_flag). */
export const BOOT_FLAG_MAGIC = 0xaa55;
/** `header`: "HdrS" (0x53726448), present from protocol 2.00 on. */
export const HDRS_MAGIC = 0x5372_6448;
/** loadflags bit 0, LOADED_HIGH: the protected-mode code loads at 0x100000 (a bzImage). */
export const LOADED_HIGH = 0x01;
/** loadflags bit 7, CAN_USE_HEAP: heap_end_ptr is valid. */
export const CAN_USE_HEAP = 0x80;
/** xloadflags bit 0, XLF_KERNEL_64: a 64-bit kernel (legacy 64-bit entry at +0x200). */
export const XLF_KERNEL_64 = 0x01;
/** The oldest boot protocol Popek loads: 2.02, the first with `cmd_line_ptr` (Linux 2.4). */
export const MIN_PROTOCOL = 0x0202;
/** The initrd ceiling of protocols before 2.03, which lack `initrd_addr_max`. */
export const DEFAULT_INITRD_ADDR_MAX = 0x37ff_ffff;
/** The command-line limit of protocols before 2.06, which lack `cmdline_size`. */
export const DEFAULT_CMDLINE_SIZE = 255;
/** Where a bzImage's protected-mode code is loaded unless it is relocated. */
export const BZIMAGE_LOAD_ADDRESS = 0x10_0000;
/** End (exclusive) of the setup header's space in `struct boot_params` (edd_mbr_sig_buffer follows). */
export const SETUP_HEADER_LIMIT = 0x290;

/** End of the setup header of protocol 2.15 (after kernel_info_offset), used when the jump is missing. */
const DEFAULT_HEADER_END = 0x26c;

/** A parsed and validated bzImage: what the Linux boot loader needs from the file. */
export interface BzImage {
  /** How messages name the image. */
  readonly name: string;
  /** The whole file. */
  readonly bytes: Uint8Array;
  /** Boot protocol version, `(major << 8) | minor` (0x020f for 2.15). */
  readonly protocol: number;
  /** Setup sectors after the boot sector (`setup_sects`, 0 read as 4). */
  readonly setupSects: number;
  /** Offset of the protected-mode code in the file: `(setupSects + 1) * 512`. */
  readonly setupBytes: number;
  /** The protected-mode code to load (a view into `bytes`). */
  readonly payload: Uint8Array;
  /** End (exclusive) of the setup header in the file: what is copied into boot_params. */
  readonly headerEnd: number;
  /** `loadflags` as in the file. */
  readonly loadFlags: number;
  /** `xloadflags` (protocol 2.12+; else 0). */
  readonly xloadFlags: number;
  /** Whether the protected-mode kernel may load at any suitably aligned address (2.05+). */
  readonly relocatable: boolean;
  /** `kernel_alignment` (2.05+; else 0). */
  readonly kernelAlignment: number;
  /** `pref_address` when present (2.10+), non-zero and below 4 GiB. */
  readonly prefAddress: number | undefined;
  /** `init_size`: memory the kernel needs from its runtime start while it boots (2.10+; else 0). */
  readonly initSize: number;
  /** Highest address the initrd may occupy (`initrd_addr_max`, or 0x37FFFFFF before 2.03). */
  readonly initrdAddrMax: number;
  /** Longest command line, without its NUL (`cmdline_size`, or 255 before 2.06). */
  readonly cmdlineSize: number;
  /** The kernel's version string, when the header points at a printable one. */
  readonly kernelVersion: string | undefined;
}

/** `2.15` for 0x020f. */
export function formatProtocol(version: number): string {
  return `${version >> 8}.${(version & 0xff).toString().padStart(2, '0')}`;
}

/**
 * What a file that is not what it claims to be looks like, for error messages: an ELF file,
 * a compressed file, a Multiboot kernel.
 */
export function describeFormat(bytes: Uint8Array): string | undefined {
  const b = (i: number): number => bytes[i] ?? -1;
  if (b(0) === 0x7f && b(1) === 0x45 && b(2) === 0x4c && b(3) === 0x46) {
    return 'it is an ELF file (for Linux, boot the bzImage from arch/x86/boot, not vmlinux; a Multiboot kernel needs kind "multiboot")';
  }
  if (b(0) === 0x1f && (b(1) === 0x8b || b(1) === 0x9e)) return 'it is gzip-compressed; decompress it first';
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58) return 'it is xz-compressed; decompress it first';
  if (b(0) === 0x30 && b(1) === 0x37 && b(2) === 0x30 && b(3) === 0x37) return 'it is a cpio archive (an initrd?)';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = 0; off + 12 <= Math.min(bytes.length, 8192); off += 4) {
    if (view.getUint32(off, true) === 0x1bad_b002) return 'it has a Multiboot header; boot it with kind "multiboot"';
  }
  return undefined;
}

/**
 * Parses and validates a bzImage, following Documentation/arch/x86/boot.rst. The image is hostile
 * input: every field used is checked, and every failure is a `PopekError` whose message
 * says what is wrong with the file.
 *
 * @param name - how messages name the image (its path)
 * @throws `PopekError` `kernel-not-linux`, `kernel-truncated`, `kernel-protocol-too-old`,
 *   `kernel-not-bzimage`, `kernel-64-bit` or `kernel-invalid`
 */
export function parseBzImage(bytes: Uint8Array, name = 'The kernel image'): BzImage {
  const notLinux = (why: string): never => {
    const hint = describeFormat(bytes);
    throw new PopekError('kernel-not-linux', `${name} is not a Linux kernel image: ${why}${hint === undefined ? '' : `; ${hint}`}.`);
  };
  if (bytes.length < 1024) notLinux(`it is only ${bytes.length} bytes long, too short for a boot sector and setup header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u8 = (o: number): number => view.getUint8(o);
  const u16 = (o: number): number => view.getUint16(o, true);
  const u32 = (o: number): number => view.getUint32(o, true);

  if (u16(SetupHeader.BOOT_FLAG) !== BOOT_FLAG_MAGIC) notLinux(`it has no boot sector signature (0xAA55 at offset 0x1FE)`);
  if (u32(SetupHeader.HEADER) !== HDRS_MAGIC) {
    notLinux(`it has no 'HdrS' boot header at offset 0x202 (kernels before Linux 1.3.73 lack it, and Popek cannot boot them)`);
  }
  const protocol = u16(SetupHeader.VERSION);
  if (protocol < MIN_PROTOCOL) {
    throw new PopekError(
      'kernel-protocol-too-old',
      `${name} uses Linux boot protocol ${formatProtocol(protocol)}; Popek needs protocol ${formatProtocol(MIN_PROTOCOL)} or newer (Linux 2.4 or later).`,
    );
  }
  const loadFlags = u8(SetupHeader.LOADFLAGS);
  if ((loadFlags & LOADED_HIGH) === 0) {
    throw new PopekError(
      'kernel-not-bzimage',
      `${name} is a zImage, not a bzImage: its loadflags lack LOADED_HIGH, so it expects to be loaded at 0x10000 by real-mode code. Popek loads only bzImage kernels (build with 'make bzImage').`,
    );
  }
  const xloadFlags = protocol >= 0x020c ? u16(SetupHeader.XLOADFLAGS) : 0;
  if ((xloadFlags & XLF_KERNEL_64) !== 0) {
    throw new PopekError(
      'kernel-64-bit',
      `${name} is a 64-bit (x86-64) kernel; Popek's CPU is a 32-bit i386, on which such a kernel stops in its decompressor. Use an i386 (32-bit) kernel.`,
    );
  }

  const rawSetupSects = u8(SetupHeader.SETUP_SECTS);
  const setupSects = rawSetupSects === 0 ? 4 : rawSetupSects;
  const setupBytes = (setupSects + 1) * 512;
  if (bytes.length < setupBytes) {
    throw new PopekError(
      'kernel-truncated',
      `${name} is truncated: the header says it has ${setupBytes} bytes of boot sector and real-mode setup code (setup_sects = ${rawSetupSects}) but the file has only ${bytes.length} bytes.`,
    );
  }
  const available = bytes.length - setupBytes;
  let payloadLength = available;
  if (protocol >= 0x0204) {
    const syssize = u32(SetupHeader.SYSSIZE);
    const claimed = syssize * 16;
    if (claimed === 0) {
      throw new PopekError('kernel-invalid', `${name} is not a valid bzImage: its header says it has no protected-mode code (syssize = 0).`);
    }
    if (claimed > available) {
      throw new PopekError(
        'kernel-truncated',
        `${name} is truncated: the header says ${claimed} bytes of protected-mode code but the file has ${available}.`,
      );
    }
    payloadLength = claimed;
  } else if (available === 0) {
    throw new PopekError('kernel-truncated', `${name} is truncated: it ends after its real-mode setup code, with no protected-mode code.`);
  }

  const relocatable = protocol >= 0x0205 && u8(SetupHeader.RELOCATABLE_KERNEL) !== 0;
  const kernelAlignment = protocol >= 0x0205 ? u32(SetupHeader.KERNEL_ALIGNMENT) : 0;
  if (relocatable && (kernelAlignment === 0 || (kernelAlignment & (kernelAlignment - 1)) !== 0)) {
    throw new PopekError(
      'kernel-invalid',
      `${name} is not a valid bzImage: it says it is relocatable but its kernel_alignment ${hex(kernelAlignment)} is not a power of two.`,
    );
  }
  let prefAddress: number | undefined;
  let initSize = 0;
  if (protocol >= 0x020a) {
    const low = u32(SetupHeader.PREF_ADDRESS);
    const high = u32(SetupHeader.PREF_ADDRESS + 4);
    if (high === 0 && low !== 0) prefAddress = low;
    initSize = u32(SetupHeader.INIT_SIZE);
  }
  const initrdAddrMax = protocol >= 0x0203 ? u32(SetupHeader.INITRD_ADDR_MAX) : DEFAULT_INITRD_ADDR_MAX;
  const cmdlineSize = protocol >= 0x0206 ? u32(SetupHeader.CMDLINE_SIZE) : DEFAULT_CMDLINE_SIZE;

  // The jump at 0x200 (0xEB, rel8) lands just past the header: its end is 0x202 + rel8.
  let headerEnd = DEFAULT_HEADER_END;
  if (u8(SetupHeader.JUMP) === 0xeb) {
    const rel = u8(SetupHeader.JUMP + 1);
    if (rel < 0x80) headerEnd = Math.min(SETUP_HEADER_LIMIT, 0x202 + rel);
  }
  headerEnd = Math.max(headerEnd, SetupHeader.VERSION + 2);

  return {
    name,
    bytes,
    protocol,
    setupSects,
    setupBytes,
    payload: bytes.subarray(setupBytes, setupBytes + payloadLength),
    headerEnd,
    loadFlags,
    xloadFlags,
    relocatable,
    kernelAlignment,
    prefAddress,
    initSize,
    initrdAddrMax,
    cmdlineSize,
    kernelVersion: readVersionString(bytes, u16(SetupHeader.KERNEL_VERSION), setupBytes),
  };
}

/** The NUL-terminated, printable version string at `pointer + 0x200`, if it lies in the setup code. */
function readVersionString(bytes: Uint8Array, pointer: number, setupBytes: number): string | undefined {
  if (pointer === 0) return undefined;
  const start = pointer + 0x200;
  let text = '';
  for (let i = start; i < setupBytes && i < start + 256; i++) {
    const c = bytes[i]!;
    if (c === 0) return text.length > 0 ? text : undefined;
    if (c < 0x20 || c > 0x7e) return undefined;
    text += String.fromCharCode(c);
  }
  return undefined;
}
