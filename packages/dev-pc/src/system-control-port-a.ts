import {
  A20Gate,
  PowerControl,
  inject,
  injectable,
  numberField,
  type Device,
  type DeviceAttachment,
  type DeviceResources,
  type StateValue,
} from '@popek/core';
import { SingleByteWindow } from './byte-register-window.js';

/** System Control Port A ("port 92h", PIIX4 datasheet §4.7.1; PS/2 "fast A20 and reset"). */
export const PORT_A = 0x92;
/** Bit 0 (FAST_INIT / ALT_RESET): a 0→1 transition resets the CPU. */
const PORT_A_FAST_RESET = 0x01;
/** Bit 1 (ALT_A20_GATE): A20 gate, 1 = address line 20 passes. */
const PORT_A_A20 = 0x02;

/**
 * System Control Port A at 0x92: bit 1 is the "fast A20" gate and a rising edge of bit 0 resets
 * the machine. Bit 1 reads back the gate's actual state (the keyboard controller drives the same
 * gate); the other bits read back as written.
 */
@injectable()
export class SystemControlPortA implements Device {
  readonly id = 'port92';
  readonly snapshotId = 'port92';
  readonly stateType = '@popek/dev-pc:SystemControlPortA';
  readonly stateVersion = 1;

  #value = 0;
  readonly #window = new SingleByteWindow(() => this.read(), (value) => this.write(value));

  /**
   * @param power - the machine's reset line
   * @param a20 - the A20 gate
   */
  constructor(
    @inject(PowerControl) private readonly power: PowerControl,
    @inject(A20Gate) private readonly a20: A20Gate,
  ) {}

  resources(): DeviceResources {
    return { ports: [{ name: 'port-a', size: 1, base: PORT_A, handler: this.#window }] };
  }

  attach(_attachment: DeviceAttachment): void {
    // Fixed port, no IRQ.
  }

  reset(): void {
    this.#value = 0;
  }

  /** A guest read of port 0x92. */
  read(): number {
    return (this.#value & ~PORT_A_A20) | (this.a20.a20Enabled ? PORT_A_A20 : 0);
  }

  /** A guest write to port 0x92. */
  write(value: number): void {
    const previous = this.#value;
    this.#value = value & 0xff;
    const a20 = (value & PORT_A_A20) !== 0;
    if (a20 !== this.a20.a20Enabled) this.a20.setA20(a20);
    if ((value & PORT_A_FAST_RESET) !== 0 && (previous & PORT_A_FAST_RESET) === 0) this.power.reset('guest');
  }

  saveState(): StateValue {
    return { value: this.#value };
  }

  loadState(state: StateValue): void {
    this.#value = numberField(state, 'value') & 0xff;
  }
}
