import { booleanField, numberField, type StateValue } from '@popek/core';

/*
 * Register and command bits of the Intel 8259A (8259A Programmable Interrupt Controller
 * datasheet, order 231468, "Programming the 8259A": ICW1–ICW4, OCW1–OCW3).
 */
/** ICW1 is recognised by A0 = 0 and D4 = 1. */
const ICW1_SELECT = 0x10;
/** ICW1 D0 (IC4): ICW4 will follow. */
const ICW1_IC4 = 0x01;
/** ICW1 D1 (SNGL): single 8259A, no ICW3. */
const ICW1_SNGL = 0x02;
/** ICW1 D3 (LTIM): level-triggered mode for every input. */
const ICW1_LTIM = 0x08;
/** ICW4 D1 (AEOI): automatic end of interrupt. */
const ICW4_AEOI = 0x02;
/** ICW4 D4 (SFNM): special fully nested mode. */
const ICW4_SFNM = 0x10;
/** With A0 = 0 and D4 = 0, D3 selects OCW3 (1) or OCW2 (0). */
const OCW3_SELECT = 0x08;
/** OCW3 D2 (P): poll command. */
const OCW3_POLL = 0x04;
/** OCW3 D1 (RR): read-register command; D0 (RIS) chooses ISR (1) or IRR (0). */
const OCW3_RR = 0x02;
const OCW3_RIS = 0x01;
/** OCW3 D6 (ESMM): enable special-mask-mode change; D5 (SMM) the new value. */
const OCW3_ESMM = 0x40;
const OCW3_SMM = 0x20;
/** Poll word D7 (I): an interrupt was pending. */
const POLL_INTERRUPT = 0x80;

/** Which initialisation word the chip expects next (0: none, initialised). */
const INIT_DONE = 0;

/**
 * One 8259A. The {@link Pic8259Pair} owns two and wires the slave's INT output to the master's
 * IR2; this class knows nothing of the other chip.
 *
 * Inputs follow the PC's wiring: `setPin` gives the level of an IR line. In edge-triggered mode
 * (the default) a rising edge latches the request in the IRR, which stays set until the INTA
 * cycle even if the line falls (so devices may pulse); in level-triggered mode (LTIM, or the
 * input's ELCR bit) the IRR follows the line.
 */
export class Pic8259Chip {
  /** Interrupt request register. */
  irr = 0;
  /** In-service register. */
  isr = 0;
  /** Interrupt mask register (OCW1). */
  imr = 0;
  /** Levels of the eight IR input lines. */
  pins = 0;
  /** Edge/level control: 1 = level-triggered (ELCR, PIIX datasheet §3.6.1). */
  elcr = 0;
  /** Vector of IR0 (ICW2, T7–T3). */
  vectorBase = 0;
  /** ICW3 as written (cascade wiring; the PC's is fixed, so it is only kept). */
  icw3 = 0;
  /** The initialisation word expected next: 2, 3, 4, or 0 when initialised. */
  initStep = INIT_DONE;
  /** ICW1 IC4: ICW4 is expected. */
  icw4Expected = false;
  /** ICW1 SNGL: single mode (no cascade). */
  singleMode = false;
  /** ICW1 LTIM: all inputs level-triggered. */
  levelTriggeredAll = false;
  /** ICW4 AEOI. */
  autoEoi = false;
  /** ICW4 SFNM. */
  specialFullyNested = false;
  /** OCW2 R/SL/EOI = 100: rotate in automatic-EOI mode. */
  rotateOnAutoEoi = false;
  /** OCW3 special mask mode. */
  specialMask = false;
  /** OCW3 RR/RIS: a read of the command port returns the ISR (else the IRR). */
  readIsr = false;
  /** OCW3 P: the next read is a poll. */
  pollPending = false;
  /** The IR with the lowest priority (7 after initialisation; rotation moves it). */
  lowestPriority = 7;

  /** @param elcrMask - the ELCR bits that exist for this chip (reserved inputs are 0) */
  constructor(readonly elcrMask: number) {}

  /** The inputs that are level-triggered now. */
  get levelMask(): number {
    return this.levelTriggeredAll ? 0xff : this.elcr;
  }

  /** Drives input `ir` (0–7) to `level`. */
  setPin(ir: number, level: boolean): void {
    const bit = 1 << ir;
    if (level) {
      if ((this.levelMask & bit) !== 0 || (this.pins & bit) === 0) this.irr |= bit;
      this.pins |= bit;
    } else {
      this.pins &= ~bit;
      if ((this.levelMask & bit) !== 0) this.irr &= ~bit;
    }
  }

  /** Sets the ELCR (reserved bits stay 0); inputs that became level-triggered follow their lines. */
  setElcr(value: number): void {
    this.elcr = value & this.elcrMask;
    const level = this.levelMask;
    this.irr = (this.irr & ~level) | (this.pins & level);
  }

  /**
   * The priority rank (0 = highest) of the highest-priority bit set in `mask`, or 8 when none is.
   * Rank r is IR `(lowestPriority + 1 + r) mod 8` (datasheet, "Rotation").
   */
  #rank(mask: number): number {
    if (mask === 0) return 8;
    for (let r = 0; r < 8; r++) {
      if ((mask & (1 << ((this.lowestPriority + 1 + r) & 7))) !== 0) return r;
    }
    return 8;
  }

  /**
   * The IR the chip would present to INTA now, or -1: the highest-priority unmasked request
   * whose priority beats every in-service level (fully nested mode). In special mask mode
   * masked in-service levels do not block; in special fully nested mode (master only) the
   * cascade input does not block itself.
   *
   * @param cascadeBit - the bit of the slave's input on this chip (0 on the slave)
   */
  pendingIr(cascadeBit: number): number {
    const requested = this.irr & ~this.imr;
    if (requested === 0) return -1;
    const rank = this.#rank(requested);
    let inService = this.isr;
    if (this.specialMask) inService &= ~this.imr;
    if (this.specialFullyNested) inService &= ~cascadeBit;
    if (rank >= this.#rank(inService)) return -1;
    return (this.lowestPriority + 1 + rank) & 7;
  }

  /** The INTA cycle for `ir`: sets its ISR bit (unless AEOI) and clears an edge request. */
  acknowledge(ir: number): void {
    const bit = 1 << ir;
    if ((this.levelMask & bit) === 0) this.irr &= ~bit;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowestPriority = ir;
    } else {
      this.isr |= bit;
    }
  }

  /** A poll read (OCW3 P=1): acknowledges like INTA and returns the poll word. */
  poll(cascadeBit: number): number {
    this.pollPending = false;
    const ir = this.pendingIr(cascadeBit);
    if (ir < 0) return 0;
    this.acknowledge(ir);
    return POLL_INTERRUPT | ir;
  }

  /** A read of the command port (A0 = 0): poll word, ISR or IRR. */
  readCommand(cascadeBit: number): number {
    if (this.pollPending) return this.poll(cascadeBit);
    return this.readIsr ? this.isr : this.irr;
  }

  /** A read of the data port (A0 = 1): poll word or IMR. */
  readData(cascadeBit: number): number {
    if (this.pollPending) return this.poll(cascadeBit);
    return this.imr;
  }

  /** A write to the command port (A0 = 0): ICW1, OCW2 or OCW3. */
  writeCommand(value: number): void {
    if ((value & ICW1_SELECT) !== 0) {
      this.#icw1(value);
    } else if ((value & OCW3_SELECT) !== 0) {
      this.#ocw3(value);
    } else {
      this.#ocw2(value);
    }
  }

  /** A write to the data port (A0 = 1): the next ICW during initialisation, else OCW1. */
  writeData(value: number): void {
    switch (this.initStep) {
      case 2:
        this.vectorBase = value & 0xf8;
        this.initStep = this.singleMode ? (this.icw4Expected ? 4 : INIT_DONE) : 3;
        return;
      case 3:
        this.icw3 = value;
        this.initStep = this.icw4Expected ? 4 : INIT_DONE;
        return;
      case 4:
        // ICW4 µPM (D0) selects 8086 mode; 8080 mode (CALL opcodes on INTA) has no meaning for
        // an x86 CPU, so the vector is delivered either way. BUF and M/S only matter to
        // external buffers.
        this.autoEoi = (value & ICW4_AEOI) !== 0;
        this.specialFullyNested = (value & ICW4_SFNM) !== 0;
        this.initStep = INIT_DONE;
        return;
      default:
        this.imr = value;
    }
  }

  /** ICW1: starts the initialisation sequence (datasheet, "Initialization Command Words"). */
  #icw1(value: number): void {
    this.icw4Expected = (value & ICW1_IC4) !== 0;
    this.singleMode = (value & ICW1_SNGL) !== 0;
    this.levelTriggeredAll = (value & ICW1_LTIM) !== 0;
    this.initStep = 2;
    // "The edge sense circuit is reset ... the Interrupt Mask Register is cleared; IR7 input is
    // assigned priority 7; special mask mode is cleared and status read is set to IRR. If IC4 =
    // 0, then all functions selected in ICW4 are set to zero." Pending edges are forgotten;
    // level-triggered inputs that are high request again.
    this.imr = 0;
    this.isr = 0;
    this.irr = this.pins & this.levelMask;
    this.lowestPriority = 7;
    this.specialMask = false;
    this.readIsr = false;
    this.pollPending = false;
    this.autoEoi = false;
    this.specialFullyNested = false;
    this.rotateOnAutoEoi = false;
  }

  /** OCW2: EOI, rotation and priority commands, by R/SL/EOI (D7–D5) and L2–L0. */
  #ocw2(value: number): void {
    const level = value & 7;
    switch (value >> 5) {
      case 0b000: // rotate in automatic EOI mode (clear)
        this.rotateOnAutoEoi = false;
        return;
      case 0b100: // rotate in automatic EOI mode (set)
        this.rotateOnAutoEoi = true;
        return;
      case 0b001: // non-specific EOI
        this.#nonSpecificEoi(false);
        return;
      case 0b101: // rotate on non-specific EOI
        this.#nonSpecificEoi(true);
        return;
      case 0b011: // specific EOI
        this.isr &= ~(1 << level);
        return;
      case 0b111: // rotate on specific EOI
        this.isr &= ~(1 << level);
        this.lowestPriority = level;
        return;
      case 0b110: // set priority
        this.lowestPriority = level;
        return;
      default: // 0b010: no operation
        return;
    }
  }

  #nonSpecificEoi(rotate: boolean): void {
    // The highest-priority in-service level is the one being serviced (fully nested mode).
    const mask = this.isr;
    if (mask === 0) return;
    for (let r = 0; r < 8; r++) {
      const ir = (this.lowestPriority + 1 + r) & 7;
      if ((mask & (1 << ir)) !== 0) {
        this.isr &= ~(1 << ir);
        if (rotate) this.lowestPriority = ir;
        return;
      }
    }
  }

  /** OCW3: special mask mode, poll, and which register a command-port read returns. */
  #ocw3(value: number): void {
    if ((value & OCW3_ESMM) !== 0) this.specialMask = (value & OCW3_SMM) !== 0;
    if ((value & OCW3_POLL) !== 0) this.pollPending = true;
    if ((value & OCW3_RR) !== 0) this.readIsr = (value & OCW3_RIS) !== 0;
  }

  /**
   * Power-on state: uninitialised, nothing in service, ELCR `elcr`. The input lines are wires
   * driven by the devices, so their levels are kept; level-triggered inputs that are high
   * request again.
   */
  reset(elcr: number): void {
    this.isr = 0;
    this.imr = 0;
    this.elcr = elcr & this.elcrMask;
    this.irr = this.pins & this.elcr;
    this.vectorBase = 0;
    this.icw3 = 0;
    this.initStep = INIT_DONE;
    this.icw4Expected = false;
    this.singleMode = false;
    this.levelTriggeredAll = false;
    this.autoEoi = false;
    this.specialFullyNested = false;
    this.rotateOnAutoEoi = false;
    this.specialMask = false;
    this.readIsr = false;
    this.pollPending = false;
    this.lowestPriority = 7;
  }

  /** The chip's registers as a plain state value. */
  saveState(): StateValue {
    return {
      irr: this.irr,
      isr: this.isr,
      imr: this.imr,
      pins: this.pins,
      elcr: this.elcr,
      vectorBase: this.vectorBase,
      icw3: this.icw3,
      initStep: this.initStep,
      icw4Expected: this.icw4Expected,
      singleMode: this.singleMode,
      levelTriggeredAll: this.levelTriggeredAll,
      autoEoi: this.autoEoi,
      specialFullyNested: this.specialFullyNested,
      rotateOnAutoEoi: this.rotateOnAutoEoi,
      specialMask: this.specialMask,
      readIsr: this.readIsr,
      pollPending: this.pollPending,
      lowestPriority: this.lowestPriority,
    };
  }

  /** Loads registers saved by {@link saveState}; values are masked to their widths. */
  loadState(state: StateValue): void {
    this.irr = numberField(state, 'irr') & 0xff;
    this.isr = numberField(state, 'isr') & 0xff;
    this.imr = numberField(state, 'imr') & 0xff;
    this.pins = numberField(state, 'pins') & 0xff;
    this.elcr = numberField(state, 'elcr') & this.elcrMask;
    this.vectorBase = numberField(state, 'vectorBase') & 0xf8;
    this.icw3 = numberField(state, 'icw3') & 0xff;
    const step = numberField(state, 'initStep');
    this.initStep = step === 2 || step === 3 || step === 4 ? step : INIT_DONE;
    this.icw4Expected = booleanField(state, 'icw4Expected');
    this.singleMode = booleanField(state, 'singleMode');
    this.levelTriggeredAll = booleanField(state, 'levelTriggeredAll');
    this.autoEoi = booleanField(state, 'autoEoi');
    this.specialFullyNested = booleanField(state, 'specialFullyNested');
    this.rotateOnAutoEoi = booleanField(state, 'rotateOnAutoEoi');
    this.specialMask = booleanField(state, 'specialMask');
    this.readIsr = booleanField(state, 'readIsr');
    this.pollPending = booleanField(state, 'pollPending');
    this.lowestPriority = numberField(state, 'lowestPriority') & 7;
  }
}
