import { crc32, PopekError, type BootProcessorState, type GuestMemory, type MemoryLayout } from '@popek/core';
import { installAcpiTables, type AcpiPlacement } from './acpi-tables.js';
import { bootGdtBytes, enterFlatProtectedMode } from './boot-cpu.js';
import { MAX_CMDLINE_BYTES, type LinuxBootOptions } from './boot-options.js';
import {
  BZIMAGE_LOAD_ADDRESS,
  CAN_USE_HEAP,
  formatProtocol,
  parseBzImage,
  SetupHeader,
  type BzImage,
} from './bzimage.js';
import { formatBytes, hex, writeGuest } from './guest-writes.js';
import {
  buildMemoryMap,
  checkLayout,
  contiguousRamFrom,
  FOUR_GIB,
  usableRam,
  type MemoryMapEntry,
  type MemoryReservation,
} from './memory-map.js';
import { alignUp, PhysicalAllocator } from './physical-allocator.js';

/**
 * Offsets in `struct boot_params`, the "zero page" (Linux Documentation/arch/x86/zero-page.rst;
 * arch/x86/include/uapi/asm/bootparam.h). The setup header sits at 0x1F1 ({@link SetupHeader}).
 */
export const BootParams = {
  /** struct screen_info (0x40 bytes); left zero: no VGA text console, so Linux uses the serial one. */
  SCREEN_INFO: 0x000,
  /** screen_info.orig_video_isVGA. */
  ORIG_VIDEO_IS_VGA: 0x00f,
  /** acpi_rsdp_addr (u64): the RSDP's physical address. */
  ACPI_RSDP_ADDR: 0x070,
  /** ext_ramdisk_image: ramdisk_image bits 63:32. */
  EXT_RAMDISK_IMAGE: 0x0c0,
  /** ext_ramdisk_size: ramdisk_size bits 63:32. */
  EXT_RAMDISK_SIZE: 0x0c4,
  /** ext_cmd_line_ptr: cmd_line_ptr bits 63:32. */
  EXT_CMD_LINE_PTR: 0x0c8,
  /** alt_mem_k: KiB of memory above 1 MiB (the E801 fallback). */
  ALT_MEM_K: 0x1e0,
  /** e820_entries: entries used in e820_table. */
  E820_ENTRIES: 0x1e8,
  /** sentinel: non-zero tells the kernel the loader copied the header carelessly. */
  SENTINEL: 0x1ef,
  /** e820_table: struct boot_e820_entry[128] { u64 addr; u64 size; u32 type } (packed, 20 bytes). */
  E820_TABLE: 0x2d0,
  /** Size of the zero page. */
  BYTES: 0x1000,
} as const;

/** Entries that fit in `boot_params.e820_table` (E820_MAX_ENTRIES_ZEROPAGE). */
export const E820_MAX_ENTRIES_ZEROPAGE = 128;
/** Size of one `struct boot_e820_entry`. */
export const E820_ENTRY_BYTES = 20;

/** type_of_loader 0xFF: a boot loader without an assigned id (boot.rst, type_of_loader). */
export const TYPE_OF_LOADER_UNDEFINED = 0xff;
/** vid_mode 0xFFFF, "normal": the loader does not ask for a video mode. */
export const VID_MODE_NORMAL = 0xffff;
/** heap_end_ptr for a bzImage: the sample configuration's heap end 0xE000, less 0x200. */
export const HEAP_END_PTR = 0xe000 - 0x200;

/**
 * Where the Linux loader puts its own data in low memory (all below 0xA0000, above the first page
 * that Linux reserves for the real-mode IVT and BDA):
 *
 * - 0x1000: the boot GDT (32 bytes);
 * - 0x1020–0x7000: the stack (ESP = 0x7000), just below the zero page;
 * - 0x7000: `boot_params` (4 KiB);
 * - 0x8000: the `setup_data` list: one `SETUP_RNG_SEED` entry (48 bytes), unless the options
 *   turn the seed off;
 * - 0x20000: the command line (up to 64 KiB).
 *
 * The kernel copies the zero page and the command line before it allocates memory, and reserves
 * the `setup_data` entries (KASLR avoids them too), so they stay usable RAM in the e820 map, as
 * with GRUB and QEMU.
 */
export const LinuxLowMemory = {
  /** The boot GDT. */
  GDT: 0x1000,
  /** Initial ESP. */
  STACK_TOP: 0x7000,
  /** boot_params. */
  ZERO_PAGE: 0x7000,
  /** The setup_data list (the RNG seed). */
  SETUP_DATA: 0x8000,
  /** The command line. */
  CMDLINE: 0x2_0000,
} as const;

/** `struct setup_data` type of a random seed for the kernel's entropy pool (bootparam.h). */
export const SETUP_RNG_SEED = 9;

/** Bytes of the random seed the loader passes: 256 bits, what Linux needs to call its pool ready. */
export const RNG_SEED_BYTES = 32;

/** Bytes of `struct setup_data`'s header: `u64 next; u32 type; u32 len`. */
const SETUP_DATA_HEADER_BYTES = 16;

/** Everything the Linux loader writes and sets, computed once (at build) and applied on every reset. */
export interface LinuxBootPlan {
  /** The validated image. */
  readonly image: BzImage;
  /** Where the protected-mode code is loaded, and the 32-bit entry point (code32_start). */
  readonly loadAddress: number;
  /** The memory the kernel may use before it reads the memory map: load, decompression, init_size. */
  readonly kernelRange: {
    /** First address. */
    readonly base: number;
    /** One past the last address. */
    readonly end: number;
  };
  /** The command line as written (NUL-terminated). */
  readonly cmdline: Uint8Array;
  /** The initrd's place, if there is one. */
  readonly initrd:
    | {
        /** ramdisk_image: where it is loaded (page-aligned). */
        readonly address: number;
        /** Its bytes. */
        readonly data: Uint8Array;
      }
    | undefined;
  /** The memory map given to the kernel. */
  readonly memoryMap: readonly MemoryMapEntry[];
  /** The zero page as written at {@link LinuxLowMemory.ZERO_PAGE}. */
  readonly bootParams: Uint8Array;
  /** The ACPI tables written with the kernel, if any. */
  readonly acpi: AcpiPlacement | undefined;
  /**
   * Where the `SETUP_RNG_SEED` entry goes (`boot_params.setup_data` points there), or
   * undefined when the kernel gets no seed (turned off, or a boot protocol before 2.09).
   */
  readonly rngSeedAddress: number | undefined;
}

/**
 * Loads a Linux bzImage by the 32-bit boot protocol (Documentation/arch/x86/boot.rst, "32-bit
 * Boot Protocol"), with no BIOS and no real-mode setup code: it validates the image, builds the
 * zero page (the setup header copied from the image, then the loader's fields, the e820 map and
 * the RSDP address), places the kernel, the command line and the initrd, and starts the CPU at
 * the kernel's 32-bit entry in flat protected mode.
 *
 * `plan` does all the checking and arithmetic, without touching the machine; `load` writes and
 * starts. A machine plans at build time (so a bad image fails `Machine.build`) and loads at
 * every reset.
 */
export class LinuxBootLoader {
  /**
   * @param memory - guest RAM, written at load
   * @param layout - the machine's memory layout, for the e820 map and placement
   */
  constructor(
    private readonly memory: GuestMemory,
    private readonly layout: MemoryLayout,
  ) {}

  /**
   * Validates the image and computes where everything goes.
   *
   * @param acpi - the ACPI tables' place, when the machine has them
   * @throws `PopekError` for an image that is not a usable bzImage, a command line that is
   *   too long, or a machine with too little memory
   */
  plan(options: LinuxBootOptions, acpi?: AcpiPlacement): LinuxBootPlan {
    const image = parseBzImage(options.kernel, options.kernelName ?? 'The kernel image');
    const regions = this.layout.regions();
    checkLayout(regions);
    const reservations: MemoryReservation[] = acpi === undefined ? [] : [acpi.reservation];
    const memoryMap = buildMemoryMap(regions, reservations);
    if (memoryMap.length > E820_MAX_ENTRIES_ZEROPAGE) {
      throw new PopekError(
        'memory-map-too-large',
        `The machine's memory map has ${memoryMap.length} ranges; the Linux zero page holds at most ${E820_MAX_ENTRIES_ZEROPAGE}.`,
      );
    }
    const ram = new PhysicalAllocator(usableRam(memoryMap));

    this.#claimLow(ram, LinuxLowMemory.GDT, LinuxLowMemory.ZERO_PAGE + BootParams.BYTES - LinuxLowMemory.GDT, 'the boot GDT, stack and zero page');
    const cmdline = this.#cmdline(options.cmdline, image);
    this.#claimLow(ram, LinuxLowMemory.CMDLINE, cmdline.length, 'the kernel command line');
    let rngSeedAddress: number | undefined;
    if ((options.rngSeed ?? true) && image.protocol >= 0x0209) {
      rngSeedAddress = LinuxLowMemory.SETUP_DATA;
      this.#claimLow(ram, rngSeedAddress, SETUP_DATA_HEADER_BYTES + RNG_SEED_BYTES, 'the random seed (setup_data)');
    }

    const { loadAddress, kernelRange } = this.#placeKernel(image, ram);
    ram.claim(kernelRange.base, kernelRange.end - kernelRange.base, 'the kernel');

    let initrd: LinuxBootPlan['initrd'];
    if (options.initrd !== undefined && options.initrd.length > 0) {
      initrd = { address: this.#placeInitrd(options.initrd, options.initrdName ?? 'The initrd', image, ram), data: options.initrd };
    }

    const bootParams = this.#bootParams(image, loadAddress, initrd, memoryMap, acpi, rngSeedAddress);
    return { image, loadAddress, kernelRange, cmdline, initrd, memoryMap, bootParams, acpi, rngSeedAddress };
  }

  /**
   * Writes the plan (and the ACPI tables, when planned) into guest memory and starts the CPU at the kernel's 32-bit entry: CS = 0x10,
   * DS = ES = SS = 0x18 flat, ESI = the zero page, EBP = EDI = EBX = 0, EFLAGS = 0x2.
   *
   * @param seed - the {@link RNG_SEED_BYTES} bytes of the random seed, when the plan has one
   *   (default: {@link deterministicRngSeed} of the command line)
   */
  load(plan: LinuxBootPlan, cpu: BootProcessorState, seed?: Uint8Array): void {
    if (plan.acpi !== undefined) installAcpiTables(this.memory, plan.acpi);
    writeGuest(this.memory, LinuxLowMemory.GDT, bootGdtBytes(), 'the boot GDT');
    writeGuest(this.memory, LinuxLowMemory.ZERO_PAGE, plan.bootParams, 'the zero page (boot_params)');
    if (plan.rngSeedAddress !== undefined) {
      const bytes = seed ?? deterministicRngSeed(plan.cmdline);
      if (bytes.length !== RNG_SEED_BYTES) throw new RangeError(`the random seed must be ${RNG_SEED_BYTES} bytes, not ${bytes.length}`);
      writeGuest(this.memory, plan.rngSeedAddress, setupDataEntry(SETUP_RNG_SEED, bytes), 'the random seed (setup_data)');
    }
    writeGuest(this.memory, LinuxLowMemory.CMDLINE, plan.cmdline, 'the kernel command line');
    writeGuest(this.memory, plan.loadAddress, plan.image.payload, 'the kernel');
    if (plan.initrd !== undefined) writeGuest(this.memory, plan.initrd.address, plan.initrd.data, 'the initrd');
    enterFlatProtectedMode(cpu, LinuxLowMemory.GDT, {
      esi: LinuxLowMemory.ZERO_PAGE,
      ebx: 0,
      ebp: 0,
      edi: 0,
      esp: LinuxLowMemory.STACK_TOP,
      eip: plan.loadAddress,
    });
  }

  #claimLow(ram: PhysicalAllocator, base: number, size: number, what: string): void {
    if (!ram.isRam(base, size)) {
      throw new PopekError(
        'not-enough-memory',
        `The machine has no usable RAM at ${hex(base)}-${hex(base + size - 1)}, where the Linux boot loader puts ${what}. Give the machine at least 1 MiB of RAM from address 0.`,
      );
    }
    ram.claim(base, size, what);
  }

  #cmdline(text: string, image: BzImage): Uint8Array {
    const encoded = new TextEncoder().encode(text);
    if (encoded.includes(0)) {
      throw new PopekError('boot-options-invalid', 'The kernel command line contains a NUL character, which would end it early.');
    }
    // cmdline_size comes from the image: whatever it claims, the line stays below 0xA0000.
    const limit = Math.min(image.cmdlineSize, MAX_CMDLINE_BYTES);
    if (encoded.length > limit) {
      throw new PopekError(
        'cmdline-too-long',
        `The kernel command line is ${encoded.length} bytes long; ${image.name} accepts at most ${limit}${limit === image.cmdlineSize ? ' (its cmdline_size)' : ''}.`,
      );
    }
    const out = new Uint8Array(encoded.length + 1);
    out.set(encoded);
    return out;
  }

  /**
   * The load address: `pref_address` for a relocatable kernel when it is at or above 1 MiB,
   * aligned to kernel_alignment and has room (so the decompressor need not move), else 0x100000.
   * The kernel range covers the loaded image and `[runtime_start, runtime_start + init_size)`,
   * where runtime_start is `pref_address` for a fixed kernel, and for a relocatable one the load
   * address aligned up to kernel_alignment but not below `pref_address` (LOAD_PHYSICAL_ADDR,
   * which the decompressor enforces).
   */
  #placeKernel(image: BzImage, ram: PhysicalAllocator): { loadAddress: number; kernelRange: { base: number; end: number } } {
    const footprint = (load: number): { base: number; end: number } => {
      let runtime = load;
      if (image.relocatable) runtime = Math.max(alignUp(load, image.kernelAlignment), image.prefAddress ?? 0);
      else if (image.prefAddress !== undefined) runtime = image.prefAddress;
      const base = Math.min(load, runtime);
      const end = Math.max(load + image.payload.length, runtime + image.initSize);
      return { base, end };
    };
    const fits = (r: { base: number; end: number }): boolean => r.end <= FOUR_GIB && ram.isRam(r.base, r.end - r.base) && ram.overlap(r.base, r.end - r.base) === undefined;

    const pref = image.prefAddress;
    if (image.relocatable && pref !== undefined && pref >= BZIMAGE_LOAD_ADDRESS && pref % image.kernelAlignment === 0 && fits(footprint(pref))) {
      return { loadAddress: pref, kernelRange: footprint(pref) };
    }
    const range = footprint(BZIMAGE_LOAD_ADDRESS);
    if (!fits(range)) {
      const ramEnd = ram.ramEndAt(BZIMAGE_LOAD_ADDRESS) ?? BZIMAGE_LOAD_ADDRESS;
      const needMiB = Math.ceil(range.end / 0x10_0000);
      throw new PopekError(
        'not-enough-memory',
        `${image.name} needs RAM from ${hex(range.base)} to ${hex(range.end)} (${formatBytes(image.payload.length)} of code, and ${formatBytes(image.initSize)} from its runtime address while it boots), but the machine's RAM from 1 MiB ends at ${hex(ramEnd)}. Give the machine at least ${needMiB} MiB of memory.`,
      );
    }
    return { loadAddress: BZIMAGE_LOAD_ADDRESS, kernelRange: range };
  }

  /**
   * The initrd goes as high as it can, page-aligned, in usable RAM wholly below
   * `min(initrd_addr_max + 1, 4 GiB)`, clear of the kernel and the loader's data (boot.rst,
   * initrd_addr_max; the same rule as GRUB and QEMU).
   */
  #placeInitrd(data: Uint8Array, name: string, image: BzImage, ram: PhysicalAllocator): number {
    if (data.length > ram.ramBytes) {
      throw new PopekError(
        'initrd-too-large',
        `${name} is ${formatBytes(data.length)}, more than the machine's ${formatBytes(ram.ramBytes)} of usable RAM. Give the machine more memory.`,
      );
    }
    const limit = Math.min(image.initrdAddrMax + 1, FOUR_GIB);
    const address = ram.highest(data.length, 0x1000, limit);
    if (address === undefined) {
      const kernel = ram.claimed.find((c) => c.what === 'the kernel');
      throw new PopekError(
        'not-enough-memory',
        `${name} (${formatBytes(data.length)}) does not fit in the machine's RAM below ${hex(limit)} (the kernel's initrd_addr_max) beside the kernel, which needs ${hex(kernel?.base ?? 0)}-${hex(kernel?.end ?? 0)}. Give the machine more memory.`,
      );
    }
    ram.claim(address, data.length, 'the initrd');
    return address;
  }

  #bootParams(
    image: BzImage,
    loadAddress: number,
    initrd: LinuxBootPlan['initrd'],
    memoryMap: readonly MemoryMapEntry[],
    acpi: AcpiPlacement | undefined,
    setupData: number | undefined,
  ): Uint8Array {
    const zp = new Uint8Array(BootParams.BYTES);
    const view = new DataView(zp.buffer);
    const v = image.protocol;
    // 32-bit protocol: zero the page, then copy the setup header from offset 0x1F1 of the image.
    zp.set(image.bytes.subarray(SetupHeader.SETUP_SECTS, image.headerEnd), SetupHeader.SETUP_SECTS);

    view.setUint16(SetupHeader.VID_MODE, VID_MODE_NORMAL, true);
    view.setUint8(SetupHeader.TYPE_OF_LOADER, TYPE_OF_LOADER_UNDEFINED);
    view.setUint8(SetupHeader.LOADFLAGS, image.loadFlags | CAN_USE_HEAP);
    view.setUint32(SetupHeader.CODE32_START, loadAddress, true);
    view.setUint32(SetupHeader.RAMDISK_IMAGE, initrd?.address ?? 0, true);
    view.setUint32(SetupHeader.RAMDISK_SIZE, initrd?.data.length ?? 0, true);
    view.setUint16(SetupHeader.HEAP_END_PTR, HEAP_END_PTR, true);
    view.setUint8(SetupHeader.EXT_LOADER_VER, 0);
    view.setUint8(SetupHeader.EXT_LOADER_TYPE, 0);
    view.setUint32(SetupHeader.CMD_LINE_PTR, LinuxLowMemory.CMDLINE, true);
    if (v >= 0x0207) {
      view.setUint32(SetupHeader.HARDWARE_SUBARCH, 0, true); // the default x86/PC environment
      view.setBigUint64(SetupHeader.HARDWARE_SUBARCH_DATA, 0n, true);
    }
    if (v >= 0x0209) view.setBigUint64(SetupHeader.SETUP_DATA, BigInt(setupData ?? 0), true);
    if (acpi !== undefined && v >= 0x020e) view.setBigUint64(BootParams.ACPI_RSDP_ADDR, BigInt(acpi.image.rsdpAddress), true);

    view.setUint32(BootParams.ALT_MEM_K, Math.floor(contiguousRamFrom(memoryMap, 0x10_0000) / 1024), true);
    view.setUint8(BootParams.E820_ENTRIES, memoryMap.length);
    memoryMap.forEach((e, i) => {
      const at = BootParams.E820_TABLE + i * E820_ENTRY_BYTES;
      view.setBigUint64(at, BigInt(e.base), true);
      view.setBigUint64(at + 8, BigInt(e.size), true);
      view.setUint32(at + 16, e.type, true);
    });
    return zp;
  }
}

/** One `struct setup_data` (the last of its list: `next` = 0) of type `type` holding `data`. */
function setupDataEntry(type: number, data: Uint8Array): Uint8Array {
  const entry = new Uint8Array(SETUP_DATA_HEADER_BYTES + data.length);
  const view = new DataView(entry.buffer);
  view.setUint32(8, type, true);
  view.setUint32(12, data.length, true);
  entry.set(data, SETUP_DATA_HEADER_BYTES);
  return entry;
}

/**
 * A random seed that is a function of `material` alone ({@link RNG_SEED_BYTES} bytes of a
 * SplitMix32 stream from its CRC-32): what a deterministic machine gives its kernel, so that
 * every run of the same configuration sees the same random numbers. It is no secret; a machine
 * that needs one runs in realtime mode, where the seed comes from the host.
 */
export function deterministicRngSeed(material: Uint8Array): Uint8Array {
  const out = new Uint8Array(RNG_SEED_BYTES);
  let state = crc32(material);
  for (let i = 0; i < out.length; i += 4) {
    state = (state + 0x9e37_79b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85eb_ca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2_ae35);
    z ^= z >>> 16;
    out[i] = z & 0xff;
    out[i + 1] = (z >>> 8) & 0xff;
    out[i + 2] = (z >>> 16) & 0xff;
    out[i + 3] = z >>> 24;
  }
  return out;
}

/** A one-line description of a planned Linux boot, for logs: protocol, addresses, sizes. */
export function describeLinuxPlan(plan: LinuxBootPlan): string {
  const parts = [
    `Linux boot protocol ${formatProtocol(plan.image.protocol)}`,
    plan.image.kernelVersion === undefined ? undefined : `kernel ${plan.image.kernelVersion}`,
    `${formatBytes(plan.image.payload.length)} loaded at ${hex(plan.loadAddress)}`,
    plan.initrd === undefined ? 'no initrd' : `initrd ${formatBytes(plan.initrd.data.length)} at ${hex(plan.initrd.address)}`,
    plan.rngSeedAddress === undefined ? undefined : 'random seed',
    `${plan.memoryMap.length} e820 entries`,
  ];
  return parts.filter((p) => p !== undefined).join(', ');
}
