import { PopekError, type BootProcessorState, type GuestMemory, type MemoryLayout } from '@popek/core';
import { installAcpiTables, type AcpiPlacement } from './acpi-tables.js';
import { bootGdtBytes, BOOT_GDT_BYTES, enterFlatProtectedMode } from './boot-cpu.js';
import type { MultibootBootOptions } from './boot-options.js';
import { formatBytes, hex, writeGuest, zeroGuest } from './guest-writes.js';
import {
  buildMemoryMap,
  checkLayout,
  contiguousRamFrom,
  FOUR_GIB,
  LEGACY_HOLE_BASE,
  usableRam,
  type MemoryMapEntry,
  type MemoryReservation,
} from './memory-map.js';
import { MULTIBOOT_BOOTLOADER_MAGIC, parseMultibootImage, type MultibootImage } from './multiboot-image.js';
import { alignUp, PhysicalAllocator } from './physical-allocator.js';

/** Multiboot information structure fields (Multiboot 0.6.96 §3.3). */
export const MultibootInfo = {
  /** flags: which fields are valid. */
  FLAGS: 0,
  /** mem_lower: KiB of RAM from 0 (at most 640). */
  MEM_LOWER: 4,
  /** mem_upper: KiB of RAM from 1 MiB to the first hole. */
  MEM_UPPER: 8,
  /** boot_device (not provided). */
  BOOT_DEVICE: 12,
  /** cmdline: address of the command line. */
  CMDLINE: 16,
  /** mods_count. */
  MODS_COUNT: 20,
  /** mods_addr: address of the module structures. */
  MODS_ADDR: 24,
  /** mmap_length: bytes of memory map. */
  MMAP_LENGTH: 44,
  /** mmap_addr: address of the first entry (its size field). */
  MMAP_ADDR: 48,
  /** boot_loader_name: address of the name string. */
  BOOT_LOADER_NAME: 64,
  /** Bytes up to and including the VBE fields; Popek provides no framebuffer fields. */
  BYTES: 88,
} as const;

/** Multiboot information flags: which fields are valid (§3.3). */
export const MultibootInfoFlags = {
  /** Bit 0: mem_lower and mem_upper. */
  MEMORY: 1 << 0,
  /** Bit 1: boot_device. */
  BOOT_DEVICE: 1 << 1,
  /** Bit 2: cmdline. */
  CMDLINE: 1 << 2,
  /** Bit 3: mods_count and mods_addr. */
  MODS: 1 << 3,
  /** Bit 6: mmap_length and mmap_addr. */
  MMAP: 1 << 6,
  /** Bit 9: boot_loader_name. */
  BOOT_LOADER_NAME: 1 << 9,
} as const;

/** A module structure: mod_start, mod_end (exclusive), string, reserved (§3.3). */
export const MULTIBOOT_MODULE_BYTES = 16;
/** A memory map entry: size (= 20, not counting itself), base_addr, length, type (§3.3). */
export const MULTIBOOT_MMAP_ENTRY_BYTES = 24;
/** The boot loader name the kernel sees. */
export const MULTIBOOT_LOADER_NAME = 'Popek';
/** The stack the loader leaves in ESP (the spec requires none; a sane one costs nothing). */
export const MULTIBOOT_STACK_BYTES = 0x1000;

/** One loaded module's place. */
export interface PlannedModule {
  /** mod_start. */
  readonly address: number;
  /** The module's bytes. */
  readonly data: Uint8Array;
}

/** Everything the Multiboot loader writes and sets, computed once (at build) and applied at every reset. */
export interface MultibootPlan {
  /** The validated kernel. */
  readonly image: MultibootImage;
  /** Modules in order, page-aligned after the kernel. */
  readonly modules: readonly PlannedModule[];
  /** The memory map given to the kernel. */
  readonly memoryMap: readonly MemoryMapEntry[];
  /** Base of the loader's area: stack, GDT, information structure, module list, map, strings. */
  readonly areaAddress: number;
  /** The area's bytes. */
  readonly area: Uint8Array;
  /** The boot GDT's address (in the area). */
  readonly gdtAddress: number;
  /** The information structure's address: EBX at entry. */
  readonly infoAddress: number;
  /** ESP at entry (top of the stack at the start of the area). */
  readonly stackTop: number;
  /** The ACPI tables written with the kernel, if any. */
  readonly acpi: AcpiPlacement | undefined;
}

/**
 * Loads a Multiboot v1 kernel (Multiboot Specification 0.6.96): ELF32 or a.out-kludge images,
 * page-aligned modules, memory information and the memory map from the machine's layout, the
 * command line and the boot loader name; it enters the kernel in flat 32-bit protected mode with
 * EAX = 0x2BADB002 and EBX = the information structure (§3.2).
 *
 * `plan` checks everything without touching the machine; `load` writes and starts.
 */
export class MultibootLoader {
  /**
   * @param memory - guest RAM, written at load
   * @param layout - the machine's memory layout
   */
  constructor(
    private readonly memory: GuestMemory,
    private readonly layout: MemoryLayout,
  ) {}

  /**
   * Validates the kernel and computes where everything goes.
   *
   * @throws `PopekError` for a malformed image, segments outside usable RAM, or modules
   *   that do not fit
   */
  plan(options: MultibootBootOptions, acpi?: AcpiPlacement): MultibootPlan {
    const image = parseMultibootImage(options.kernel, options.kernelName ?? 'The kernel image');
    const regions = this.layout.regions();
    checkLayout(regions);
    const reservations: MemoryReservation[] = acpi === undefined ? [] : [acpi.reservation];
    const memoryMap = buildMemoryMap(regions, reservations);
    const ram = new PhysicalAllocator(usableRam(memoryMap));

    let kernelEnd = 0;
    for (const s of image.segments) {
      if (!ram.isRam(s.address, s.memSize)) {
        const usable = usableRam(memoryMap).map((r) => `${hex(r.base)}-${hex(r.base + r.size - 1)}`);
        throw new PopekError(
          'not-enough-memory',
          `${image.name} loads ${formatBytes(s.memSize)} at ${hex(s.address)}-${hex(s.address + s.memSize - 1)}, which is not usable RAM in this machine (its usable RAM is ${usable.join(', ') || 'nothing'}).`,
        );
      }
      ram.claim(s.address, s.memSize, 'the kernel');
      kernelEnd = Math.max(kernelEnd, s.address + s.memSize);
    }

    const modules: PlannedModule[] = [];
    const moduleSpecs = options.modules ?? [];
    moduleSpecs.forEach((m, i) => {
      const address = ram.lowest(m.data.length, 0x1000, alignUp(kernelEnd, 0x1000), FOUR_GIB) ?? ram.lowest(m.data.length, 0x1000, 0x1000, FOUR_GIB);
      if (address === undefined) {
        throw new PopekError(
          'not-enough-memory',
          `Multiboot module ${i} (${formatBytes(m.data.length)}) does not fit in the machine's usable RAM beside the kernel and the modules before it. Give the machine more memory.`,
        );
      }
      ram.claim(address, m.data.length, `module ${i}`);
      modules.push({ address, data: m.data });
    });

    const encoder = new TextEncoder();
    const strings = [options.cmdline, MULTIBOOT_LOADER_NAME, ...moduleSpecs.map((m) => m.cmdline)].map((s) => {
      const bytes = encoder.encode(`${s}\0`);
      if (bytes.indexOf(0) !== bytes.length - 1) {
        throw new PopekError('boot-options-invalid', `A Multiboot command line contains a NUL character, which would end it early.`);
      }
      return bytes;
    });
    const stringBytes = strings.reduce((n, s) => n + s.length, 0);
    const gdtOffset = MULTIBOOT_STACK_BYTES;
    const infoOffset = gdtOffset + BOOT_GDT_BYTES;
    const modsOffset = infoOffset + MultibootInfo.BYTES;
    const mmapOffset = modsOffset + modules.length * MULTIBOOT_MODULE_BYTES;
    const stringsOffset = mmapOffset + memoryMap.length * MULTIBOOT_MMAP_ENTRY_BYTES;
    const areaSize = stringsOffset + stringBytes;
    const areaAddress = ram.lowest(areaSize, 0x1000, 0x1000, LEGACY_HOLE_BASE) ?? ram.lowest(areaSize, 0x1000, 0x1000, FOUR_GIB);
    if (areaAddress === undefined) {
      throw new PopekError(
        'not-enough-memory',
        `The Multiboot boot information (${formatBytes(areaSize)}) does not fit in the machine's usable RAM beside the kernel and modules. Give the machine more memory.`,
      );
    }
    ram.claim(areaAddress, areaSize, 'the boot information');

    const area = new Uint8Array(areaSize);
    const view = new DataView(area.buffer);
    area.set(bootGdtBytes(), gdtOffset);
    let at = stringsOffset;
    const stringAddress: number[] = [];
    for (const s of strings) {
      stringAddress.push(areaAddress + at);
      area.set(s, at);
      at += s.length;
    }
    modules.forEach((m, i) => {
      const e = modsOffset + i * MULTIBOOT_MODULE_BYTES;
      view.setUint32(e, m.address, true);
      view.setUint32(e + 4, m.address + m.data.length, true);
      view.setUint32(e + 8, stringAddress[2 + i]!, true);
    });
    memoryMap.forEach((m, i) => {
      const e = mmapOffset + i * MULTIBOOT_MMAP_ENTRY_BYTES;
      view.setUint32(e, MULTIBOOT_MMAP_ENTRY_BYTES - 4, true);
      view.setBigUint64(e + 4, BigInt(m.base), true);
      view.setBigUint64(e + 12, BigInt(m.size), true);
      view.setUint32(e + 20, m.type, true);
    });
    const info = infoOffset;
    view.setUint32(
      info + MultibootInfo.FLAGS,
      MultibootInfoFlags.MEMORY | MultibootInfoFlags.CMDLINE | MultibootInfoFlags.MODS | MultibootInfoFlags.MMAP | MultibootInfoFlags.BOOT_LOADER_NAME,
      true,
    );
    view.setUint32(info + MultibootInfo.MEM_LOWER, Math.floor(Math.min(contiguousRamFrom(memoryMap, 0), LEGACY_HOLE_BASE) / 1024), true);
    view.setUint32(info + MultibootInfo.MEM_UPPER, Math.floor(Math.min(contiguousRamFrom(memoryMap, 0x10_0000), FOUR_GIB) / 1024), true);
    view.setUint32(info + MultibootInfo.CMDLINE, stringAddress[0]!, true);
    view.setUint32(info + MultibootInfo.MODS_COUNT, modules.length, true);
    view.setUint32(info + MultibootInfo.MODS_ADDR, areaAddress + modsOffset, true);
    view.setUint32(info + MultibootInfo.MMAP_LENGTH, memoryMap.length * MULTIBOOT_MMAP_ENTRY_BYTES, true);
    view.setUint32(info + MultibootInfo.MMAP_ADDR, areaAddress + mmapOffset, true);
    view.setUint32(info + MultibootInfo.BOOT_LOADER_NAME, stringAddress[1]!, true);

    return {
      image,
      modules,
      memoryMap,
      areaAddress,
      area,
      gdtAddress: areaAddress + gdtOffset,
      infoAddress: areaAddress + infoOffset,
      stackTop: areaAddress + MULTIBOOT_STACK_BYTES,
      acpi,
    };
  }

  /**
   * Writes the plan into guest memory (segments with their bss zeroed, modules, the boot
   * information, the ACPI tables) and enters the kernel: EAX = 0x2BADB002, EBX = the information
   * structure, CS = 0x10 and DS = ES = FS = GS = SS = 0x18 flat, paging off, IF = 0 (§3.2).
   */
  load(plan: MultibootPlan, cpu: BootProcessorState): void {
    if (plan.acpi !== undefined) installAcpiTables(this.memory, plan.acpi);
    for (const s of plan.image.segments) {
      writeGuest(this.memory, s.address, s.data, 'a kernel segment');
      zeroGuest(this.memory, s.address + s.data.length, s.memSize - s.data.length, 'a kernel segment (bss)');
    }
    plan.modules.forEach((m, i) => writeGuest(this.memory, m.address, m.data, `Multiboot module ${i}`));
    writeGuest(this.memory, plan.areaAddress, plan.area, 'the Multiboot boot information');
    enterFlatProtectedMode(cpu, plan.gdtAddress, {
      eax: MULTIBOOT_BOOTLOADER_MAGIC,
      ebx: plan.infoAddress,
      esp: plan.stackTop,
      eip: plan.image.entry,
    });
  }
}
