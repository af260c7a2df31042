import { PopekError, type GuestMemory } from '@popek/core';
import { ACPI_TABLE_HEADER_BYTES, AcpiHeader, fixChecksum, POPEK_ACPI_IDS, writeAscii, writeTableHeader, type AcpiIds } from './acpi-header.js';
import { amlDefinitionBlock, amlInteger, amlName, amlPackage } from './aml-writer.js';
import { alignUp } from './physical-allocator.js';
import { E820Type, type MemoryReservation } from './memory-map.js';
import { writeGuest } from './guest-writes.js';

/** RSDP fields (ACPI 6.5 §5.2.5.3, Table 5.3). */
export const Rsdp = {
  /** "RSD PTR " (8 bytes). */
  SIGNATURE: 0,
  /** Checksum of the first 20 bytes. */
  CHECKSUM: 8,
  /** OEM ID (6 bytes). */
  OEM_ID: 9,
  /** 0 for ACPI 1.0, 2 for 2.0 and later. */
  REVISION: 15,
  /** 32-bit RSDT address. */
  RSDT_ADDRESS: 16,
  /** Length of the whole structure (2.0+). */
  LENGTH: 20,
  /** 64-bit XSDT address (2.0+). */
  XSDT_ADDRESS: 24,
  /** Checksum of the whole structure (2.0+). */
  EXTENDED_CHECKSUM: 32,
  /** The ACPI 1.0 part, covered by `CHECKSUM`. */
  V1_BYTES: 20,
  /** The whole ACPI 2.0+ structure, covered by `EXTENDED_CHECKSUM`. */
  V2_BYTES: 36,
} as const;

/** FADT fields (ACPI 6.5 §5.2.9, Table 5.9). */
export const Fadt = {
  /** FIRMWARE_CTRL (u32): FACS address. */
  FIRMWARE_CTRL: 36,
  /** DSDT (u32): DSDT address. */
  DSDT: 40,
  /** Preferred_PM_Profile (u8). */
  PREFERRED_PM_PROFILE: 45,
  /** SCI_INT (u16): the SCI's interrupt. */
  SCI_INT: 46,
  /** SMI_CMD (u32): SMI command port; 0 means always in ACPI mode. */
  SMI_CMD: 48,
  /** ACPI_ENABLE (u8): value written to SMI_CMD to enter ACPI mode. */
  ACPI_ENABLE: 52,
  /** ACPI_DISABLE (u8). */
  ACPI_DISABLE: 53,
  /** PM1a_EVT_BLK (u32): PM1a event block port. */
  PM1A_EVT_BLK: 56,
  /** PM1b_EVT_BLK (u32). */
  PM1B_EVT_BLK: 60,
  /** PM1a_CNT_BLK (u32): PM1a control block port. */
  PM1A_CNT_BLK: 64,
  /** PM1b_CNT_BLK (u32). */
  PM1B_CNT_BLK: 68,
  /** PM2_CNT_BLK (u32). */
  PM2_CNT_BLK: 72,
  /** PM_TMR_BLK (u32): PM timer port. */
  PM_TMR_BLK: 76,
  /** GPE0_BLK (u32). */
  GPE0_BLK: 80,
  /** GPE1_BLK (u32). */
  GPE1_BLK: 84,
  /** PM1_EVT_LEN (u8). */
  PM1_EVT_LEN: 88,
  /** PM1_CNT_LEN (u8). */
  PM1_CNT_LEN: 89,
  /** PM2_CNT_LEN (u8). */
  PM2_CNT_LEN: 90,
  /** PM_TMR_LEN (u8). */
  PM_TMR_LEN: 91,
  /** GPE0_BLK_LEN (u8). */
  GPE0_BLK_LEN: 92,
  /** GPE1_BLK_LEN (u8). */
  GPE1_BLK_LEN: 93,
  /** P_LVL2_LAT (u16): C2 latency; above 100 means no C2. */
  P_LVL2_LAT: 96,
  /** P_LVL3_LAT (u16): C3 latency; above 1000 means no C3. */
  P_LVL3_LAT: 98,
  /** DAY_ALRM (u8): RTC day-of-month alarm index. */
  DAY_ALRM: 106,
  /** MON_ALRM (u8): RTC month alarm index. */
  MON_ALRM: 107,
  /** CENTURY (u8): RTC century index. */
  CENTURY: 108,
  /** IAPC_BOOT_ARCH (u16). */
  IAPC_BOOT_ARCH: 109,
  /** Flags (u32): fixed feature flags. */
  FLAGS: 112,
  /** RESET_REG (GAS). */
  RESET_REG: 116,
  /** RESET_VALUE (u8). */
  RESET_VALUE: 128,
  /** FADT Minor Version (u8). */
  MINOR_VERSION: 131,
  /** X_FIRMWARE_CTRL (u64). */
  X_FIRMWARE_CTRL: 132,
  /** X_DSDT (u64). */
  X_DSDT: 140,
  /** X_PM1a_EVT_BLK (GAS). */
  X_PM1A_EVT_BLK: 148,
  /** X_PM1b_EVT_BLK (GAS). */
  X_PM1B_EVT_BLK: 160,
  /** X_PM1a_CNT_BLK (GAS). */
  X_PM1A_CNT_BLK: 172,
  /** X_PM1b_CNT_BLK (GAS). */
  X_PM1B_CNT_BLK: 184,
  /** X_PM2_CNT_BLK (GAS). */
  X_PM2_CNT_BLK: 196,
  /** X_PM_TMR_BLK (GAS). */
  X_PM_TMR_BLK: 208,
  /** X_GPE0_BLK (GAS). */
  X_GPE0_BLK: 220,
  /** X_GPE1_BLK (GAS). */
  X_GPE1_BLK: 232,
  /** SLEEP_CONTROL_REG (GAS, hardware-reduced only). */
  SLEEP_CONTROL_REG: 244,
  /** SLEEP_STATUS_REG (GAS, hardware-reduced only). */
  SLEEP_STATUS_REG: 256,
  /** Hypervisor Vendor Identity (8 bytes). */
  HYPERVISOR_VENDOR_ID: 268,
  /** Length of a revision-6 FADT (ACPI 6.0 and later). */
  BYTES: 276,
} as const;

/** FADT Fixed Feature Flags (ACPI 6.5 §5.2.9, Table 5.10). */
export const FadtFlags = {
  /** WBINVD works and flushes all caches. */
  WBINVD: 1 << 0,
  /** C1 power state supported on all processors. */
  PROC_C1: 1 << 2,
  /** 1: the power button is a control-method device or absent; 0: a fixed feature. */
  PWR_BUTTON: 1 << 4,
  /** 1: the sleep button is a control-method device or absent; 0: a fixed feature. */
  SLP_BUTTON: 1 << 5,
  /** 1: the PM timer's TMR_VAL is 32 bits; 0: 24 bits. */
  TMR_VAL_EXT: 1 << 8,
  /** The RESET_REG is supported. */
  RESET_REG_SUP: 1 << 10,
  /** Hardware-reduced ACPI (no fixed hardware). */
  HW_REDUCED_ACPI: 1 << 20,
} as const;

/** IA-PC Boot Architecture Flags (ACPI 6.5 §5.2.9.3, Table 5.11). */
export const IapcBootArch = {
  /** The motherboard has user-visible ISA/LPC devices (serial ports, the PIT, the RTC). */
  LEGACY_DEVICES: 1 << 0,
  /** The motherboard has an 8042 keyboard controller. */
  I8042: 1 << 1,
  /** VGA is not present: the OS must not probe 0xA0000 or the VGA ports. */
  VGA_NOT_PRESENT: 1 << 2,
  /** MSI must not be enabled. */
  MSI_NOT_SUPPORTED: 1 << 3,
  /** The CMOS RTC is absent. */
  CMOS_RTC_NOT_PRESENT: 1 << 5,
} as const;

/** Generic Address Structure address spaces (ACPI 6.5 §5.2.3.2, Table 5.1). */
export const GasSpace = {
  /** System memory space. */
  SystemMemory: 0,
  /** System I/O space. */
  SystemIo: 1,
} as const;
/** Generic Address Structure access sizes (ACPI 6.5 §5.2.3.2). */
export const GasAccess = {
  /** Undefined (legacy): use the register bit width. */
  Undefined: 0,
  /** Byte access. */
  Byte: 1,
  /** 16-bit access. */
  Word: 2,
  /** 32-bit access. */
  DWord: 3,
  /** 64-bit access. */
  QWord: 4,
} as const;

/**
 * What the chipset offers the ACPI tables describe: the fixed-hardware register blocks, the SCI
 * and the reset register. The defaults ({@link PC_ACPI_PLATFORM}) are those `@popek/dev-pc`'s ACPI
 * power-management device decodes; both sides must agree.
 */
export interface AcpiPlatform {
  /** PM1a event block (PM1_STS, PM1_EN) I/O port; ACPI 6.5 §4.8.3.1. */
  readonly pm1aEventBlock: number;
  /** PM1 event block length in bytes (4: two 16-bit registers). */
  readonly pm1EventLength: number;
  /** PM1a control block (PM1_CNT) I/O port; ACPI 6.5 §4.8.3.2. */
  readonly pm1aControlBlock: number;
  /** PM1 control block length in bytes (2). */
  readonly pm1ControlLength: number;
  /** Power-management timer (PM_TMR) I/O port, a 3.579545 MHz counter; ACPI 6.5 §4.8.3.3. */
  readonly pmTimerBlock: number;
  /** PM timer block length in bytes (4). */
  readonly pmTimerLength: number;
  /** Whether the PM timer's TMR_VAL is 32 bits wide (else 24). */
  readonly pmTimer32Bit: boolean;
  /** The SCI's ISA interrupt (a shareable, level-triggered, active-low interrupt). */
  readonly sciInterrupt: number;
  /** The reset register (an I/O port) and the value that resets; ACPI 6.5 §4.8.3.6. */
  readonly resetPort: number;
  /** The value written to the reset register. */
  readonly resetValue: number;
  /** CMOS RAM index of the RTC century byte (0: none). */
  readonly century: number;
  /** IA-PC boot architecture flags ({@link IapcBootArch}). */
  readonly iapcBootArch: number;
  /** The SLP_TYPa (and SLP_TYPb) value of the S5 soft-off state, as `\_S5` reports it. */
  readonly s5SleepType: number;
}

/**
 * The PC platform: PM1a event block at 0x600 (4 bytes), control block at 0x604 (2 bytes), a
 * 24-bit PM timer at 0x608 (4 bytes), SCI on IRQ 9, reset by writing 0x06 to port 0xCF9 (the
 * PIIX/ICH reset control register: full reset with CPU reset), RTC century at CMOS 0x32, an 8042
 * and legacy ISA devices present, and SLP_TYP 0 for S5 (as QEMU's PIIX4 PM).
 */
export const PC_ACPI_PLATFORM: AcpiPlatform = Object.freeze({
  pm1aEventBlock: 0x600,
  pm1EventLength: 4,
  pm1aControlBlock: 0x604,
  pm1ControlLength: 2,
  pmTimerBlock: 0x608,
  pmTimerLength: 4,
  pmTimer32Bit: false,
  sciInterrupt: 9,
  resetPort: 0xcf9,
  resetValue: 0x06,
  century: 0x32,
  iapcBootArch: IapcBootArch.LEGACY_DEVICES | IapcBootArch.I8042,
  s5SleepType: 0,
});

/** One table of an {@link AcpiImage}. */
export interface AcpiTableInfo {
  /** `RSD PTR `, `RSDT`, `XSDT`, `FACP`, `FACS` or `DSDT`. */
  readonly signature: string;
  /** Guest-physical address. */
  readonly address: number;
  /** Length in bytes. */
  readonly length: number;
}

/** A complete set of ACPI tables laid out for one guest-physical base address. */
export interface AcpiImage {
  /** Where `bytes` go in guest memory (16-byte aligned). */
  readonly base: number;
  /** All tables, contiguous, with every checksum set. */
  readonly bytes: Uint8Array;
  /** The RSDP's address (`base`). */
  readonly rsdpAddress: number;
  /** Each table's place. */
  readonly tables: readonly AcpiTableInfo[];
}

/* The layout of the image: each table's offset from the RSDP; the DSDT ends it. */
const RSDP_OFFSET = 0;
const FACS_OFFSET = 0x40; // FACS must be 64-byte aligned (ACPI 6.5 §5.2.10)
const FACS_BYTES = 64;
const RSDT_OFFSET = alignUp(FACS_OFFSET + FACS_BYTES, 16);
const RSDT_BYTES = ACPI_TABLE_HEADER_BYTES + 4;
const XSDT_OFFSET = alignUp(RSDT_OFFSET + RSDT_BYTES, 16);
const XSDT_BYTES = ACPI_TABLE_HEADER_BYTES + 8;
const FADT_OFFSET = alignUp(XSDT_OFFSET + XSDT_BYTES, 16);
const DSDT_OFFSET = alignUp(FADT_OFFSET + Fadt.BYTES, 16);

/** FACS fields (ACPI 6.5 §5.2.10, Table 5.14). */
const Facs = { SIGNATURE: 0, LENGTH: 4, HARDWARE_SIGNATURE: 8, VERSION: 32 } as const;

/**
 * Builds Popek's ACPI tables (ACPI 6.5, chapter 5):
 *
 * - RSDP revision 2 (36 bytes, both checksums), pointing at an RSDT (for ACPI 1.0 readers and
 *   Multiboot kernels) and an XSDT (what ACPI 2.0+ OSes, Linux included, prefer);
 * - FADT revision 6 (276 bytes) with the fixed-hardware blocks of an {@link AcpiPlatform}, no
 *   GPE blocks, SMI_CMD 0 (the system is always in ACPI mode), RESET_REG in system I/O, flags
 *   WBINVD | PROC_C1 | SLP_BUTTON | RESET_REG_SUP, X_DSDT and the X_ register blocks equal to
 *   the 32-bit ones, and X_FIRMWARE_CTRL zero (the spec requires it when FIRMWARE_CTRL is set);
 * - FACS version 2 (64 bytes, 64-byte aligned);
 * - DSDT revision 2 holding only `Name (\_S5, Package () { t, t, 0, 0 })`: what Linux needs to
 *   power off (`acpi_enter_sleep_state(ACPI_STATE_S5)`). Devices are left to legacy probing, so
 *   the DSDT stays minimal (no `\_SB.PCI0`, no `_PRT`).
 */
export class AcpiTables {
  /**
   * @param platform - the chipset the FADT describes
   * @param ids - OEM and creator fields of every table
   */
  constructor(
    readonly platform: AcpiPlatform = PC_ACPI_PLATFORM,
    readonly ids: AcpiIds = POPEK_ACPI_IDS,
  ) {
    const t = platform.s5SleepType;
    if (!Number.isInteger(t) || t < 0 || t > 7) throw new RangeError(`SLP_TYP is a 3-bit field; ${t} is not a valid S5 sleep type`);
  }

  /** Bytes the tables take in guest memory. */
  get size(): number {
    return DSDT_OFFSET + this.dsdt().length;
  }

  /** The DSDT: `DefinitionBlock ("", "DSDT", 2, ...) { Name (\_S5, Package () {t, t, 0, 0}) }`. */
  dsdt(): Uint8Array {
    const t = this.platform.s5SleepType;
    const s5 = amlName('\\_S5', amlPackage([amlInteger(t), amlInteger(t), amlInteger(0), amlInteger(0)]));
    return amlDefinitionBlock({ signature: 'DSDT', revision: 2, ids: this.ids }, [s5]);
  }

  /** Lays the tables out at `base` (16-byte aligned, below 4 GiB) with every pointer and checksum. */
  build(base: number): AcpiImage {
    if (!Number.isSafeInteger(base) || base < 0 || base % 16 !== 0 || base + this.size > 0x1_0000_0000) {
      throw new RangeError(`ACPI tables cannot be placed at ${base}`);
    }
    const dsdt = this.dsdt();
    const bytes = new Uint8Array(DSDT_OFFSET + dsdt.length);
    const view = new DataView(bytes.buffer);
    const facsAddress = base + FACS_OFFSET;
    const fadtAddress = base + FADT_OFFSET;
    const dsdtAddress = base + DSDT_OFFSET;

    // FACS (no checksum; ACPI 6.5 §5.2.10).
    writeAscii(bytes, FACS_OFFSET + Facs.SIGNATURE, 'FACS', 4);
    view.setUint32(FACS_OFFSET + Facs.LENGTH, FACS_BYTES, true);
    view.setUint8(FACS_OFFSET + Facs.VERSION, 2);

    // RSDT and XSDT: one entry each, the FADT (ACPI 6.5 §5.2.7, §5.2.8).
    const rsdt = bytes.subarray(RSDT_OFFSET, RSDT_OFFSET + RSDT_BYTES);
    writeTableHeader(rsdt, 'RSDT', 1, this.ids);
    view.setUint32(RSDT_OFFSET + ACPI_TABLE_HEADER_BYTES, fadtAddress, true);
    fixChecksum(rsdt);
    const xsdt = bytes.subarray(XSDT_OFFSET, XSDT_OFFSET + XSDT_BYTES);
    writeTableHeader(xsdt, 'XSDT', 1, this.ids);
    view.setUint32(XSDT_OFFSET + ACPI_TABLE_HEADER_BYTES, fadtAddress, true);
    fixChecksum(xsdt);

    const fadt = bytes.subarray(FADT_OFFSET, FADT_OFFSET + Fadt.BYTES);
    this.#writeFadt(fadt, facsAddress, dsdtAddress);
    bytes.set(dsdt, DSDT_OFFSET);

    // RSDP last: it covers the RSDT and XSDT addresses (ACPI 6.5 §5.2.5.3).
    const rsdp = bytes.subarray(RSDP_OFFSET, RSDP_OFFSET + Rsdp.V2_BYTES);
    const rsdpView = new DataView(rsdp.buffer, rsdp.byteOffset, rsdp.byteLength);
    writeAscii(rsdp, Rsdp.SIGNATURE, 'RSD PTR ', 8);
    writeAscii(rsdp, Rsdp.OEM_ID, this.ids.oemId, 6);
    rsdpView.setUint8(Rsdp.REVISION, 2);
    rsdpView.setUint32(Rsdp.RSDT_ADDRESS, base + RSDT_OFFSET, true);
    rsdpView.setUint32(Rsdp.LENGTH, Rsdp.V2_BYTES, true);
    rsdpView.setUint32(Rsdp.XSDT_ADDRESS, base + XSDT_OFFSET, true);
    rsdpView.setUint32(Rsdp.XSDT_ADDRESS + 4, 0, true);
    fixChecksum(rsdp.subarray(0, Rsdp.V1_BYTES), Rsdp.CHECKSUM);
    fixChecksum(rsdp, Rsdp.EXTENDED_CHECKSUM);

    return {
      base,
      bytes,
      rsdpAddress: base + RSDP_OFFSET,
      tables: [
        { signature: 'RSD PTR ', address: base + RSDP_OFFSET, length: Rsdp.V2_BYTES },
        { signature: 'FACS', address: facsAddress, length: FACS_BYTES },
        { signature: 'RSDT', address: base + RSDT_OFFSET, length: RSDT_BYTES },
        { signature: 'XSDT', address: base + XSDT_OFFSET, length: XSDT_BYTES },
        { signature: 'FACP', address: fadtAddress, length: Fadt.BYTES },
        { signature: 'DSDT', address: dsdtAddress, length: dsdt.length },
      ],
    };
  }

  #writeFadt(fadt: Uint8Array, facsAddress: number, dsdtAddress: number): void {
    const p = this.platform;
    const view = new DataView(fadt.buffer, fadt.byteOffset, fadt.byteLength);
    writeTableHeader(fadt, 'FACP', 6, this.ids);
    view.setUint32(Fadt.FIRMWARE_CTRL, facsAddress, true);
    view.setUint32(Fadt.DSDT, dsdtAddress, true);
    view.setUint8(Fadt.PREFERRED_PM_PROFILE, 0); // Unspecified
    view.setUint16(Fadt.SCI_INT, p.sciInterrupt, true);
    view.setUint32(Fadt.SMI_CMD, 0, true); // no SMI command port: ACPI mode is always on
    view.setUint32(Fadt.PM1A_EVT_BLK, p.pm1aEventBlock, true);
    view.setUint32(Fadt.PM1A_CNT_BLK, p.pm1aControlBlock, true);
    view.setUint32(Fadt.PM_TMR_BLK, p.pmTimerBlock, true);
    view.setUint8(Fadt.PM1_EVT_LEN, p.pm1EventLength);
    view.setUint8(Fadt.PM1_CNT_LEN, p.pm1ControlLength);
    view.setUint8(Fadt.PM_TMR_LEN, p.pmTimerLength);
    // C2/C3 latencies above 100 and 1000 µs mean "not supported" (ACPI 6.5 Table 5.9).
    view.setUint16(Fadt.P_LVL2_LAT, 101, true);
    view.setUint16(Fadt.P_LVL3_LAT, 1001, true);
    view.setUint8(Fadt.CENTURY, p.century);
    view.setUint16(Fadt.IAPC_BOOT_ARCH, p.iapcBootArch, true);
    const flags =
      FadtFlags.WBINVD | FadtFlags.PROC_C1 | FadtFlags.SLP_BUTTON | FadtFlags.RESET_REG_SUP | (p.pmTimer32Bit ? FadtFlags.TMR_VAL_EXT : 0);
    view.setUint32(Fadt.FLAGS, flags >>> 0, true);
    writeGas(view, Fadt.RESET_REG, GasSpace.SystemIo, 8, GasAccess.Byte, p.resetPort);
    view.setUint8(Fadt.RESET_VALUE, p.resetValue);
    view.setUint8(Fadt.MINOR_VERSION, 5);
    // X_FIRMWARE_CTRL must be zero when FIRMWARE_CTRL is set (ACPI 6.5 Table 5.9); the FACS is below 4 GiB.
    view.setUint32(Fadt.X_FIRMWARE_CTRL, 0, true);
    view.setUint32(Fadt.X_DSDT, dsdtAddress, true);
    writeGas(view, Fadt.X_PM1A_EVT_BLK, GasSpace.SystemIo, p.pm1EventLength * 8, GasAccess.Word, p.pm1aEventBlock);
    writeGas(view, Fadt.X_PM1A_CNT_BLK, GasSpace.SystemIo, p.pm1ControlLength * 8, GasAccess.Word, p.pm1aControlBlock);
    writeGas(view, Fadt.X_PM_TMR_BLK, GasSpace.SystemIo, p.pmTimerLength * 8, GasAccess.DWord, p.pmTimerBlock);
    writeAscii(fadt, Fadt.HYPERVISOR_VENDOR_ID, 'Popek', 8);
    fixChecksum(fadt, AcpiHeader.CHECKSUM);
  }
}

/** Writes a Generic Address Structure (ACPI 6.5 §5.2.3.2): 12 bytes. */
function writeGas(view: DataView, offset: number, space: number, bitWidth: number, access: number, address: number): void {
  view.setUint8(offset, space);
  view.setUint8(offset + 1, bitWidth);
  view.setUint8(offset + 2, 0);
  view.setUint8(offset + 3, access);
  view.setUint32(offset + 4, address >>> 0, true);
  view.setUint32(offset + 8, 0, true);
}

/**
 * Where the tables go by default: the start of the system BIOS area, 0xE0000. Linux finds the
 * RSDP there by its legacy scan of 0xE0000–0xFFFFF on 16-byte boundaries (ACPI 6.5 §5.2.5.1) as
 * well as through `boot_params.acpi_rsdp_addr`.
 */
export const ACPI_TABLES_BASE = 0xe_0000;
/** The reserved range reported for tables in the BIOS area: all of 0xE0000–0xFFFFF. */
export const BIOS_AREA_SIZE = 0x2_0000;
/** The fallback: a 1 KiB Extended BIOS Data Area just below 640 KiB, found via the BDA. */
export const EBDA_BASE = 0x9_fc00;
/** Size of the fallback EBDA. */
export const EBDA_SIZE = 0x400;
/** BDA word holding the EBDA's real-mode segment (ACPI 6.5 §5.2.5.1: the OS searches its first KiB). */
export const BDA_EBDA_SEGMENT = 0x40e;

/** Where a machine's ACPI tables go, and what that costs in its memory map. */
export interface AcpiPlacement {
  /** The tables, laid out for their address. */
  readonly image: AcpiImage;
  /** The range reported as reserved in the memory map. */
  readonly reservation: MemoryReservation;
  /** When the tables sit in the fallback EBDA, the segment to store in the BDA at 0x40E. */
  readonly ebdaSegment?: number;
}

/**
 * Chooses where the tables go: the BIOS area at 0xE0000 when the guest memory is writable RAM
 * there (the bus backs it with RAM that the memory map reports as reserved); otherwise a 1 KiB
 * EBDA at 0x9FC00 (reported reserved, with the BDA pointing at it). Both are places Linux's and
 * other OSes' legacy RSDP scan looks.
 *
 * @throws `PopekError` `acpi-no-room` when neither is RAM
 */
export function placeAcpiTables(memory: GuestMemory, tables: AcpiTables = new AcpiTables()): AcpiPlacement {
  if (memory.isRam(ACPI_TABLES_BASE, tables.size)) {
    return {
      image: tables.build(ACPI_TABLES_BASE),
      reservation: { base: ACPI_TABLES_BASE, size: BIOS_AREA_SIZE, type: E820Type.Reserved, what: 'the ACPI tables in the BIOS area' },
    };
  }
  if (tables.size <= EBDA_SIZE && memory.isRam(EBDA_BASE, EBDA_SIZE) && memory.isRam(BDA_EBDA_SEGMENT, 2)) {
    return {
      image: tables.build(EBDA_BASE),
      reservation: { base: EBDA_BASE, size: EBDA_SIZE, type: E820Type.Reserved, what: 'the ACPI tables in the EBDA' },
      ebdaSegment: EBDA_BASE >> 4,
    };
  }
  throw new PopekError(
    'acpi-no-room',
    `The firmware has nowhere to put the ACPI tables: guest memory is not RAM at 0x${ACPI_TABLES_BASE.toString(16)} (the BIOS area) nor at 0x${EBDA_BASE.toString(16)} (an EBDA). Give the machine at least 640 KiB of low memory, or disable ACPI.`,
  );
}

/** Writes placed tables (and the BDA's EBDA pointer when they sit in the EBDA) into guest memory. */
export function installAcpiTables(memory: GuestMemory, placement: AcpiPlacement): void {
  writeGuest(memory, placement.image.base, placement.image.bytes, 'the ACPI tables');
  if (placement.ebdaSegment !== undefined) {
    writeGuest(memory, BDA_EBDA_SEGMENT, Uint8Array.of(placement.ebdaSegment & 0xff, placement.ebdaSegment >>> 8), 'the BDA pointer to the EBDA');
  }
}
