import { booleanField, bytesField, numberField, type StateValue } from '@popek/core';
import { ByteQueue } from './byte-queue.js';
import { SC1_OVERRUN, SC2_OVERRUN, keySequences } from './scancodes.js';

/*
 * Commands and responses of a PS/2 (MF2) keyboard (IBM PS/2 Hardware Interface Technical
 * Reference, "Keyboard Commands"; Linux drivers/input/keyboard/atkbd.c sends them).
 */
const CMD_SET_LEDS = 0xed;
const CMD_ECHO = 0xee;
const CMD_SCANCODE_SET = 0xf0;
const CMD_GET_ID = 0xf2;
const CMD_SET_TYPEMATIC = 0xf3;
const CMD_ENABLE = 0xf4;
const CMD_DEFAULT_DISABLE = 0xf5;
const CMD_SET_DEFAULT = 0xf6;
/** 0xF7–0xFD: set-3 key-type commands, acknowledged and ignored. */
const CMD_SET3_FIRST = 0xf7;
const CMD_SET3_LAST = 0xfd;
const CMD_RESEND = 0xfe;
const CMD_RESET = 0xff;
const RESP_ACK = 0xfa;
const RESP_BAT_OK = 0xaa;
const RESP_ECHO = 0xee;
const RESP_RESEND = 0xfe;
/** The MF2 keyboard's ID. */
const KEYBOARD_ID = [0xab, 0x83] as const;
/** Default typematic byte: 10.9 characters per second, 500 ms delay. */
const DEFAULT_TYPEMATIC = 0x2b;
/**
 * The keyboard's buffer. A real keyboard holds 16 bytes, but it clocks them out a millisecond
 * apart while this model hands them over at once; with the controller's output buffer, 15 keep
 * the total at the 16 bytes Linux's i8042_flush() drains before it declares the controller
 * dead, so keys typed during boot cannot make the guest lose its keyboard.
 */
export const KEYBOARD_BUFFER_BYTES = 15;

/**
 * A PS/2 keyboard as the i8042 sees it: bytes in (commands from the host), bytes out (responses
 * and scancodes) through a bounded buffer. It speaks scancode set 2 by default and set 1 on
 * request; set 3 is refused (the keyboard answers RESEND), as some real keyboards do.
 */
export class Ps2Keyboard {
  /** Output buffer, drained by the controller when the keyboard interface is enabled. */
  readonly output = new ByteQueue(KEYBOARD_BUFFER_BYTES);
  /** Scanning enabled (keys are reported). */
  scanning = true;
  /** Scancode set in use: 1 or 2. */
  scancodeSet = 2;
  /** LED state (bit 0 Scroll, bit 1 Num, bit 2 Caps Lock). */
  leds = 0;
  /** Typematic rate/delay byte. */
  typematic = DEFAULT_TYPEMATIC;
  /** The command whose parameter byte is expected (0: none). */
  awaiting = 0;
  /** The last byte sent, for RESEND. */
  lastSent = 0;
  /** Whether input was lost since the last overrun code (one overrun code per loss). */
  overrun = false;

  /** A byte from the host (port 0x60, or the controller). */
  receive(byte: number): void {
    if (this.awaiting !== 0 && byte < 0x80) {
      const command = this.awaiting;
      this.awaiting = 0;
      this.#parameter(command, byte);
      return;
    }
    // A command byte while a parameter was expected aborts the old command.
    this.awaiting = 0;
    if (byte !== CMD_RESEND) this.output.clear(); // a command discards unsent scancodes
    switch (byte) {
      case CMD_SET_LEDS:
      case CMD_SCANCODE_SET:
      case CMD_SET_TYPEMATIC:
        this.awaiting = byte;
        this.#send(RESP_ACK);
        return;
      case CMD_ECHO:
        this.#send(RESP_ECHO);
        return;
      case CMD_GET_ID:
        this.#send(RESP_ACK);
        this.#send(KEYBOARD_ID[0]);
        this.#send(KEYBOARD_ID[1]);
        return;
      case CMD_ENABLE:
        this.scanning = true;
        this.#send(RESP_ACK);
        return;
      case CMD_DEFAULT_DISABLE:
        this.#defaults();
        this.scanning = false;
        this.#send(RESP_ACK);
        return;
      case CMD_SET_DEFAULT:
        this.#defaults();
        this.#send(RESP_ACK);
        return;
      case CMD_RESEND:
        this.output.clear();
        this.output.push(this.lastSent);
        return;
      case CMD_RESET:
        this.#defaults();
        this.scanning = true;
        this.leds = 0;
        this.#send(RESP_ACK);
        this.#send(RESP_BAT_OK);
        return;
      default:
        if (byte >= CMD_SET3_FIRST && byte <= CMD_SET3_LAST) {
          this.#send(RESP_ACK);
          return;
        }
        this.#send(RESP_RESEND);
    }
  }

  #parameter(command: number, value: number): void {
    switch (command) {
      case CMD_SET_LEDS:
        this.leds = value & 7;
        this.#send(RESP_ACK);
        return;
      case CMD_SET_TYPEMATIC:
        this.typematic = value & 0x7f;
        this.#send(RESP_ACK);
        return;
      default: // CMD_SCANCODE_SET
        if (value === 0) {
          this.#send(RESP_ACK);
          this.#send(this.scancodeSet);
        } else if (value === 1 || value === 2) {
          this.scancodeSet = value;
          this.#send(RESP_ACK);
        } else {
          this.#send(RESP_RESEND); // set 3 (or nonsense) is not supported
        }
    }
  }

  #defaults(): void {
    this.scancodeSet = 2;
    this.typematic = DEFAULT_TYPEMATIC;
    this.overrun = false;
  }

  #send(byte: number): void {
    this.lastSent = byte;
    this.output.push(byte);
  }

  /**
   * Queues bytes as if keys produced them (in the current set). All or nothing: when they do not
   * fit, an overrun code is queued instead (once, until the buffer drains) and false returned.
   */
  sendBytes(bytes: ArrayLike<number>): boolean {
    if (!this.scanning) return false;
    if (bytes.length > this.output.free) {
      if (!this.overrun && this.output.free > 0) {
        this.overrun = true;
        this.output.push(this.scancodeSet === 1 ? SC1_OVERRUN : SC2_OVERRUN);
      }
      return false;
    }
    this.overrun = false;
    for (let i = 0; i < bytes.length; i++) this.output.push(bytes[i]! & 0xff);
    if (bytes.length > 0) this.lastSent = bytes[bytes.length - 1]! & 0xff;
    return true;
  }

  /** Presses (`pressed`) or releases the key `code`; false when unknown or dropped. */
  key(code: string, pressed: boolean): boolean {
    const seq = keySequences.get(code);
    if (seq === undefined) return false;
    const set1 = this.scancodeSet === 1;
    return this.sendBytes(pressed ? (set1 ? seq.make1 : seq.make2) : set1 ? seq.break1 : seq.break2);
  }

  /** Power-on state. */
  reset(): void {
    this.output.clear();
    this.#defaults();
    this.scanning = true;
    this.leds = 0;
    this.awaiting = 0;
    this.lastSent = 0;
  }

  /** The keyboard as a plain state value. */
  saveState(): StateValue {
    return {
      output: this.output.toBytes(),
      scanning: this.scanning,
      scancodeSet: this.scancodeSet,
      leds: this.leds,
      typematic: this.typematic,
      awaiting: this.awaiting,
      lastSent: this.lastSent,
      overrun: this.overrun,
    };
  }

  /** Loads a state saved by {@link saveState}, values clamped to their ranges. */
  loadState(state: StateValue): void {
    this.output.load(bytesField(state, 'output'));
    this.scanning = booleanField(state, 'scanning');
    this.scancodeSet = numberField(state, 'scancodeSet') === 1 ? 1 : 2;
    this.leds = numberField(state, 'leds') & 7;
    this.typematic = numberField(state, 'typematic') & 0x7f;
    const awaiting = numberField(state, 'awaiting');
    this.awaiting = awaiting === CMD_SET_LEDS || awaiting === CMD_SCANCODE_SET || awaiting === CMD_SET_TYPEMATIC ? awaiting : 0;
    this.lastSent = numberField(state, 'lastSent') & 0xff;
    this.overrun = booleanField(state, 'overrun');
  }
}
