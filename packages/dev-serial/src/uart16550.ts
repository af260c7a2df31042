import {
  DisconnectedIrqLine,
  type AccessWidth,
  type CharBackend,
  type CharReceiver,
  type CoreClock,
  type Counter,
  type Device,
  type DeviceAttachment,
  type DeviceResources,
  type IoHandler,
  type IrqLine,
  type LifecycleContribution,
  type MetricsRegistry,
  type StateValue,
  type Timer,
} from '@popek/core';
import { NullCharBackend } from './null-char-backend.js';
import {
  Fcr,
  Ier,
  Iir,
  Lcr,
  Lsr,
  Mcr,
  Msr,
  NS_PER_BIT_AT_DIVISOR_1,
  POWER_ON_DIVISOR,
  RCVR_TRIGGER_LEVELS,
  UART_FIFO_DEPTH,
  UART_WINDOW_SIZE,
} from './uart-registers.js';
import {
  UART16550_STATE_TYPE,
  UART16550_STATE_VERSION,
  UART_OUTPUT_STAGING_BYTES,
  defaultUart16550State,
  uart16550StateFromValue,
  uart16550StateToValue,
  type Uart16550State,
} from './uart16550-state.js';

/**
 * How a UART paces its line.
 *
 * - `realistic` (the default): one character leaves the transmitter shift register every
 *   character time at the programmed baud rate and format (start + data + parity + stop bits), so
 *   THRE and TEMT behave as on the chip, and host input enters the receiver at the same rate.
 *   Cost: one clock-timer event per character, no allocation per character.
 * - `fast`: a character written to THR is on the wire at once (THRE and TEMT always read 1), and
 *   host input fills the receiver FIFO as fast as the guest drains it. For machines that print a
 *   lot and need no timing fidelity. The character timeout keeps its real duration in both modes.
 */
export type SerialTiming = 'realistic' | 'fast';

/** What one UART instance is: its id, where it sits on a PC, and how it paces its line. */
export interface Uart16550Options {
  /** Device id, unique within the machine (`com1`); also its snapshot id and timer-name prefix. */
  readonly id: string;
  /** Base I/O port of its 8-port window (0x3F8 for COM1). */
  readonly base: number;
  /** ISA interrupt line (4 for COM1). */
  readonly irq: number;
  /** Line pacing (default `realistic`). */
  readonly timing?: SerialTiming;
  /**
   * The modem inputs the far end drives outside loopback, as MSR bits 4–7 (default CTS, DSR and
   * DCD asserted: a null-modem cable to a ready terminal).
   */
  readonly modemInputs?: number;
}

const FIFO_MASK = UART_FIFO_DEPTH - 1;
/** In realistic mode, transmitted bytes reach the backend in batches of at most this many. */
const REALISTIC_FLUSH_BYTES = 32;

/**
 * A National Semiconductor PC16550D UART (a "16550A" to Linux) as wired on a PC serial port: eight
 * registers at a fixed ISA port window, one IRQ line gated by MCR OUT2, 16-byte receiver and
 * transmitter FIFOs, the character-timeout interrupt, modem control and status, and loopback.
 *
 * The guest side is the `IoHandler` (`read`/`write` at offsets 0–7, any width: a 16- or
 * 32-bit access is split into byte accesses, as the ISA bus does for an 8-bit device). The host side
 * is a `CharBackend`: transmitted characters are handed to `write` in small batches, and host
 * input arrives through the `CharReceiver` flow control — the UART accepts only what its
 * receiver can take, so the backend holds the rest and no buffer grows without bound.
 *
 * Time comes from the core clock: three timers per port (`<id>.tx`, `<id>.rx`, `<id>.timeout`).
 */
export class Uart16550 implements Device, IoHandler, CharReceiver, LifecycleContribution {
  /** Device id (`com1`). */
  readonly id: string;
  /** Snapshot id: the device id. */
  readonly snapshotId: string;
  /** Schema of the saved state. */
  readonly stateType = UART16550_STATE_TYPE;
  /** Version of the saved state's schema. */
  readonly stateVersion = UART16550_STATE_VERSION;
  /** Base I/O port. */
  readonly base: number;
  /** ISA interrupt line. */
  readonly irqLine: number;
  /** Line pacing. */
  readonly timing: SerialTiming;

  readonly #clock: CoreClock;
  readonly #backend: CharBackend;
  readonly #fast: boolean;
  readonly #resources: DeviceResources;
  readonly #txTimer: Timer;
  readonly #rxTimer: Timer;
  readonly #timeoutTimer: Timer;
  #irq: IrqLine = new DisconnectedIrqLine();
  #irqLevel = false;
  #connected = false;
  /** The backend was refused input (or may hold more): ask it again when the receiver has room. */
  #backendWaiting = false;

  // Registers.
  #ier = 0;
  #lcr = 0;
  #mcr = 0;
  #scr = 0;
  #divisor = POWER_ON_DIVISOR;
  #fifoEnabled = false;
  #rxTriggerField = 0;
  #rxTriggerLevel = 1;
  #lsrErrors = 0;
  #fifoError = false;
  #msrDeltas = 0;
  #modemInputs: number;
  #hostModemInputs: number;

  // Receiver: a ring of 16 characters with per-character error flags (RBR is its head in 16450 mode).
  readonly #rxData = new Uint8Array(UART_FIFO_DEPTH);
  readonly #rxFlags = new Uint8Array(UART_FIFO_DEPTH);
  #rxHead = 0;
  #rxCount = 0;
  #rxErrorCount = 0;
  #rbr = 0;
  /** When the receive line is next free (the rx timer's deadline). */
  #rxDeadlineNs = 0;
  /** While the rx timer's callback runs: the deadline it fired for; else -1. */
  #rxChainNs = -1;

  // Transmitter: a ring of 16 characters (THR in 16450 mode) and the shift register.
  readonly #txData = new Uint8Array(UART_FIFO_DEPTH);
  #txHead = 0;
  #txCount = 0;
  #tsr = -1;
  #txDeadlineNs = 0;

  #thrInterrupt = false;
  #timeoutInterrupt = false;

  // Derived from LCR and the divisor.
  #charNs = 0;
  #bitNs = 0;
  #wordMask = 0xff;

  // Transmitted bytes on their way to the backend.
  readonly #output = new Uint8Array(UART_OUTPUT_STAGING_BYTES);
  #outputLength = 0;

  readonly #txBytes: Counter;
  readonly #rxBytes: Counter;
  readonly #overruns: Counter;
  readonly #txLost: Counter;
  readonly #rxLost: Counter;
  readonly #ignored: Counter;
  readonly #interrupts: Counter;

  /**
   * @param options - id, port, IRQ and pacing
   * @param clock - the machine's clock (timers are created here, named after `options.id`)
   * @param metrics - where the port counts its events
   * @param backend - the host side (default: a {@link NullCharBackend}); connected at the first reset
   */
  constructor(options: Uart16550Options, clock: CoreClock, metrics: MetricsRegistry, backend: CharBackend = new NullCharBackend()) {
    this.id = options.id;
    this.snapshotId = options.id;
    this.base = options.base;
    this.irqLine = options.irq;
    this.timing = options.timing ?? 'realistic';
    this.#fast = this.timing === 'fast';
    this.#clock = clock;
    this.#backend = backend;
    this.#hostModemInputs = (options.modemInputs ?? Msr.CTS | Msr.DSR | Msr.DCD) & Msr.INPUTS;
    this.#modemInputs = this.#hostModemInputs;
    this.#resources = {
      ports: [{ name: 'registers', size: UART_WINDOW_SIZE, base: options.base, handler: this }],
      irqs: [{ name: 'irq', line: options.irq }],
    };
    this.#txTimer = clock.createTimer(`${options.id}.tx`, this.#onTxTimer);
    this.#rxTimer = clock.createTimer(`${options.id}.rx`, this.#onRxTimer);
    this.#timeoutTimer = clock.createTimer(`${options.id}.timeout`, this.#onTimeoutTimer);
    const labels = { port: options.id };
    this.#txBytes = metrics.counter('serial.tx.bytes', 'characters the guest transmitted', labels);
    this.#rxBytes = metrics.counter('serial.rx.bytes', 'characters that reached the receiver', labels);
    this.#overruns = metrics.counter('serial.rx.overruns', 'received characters lost because the guest left the receiver full', labels);
    this.#txLost = metrics.counter('serial.tx.lost', 'characters written to a full transmitter or sent during a break', labels);
    this.#rxLost = metrics.counter('serial.rx.lost', 'host characters pushed while the receiver input was disconnected (loopback)', labels);
    this.#ignored = metrics.counter('serial.guest.ignored', 'writes to read-only registers and accesses outside the register window', labels);
    this.#interrupts = metrics.counter('serial.irq.raised', 'times the IRQ line was raised', labels);
    this.#recomputeTiming();
  }

  // ---- Device -------------------------------------------------------------------------------

  /** An 8-port window at the fixed base and one fixed ISA IRQ line. */
  resources(): DeviceResources {
    return this.#resources;
  }

  /** Takes the IRQ line the machine assigned (`irq`). */
  attach(attachment: DeviceAttachment): void {
    this.#irq = attachment.irqs['irq'] ?? new DisconnectedIrqLine();
    this.#irqLevel = false;
    this.#irq.set(false);
    this.#update();
  }

  /**
   * The master-reset state (datasheet Table I), with the divisor and scratch register at their
   * power-on values too; staged output is handed to the backend first. The first reset (the
   * machine's power-on) connects the backend.
   */
  reset(): void {
    this.#flushOutput();
    this.#apply(defaultUart16550State(this.#hostModemInputs));
    if (!this.#connected) {
      this.#connected = true;
      this.#backend.connect(this);
    }
  }

  // ---- Guest side: the register window ------------------------------------------------------

  /** Reads `width` bytes at `offset`; bytes outside the window read as 0xFF (a floating bus). */
  read(offset: number, width: AccessWidth): number {
    if (width === 1) return this.#readByte(offset);
    let value = 0;
    for (let i = 0; i < width; i++) value |= this.#readByte(offset + i) << (8 * i);
    return value >>> 0;
  }

  /** Writes the low `width` bytes of `value` at `offset`; bytes outside the window are ignored. */
  write(offset: number, width: AccessWidth, value: number): void {
    const v = value >>> 0;
    if (width === 1) {
      this.#writeByte(offset, v & 0xff);
      return;
    }
    for (let i = 0; i < width; i++) this.#writeByte(offset + i, (v >>> (8 * i)) & 0xff);
  }

  #readByte(offset: number): number {
    switch (offset) {
      case 0:
        return this.#lcr & Lcr.DLAB ? this.#divisor & 0xff : this.#readRbr();
      case 1:
        return this.#lcr & Lcr.DLAB ? this.#divisor >>> 8 : this.#ier;
      case 2:
        return this.#readIir();
      case 3:
        return this.#lcr;
      case 4:
        return this.#mcr;
      case 5:
        return this.#readLsr();
      case 6:
        return this.#readMsr();
      case 7:
        return this.#scr;
      default:
        this.#ignored.value++;
        return 0xff;
    }
  }

  #writeByte(offset: number, value: number): void {
    switch (offset) {
      case 0:
        if (this.#lcr & Lcr.DLAB) this.#setDivisor((this.#divisor & 0xff00) | value);
        else this.#writeThr(value);
        return;
      case 1:
        if (this.#lcr & Lcr.DLAB) this.#setDivisor((this.#divisor & 0x00ff) | (value << 8));
        else this.#writeIer(value);
        return;
      case 2:
        this.#writeFcr(value);
        return;
      case 3:
        this.#writeLcr(value);
        return;
      case 4:
        this.#writeMcr(value);
        return;
      case 7:
        this.#scr = value;
        return;
      default:
        // LSR and MSR are read-only (writing them is a factory test mode, §8.4); offsets outside
        // the window decode to nothing.
        this.#ignored.value++;
    }
  }

  /** RBR (§8.4, Table IV): pops the receiver; clears data-ready, RDA and timeout conditions. */
  #readRbr(): number {
    if (this.#rxCount === 0) return this.#rbr;
    const at = this.#rxHead;
    const ch = this.#rxData[at]!;
    if (this.#rxFlags[at] !== 0) this.#rxErrorCount--;
    this.#rxHead = (at + 1) & FIFO_MASK;
    this.#rxCount--;
    this.#rbr = ch;
    this.#timeoutInterrupt = false;
    // The next character's errors show in LSR when it reaches the top of the FIFO.
    if (this.#rxCount > 0) this.#lsrErrors |= this.#rxFlags[this.#rxHead]!;
    this.#armTimeout();
    this.#roomFreed();
    this.#update();
    return ch;
  }

  /** IIR (§8.6): the highest-priority pending interrupt; reading it clears a THRE interrupt it reports. */
  #readIir(): number {
    const id = this.#interruptId();
    if (id === Iir.THRI) {
      this.#thrInterrupt = false;
      this.#update();
    }
    return this.#fifoEnabled ? id | Iir.FIFOS_ENABLED : id;
  }

  /** LSR (§8.4): reading clears OE, PE, FE and BI, and bit 7 unless more errors wait in the FIFO. */
  #readLsr(): number {
    let v = this.#lsrErrors;
    if (this.#rxCount > 0) v |= Lsr.DR;
    if (this.#txCount === 0) {
      v |= Lsr.THRE;
      if (this.#tsr < 0) v |= Lsr.TEMT;
    }
    if (this.#fifoError) v |= Lsr.FIFO_ERROR;
    if (this.#lsrErrors !== 0 || this.#fifoError) {
      this.#lsrErrors = 0;
      const topHasError = this.#rxCount > 0 && this.#rxFlags[this.#rxHead] !== 0 ? 1 : 0;
      this.#fifoError = this.#fifoEnabled && this.#rxErrorCount - topHasError > 0;
      this.#update();
    }
    return v;
  }

  /** MSR (§8.9): the modem inputs and the deltas since the last read, which the read clears. */
  #readMsr(): number {
    const v = this.#msrDeltas | this.#modemInputs;
    if (this.#msrDeltas !== 0) {
      this.#msrDeltas = 0;
      this.#update();
    }
    return v;
  }

  /** THR: queues a character; writing clears a THRE interrupt (Table IV). */
  #writeThr(value: number): void {
    this.#thrInterrupt = false;
    if (this.#fast) {
      this.#transmitted(value);
      this.#thrInterrupt = true;
    } else if (this.#txCount < this.#capacity()) {
      this.#txData[(this.#txHead + this.#txCount) & FIFO_MASK] = value;
      this.#txCount++;
      // An idle transmitter loads the character into its shift register one bit time later, so a
      // driver filling the FIFO in a burst does not see the holding register empty in between.
      if (this.#tsr < 0 && !this.#txTimer.armed) this.#armTx(this.#clock.nowNs() + this.#bitNs);
    } else {
      // A full holding register is overwritten in 16450 mode; a full FIFO drops the character.
      if (!this.#fifoEnabled) this.#txData[this.#txHead] = value;
      this.#txLost.value++;
    }
    this.#update();
  }

  /** IER (§8.7): enabling ETBEI while the holding register is empty raises a THRE interrupt. */
  #writeIer(value: number): void {
    const ier = value & Ier.MASK;
    if (ier & Ier.ETBEI && !(this.#ier & Ier.ETBEI) && this.#txCount === 0) this.#thrInterrupt = true;
    this.#ier = ier;
    this.#update();
  }

  /** FCR (§8.5): FIFO enable, resets and receiver trigger; bits other than 0 need bit 0 set. */
  #writeFcr(value: number): void {
    const enable = (value & Fcr.FIFO_ENABLE) !== 0;
    if (enable !== this.#fifoEnabled) {
      // Changing modes clears both FIFOs (the shift registers are not cleared).
      this.#fifoEnabled = enable;
      this.#clearRx();
      this.#clearTx();
    }
    if (enable) {
      if (value & Fcr.RCVR_FIFO_RESET) this.#clearRx();
      if (value & Fcr.XMIT_FIFO_RESET) this.#clearTx();
      this.#rxTriggerField = value >>> Fcr.TRIGGER_SHIFT;
      this.#rxTriggerLevel = RCVR_TRIGGER_LEVELS[this.#rxTriggerField]!;
    }
    this.#update();
  }

  /** LCR (§8.1): format and DLAB; setting break in loopback makes the receiver see a break. */
  #writeLcr(value: number): void {
    const old = this.#lcr;
    this.#lcr = value;
    if ((value ^ old) & (Lcr.WLS_MASK | Lcr.STB | Lcr.PEN)) this.#recomputeTiming();
    if (value & Lcr.SBC && !(old & Lcr.SBC) && this.#mcr & Mcr.LOOP) {
      this.#receive(0, Lsr.BI);
      this.#update();
    }
  }

  /** MCR (§8.8): modem outputs, OUT2 (the PC's IRQ enable) and loopback. */
  #writeMcr(value: number): void {
    const mcr = value & Mcr.MASK;
    const old = this.#mcr;
    this.#mcr = mcr;
    this.#updateModemInputs();
    if (old & Mcr.LOOP && !(mcr & Mcr.LOOP)) this.#roomFreed(this.#charNs);
    this.#update();
  }

  #setDivisor(divisor: number): void {
    this.#divisor = divisor;
    this.#recomputeTiming();
  }

  // ---- Interrupts ---------------------------------------------------------------------------

  /** The IIR identification of the highest-priority enabled pending interrupt (Table IV). */
  #interruptId(): number {
    const ier = this.#ier;
    if (ier & Ier.ELSI && this.#lsrErrors !== 0) return Iir.RLS;
    if (ier & Ier.ERBFI) {
      if (this.#fifoEnabled) {
        if (this.#rxCount >= this.#rxTriggerLevel) return Iir.RDA;
        if (this.#timeoutInterrupt) return Iir.CTI;
      } else if (this.#rxCount > 0) {
        return Iir.RDA;
      }
    }
    if (ier & Ier.ETBEI && this.#thrInterrupt) return Iir.THRI;
    if (ier & Ier.EDSSI && this.#msrDeltas !== 0) return Iir.MSI;
    return Iir.NO_INT;
  }

  /**
   * Drives the IRQ line: the chip's INTR output reaches the ISA bus only through the PC's OUT2
   * gate, and in loopback the OUT2 pin is forced inactive (§8.8), so the line is then released.
   */
  #update(): void {
    const level = (this.#mcr & (Mcr.OUT2 | Mcr.LOOP)) === Mcr.OUT2 && this.#interruptId() !== Iir.NO_INT;
    if (level !== this.#irqLevel) {
      this.#irqLevel = level;
      if (level) this.#interrupts.value++;
      this.#irq.set(level);
    }
  }

  // ---- Transmitter --------------------------------------------------------------------------

  #armTx(deadlineNs: number): void {
    this.#txDeadlineNs = deadlineNs;
    this.#clock.arm(this.#txTimer, deadlineNs);
  }

  /**
   * One step of the transmitter at its deadline: the character in the shift register (if any) is
   * on the wire, and the next one moves from the holding register or FIFO into the shift register,
   * back to back. When that empties the FIFO, THRE is set and its interrupt latched (§8.4, §8.6).
   */
  #txStep(): void {
    const ch = this.#tsr;
    if (ch >= 0) {
      this.#tsr = -1;
      this.#transmitted(ch);
    }
    if (this.#txCount > 0) {
      this.#tsr = this.#txData[this.#txHead]!;
      this.#txHead = (this.#txHead + 1) & FIFO_MASK;
      this.#txCount--;
      if (this.#txCount === 0) this.#thrInterrupt = true;
      this.#armTx(this.#txDeadlineNs + this.#charNs);
    }
  }

  /** A character left the transmitter: to the receiver in loopback (which keeps the word length), else towards the backend. */
  #transmitted(value: number): void {
    this.#txBytes.value++;
    if (this.#lcr & Lcr.SBC) {
      // The line is held spacing: the character never reaches the other end.
      this.#txLost.value++;
      return;
    }
    if (this.#mcr & Mcr.LOOP) {
      this.#receive(value, 0);
      return;
    }
    // The host gets the byte as written: a terminal reading 8 bits should not see a guest that
    // never programmed LCR (5-bit words at reset) as garbage. The word length applies to receivers.
    this.#output[this.#outputLength++] = value;
    if (this.#outputLength >= (this.#fast ? UART_OUTPUT_STAGING_BYTES : REALISTIC_FLUSH_BYTES)) this.#flushOutput();
    else if (this.#fast && !this.#txTimer.armed) this.#clock.arm(this.#txTimer, this.#clock.nowNs());
  }

  readonly #onTxTimer = (): void => {
    if (this.#fast) {
      // In fast mode this timer only flushes output (and drains a transmitter restored from a
      // snapshot taken with realistic timing).
      while (this.#tsr >= 0 || this.#txCount > 0) this.#txStep();
      this.#clock.cancel(this.#txTimer);
      this.#flushOutput();
    } else {
      this.#txStep();
      if (this.#tsr < 0) this.#flushOutput();
    }
    this.#update();
  };

  #flushOutput(): void {
    const n = this.#outputLength;
    if (n === 0) return;
    this.#outputLength = 0;
    this.#backend.write(this.#output.slice(0, n));
  }

  #clearTx(): void {
    if (this.#txCount === 0) return;
    this.#txCount = 0;
    this.#txHead = 0;
    this.#thrInterrupt = true;
  }

  // ---- Receiver -----------------------------------------------------------------------------

  /** A character (with its PE/FE/BI flags) arrives from the line. */
  #receive(value: number, flags: number): void {
    const ch = value & this.#wordMask;
    this.#rxBytes.value++;
    if (this.#rxCount >= this.#capacity()) {
      // Overrun (§8.4): in FIFO mode the character in the shift register is lost; in 16450 mode
      // it replaces the unread one in RBR.
      this.#lsrErrors |= Lsr.OE;
      this.#overruns.value++;
      if (!this.#fifoEnabled) {
        const at = this.#rxHead;
        if (this.#rxFlags[at] !== 0) this.#rxErrorCount--;
        this.#rxData[at] = ch;
        this.#rxFlags[at] = flags;
        if (flags !== 0) this.#rxErrorCount++;
        this.#lsrErrors |= flags;
      }
    } else {
      const at = (this.#rxHead + this.#rxCount) & FIFO_MASK;
      this.#rxData[at] = ch;
      this.#rxFlags[at] = flags;
      this.#rxCount++;
      if (flags !== 0) {
        this.#rxErrorCount++;
        if (this.#fifoEnabled) this.#fifoError = true;
      }
      if (this.#rxCount === 1) this.#lsrErrors |= flags;
    }
    this.#armTimeout();
  }

  /**
   * Restarts the character-timeout timer (§8.11): it fires four character times after the last
   * character entered or left the FIFO, if characters remain.
   */
  #armTimeout(): void {
    if (this.#fifoEnabled && this.#rxCount > 0) this.#clock.arm(this.#timeoutTimer, this.#clock.nowNs() + 4 * this.#charNs);
    else this.#clock.cancel(this.#timeoutTimer);
  }

  readonly #onTimeoutTimer = (): void => {
    if (this.#fifoEnabled && this.#rxCount > 0) {
      this.#timeoutInterrupt = true;
      this.#update();
    }
  };

  #clearRx(): void {
    this.#rxHead = 0;
    this.#rxCount = 0;
    this.#rxErrorCount = 0;
    this.#fifoError = false;
    this.#timeoutInterrupt = false;
    this.#clock.cancel(this.#timeoutTimer);
    this.#roomFreed(this.#charNs);
  }

  /**
   * The receiver has room again: if the backend was refused, ask it once the line is free — at
   * once when the guest made the room by reading (it is draining the receiver), one character time
   * later when a FIFO reset or the end of loopback made it (the next character takes that long to
   * arrive). A driver that resets the FIFO several times while it starts the port, as Linux's 8250
   * driver does, so does not have held host input poured into a FIFO it is about to clear.
   */
  #roomFreed(delayNs = 0): void {
    if (this.#backendWaiting && !this.#rxTimer.armed && !(this.#mcr & Mcr.LOOP)) {
      this.#rxDeadlineNs = this.#clock.nowNs() + delayNs;
      this.#clock.arm(this.#rxTimer, this.#rxDeadlineNs);
    }
  }

  readonly #onRxTimer = (): void => {
    if (this.#backendWaiting && this.#connected && !(this.#mcr & Mcr.LOOP)) {
      this.#backendWaiting = false;
      this.#rxChainNs = this.#rxDeadlineNs;
      this.#backend.ready();
      this.#rxChainNs = -1;
    }
  };

  #capacity(): number {
    return this.#fifoEnabled ? UART_FIFO_DEPTH : 1;
  }

  // ---- Host side: CharReceiver --------------------------------------------------------------

  /**
   * How many host bytes the receiver takes now: none in loopback (the serial input is
   * disconnected), while full, or until the line is free again (a character in progress in
   * realistic mode, one character time after a FIFO reset in both modes); otherwise the free FIFO
   * space in fast mode, or one character per character time in realistic mode.
   */
  canAccept(): number {
    const room = this.#mcr & Mcr.LOOP ? 0 : this.#capacity() - this.#rxCount;
    if (room <= 0 || this.#rxTimer.armed) {
      this.#backendWaiting = true;
      return 0;
    }
    return this.#fast ? room : 1;
  }

  /**
   * Host bytes arrive on the line. A backend keeps to {@link canAccept}; bytes beyond it (a backend
   * that had to push) overrun the receiver as they would on a real line, and bytes pushed during
   * loopback are lost.
   */
  accept(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n === 0) return;
    this.#backendWaiting = true;
    if (this.#mcr & Mcr.LOOP) {
      this.#rxLost.value += n;
      return;
    }
    for (let i = 0; i < n; i++) this.#receive(bytes[i]!, 0);
    if (!this.#fast) {
      // A character handed over while the line just became free follows the previous one back to
      // back (so a late timer, as in realtime mode, does not slow the line down); one arriving on an
      // idle line starts now.
      const start = this.#rxChainNs >= 0 ? this.#rxChainNs : this.#clock.nowNs();
      this.#rxDeadlineNs = start + this.#charNs;
      this.#clock.arm(this.#rxTimer, this.#rxDeadlineNs);
    }
    this.#update();
  }

  // ---- Host side: modem inputs and inspection -----------------------------------------------

  /**
   * Sets the modem inputs the far end drives (MSR bits 4–7: CTS, DSR, RI, DCD). Outside loopback
   * a change sets the MSR delta bits and may raise a modem-status interrupt.
   */
  setModemInputs(inputs: number): void {
    this.#hostModemInputs = inputs & Msr.INPUTS;
    this.#updateModemInputs();
    this.#update();
  }

  #updateModemInputs(): void {
    const mcr = this.#mcr;
    // In loopback (§8.8) RTS→CTS, DTR→DSR, OUT1→RI and OUT2→DCD.
    const inputs =
      mcr & Mcr.LOOP
        ? ((mcr & Mcr.RTS) << 3) | ((mcr & Mcr.DTR) << 5) | ((mcr & Mcr.OUT1) << 4) | ((mcr & Mcr.OUT2) << 4)
        : this.#hostModemInputs;
    const changed = inputs ^ this.#modemInputs;
    if (changed === 0) return;
    let deltas = 0;
    if (changed & Msr.CTS) deltas |= Msr.DCTS;
    if (changed & Msr.DSR) deltas |= Msr.DDSR;
    if (changed & Msr.DCD) deltas |= Msr.DDCD;
    if (changed & Msr.RI && !(inputs & Msr.RI)) deltas |= Msr.TERI;
    this.#msrDeltas |= deltas;
    this.#modemInputs = inputs;
  }

  /** Characters waiting in the receiver (0–16). */
  get receiveLevel(): number {
    return this.#rxCount;
  }

  /** Characters waiting in the transmitter FIFO, not counting the shift register (0–16). */
  get transmitLevel(): number {
    return this.#txCount;
  }

  /** The programmed baud rate (115 200 / divisor; a zero divisor counts as 65 536). */
  get baudRate(): number {
    return 115_200 / (this.#divisor === 0 ? 0x10000 : this.#divisor);
  }

  /** Guest nanoseconds one character takes at the current rate and format. */
  get characterTimeNs(): number {
    return this.#charNs;
  }

  /** Whether the UART drives its IRQ line high. */
  get irqAsserted(): boolean {
    return this.#irqLevel;
  }

  #recomputeTiming(): void {
    const wordBits = 5 + (this.#lcr & Lcr.WLS_MASK);
    const stopBits = this.#lcr & Lcr.STB ? (wordBits === 5 ? 1.5 : 2) : 1;
    const bits = 1 + wordBits + (this.#lcr & Lcr.PEN ? 1 : 0) + stopBits;
    const divisor = this.#divisor === 0 ? 0x10000 : this.#divisor;
    this.#bitNs = Math.round(divisor * NS_PER_BIT_AT_DIVISOR_1);
    this.#charNs = Math.round(bits * divisor * NS_PER_BIT_AT_DIVISOR_1);
    this.#wordMask = (1 << wordBits) - 1;
  }

  // ---- Lifecycle ----------------------------------------------------------------------------

  /** After a machine reset, a backend refused before it may deliver again. */
  onReset(): void {
    this.#roomFreed();
  }

  /** Before the first slice: a backend refused before may deliver. */
  onStart(): void {
    this.#roomFreed();
  }

  /** Resuming: a backend refused before (or a restore) may deliver. */
  onResume(): void {
    this.#roomFreed();
  }

  /** After a restore the backend may hold input; it is asked when the machine runs again. */
  onRestore(): void {
    this.#backendWaiting = true;
  }

  /** Hands staged output to the backend. */
  onPause(): void {
    this.#flushOutput();
  }

  /** Hands staged output to the backend. */
  onStop(): void {
    this.#flushOutput();
  }

  // ---- Snapshots ----------------------------------------------------------------------------

  /** The UART's registers, FIFOs, latched interrupts, timer deadlines and staged output. */
  saveState(): StateValue {
    return uart16550StateToValue(this.#capture());
  }

  /**
   * Replaces the UART's state (validated first, so a bad snapshot changes nothing).
   *
   * @throws `PopekError` (`snapshot-invalid`) for a state no 16550 can be in
   */
  loadState(state: StateValue): void {
    this.#apply(uart16550StateFromValue(state, this.id));
  }

  #capture(): Uart16550State {
    const rxData = new Uint8Array(this.#rxCount);
    const rxFlags = new Uint8Array(this.#rxCount);
    for (let i = 0; i < this.#rxCount; i++) {
      const at = (this.#rxHead + i) & FIFO_MASK;
      rxData[i] = this.#rxData[at]!;
      rxFlags[i] = this.#rxFlags[at]!;
    }
    const txData = new Uint8Array(this.#txCount);
    for (let i = 0; i < this.#txCount; i++) txData[i] = this.#txData[(this.#txHead + i) & FIFO_MASK]!;
    const deadline = (t: Timer): number | null => (t.armed ? t.deadline : null);
    return {
      ier: this.#ier,
      lcr: this.#lcr,
      mcr: this.#mcr,
      scr: this.#scr,
      divisor: this.#divisor,
      fifoEnabled: this.#fifoEnabled,
      rxTrigger: this.#rxTriggerField,
      lsrErrors: this.#lsrErrors,
      fifoError: this.#fifoError,
      msrDeltas: this.#msrDeltas,
      modemInputs: this.#modemInputs,
      hostModemInputs: this.#hostModemInputs,
      rxData,
      rxFlags,
      rbr: this.#rbr,
      txData,
      tsr: this.#tsr,
      thrInterrupt: this.#thrInterrupt,
      timeoutInterrupt: this.#timeoutInterrupt,
      txDeadlineNs: deadline(this.#txTimer),
      rxDeadlineNs: deadline(this.#rxTimer),
      timeoutDeadlineNs: deadline(this.#timeoutTimer),
      output: this.#output.slice(0, this.#outputLength),
    };
  }

  #apply(s: Uart16550State): void {
    this.#ier = s.ier;
    this.#lcr = s.lcr;
    this.#mcr = s.mcr;
    this.#scr = s.scr;
    this.#divisor = s.divisor;
    this.#fifoEnabled = s.fifoEnabled;
    this.#rxTriggerField = s.rxTrigger;
    this.#rxTriggerLevel = RCVR_TRIGGER_LEVELS[s.rxTrigger]!;
    this.#lsrErrors = s.lsrErrors;
    this.#fifoError = s.fifoError;
    this.#msrDeltas = s.msrDeltas;
    this.#modemInputs = s.modemInputs;
    this.#hostModemInputs = s.hostModemInputs;
    this.#rxData.set(s.rxData);
    this.#rxFlags.set(s.rxFlags);
    this.#rxHead = 0;
    this.#rxCount = s.rxData.length;
    this.#rxErrorCount = 0;
    for (const f of s.rxFlags) if (f !== 0) this.#rxErrorCount++;
    this.#rbr = s.rbr;
    this.#txData.set(s.txData);
    this.#txHead = 0;
    this.#txCount = s.txData.length;
    this.#tsr = s.tsr;
    this.#txDeadlineNs = s.txDeadlineNs ?? 0;
    this.#thrInterrupt = s.thrInterrupt;
    this.#timeoutInterrupt = s.timeoutInterrupt;
    this.#output.set(s.output);
    this.#outputLength = s.output.length;
    this.#recomputeTiming();
    this.#setTimer(this.#txTimer, s.txDeadlineNs);
    this.#rxDeadlineNs = s.rxDeadlineNs ?? 0;
    this.#setTimer(this.#rxTimer, s.rxDeadlineNs);
    this.#setTimer(this.#timeoutTimer, s.timeoutDeadlineNs);
    this.#update();
  }

  #setTimer(timer: Timer, deadline: number | null): void {
    if (deadline === null) this.#clock.cancel(timer);
    else this.#clock.arm(timer, deadline);
  }
}
