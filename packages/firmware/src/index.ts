/**
 * `@popek/firmware`: how a Popek machine starts a guest without a BIOS. The Linux boot loader
 * (32-bit boot protocol: bzImage validation, the zero page with its e820 map, command line and
 * initrd), the Multiboot v1 loader (ELF32 and a.out-kludge kernels, modules, memory map), and the
 * ACPI tables (RSDP, RSDT, XSDT, FADT, FACS and a DSDT with `\_S5`) through which the guest powers
 * the machine off and resets it.
 *
 * A profile adds the plugin (`@popek/firmware/plugin`); the host binds {@link BootOptions}.
 *
 * @packageDocumentation
 */
export {
  AcpiOptions,
  BootOptions,
  DEFAULT_ACPI_OPTIONS,
  MAX_CMDLINE_BYTES,
  validateBootOptions,
  type LinuxBootOptions,
  type MultibootBootOptions,
  type MultibootModule,
} from './boot-options.js';
export { BootFirmware, bootFingerprint, type BootPlan } from './boot-firmware.js';
export { firmwareModule } from './firmware-module.js';

export {
  BootParams,
  describeLinuxPlan,
  deterministicRngSeed,
  E820_ENTRY_BYTES,
  E820_MAX_ENTRIES_ZEROPAGE,
  HEAP_END_PTR,
  LinuxBootLoader,
  LinuxLowMemory,
  RNG_SEED_BYTES,
  SETUP_RNG_SEED,
  TYPE_OF_LOADER_UNDEFINED,
  VID_MODE_NORMAL,
  type LinuxBootPlan,
} from './linux-boot-loader.js';
export {
  BOOT_FLAG_MAGIC,
  BZIMAGE_LOAD_ADDRESS,
  CAN_USE_HEAP,
  DEFAULT_CMDLINE_SIZE,
  DEFAULT_INITRD_ADDR_MAX,
  describeFormat,
  formatProtocol,
  HDRS_MAGIC,
  LOADED_HIGH,
  MIN_PROTOCOL,
  parseBzImage,
  SETUP_HEADER_LIMIT,
  SetupHeader,
  XLF_KERNEL_64,
  type BzImage,
} from './bzimage.js';

export {
  MULTIBOOT_LOADER_NAME,
  MULTIBOOT_MMAP_ENTRY_BYTES,
  MULTIBOOT_MODULE_BYTES,
  MULTIBOOT_STACK_BYTES,
  MultibootInfo,
  MultibootInfoFlags,
  MultibootLoader,
  type MultibootPlan,
  type PlannedModule,
} from './multiboot-loader.js';
export {
  MULTIBOOT_BOOTLOADER_MAGIC,
  MULTIBOOT_HEADER_MAGIC,
  MULTIBOOT_SEARCH_BYTES,
  MultibootHeader,
  MultibootHeaderFlags,
  parseMultibootImage,
  SUPPORTED_REQUIREMENTS,
  type MultibootImage,
} from './multiboot-image.js';
export { Elf, isElf, parseElf32Executable, type Elf32Executable, type LoadSegment } from './elf32.js';

export {
  ACPI_TABLES_BASE,
  AcpiTables,
  BDA_EBDA_SEGMENT,
  BIOS_AREA_SIZE,
  EBDA_BASE,
  EBDA_SIZE,
  Fadt,
  FadtFlags,
  GasAccess,
  GasSpace,
  IapcBootArch,
  installAcpiTables,
  PC_ACPI_PLATFORM,
  placeAcpiTables,
  Rsdp,
  type AcpiImage,
  type AcpiPlacement,
  type AcpiPlatform,
  type AcpiTableInfo,
} from './acpi-tables.js';
export {
  ACPI_TABLE_HEADER_BYTES,
  AcpiHeader,
  byteSum,
  fixChecksum,
  POPEK_ACPI_IDS,
  type AcpiIds,
} from './acpi-header.js';
export {
  AML_MAX_PKG_LENGTH,
  amlDefinitionBlock,
  amlInteger,
  amlName,
  amlNameSeg,
  amlNameString,
  AmlOp,
  amlPackage,
  amlPkgLength,
  amlScope,
  amlString,
  type DefinitionBlockHeader,
} from './aml-writer.js';

export {
  buildMemoryMap,
  contiguousRamFrom,
  E820Type,
  FOUR_GIB,
  LEGACY_HOLE_BASE,
  LEGACY_HOLE_END,
  usableRam,
  type MemoryMapEntry,
  type MemoryReservation,
} from './memory-map.js';
export { alignDown, alignUp, PhysicalAllocator, type ClaimedRange } from './physical-allocator.js';
export {
  BOOT_CS,
  BOOT_DS,
  BOOT_EFLAGS,
  BOOT_GDT_BYTES,
  BOOT_GDT_ENTRIES,
  bootGdtBytes,
  CR0_ET,
  CR0_PE,
  enterFlatProtectedMode,
} from './boot-cpu.js';
