import {
  PopekError,
  arrayField,
  booleanField,
  bytesField,
  numberField,
  type StateRecord,
  type StateValue,
} from '@popek/core';
import { Lsr, Mcr, Msr, POWER_ON_DIVISOR, UART_FIFO_DEPTH } from './uart-registers.js';

/** The schema name of a UART's saved state. */
export const UART16550_STATE_TYPE = '@popek/dev-serial:Uart16550';
/** The current version of that schema. */
export const UART16550_STATE_VERSION = 1;
/** Most transmitted bytes a UART holds before handing them to its backend. */
export const UART_OUTPUT_STAGING_BYTES = 256;

/**
 * A 16550A's state as a plain value that maps 1:1 to the chip: its registers, its two FIFOs and
 * shift register, its latched interrupt conditions, and the deadlines of its clock timers. A fresh
 * UART is {@link defaultUart16550State}; saving and loading go through this shape.
 */
export interface Uart16550State {
  /** Interrupt Enable Register (bits 0–3). */
  readonly ier: number;
  /** Line Control Register. */
  readonly lcr: number;
  /** Modem Control Register (bits 0–4). */
  readonly mcr: number;
  /** Scratch register. */
  readonly scr: number;
  /** Divisor latch (DLM:DLL), 0–65535. */
  readonly divisor: number;
  /** Whether FIFO mode is on (FCR bit 0). */
  readonly fifoEnabled: boolean;
  /** The receiver trigger field (FCR bits 7:6), 0–3. */
  readonly rxTrigger: number;
  /** The latched LSR error bits (OE, PE, FE, BI). */
  readonly lsrErrors: number;
  /** The latched "error in receiver FIFO" bit (LSR bit 7). */
  readonly fifoError: boolean;
  /** The MSR delta bits (0–3). */
  readonly msrDeltas: number;
  /** The modem inputs the chip currently sees (MSR bits 4–7). */
  readonly modemInputs: number;
  /** The modem inputs the host side drives when not in loopback (MSR bits 4–7). */
  readonly hostModemInputs: number;
  /** Received characters, oldest first (at most 16). */
  readonly rxData: Uint8Array;
  /** Per received character: its LSR error bits (PE, FE, BI). */
  readonly rxFlags: Uint8Array;
  /** The last character read from RBR (what RBR reads when the receiver is empty). */
  readonly rbr: number;
  /** Characters waiting in the holding register or transmitter FIFO, oldest first (at most 16). */
  readonly txData: Uint8Array;
  /** The character in the transmitter shift register, or -1 when it is idle. */
  readonly tsr: number;
  /** Whether a transmitter-holding-register-empty interrupt is latched. */
  readonly thrInterrupt: boolean;
  /** Whether a character timeout is latched. */
  readonly timeoutInterrupt: boolean;
  /**
   * Guest time (ns) of the transmitter's next step (the character in the shift register is sent
   * and the next one loaded); `null` when it is idle.
   */
  readonly txDeadlineNs: number | null;
  /** Guest time (ns) the receive line is free for the next host character; `null` when free. */
  readonly rxDeadlineNs: number | null;
  /** Guest time (ns) of the next character-timeout check; `null` when disarmed. */
  readonly timeoutDeadlineNs: number | null;
  /** Transmitted bytes not yet handed to the backend. */
  readonly output: Uint8Array;
}

/** The state of a UART at power-on (datasheet Table I, plus a 9600-baud divisor). */
export function defaultUart16550State(hostModemInputs: number = Msr.CTS | Msr.DSR | Msr.DCD): Uart16550State {
  return {
    ier: 0,
    lcr: 0,
    mcr: 0,
    scr: 0,
    divisor: POWER_ON_DIVISOR,
    fifoEnabled: false,
    rxTrigger: 0,
    lsrErrors: 0,
    fifoError: false,
    msrDeltas: 0,
    modemInputs: hostModemInputs & Msr.INPUTS,
    hostModemInputs: hostModemInputs & Msr.INPUTS,
    rxData: new Uint8Array(0),
    rxFlags: new Uint8Array(0),
    rbr: 0,
    txData: new Uint8Array(0),
    tsr: -1,
    thrInterrupt: false,
    timeoutInterrupt: false,
    txDeadlineNs: null,
    rxDeadlineNs: null,
    timeoutDeadlineNs: null,
    output: new Uint8Array(0),
  };
}

/** Turns a UART state into a snapshot state value (copies the arrays). */
export function uart16550StateToValue(state: Uart16550State): StateRecord {
  return {
    ier: state.ier,
    lcr: state.lcr,
    mcr: state.mcr,
    scr: state.scr,
    divisor: state.divisor,
    fifoEnabled: state.fifoEnabled,
    rxTrigger: state.rxTrigger,
    lsrErrors: state.lsrErrors,
    fifoError: state.fifoError,
    msrDeltas: state.msrDeltas,
    modemInputs: state.modemInputs,
    hostModemInputs: state.hostModemInputs,
    rxData: state.rxData.slice(),
    rxFlags: state.rxFlags.slice(),
    rbr: state.rbr,
    txData: state.txData.slice(),
    tsr: state.tsr,
    thrInterrupt: state.thrInterrupt,
    timeoutInterrupt: state.timeoutInterrupt,
    deadlines: [state.txDeadlineNs, state.rxDeadlineNs, state.timeoutDeadlineNs],
    output: state.output.slice(),
  };
}

/**
 * Reads a UART state from a snapshot state value, checking every field: a snapshot file is input
 * like any other, and a corrupt one must not give a UART an impossible state.
 *
 * @param owner - the UART's id, for messages
 * @throws `PopekError` (`snapshot-invalid`) naming the bad field
 */
export function uart16550StateFromValue(value: StateValue, owner: string): Uart16550State {
  const bad = (what: string): never => {
    throw new PopekError('snapshot-invalid', `The snapshot's state for serial port '${owner}' is invalid: ${what}.`);
  };
  try {
    const byte = (key: string, mask = 0xff): number => {
      const v = numberField(value, key);
      if (!Number.isInteger(v) || v < 0 || (v & ~mask) !== 0) bad(`${key} is ${v}`);
      return v;
    };
    const deadlines = arrayField(value, 'deadlines');
    if (deadlines.length !== 3) bad('deadlines does not hold three entries');
    const deadline = (i: number): number | null => {
      const d = deadlines[i];
      if (d === null) return null;
      if (typeof d !== 'number' || !Number.isFinite(d) || d < 0) return bad(`deadline ${i} is ${String(d)}`);
      return d;
    };
    const rxData = bytesField(value, 'rxData');
    const rxFlags = bytesField(value, 'rxFlags');
    const txData = bytesField(value, 'txData');
    const output = bytesField(value, 'output');
    if (rxData.length > UART_FIFO_DEPTH) bad(`the receiver holds ${rxData.length} characters`);
    if (rxFlags.length !== rxData.length) bad('rxFlags and rxData differ in length');
    for (const f of rxFlags) if ((f & ~(Lsr.PE | Lsr.FE | Lsr.BI)) !== 0) bad(`a received character has flags ${f}`);
    if (txData.length > UART_FIFO_DEPTH) bad(`the transmitter holds ${txData.length} characters`);
    if (output.length > UART_OUTPUT_STAGING_BYTES) bad(`${output.length} output bytes are staged`);
    const fifoEnabled = booleanField(value, 'fifoEnabled');
    if (!fifoEnabled && (rxData.length > 1 || txData.length > 1)) bad('a FIFO holds several characters in 16450 mode');
    const tsr = numberField(value, 'tsr');
    if (!Number.isInteger(tsr) || tsr < -1 || tsr > 0xff) bad(`tsr is ${tsr}`);
    const divisor = numberField(value, 'divisor');
    if (!Number.isInteger(divisor) || divisor < 0 || divisor > 0xffff) bad(`divisor is ${divisor}`);
    const rxTrigger = numberField(value, 'rxTrigger');
    if (!Number.isInteger(rxTrigger) || rxTrigger < 0 || rxTrigger > 3) bad(`rxTrigger is ${rxTrigger}`);
    const state: Uart16550State = {
      ier: byte('ier', 0x0f),
      lcr: byte('lcr'),
      mcr: byte('mcr', Mcr.MASK),
      scr: byte('scr'),
      divisor,
      fifoEnabled,
      rxTrigger,
      lsrErrors: byte('lsrErrors', Lsr.ERRORS),
      fifoError: booleanField(value, 'fifoError'),
      msrDeltas: byte('msrDeltas', Msr.DELTAS),
      modemInputs: byte('modemInputs', Msr.INPUTS),
      hostModemInputs: byte('hostModemInputs', Msr.INPUTS),
      rxData: rxData.slice(),
      rxFlags: rxFlags.slice(),
      rbr: byte('rbr'),
      txData: txData.slice(),
      tsr,
      thrInterrupt: booleanField(value, 'thrInterrupt'),
      timeoutInterrupt: booleanField(value, 'timeoutInterrupt'),
      txDeadlineNs: deadline(0),
      rxDeadlineNs: deadline(1),
      timeoutDeadlineNs: deadline(2),
      output: output.slice(),
    };
    if ((state.tsr >= 0 || state.txData.length > 0) && state.txDeadlineNs === null) bad('the transmitter holds characters but has no deadline');
    return state;
  } catch (error) {
    if (error instanceof PopekError) throw error;
    throw new PopekError('snapshot-invalid', `The snapshot's state for serial port '${owner}' is invalid: ${(error as Error).message}.`, {
      cause: error,
    });
  }
}
