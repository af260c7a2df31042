import type { AccessWidth, IoHandler, StateRecord, StateValue } from '@popek/core';
import { allOnes, arrayField, numberField } from '@popek/core';
import type { PciFunction } from './pci-function.js';
import { pciLocation } from './pci-function.js';
import { PCI_CONFIG_ADDRESS_MASK, PCI_CONFIG_ENABLE, PCI_FUNCTION_COUNT, PCI_SLOT_COUNT } from './pci-registers.js';

/**
 * PCI configuration mechanism #1 on bus 0 (PCI Local Bus Specification 3.0 §3.2.2.3.2), as the
 * i440FX host bridge implements it.
 *
 * CONFIG_ADDRESS (0xCF8) is a 32-bit register reached only by dword accesses: the bus registers
 * its window as dword-only, so byte and word accesses to 0xCF8–0xCFB pass through to whatever
 * else decodes those ports (the PIIX3 reset control register at 0xCF9) or float. CONFIG_DATA
 * (0xCFC–0xCFF) takes byte, word and dword accesses at any offset: the register is
 * `CONFIG_ADDRESS[7:2] << 2` plus the port's offset. With the enable bit clear, for a bus other
 * than 0, or for an absent function, data reads return all ones and writes are dropped — the
 * master abort Linux's probe relies on.
 */
export class PciHost {
  #address = 0;
  readonly #functions: (PciFunction | undefined)[] = new Array<PciFunction | undefined>(PCI_SLOT_COUNT * PCI_FUNCTION_COUNT).fill(undefined);

  /** The CONFIG_ADDRESS window's handler (register it dword-only at 0xCF8, 4 ports). */
  readonly configAddress: IoHandler = {
    read: () => this.#address,
    write: (_offset, _width, value) => {
      this.#address = (value & PCI_CONFIG_ADDRESS_MASK) >>> 0;
    },
  };

  /** The CONFIG_DATA window's handler (register it at 0xCFC, 4 ports, every width). */
  readonly configData: IoHandler = {
    read: (offset, width) => {
      const fn = this.#selected();
      return fn === undefined ? allOnes(width) : fn.readConfig((this.#address & 0xfc) | offset, width);
    },
    write: (offset, width, value) => {
      this.#selected()?.writeConfig((this.#address & 0xfc) | offset, width, value);
    },
  };

  /** The CONFIG_ADDRESS register. */
  get address(): number {
    return this.#address;
  }

  /** Adds a function at its slot and function number (the caller checked they are free). */
  add(fn: PciFunction): void {
    if (this.#functions[fn.devfn] !== undefined) throw new Error(`PCI ${pciLocation(fn.slot, fn.fn)} is taken`);
    this.#functions[fn.devfn] = fn;
  }

  /** The function at `slot`.`fn`, if any. */
  functionAt(slot: number, fn: number): PciFunction | undefined {
    return this.#functions[(slot << 3) | fn];
  }

  /** Whether any function occupies `slot`. */
  slotInUse(slot: number): boolean {
    for (let f = 0; f < PCI_FUNCTION_COUNT; f++) if (this.#functions[(slot << 3) | f] !== undefined) return true;
    return false;
  }

  /** Every function, in device/function order. */
  get functions(): readonly PciFunction[] {
    return this.#functions.filter((f): f is PciFunction => f !== undefined);
  }

  /** Reads configuration space as a guest would through mechanism #1 (for firmware and tests). */
  configRead(slot: number, fn: number, reg: number, width: AccessWidth): number {
    const f = this.functionAt(slot, fn);
    return f === undefined ? allOnes(width) : f.readConfig(reg, width);
  }

  /** Writes configuration space as a guest would through mechanism #1 (for firmware). */
  configWrite(slot: number, fn: number, reg: number, width: AccessWidth, value: number): void {
    this.functionAt(slot, fn)?.writeConfig(reg, width, value);
  }

  /** Machine reset: CONFIG_ADDRESS cleared and every function at its power-on values. */
  reset(): void {
    this.#address = 0;
    for (const fn of this.functions) fn.reset();
  }

  /** CONFIG_ADDRESS and every function's header. */
  save(): StateRecord {
    return { address: this.#address, functions: this.functions.map((fn) => ({ devfn: fn.devfn, ...fn.save() })) };
  }

  /**
   * Restores what {@link save} returned.
   *
   * @throws TypeError when the saved functions are not this machine's
   */
  load(state: StateValue): void {
    const saved = arrayField(state, 'functions');
    const mine = this.functions;
    if (saved.length !== mine.length) throw new TypeError(`snapshot has ${saved.length} PCI functions; this machine has ${mine.length}`);
    saved.forEach((s, i) => {
      if (numberField(s, 'devfn') !== mine[i]!.devfn) throw new TypeError(`snapshot PCI function ${i} is at another location`);
    });
    this.#address = (numberField(state, 'address') & PCI_CONFIG_ADDRESS_MASK) >>> 0;
    saved.forEach((s, i) => mine[i]!.load(s));
  }

  #selected(): PciFunction | undefined {
    const a = this.#address;
    // Bus numbers other than 0 master-abort: there are no PCI-to-PCI bridges.
    if ((a & PCI_CONFIG_ENABLE) === 0 || (a & 0x00ff_0000) !== 0) return undefined;
    return this.#functions[(a >>> 8) & 0xff];
  }
}
