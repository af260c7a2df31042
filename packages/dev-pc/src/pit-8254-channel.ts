import { booleanField, numberField, type StateValue } from '@popek/core';

/*
 * The 8254 counter model (Intel 82C54 CHMOS Programmable Interval Timer datasheet, order 231244:
 * "Control Word Format", "Read-Back Command", "Mode Definitions", Figure 6 "Gate Pin
 * Operations Summary").
 *
 * Time is counted in PIT input clocks (ticks). A counter is described by the tick at which its
 * counting element (CE) holds `countedAtBase` decrements since its last load, so its value and
 * OUT at any tick are computed, never stepped: reading the counter or arming a timer costs O(1)
 * whatever the time since the last access.
 */

/** RW1–RW0 of the control word: which bytes of the count are read and written. */
export const PitAccess = {
  /** Least significant byte only. */
  Lsb: 1,
  /** Most significant byte only. */
  Msb: 2,
  /** Least significant byte first, then most significant byte. */
  LsbMsb: 3,
} as const;

/** Status byte (read-back command) bits. */
const STATUS_OUTPUT = 0x80;
const STATUS_NULL_COUNT = 0x40;

/** Largest count of a binary counter (a count of 0 means 2^16). */
const BINARY_MODULUS = 0x1_0000;
/** Largest count of a BCD counter (a count of 0 means 10^4). */
const BCD_MODULUS = 10_000;

function toBcd(value: number): number {
  return (
    (value % 10) |
    ((Math.floor(value / 10) % 10) << 4) |
    ((Math.floor(value / 100) % 10) << 8) |
    ((Math.floor(value / 1000) % 10) << 12)
  );
}

function fromBcd(raw: number): number {
  // Nibbles above 9 are not BCD; the sum is reduced to the counter's range by the caller.
  return (raw & 0xf) + ((raw >> 4) & 0xf) * 10 + ((raw >> 8) & 0xf) * 100 + ((raw >> 12) & 0xf) * 1000;
}

/**
 * One counter of the 8254: modes 0–5, binary or BCD, LSB/MSB/LSB-then-MSB access, counter latch,
 * status latch, GATE and OUT. It has no timers of its own; its owner asks when OUT changes next.
 */
export class Pit8254Channel {
  /** Counter mode, 0–5 (control-word modes 6 and 7 are 2 and 3). */
  mode = 0;
  /** Binary-coded decimal counting. */
  bcd = false;
  /** Access mode ({@link PitAccess}). */
  access: number = PitAccess.LsbMsb;
  /** GATE input level. */
  gate = true;

  /** Count register (CR): the count last written, 1 ≤ cr ≤ modulus. */
  cr = BINARY_MODULUS;
  /** Whether a count was written since the control word. */
  crWritten = false;
  /** The count the counting element works with (what the CR held at its last load). */
  ce = BINARY_MODULUS;
  /** Whether the CE was loaded and the counter is counting (or paused by its gate). */
  armed = false;
  /** The tick at which the CE had made `countedAtBase` decrements. */
  baseTick = 0;
  /** Decrements made by the CE at `baseTick`. */
  countedAtBase = 0;
  /** In modes 2 and 3, the decrement count at which a newly written CR is loaded (-1: none). */
  reloadAt = -1;
  /** What a read returns while the CE is not counting. */
  heldValue = 0;
  /** The CR was written and not yet transferred to the CE (status NULL COUNT). */
  nullCount = true;

  /** For LSB-then-MSB writes: the next byte written is the LSB. */
  writeLsbNext = true;
  /** The LSB written first in an LSB-then-MSB write. */
  pendingLsb = 0;
  /** For LSB-then-MSB reads of the live counter: the next byte read is the LSB. */
  readLsbNext = true;
  /** Bytes of a latched count still to be read (0: none latched). */
  latchedBytes = 0;
  /** The latched count. */
  latchedValue = 0;
  /** Whether a status byte is latched. */
  statusLatched = false;
  /** The latched status byte. */
  statusValue = 0;

  /** The modulus of the counter: 2^16, or 10^4 in BCD. */
  get modulus(): number {
    return this.bcd ? BCD_MODULUS : BINARY_MODULUS;
  }

  /** Whether the CE decrements now (armed, and the gate allows it in this mode). */
  get running(): boolean {
    return this.armed && (this.gate || this.mode === 1 || this.mode === 5);
  }

  /** Decrements the CE has made by tick `t`. */
  counted(t: number): number {
    if (!this.running) return this.countedAtBase;
    return t > this.baseTick ? this.countedAtBase + (t - this.baseTick) : this.countedAtBase;
  }

  /** The tick at which the CE reaches `k` decrements (k ≥ countedAtBase, while running). */
  #tickOfCount(k: number): number {
    return this.baseTick + (k - this.countedAtBase);
  }

  /** Applies state changes that are due by tick `t` (a pending mode 2/3 reload, NULL COUNT). */
  sync(t: number): void {
    if (this.reloadAt >= 0 && this.running && this.counted(t) >= this.reloadAt) {
      this.baseTick = this.#tickOfCount(this.reloadAt);
      this.countedAtBase = 0;
      this.ce = this.cr;
      this.reloadAt = -1;
      this.nullCount = false;
    }
    if (this.nullCount && this.armed && this.reloadAt < 0 && t >= this.baseTick) this.nullCount = false;
  }

  /** The count the CE holds at tick `t` (after {@link sync}). */
  value(t: number): number {
    if (!this.armed) return this.heldValue;
    const c = this.counted(t);
    const n = this.ce;
    switch (this.mode) {
      case 2:
        return n - (c % n);
      case 3: {
        // Mode 3 decrements by two: N, N-2, ... for the high half-period, then again.
        const p = c % n;
        const high = Math.ceil(n / 2);
        return n - 2 * (p < high ? p : p - high);
      }
      default: {
        const m = this.modulus;
        return (((n - c) % m) + m) % m;
      }
    }
  }

  /** The OUT pin at tick `t` (after {@link sync}). */
  out(t: number): boolean {
    if (!this.armed) return this.mode !== 0;
    if ((this.mode === 2 || this.mode === 3) && !this.gate) return true;
    const c = this.counted(t);
    const n = this.ce;
    switch (this.mode) {
      case 0:
      case 1:
        return c >= n;
      case 2:
        return c % n !== n - 1;
      case 3:
        return c % n < Math.ceil(n / 2);
      default: // 4, 5: low for one clock when the count expires
        return c !== n;
    }
  }

  /**
   * The first tick after `t` at which OUT changes, or `Infinity` if it never does without a new
   * write or gate change. A pending reload happens on a period boundary, itself a rising edge.
   */
  nextOutChange(t: number): number {
    if (!this.running) return Infinity;
    const c = this.counted(t);
    const n = this.ce;
    let k: number;
    switch (this.mode) {
      case 0:
      case 1:
        if (c >= n) return Infinity;
        k = n;
        break;
      case 2: {
        if (n === 1) return Infinity; // a count of 1 is illegal in mode 2: OUT stays low
        const p = c % n;
        k = p < n - 1 ? c - p + n - 1 : c + 1;
        break;
      }
      case 3: {
        if (n === 1) return Infinity;
        const p = c % n;
        const high = Math.ceil(n / 2);
        k = p < high ? c - p + high : c - p + n;
        break;
      }
      default:
        if (c < n) k = n;
        else if (c === n) k = n + 1;
        else return Infinity;
    }
    if (this.reloadAt >= 0 && this.reloadAt < k) k = this.reloadAt;
    return this.#tickOfCount(k);
  }

  /** A control word selecting this counter (not a latch command): mode, access, BCD. */
  program(controlWord: number, t: number): void {
    this.sync(t);
    this.heldValue = this.value(t);
    let mode = (controlWord >> 1) & 7;
    if (mode > 5) mode -= 4; // modes 6 and 7 are modes 2 and 3
    this.mode = mode;
    this.access = (controlWord >> 4) & 3;
    this.bcd = (controlWord & 1) !== 0;
    // "When a Control Word is written to a Counter, all Control Logic is immediately reset."
    this.armed = false;
    this.crWritten = false;
    this.reloadAt = -1;
    this.nullCount = true;
    this.writeLsbNext = true;
    this.readLsbNext = true;
    this.latchedBytes = 0;
    this.statusLatched = false;
    const m = this.modulus;
    this.heldValue %= m;
    // The CR, the CE and the discarded latch of the old format go unused until a new count is
    // written; a switch to BCD must still leave them within the new modulus (their documented
    // range, which loadState enforces), or a snapshot would not restore them exactly.
    if (this.cr > m) this.cr = m;
    if (this.ce > m) this.ce = m;
    this.latchedValue %= m;
  }

  /** A byte written to the counter's port; loads the count when it is complete. */
  writeByte(value: number, t: number): void {
    this.sync(t);
    switch (this.access) {
      case PitAccess.Lsb:
        this.#loadCount(value, t);
        return;
      case PitAccess.Msb:
        this.#loadCount(value << 8, t);
        return;
      default:
        if (this.writeLsbNext) {
          this.pendingLsb = value;
          this.writeLsbNext = false;
          if (this.mode === 0) {
            // Mode 0: "Writing the first byte disables counting. OUT is set low immediately."
            this.heldValue = this.value(t);
            this.armed = false;
            this.reloadAt = -1;
          }
        } else {
          this.writeLsbNext = true;
          this.#loadCount(this.pendingLsb | (value << 8), t);
        }
    }
  }

  #loadCount(raw: number, t: number): void {
    const m = this.modulus;
    const n = (this.bcd ? fromBcd(raw) : raw) % m;
    this.cr = n === 0 ? m : n;
    this.crWritten = true;
    this.nullCount = true;
    switch (this.mode) {
      case 0:
      case 4:
        // The CR is loaded into the CE on the next clock and counting starts over.
        this.#start(t);
        return;
      case 2:
      case 3:
        if (!this.armed) this.#start(t);
        else if (this.running) {
          // A new count takes effect at the end of the current period (mode 3: the datasheet's
          // half-period is simplified to the full period).
          const c = this.counted(t);
          this.reloadAt = c - (c % this.ce) + this.ce;
        }
        // Not running (gate low): the next rising edge of GATE loads the new count.
        return;
      default:
        // Modes 1 and 5 wait for a trigger on GATE; a count written now is used by the next one.
        return;
    }
  }

  /** Loads the CR into the CE on the next clock (tick t + 1) and starts counting. */
  #start(t: number): void {
    this.ce = this.cr;
    this.armed = true;
    this.countedAtBase = 0;
    this.baseTick = t + 1;
    this.reloadAt = -1;
  }

  /** The GATE input changes at tick `t` (datasheet Figure 6, "Gate Pin Operations Summary"). */
  setGate(level: boolean, t: number): void {
    if (level === this.gate) return;
    this.sync(t);
    const wasRunning = this.running;
    const c = this.counted(t);
    this.gate = level;
    if (level) {
      switch (this.mode) {
        case 0:
        case 4:
          // Counting resumes with the next clock.
          if (this.armed) {
            this.countedAtBase = c;
            this.baseTick = t;
          }
          return;
        default:
          // Modes 1, 2, 3 and 5: a rising edge (re)loads the CR and starts counting.
          if (this.crWritten) {
            this.nullCount = true;
            this.#start(t);
          }
          return;
      }
    }
    // Falling edge: modes 0, 2, 3 and 4 stop counting; modes 1 and 5 ignore the level.
    if (wasRunning && !this.running) this.countedAtBase = c;
  }

  /** A counter-latch command: freezes the count for reading, unless one is already latched. */
  latchCount(t: number): void {
    if (this.latchedBytes !== 0) return;
    this.sync(t);
    this.latchedValue = this.value(t) % this.modulus;
    this.latchedBytes = this.access === PitAccess.LsbMsb ? 2 : 1;
  }

  /** A read-back command's status latch (unless a status is already latched). */
  latchStatus(t: number): void {
    if (this.statusLatched) return;
    this.sync(t);
    this.statusValue =
      (this.out(t) ? STATUS_OUTPUT : 0) |
      (this.nullCount ? STATUS_NULL_COUNT : 0) |
      (this.access << 4) |
      (this.mode << 1) |
      (this.bcd ? 1 : 0);
    this.statusLatched = true;
  }

  /** A byte read from the counter's port: latched status, latched count, or the live count. */
  readByte(t: number): number {
    if (this.statusLatched) {
      this.statusLatched = false;
      return this.statusValue;
    }
    let value: number;
    let lsb: boolean;
    if (this.latchedBytes !== 0) {
      value = this.latchedValue;
      lsb = this.access === PitAccess.Lsb || (this.access === PitAccess.LsbMsb && this.latchedBytes === 2);
      this.latchedBytes--;
    } else {
      this.sync(t);
      value = this.value(t) % this.modulus;
      if (this.access === PitAccess.LsbMsb) {
        lsb = this.readLsbNext;
        this.readLsbNext = !this.readLsbNext;
      } else {
        lsb = this.access === PitAccess.Lsb;
      }
    }
    const encoded = this.bcd ? toBcd(value) : value;
    return lsb ? encoded & 0xff : (encoded >> 8) & 0xff;
  }

  /** Power-on state (gate as given: channels 0 and 1 are wired high, channel 2 starts low). */
  reset(gate: boolean): void {
    this.mode = 0;
    this.bcd = false;
    this.access = PitAccess.LsbMsb;
    this.gate = gate;
    this.cr = BINARY_MODULUS;
    this.crWritten = false;
    this.ce = BINARY_MODULUS;
    this.armed = false;
    this.baseTick = 0;
    this.countedAtBase = 0;
    this.reloadAt = -1;
    this.heldValue = 0;
    this.nullCount = true;
    this.writeLsbNext = true;
    this.pendingLsb = 0;
    this.readLsbNext = true;
    this.latchedBytes = 0;
    this.latchedValue = 0;
    this.statusLatched = false;
    this.statusValue = 0;
  }

  /** The counter as a plain state value. */
  saveState(): StateValue {
    return {
      mode: this.mode,
      bcd: this.bcd,
      access: this.access,
      gate: this.gate,
      cr: this.cr,
      crWritten: this.crWritten,
      ce: this.ce,
      armed: this.armed,
      baseTick: this.baseTick,
      countedAtBase: this.countedAtBase,
      reloadAt: this.reloadAt,
      heldValue: this.heldValue,
      nullCount: this.nullCount,
      writeLsbNext: this.writeLsbNext,
      pendingLsb: this.pendingLsb,
      readLsbNext: this.readLsbNext,
      latchedBytes: this.latchedBytes,
      latchedValue: this.latchedValue,
      statusLatched: this.statusLatched,
      statusValue: this.statusValue,
    };
  }

  /**
   * Loads a state saved by {@link saveState}, clamping every value into its range, so that even
   * a corrupt snapshot cannot make the counter divide by zero or count outside its modulus.
   */
  loadState(state: StateValue): void {
    const mode = numberField(state, 'mode');
    this.mode = mode >= 0 && mode <= 5 ? Math.floor(mode) : 0;
    this.bcd = booleanField(state, 'bcd');
    const access = numberField(state, 'access');
    this.access = access === 1 || access === 2 ? access : PitAccess.LsbMsb;
    this.gate = booleanField(state, 'gate');
    const m = this.modulus;
    const inRange = (v: number): number => (Number.isInteger(v) && v >= 1 && v <= m ? v : m);
    this.cr = inRange(numberField(state, 'cr'));
    this.crWritten = booleanField(state, 'crWritten');
    this.ce = inRange(numberField(state, 'ce'));
    this.armed = booleanField(state, 'armed');
    const finite = (v: number): number => (Number.isFinite(v) ? v : 0);
    this.baseTick = finite(numberField(state, 'baseTick'));
    this.countedAtBase = Math.max(0, finite(numberField(state, 'countedAtBase')));
    const reloadAt = numberField(state, 'reloadAt');
    this.reloadAt = Number.isFinite(reloadAt) && reloadAt >= 0 ? reloadAt : -1;
    this.heldValue = finite(numberField(state, 'heldValue')) % m;
    this.nullCount = booleanField(state, 'nullCount');
    this.writeLsbNext = booleanField(state, 'writeLsbNext');
    this.pendingLsb = numberField(state, 'pendingLsb') & 0xff;
    this.readLsbNext = booleanField(state, 'readLsbNext');
    const latchedBytes = numberField(state, 'latchedBytes');
    this.latchedBytes = latchedBytes === 1 || latchedBytes === 2 ? latchedBytes : 0;
    this.latchedValue = finite(numberField(state, 'latchedValue')) % m;
    this.statusLatched = booleanField(state, 'statusLatched');
    this.statusValue = numberField(state, 'statusValue') & 0xff;
  }
}
