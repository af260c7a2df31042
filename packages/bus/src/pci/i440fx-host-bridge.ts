import type { PciFunctionRequest } from '@popek/core';
import { ChipsetRegisters } from './chipset-registers.js';
import type { PciFunctionDefaults } from './pci-function.js';
import { PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY, PCI_COMMAND_PARITY, PCI_COMMAND_SERR, PCI_STATUS_DEVSEL_MEDIUM, PCI_STATUS_FAST_BACK } from './pci-registers.js';

/** Intel's PCI vendor ID. */
export const PCI_VENDOR_ID_INTEL = 0x8086;
/** 82441FX PCI and Memory Controller (PMC), the i440FX host bridge. */
export const I440FX_DEVICE_ID = 0x1237;
/** Class code of a host bridge (base class 06h bridge, sub-class 00h host). */
export const PCI_CLASS_BRIDGE_HOST = 0x06_00_00;

/** 82441FX PAM0: attribute of the 0xF0000–0xFFFFF BIOS segment (bits 5:4). Datasheet 290549 §3.2.18 */
export const I440FX_PAM0 = 0x59;
/** 82441FX PAM1–PAM6: two 16 KiB segments of 0xC0000–0xEFFFF each (bits 1:0 and 5:4). */
export const I440FX_PAM1 = 0x5a;
/** 82441FX DRB0–DRB7: DRAM row boundaries in 8 MiB units. §3.2.19 */
export const I440FX_DRB0 = 0x60;
/** 82441FX SMRAM control; bits 2:0 are the fixed C_BASE_SEG (010b: 0xA0000). §3.2.23 */
export const I440FX_SMRAM = 0x72;
/** PAM attribute "read and write go to DRAM" in both nibbles. */
export const PAM_RAM_READ_WRITE = 0x33;

/**
 * The i440FX-class host bridge at 00:00.0 (Intel 82441FX PMC): identity, command and status as
 * the datasheet gives them, and its device-specific registers as storage. The memory map is the
 * bus's, not these registers': firmware leaves PAM0–6 at "DRAM read/write" (the BIOS area is RAM)
 * and the DRB registers at the RAM size, and writes to them change nothing else (PAM shadowing
 * and SMRAM are not modelled).
 */
export class I440fxHostBridge {
  /** Registers 0x40–0xFF. */
  readonly registers = new ChipsetRegisters();
  readonly #ramBytes: number;

  /** @param ramBytes - the RAM size, which firmware writes into the DRB registers */
  constructor(ramBytes: number) {
    this.#ramBytes = ramBytes;
    this.registers.define(I440FX_PAM0, 0x00, 0x30);
    this.registers.define(I440FX_PAM1, 0x00, 0x33, 6);
    this.registers.define(I440FX_DRB0, 0x01, 0xff, 8);
    this.registers.define(I440FX_SMRAM, 0x02, 0x78);
  }

  /** The function's configuration header. */
  request(): PciFunctionRequest {
    return {
      vendorId: PCI_VENDOR_ID_INTEL,
      deviceId: I440FX_DEVICE_ID,
      revisionId: 0x02,
      classCode: PCI_CLASS_BRIDGE_HOST,
      interruptPin: 0,
      slot: 0,
      function: 0,
      deviceConfig: this.registers,
    };
  }

  /** Command and status: memory and bus-master enables hard-wired on (82441FX PCICMD, PCISTS). */
  defaults(): PciFunctionDefaults {
    return {
      commandFixed: PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
      commandWritable: PCI_COMMAND_PARITY | PCI_COMMAND_SERR,
      status: PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM,
    };
  }

  /** Power-on values. */
  reset(): void {
    this.registers.reset();
  }

  /** What firmware leaves: BIOS area as read/write DRAM, DRB0–7 at the top of RAM. */
  initialize(): void {
    this.registers.bytes[I440FX_PAM0] = PAM_RAM_READ_WRITE & 0x30;
    this.registers.bytes.fill(PAM_RAM_READ_WRITE, I440FX_PAM1, I440FX_PAM1 + 6);
    const rows = Math.min(0xff, Math.ceil(this.#ramBytes / 0x80_0000));
    this.registers.bytes.fill(rows, I440FX_DRB0, I440FX_DRB0 + 8);
  }
}
