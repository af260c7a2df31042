import { booleanField, bytesField, numberField, type StateValue } from '@popek/core';
import { ByteQueue } from './byte-queue.js';

/*
 * Commands of a PS/2 mouse (IBM PS/2 Hardware Interface Technical Reference, "Pointing Device";
 * the IntelliMouse extensions as Linux's drivers/input/mouse/psmouse-base.c probes them).
 */
const CMD_SET_SCALING_1_1 = 0xe6;
const CMD_SET_SCALING_2_1 = 0xe7;
const CMD_SET_RESOLUTION = 0xe8;
const CMD_STATUS_REQUEST = 0xe9;
const CMD_SET_STREAM_MODE = 0xea;
const CMD_READ_DATA = 0xeb;
const CMD_RESET_WRAP_MODE = 0xec;
const CMD_SET_WRAP_MODE = 0xee;
const CMD_SET_REMOTE_MODE = 0xf0;
const CMD_GET_ID = 0xf2;
const CMD_SET_SAMPLE_RATE = 0xf3;
const CMD_ENABLE_REPORTING = 0xf4;
const CMD_DISABLE_REPORTING = 0xf5;
const CMD_SET_DEFAULTS = 0xf6;
const CMD_RESEND = 0xfe;
const CMD_RESET = 0xff;
const RESP_ACK = 0xfa;
const RESP_BAT_OK = 0xaa;
const RESP_RESEND = 0xfe;
/** Device IDs: standard PS/2 mouse, IntelliMouse (wheel), IntelliMouse Explorer (5 buttons). */
const ID_STANDARD = 0x00;
const ID_INTELLIMOUSE = 0x03;
const ID_EXPLORER = 0x04;
/** Packet byte 0: bit 3 is always set; bits 4/5 are the X/Y sign bits. */
const PACKET_ALWAYS_ONE = 0x08;
const PACKET_X_SIGN = 0x10;
const PACKET_Y_SIGN = 0x20;
/** Status byte bits (status request). */
const STATUS_REMOTE = 0x40;
const STATUS_ENABLED = 0x20;
const STATUS_SCALING_2_1 = 0x10;
const DEFAULT_SAMPLE_RATE = 100;
const DEFAULT_RESOLUTION = 2; // 4 counts/mm
/** Mouse output buffer: room for a few dozen packets; whole packets only. */
export const MOUSE_BUFFER_BYTES = 64;
/** One host movement is split into at most this many packets (the rest is dropped). */
const MAX_PACKETS_PER_MOVE = 8;

/** Bounds accumulated motion (and rejects NaN) so hostile or buggy input cannot overflow it. */
function clamp(v: number): number {
  return Number.isFinite(v) ? Math.max(-65_536, Math.min(65_536, Math.trunc(v))) : 0;
}

/**
 * A PS/2 mouse with the IntelliMouse and IntelliMouse Explorer extensions (enabled by the
 * sample-rate "knock" sequences 200-100-80 and 200-200-80), stream and remote modes, wrap mode,
 * and a bounded output buffer that only ever holds whole packets.
 */
export class Ps2Mouse {
  /** Output buffer, drained by the controller when the auxiliary interface is enabled. */
  readonly output = new ByteQueue(MOUSE_BUFFER_BYTES);
  /** Device ID: 0, 3 (wheel) or 4 (wheel and 5 buttons). */
  id = ID_STANDARD;
  /** Data reporting enabled. */
  reporting = false;
  /** Remote mode (else stream mode). */
  remote = false;
  /** Wrap (echo) mode. */
  wrap = false;
  /** 2:1 scaling. */
  scaling21 = false;
  /** Samples per second. */
  sampleRate = DEFAULT_SAMPLE_RATE;
  /** Resolution code 0–3. */
  resolution = DEFAULT_RESOLUTION;
  /** The command whose parameter is expected (0: none). */
  awaiting = 0;
  /** The last three sample rates set, oldest first (the knock detector). */
  readonly rateHistory = new Uint8Array(3);
  /** Buttons held (bit 0 left, 1 right, 2 middle, 3–4 side buttons). */
  buttons = 0;
  /** Horizontal movement accumulated in remote mode (right positive). */
  dx = 0;
  /** Vertical movement accumulated in remote mode (up positive). */
  dy = 0;
  /** Wheel movement accumulated in remote mode. */
  dz = 0;
  /** The last byte sent, for RESEND. */
  lastSent = 0;

  /** A byte from the host (through controller command 0xD4). */
  receive(byte: number): void {
    if (this.wrap && byte !== CMD_RESET_WRAP_MODE && byte !== CMD_RESET) {
      this.#send(byte); // wrap mode echoes everything else
      return;
    }
    if (this.awaiting !== 0) {
      const command = this.awaiting;
      this.awaiting = 0;
      this.#parameter(command, byte);
      return;
    }
    if (byte !== CMD_RESEND) this.output.clear();
    switch (byte) {
      case CMD_SET_SCALING_1_1:
      case CMD_SET_SCALING_2_1:
        this.scaling21 = byte === CMD_SET_SCALING_2_1;
        this.#send(RESP_ACK);
        return;
      case CMD_SET_RESOLUTION:
      case CMD_SET_SAMPLE_RATE:
        this.awaiting = byte;
        this.#send(RESP_ACK);
        return;
      case CMD_STATUS_REQUEST:
        this.#send(RESP_ACK);
        this.#send(
          (this.remote ? STATUS_REMOTE : 0) |
            (this.reporting ? STATUS_ENABLED : 0) |
            (this.scaling21 ? STATUS_SCALING_2_1 : 0) |
            // Status byte button order: bit 2 left, bit 1 middle, bit 0 right.
            ((this.buttons & 1) << 2) |
            ((this.buttons & 4) >> 1) |
            ((this.buttons & 2) >> 1),
        );
        this.#send(this.resolution);
        this.#send(this.sampleRate);
        return;
      case CMD_SET_STREAM_MODE:
        this.remote = false;
        this.#send(RESP_ACK);
        return;
      case CMD_READ_DATA:
        this.#send(RESP_ACK);
        this.#packet();
        return;
      case CMD_RESET_WRAP_MODE:
        this.wrap = false;
        this.#send(RESP_ACK);
        return;
      case CMD_SET_WRAP_MODE:
        this.wrap = true;
        this.#send(RESP_ACK);
        return;
      case CMD_SET_REMOTE_MODE:
        this.remote = true;
        this.#send(RESP_ACK);
        return;
      case CMD_GET_ID:
        this.#send(RESP_ACK);
        this.#send(this.id);
        return;
      case CMD_ENABLE_REPORTING:
        this.reporting = true;
        this.#clearMotion();
        this.#send(RESP_ACK);
        return;
      case CMD_DISABLE_REPORTING:
        this.reporting = false;
        this.#send(RESP_ACK);
        return;
      case CMD_SET_DEFAULTS:
        this.#defaults();
        this.#send(RESP_ACK);
        return;
      case CMD_RESEND:
        this.output.clear();
        this.output.push(this.lastSent);
        return;
      case CMD_RESET:
        this.#defaults();
        this.id = ID_STANDARD;
        this.wrap = false;
        this.rateHistory.fill(0);
        this.#send(RESP_ACK);
        this.#send(RESP_BAT_OK);
        this.#send(this.id);
        return;
      default:
        this.#send(RESP_RESEND);
    }
  }

  #parameter(command: number, value: number): void {
    if (command === CMD_SET_RESOLUTION) {
      this.resolution = value & 3;
      this.#send(RESP_ACK);
      return;
    }
    // CMD_SET_SAMPLE_RATE
    this.sampleRate = value;
    this.rateHistory[0] = this.rateHistory[1]!;
    this.rateHistory[1] = this.rateHistory[2]!;
    this.rateHistory[2] = value;
    const h = this.rateHistory;
    if (h[0] === 200 && h[1] === 100 && h[2] === 80 && this.id === ID_STANDARD) this.id = ID_INTELLIMOUSE;
    else if (h[0] === 200 && h[1] === 200 && h[2] === 80 && this.id === ID_INTELLIMOUSE) this.id = ID_EXPLORER;
    this.#send(RESP_ACK);
  }

  /** Set Defaults: 100 samples/s, 4 counts/mm, 1:1 scaling, stream mode, reporting disabled. */
  #defaults(): void {
    this.sampleRate = DEFAULT_SAMPLE_RATE;
    this.resolution = DEFAULT_RESOLUTION;
    this.scaling21 = false;
    this.remote = false;
    this.reporting = false;
    this.#clearMotion();
  }

  #clearMotion(): void {
    this.dx = 0;
    this.dy = 0;
    this.dz = 0;
  }

  #send(byte: number): void {
    this.lastSent = byte;
    this.output.push(byte);
  }

  /** Bytes per movement packet for the current ID. */
  get packetBytes(): number {
    return this.id === ID_STANDARD ? 3 : 4;
  }

  /**
   * Emits one packet of the accumulated movement (clamped to what a packet carries) and keeps the
   * remainder; false (nothing sent) when a whole packet does not fit.
   */
  #packet(): boolean {
    if (this.output.free < this.packetBytes) return false;
    const dx = Math.max(-256, Math.min(255, this.dx));
    const dy = Math.max(-256, Math.min(255, this.dy));
    let dz = 0;
    if (this.id === ID_INTELLIMOUSE) dz = Math.max(-128, Math.min(127, this.dz));
    else if (this.id === ID_EXPLORER) dz = Math.max(-8, Math.min(7, this.dz));
    this.dx -= dx;
    this.dy -= dy;
    this.dz -= dz;
    this.#send(
      PACKET_ALWAYS_ONE |
        (this.buttons & 1) |
        (this.buttons & 2) |
        (this.buttons & 4) |
        (dx < 0 ? PACKET_X_SIGN : 0) |
        (dy < 0 ? PACKET_Y_SIGN : 0),
    );
    this.#send(dx & 0xff);
    this.#send(dy & 0xff);
    if (this.id === ID_INTELLIMOUSE) this.#send(dz & 0xff);
    else if (this.id === ID_EXPLORER) this.#send((dz & 0x0f) | ((this.buttons & 0x18) << 1));
    return true;
  }

  /**
   * Host movement: `dx` right, `dy` up (PS/2 convention), `dz` wheel. In stream mode with
   * reporting enabled, packets are sent at once (at most a few per call; the rest is dropped);
   * in remote mode the motion accumulates for READ DATA. Returns false when input was dropped.
   */
  move(dx: number, dy: number, dz: number): boolean {
    this.dx = clamp(this.dx + clamp(dx));
    this.dy = clamp(this.dy + clamp(dy));
    this.dz = clamp(this.dz + clamp(dz));
    if (this.remote) return true;
    if (!this.reporting) {
      this.#clearMotion();
      return false;
    }
    return this.#flush();
  }

  /** Host button change (bit 0 left, 1 right, 2 middle, 3–4 side buttons). */
  setButtons(buttons: number): boolean {
    const next = buttons & 0x1f;
    if (next === this.buttons) return true;
    this.buttons = next;
    if (this.remote) return true;
    if (!this.reporting) return false;
    return this.#flush(true);
  }

  #flush(force = false): boolean {
    for (let i = 0; i < MAX_PACKETS_PER_MOVE; i++) {
      if (!force && this.dx === 0 && this.dy === 0 && this.dz === 0) return true;
      if (!this.#packet()) {
        this.#clearMotion();
        return false;
      }
      force = false;
    }
    const complete = this.dx === 0 && this.dy === 0 && this.dz === 0;
    this.#clearMotion();
    return complete;
  }

  /** Power-on state. */
  reset(): void {
    this.output.clear();
    this.#defaults();
    this.id = ID_STANDARD;
    this.wrap = false;
    this.awaiting = 0;
    this.rateHistory.fill(0);
    this.buttons = 0;
    this.lastSent = 0;
  }

  /** The mouse as a plain state value. */
  saveState(): StateValue {
    return {
      output: this.output.toBytes(),
      id: this.id,
      reporting: this.reporting,
      remote: this.remote,
      wrap: this.wrap,
      scaling21: this.scaling21,
      sampleRate: this.sampleRate,
      resolution: this.resolution,
      awaiting: this.awaiting,
      rateHistory: this.rateHistory.slice(),
      buttons: this.buttons,
      dx: this.dx,
      dy: this.dy,
      dz: this.dz,
      lastSent: this.lastSent,
    };
  }

  /** Loads a state saved by {@link saveState}, values clamped to their ranges. */
  loadState(state: StateValue): void {
    this.output.load(bytesField(state, 'output'));
    const id = numberField(state, 'id');
    this.id = id === ID_INTELLIMOUSE || id === ID_EXPLORER ? id : ID_STANDARD;
    this.reporting = booleanField(state, 'reporting');
    this.remote = booleanField(state, 'remote');
    this.wrap = booleanField(state, 'wrap');
    this.scaling21 = booleanField(state, 'scaling21');
    this.sampleRate = numberField(state, 'sampleRate') & 0xff;
    this.resolution = numberField(state, 'resolution') & 3;
    const awaiting = numberField(state, 'awaiting');
    this.awaiting = awaiting === CMD_SET_RESOLUTION || awaiting === CMD_SET_SAMPLE_RATE ? awaiting : 0;
    const history = bytesField(state, 'rateHistory');
    this.rateHistory.fill(0);
    this.rateHistory.set(history.subarray(0, 3));
    this.buttons = numberField(state, 'buttons') & 0x1f;
    this.dx = clamp(numberField(state, 'dx'));
    this.dy = clamp(numberField(state, 'dy'));
    this.dz = clamp(numberField(state, 'dz'));
    this.lastSent = numberField(state, 'lastSent') & 0xff;
  }
}
