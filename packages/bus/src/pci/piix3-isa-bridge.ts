import type { PciFunctionRequest } from '@popek/core';
import type { IrqRouter } from '../irq-router.js';
import { PIRQ_COUNT } from '../irq-router.js';
import { PIRQ_ROUTABLE_IRQS } from '../bus-options.js';
import { ChipsetRegisters } from './chipset-registers.js';
import type { PciFunctionDefaults } from './pci-function.js';
import { PCI_VENDOR_ID_INTEL } from './i440fx-host-bridge.js';
import { PCI_COMMAND_IO, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY, PCI_STATUS_DEVSEL_MEDIUM } from './pci-registers.js';

/** 82371SB PIIX3 function 0, the PCI-to-ISA bridge. */
export const PIIX3_ISA_DEVICE_ID = 0x7000;
/** Class code of a PCI-to-ISA bridge (base class 06h, sub-class 01h). */
export const PCI_CLASS_BRIDGE_ISA = 0x06_01_00;

/*
 * Register offsets of the 82371SB (PIIX3) function 0, datasheet 290550 §2.2.
 */
/** ISA I/O recovery timer. */
export const PIIX3_IORT = 0x4c;
/** X-Bus chip select (BIOS decode). */
export const PIIX3_XBCS = 0x4e;
/** PIRQA# route control; PIRQB#–PIRQD# follow at 0x61–0x63. §2.2.9 */
export const PIIX3_PIRQRC = 0x60;
/** Top of memory. */
export const PIIX3_TOM = 0x69;
/** Miscellaneous status. */
export const PIIX3_MSTAT = 0x6a;
/** Motherboard device IRQ route control 0. */
export const PIIX3_MBIRQ0 = 0x70;
/** Motherboard device DMA control. */
export const PIIX3_MBDMA = 0x76;
/** Programmable chip select control. */
export const PIIX3_PCSC = 0x78;
/** APIC base address relocation. */
export const PIIX3_APICBASE = 0x80;
/** Deterministic latency control. */
export const PIIX3_DLC = 0x82;
/** SMI control. */
export const PIIX3_SMICNTL = 0xa0;
/** SMI enable. */
export const PIIX3_SMIEN = 0xa2;
/** System event enable. */
export const PIIX3_SEE = 0xa4;
/** Fast-off timer. */
export const PIIX3_FTMR = 0xa8;
/** SMI request. */
export const PIIX3_SMIREQ = 0xaa;

/** PIRQRC bit 7: routing disabled (IRQEN#). */
export const PIRQRC_DISABLE = 0x80;
/** PIRQRC bits 3:0: the ISA IRQ. */
export const PIRQRC_IRQ_MASK = 0x0f;

/**
 * The PIIX3-class PCI-to-ISA bridge at 00:01.0 (Intel 82371SB function 0), multi-function so
 * that firmware and Linux look at its other functions (IDE at 00:01.1, and so on). Its PIRQ route
 * control registers (0x60–0x63) steer PIRQA#–PIRQD# into the ISA IRQs of the PIC; the other
 * documented registers are storage with their power-on values.
 */
export class Piix3IsaBridge {
  /** Registers 0x40–0xFF. */
  readonly registers: ChipsetRegisters;
  readonly #router: IrqRouter;

  /** @param router - the interrupt router the PIRQ registers steer */
  constructor(router: IrqRouter) {
    this.#router = router;
    this.registers = new ChipsetRegisters((reg) => {
      if (reg >= PIIX3_PIRQRC && reg < PIIX3_PIRQRC + PIRQ_COUNT) this.#applyRoute(reg - PIIX3_PIRQRC);
    });
    const r = this.registers;
    r.define(PIIX3_IORT, 0x4d, 0xff);
    r.define(PIIX3_XBCS, 0x03, 0xff);
    r.define(PIIX3_XBCS + 1, 0x00, 0xff);
    // Bits 6:4 are reserved and read as zero.
    r.define(PIIX3_PIRQRC, PIRQRC_DISABLE, PIRQRC_DISABLE | PIRQRC_IRQ_MASK, PIRQ_COUNT);
    r.define(PIIX3_TOM, 0x02, 0xff);
    r.define(PIIX3_MSTAT, 0x00, 0xff, 2);
    r.define(PIIX3_MBIRQ0, 0x80, 0xcf);
    r.define(PIIX3_MBDMA, 0x04, 0x8f, 2);
    r.define(PIIX3_PCSC, 0x02, 0xff);
    r.define(PIIX3_PCSC + 1, 0x00, 0xff);
    r.define(PIIX3_APICBASE, 0x00, 0x7f);
    r.define(PIIX3_DLC, 0x00, 0x0f);
    r.define(PIIX3_SMICNTL, 0x08, 0x1f);
    r.define(PIIX3_SMIEN, 0x00, 0xff, 2);
    r.define(PIIX3_SEE, 0x00, 0xff, 4);
    r.define(PIIX3_FTMR, 0x0f, 0xff);
    r.define(PIIX3_SMIREQ, 0x00, 0xff, 2);
  }

  /** The function's configuration header. */
  request(): PciFunctionRequest {
    return {
      vendorId: PCI_VENDOR_ID_INTEL,
      deviceId: PIIX3_ISA_DEVICE_ID,
      classCode: PCI_CLASS_BRIDGE_ISA,
      multiFunction: true,
      interruptPin: 0,
      slot: 1,
      function: 0,
      deviceConfig: this.registers,
    };
  }

  /** Command and status: I/O, memory and bus-master enabled and fixed (82371SB PCICMD). */
  defaults(): PciFunctionDefaults {
    return {
      commandFixed: PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
      commandWritable: 0,
      status: PCI_STATUS_DEVSEL_MEDIUM,
    };
  }

  /** The ISA IRQ each PIRQ is routed to (-1 for none), from the route registers. */
  routes(): number[] {
    const out: number[] = [];
    for (let p = 0; p < PIRQ_COUNT; p++) out.push(decodeRoute(this.registers.bytes[PIIX3_PIRQRC + p]!));
    return out;
  }

  /** Power-on values: every PIRQ disconnected. */
  reset(): void {
    this.registers.reset();
    for (let p = 0; p < PIRQ_COUNT; p++) this.#applyRoute(p);
  }

  /** Programs PIRQ `pirq`'s route register as firmware does (a configuration write). */
  routePirq(pirq: number, irq: number): void {
    this.registers.write(PIIX3_PIRQRC + pirq, 1, irq);
  }

  #applyRoute(pirq: number): void {
    this.#router.setPirqRoute(pirq, decodeRoute(this.registers.bytes[PIIX3_PIRQRC + pirq]!));
  }
}

/** The ISA IRQ a PIRQRC value selects, or -1 (disabled, or a reserved IRQ value). */
export function decodeRoute(value: number): number {
  if ((value & PIRQRC_DISABLE) !== 0) return -1;
  const irq = value & PIRQRC_IRQ_MASK;
  return PIRQ_ROUTABLE_IRQS.includes(irq) ? irq : -1;
}
