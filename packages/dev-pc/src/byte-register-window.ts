import type { AccessWidth, IoHandler } from '@popek/core';

/**
 * A window of byte-wide ISA registers. The ISA bus turns a 16- or 32-bit access to an 8-bit
 * device into consecutive byte accesses, lowest address first; this class does the same, so a
 * device only implements {@link readByte} and {@link writeByte}. Bytes past the end of the
 * window float (read 0xFF) and ignore writes.
 *
 * Every guest-chosen offset and width is accepted: an offset outside `[0, size)` (or not an
 * integer) reads as all ones and ignores writes.
 */
export abstract class ByteRegisterWindow implements IoHandler {
  /** @param size - number of byte registers in the window */
  constructor(readonly size: number) {}

  /** Reads the byte register at `offset` (0 ≤ offset < size). */
  protected abstract readByte(offset: number): number;

  /** Writes `value` (0–255) to the byte register at `offset` (0 ≤ offset < size). */
  protected abstract writeByte(offset: number, value: number): void;

  read(offset: number, width: AccessWidth): number {
    if (width === 1) return this.#readLane(offset);
    let value = 0;
    const lanes = width === 2 ? 2 : 4;
    for (let i = 0; i < lanes; i++) value += this.#readLane(offset + i) * 2 ** (8 * i);
    return value;
  }

  write(offset: number, width: AccessWidth, value: number): void {
    if (width === 1) {
      this.#writeLane(offset, value & 0xff);
      return;
    }
    const lanes = width === 2 ? 2 : 4;
    for (let i = 0; i < lanes; i++) this.#writeLane(offset + i, (value >>> (8 * i)) & 0xff);
  }

  #readLane(offset: number): number {
    if (!(offset >= 0 && offset < this.size) || !Number.isInteger(offset)) return 0xff;
    return this.readByte(offset) & 0xff;
  }

  #writeLane(offset: number, value: number): void {
    if (!(offset >= 0 && offset < this.size) || !Number.isInteger(offset)) return;
    this.writeByte(offset, value);
  }
}

/**
 * A one-byte register window over a pair of functions: what a device with a single 8-bit
 * register (port 0x92, 0xCF9, port 61h) hands the bus.
 */
export class SingleByteWindow extends ByteRegisterWindow {
  /**
   * @param readRegister - the register's value as the guest reads it
   * @param writeRegister - a guest write of the register
   */
  constructor(
    private readonly readRegister: () => number,
    private readonly writeRegister: (value: number) => void,
  ) {
    super(1);
  }

  protected readByte(): number {
    return this.readRegister();
  }

  protected writeByte(_offset: number, value: number): void {
    this.writeRegister(value);
  }
}
