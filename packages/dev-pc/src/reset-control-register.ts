import {
  PowerControl,
  inject,
  injectable,
  numberField,
  type Device,
  type DeviceAttachment,
  type DeviceResources,
  type StateValue,
} from '@popek/core';
import { SingleByteWindow, type ByteRegisterWindow } from './byte-register-window.js';

/**
 * The Reset Control Register at 0xCF9 (Intel ICH10 datasheet §13.7.5 "RST_CNT — Reset Control
 * Register"; PIIX4's "RC" register has the same bits 1 and 2). It is a byte-wide register inside the range of the PCI configuration
 * mechanism #1 ports: CONFIG_ADDRESS at 0xCF8 decodes only double-word accesses (PCI Local Bus
 * Specification 3.0 §3.2.2.3.2), so a byte access to 0xCF9 reaches this register.
 */
export const RESET_CONTROL_PORT = 0xcf9;
/** Bit 1 (SYS_RST): 1 = hard reset of the whole system, 0 = soft reset (INIT). */
const RCR_SYS_RST = 0x02;
/** Bit 2 (RST_CPU): a 0→1 transition starts the reset selected by SYS_RST. */
const RCR_RST_CPU = 0x04;
/** Bit 3 (FULL_RST, ICH): power-cycle reset. Kept, since Linux writes it back. */
const RCR_FULL_RST = 0x08;
/** The bits that read back. */
const RCR_BITS = RCR_SYS_RST | RCR_RST_CPU | RCR_FULL_RST;

/**
 * The reset control register at 0xCF9, as Linux's `reboot=pci` (write 0x02, then 0x06) and the
 * ACPI reset register of the FADT (0x06 written once) use it: a write that takes RST_CPU from 0
 * to 1 resets the machine. Hard, soft and full resets are the same to Popek (a machine reset,
 * which also clears this register). Bits 1–3 read back.
 *
 * The bus owns the PCI configuration ports 0xCF8–0xCFF: it must route byte accesses to 0xCF9
 * here (see the package README).
 */
@injectable()
export class ResetControlRegister implements Device {
  readonly id = 'reset-control';
  readonly snapshotId = 'reset-control';
  readonly stateType = '@popek/dev-pc:ResetControlRegister';
  readonly stateVersion = 1;

  #value = 0;
  readonly #window = new SingleByteWindow(() => this.read(), (value) => this.write(value));

  /** @param power - the machine's reset line */
  constructor(@inject(PowerControl) private readonly power: PowerControl) {}

  resources(): DeviceResources {
    return { ports: [{ name: 'rcr', size: 1, base: RESET_CONTROL_PORT, handler: this.#window }] };
  }

  attach(_attachment: DeviceAttachment): void {
    // Fixed port, no IRQ.
  }

  reset(): void {
    this.#value = 0;
  }

  /** The register as an I/O handler, for a bus that forwards byte accesses at 0xCF9 itself. */
  get handler(): ByteRegisterWindow {
    return this.#window;
  }

  /** A guest read of 0xCF9. */
  read(): number {
    return this.#value;
  }

  /** A guest write to 0xCF9. */
  write(value: number): void {
    const previous = this.#value;
    this.#value = value & RCR_BITS;
    if ((value & RCR_RST_CPU) !== 0 && (previous & RCR_RST_CPU) === 0) this.power.reset('guest');
  }

  saveState(): StateValue {
    return { value: this.#value };
  }

  loadState(state: StateValue): void {
    this.#value = numberField(state, 'value') & RCR_BITS;
  }
}
