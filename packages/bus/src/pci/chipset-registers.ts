import type { AccessWidth, IoHandler } from '@popek/core';
import { PCI_CONFIG_SPACE_SIZE } from './pci-registers.js';

/**
 * The device-specific configuration registers of a chipset function (0x40–0xFF): plain bytes
 * with a power-on value and a mask of writable bits each. Registers that were never defined read
 * as zero and ignore writes, as reserved registers do.
 */
export class ChipsetRegisters implements IoHandler {
  /** The current register bytes, indexed by configuration-space offset. */
  readonly bytes = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly #reset = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly #writable = new Uint8Array(PCI_CONFIG_SPACE_SIZE);
  readonly #changed: (reg: number) => void;

  /** @param changed - called after a guest write changed register byte `reg` */
  constructor(changed: (reg: number) => void = () => undefined) {
    this.#changed = changed;
  }

  /** Defines `count` register bytes from `reg`, each with power-on value `reset` and writable bits `writable`. */
  define(reg: number, reset: number, writable: number, count = 1): void {
    for (let i = 0; i < count; i++) {
      this.#reset[reg + i] = reset;
      this.#writable[reg + i] = writable;
      this.bytes[reg + i] = reset;
    }
  }

  read(offset: number, width: AccessWidth): number {
    let value = 0;
    for (let i = width - 1; i >= 0; i--) value = value * 256 + (this.bytes[offset + i] ?? 0);
    return value >>> 0;
  }

  write(offset: number, width: AccessWidth, value: number): void {
    for (let i = 0; i < width; i++) {
      const reg = offset + i;
      if (reg >= PCI_CONFIG_SPACE_SIZE) break;
      const mask = this.#writable[reg]!;
      if (mask === 0) continue;
      const before = this.bytes[reg]!;
      const after = (before & ~mask) | ((value >>> (8 * i)) & mask);
      this.bytes[reg] = after;
      if (after !== before) this.#changed(reg);
    }
  }

  /** Puts every register back to its power-on value (without calling the change hook). */
  reset(): void {
    this.bytes.set(this.#reset);
  }

  /**
   * Replaces the registers with saved bytes, keeping undefined registers at zero.
   *
   * @throws TypeError when `saved` is not a full configuration space
   */
  load(saved: Uint8Array): void {
    if (saved.length !== PCI_CONFIG_SPACE_SIZE) throw new TypeError(`snapshot chipset registers have ${saved.length} bytes`);
    for (let reg = 0; reg < PCI_CONFIG_SPACE_SIZE; reg++) {
      this.bytes[reg] = (this.#writable[reg]! === 0 ? this.#reset[reg]! : saved[reg]!);
    }
  }
}
