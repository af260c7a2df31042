/*
 * A model of how Linux's 8250 driver (drivers/tty/serial/8250/8250_port.c) drives a PC UART:
 * the register sequences of autoconfig(), autoconfig_16550a(), size_fifo(), serial8250_do_startup(),
 * serial8250_do_set_termios(), the interrupt handler (serial8250_handle_irq with rx_chars and
 * tx_chars) and the console write path. Written from the driver's behaviour for these tests; the
 * register values below are those of include/uapi/linux/serial_reg.h.
 */

/** Register offsets and bits as Linux names them (serial_reg.h). */
export const R = {
  RX: 0,
  TX: 0,
  DLL: 0,
  DLM: 1,
  IER: 1,
  IIR: 2,
  FCR: 2,
  EFR: 2,
  LCR: 3,
  MCR: 4,
  LSR: 5,
  MSR: 6,
  SCR: 7,
} as const;

export const IER_RDI = 0x01;
export const IER_THRI = 0x02;
export const IER_RLSI = 0x04;
export const IER_MSI = 0x08;
export const IER_UUE = 0x40;
export const IIR_NO_INT = 0x01;
export const IIR_ID = 0x0e;
export const IIR_RDI = 0x04;
export const FCR_ENABLE_FIFO = 0x01;
export const FCR_CLEAR_RCVR = 0x02;
export const FCR_CLEAR_XMIT = 0x04;
export const FCR7_64BYTE = 0x20;
export const FCR_R_TRIG_00 = 0x00;
export const FCR_R_TRIG_01 = 0x40;
export const FCR_R_TRIG_10 = 0x80;
export const FCR_R_TRIG_11 = 0xc0;
export const LCR_DLAB = 0x80;
export const LCR_CONF_MODE_A = 0x80;
export const LCR_CONF_MODE_B = 0xbf;
export const LCR_WLEN8 = 0x03;
export const MCR_DTR = 0x01;
export const MCR_RTS = 0x02;
export const MCR_OUT1 = 0x04;
export const MCR_OUT2 = 0x08;
export const MCR_LOOP = 0x10;
export const LSR_DR = 0x01;
export const LSR_OE = 0x02;
export const LSR_PE = 0x04;
export const LSR_FE = 0x08;
export const LSR_BI = 0x10;
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;
export const BOTH_EMPTY = LSR_THRE | LSR_TEMT;

/** What the driver sees of a port: byte I/O at register offsets and a busy-wait. */
export interface PortIo {
  inb(offset: number): number;
  outb(offset: number, value: number): void;
  /** Busy-waits `us` microseconds (guest time passes). */
  udelay(us: number): void;
}

/** The result of autoconfig: the port type name Linux prints, and what it measured. */
export interface AutoconfigResult {
  readonly type: string;
  readonly fifoSize: number;
  readonly sizeFifoCount?: number;
}

function dlRead(io: PortIo): number {
  return io.inb(R.DLL) | (io.inb(R.DLM) << 8);
}

function dlWrite(io: PortIo, value: number): void {
  io.outb(R.DLL, value & 0xff);
  io.outb(R.DLM, (value >> 8) & 0xff);
}

/** size_fifo(): counts how many loopback characters a FIFO keeps. */
export function sizeFifo(io: PortIo): number {
  const oldLcr = io.inb(R.LCR);
  io.outb(R.LCR, 0);
  const oldFcr = io.inb(R.FCR); // reads IIR, as the driver does
  const oldMcr = io.inb(R.MCR);
  io.outb(R.FCR, FCR_ENABLE_FIFO | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT);
  io.outb(R.MCR, MCR_LOOP);
  io.outb(R.LCR, LCR_CONF_MODE_A);
  const oldDl = dlRead(io);
  dlWrite(io, 0x0001);
  io.outb(R.LCR, LCR_WLEN8);
  for (let count = 0; count < 256; count++) io.outb(R.TX, count);
  io.udelay(20_000);
  let count = 0;
  while (io.inb(R.LSR) & LSR_DR && count < 256) {
    io.inb(R.RX);
    count++;
  }
  io.outb(R.FCR, oldFcr);
  io.outb(R.MCR, oldMcr);
  io.outb(R.LCR, LCR_CONF_MODE_A);
  dlWrite(io, oldDl);
  io.outb(R.LCR, oldLcr);
  return count;
}

function clearFifos(io: PortIo): void {
  io.outb(R.FCR, FCR_ENABLE_FIFO);
  io.outb(R.FCR, FCR_ENABLE_FIFO | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT);
  io.outb(R.FCR, 0);
}

/** autoconfig() with autoconfig_8250()/autoconfig_16550a(); `skipTest` is UPF_SKIP_TEST (set for COM1–4). */
export function autoconfig(io: PortIo, { skipTest = false }: { skipTest?: boolean } = {}): AutoconfigResult {
  // The IER existence test.
  const scratch = io.inb(R.IER);
  io.outb(R.IER, 0);
  const scratch2 = io.inb(R.IER) & 0x0f;
  io.outb(R.IER, 0x0f);
  const scratch3 = io.inb(R.IER) & 0x0f;
  io.outb(R.IER, scratch);
  if (scratch2 !== 0 || scratch3 !== 0x0f) return { type: 'none (IER test failed)', fifoSize: 0 };

  const saveMcr = io.inb(R.MCR);
  const saveLcr = io.inb(R.LCR);

  if (!skipTest) {
    io.outb(R.MCR, MCR_LOOP | 0x0a);
    const status1 = io.inb(R.MSR) & 0xf0;
    io.outb(R.MCR, saveMcr);
    if (status1 !== 0x90) return { type: `none (LOOP test failed: ${status1.toString(16)})`, fifoSize: 0 };
  }

  io.outb(R.LCR, LCR_CONF_MODE_B);
  io.outb(R.EFR, 0);
  io.outb(R.LCR, 0);
  io.outb(R.FCR, FCR_ENABLE_FIFO);
  let type: string;
  let sizeFifoCount: number | undefined;
  switch (io.inb(R.IIR) >> 6) {
    case 0: {
      type = '8250';
      const s = io.inb(R.SCR);
      io.outb(R.SCR, 0xa5);
      const a = io.inb(R.SCR);
      io.outb(R.SCR, 0x5a);
      const b = io.inb(R.SCR);
      io.outb(R.SCR, s);
      if (a === 0xa5 && b === 0x5a) type = '16450';
      break;
    }
    case 1:
      type = 'unknown';
      break;
    case 2:
      type = '16550';
      break;
    default: {
      const r = autoconfig16550a(io);
      type = r.type;
      sizeFifoCount = r.sizeFifoCount;
    }
  }
  io.outb(R.LCR, saveLcr);
  const fifoSize = type === '16550A' ? 16 : 1;
  if (type !== 'unknown') {
    io.outb(R.MCR, saveMcr);
    if (type === '16550A') clearFifos(io);
    io.inb(R.RX);
    io.outb(R.IER, 0);
  }
  return sizeFifoCount === undefined ? { type, fifoSize } : { type, fifoSize, sizeFifoCount };
}

function autoconfig16550a(io: PortIo): { type: string; sizeFifoCount?: number } {
  // EFR with DLAB set (ST16C650V1)?
  io.outb(R.LCR, LCR_CONF_MODE_A);
  if (io.inb(R.EFR) === 0) return { type: '16650 or another EFR part (mode A)' };
  // EFR with LCR = 0xBF (ST16C650V2, TI16C752)?
  io.outb(R.LCR, LCR_CONF_MODE_B);
  if (io.inb(R.EFR) === 0) return { type: '16650V2 or another EFR part (mode B)' };
  // National Semiconductor SuperIO: EXCR1 in bank 2 mirrors MCR's loop bit.
  io.outb(R.LCR, 0);
  const status1 = io.inb(R.MCR);
  io.outb(R.LCR, 0xe0);
  let status2 = io.inb(0x02);
  if (!((status2 ^ status1) & MCR_LOOP)) {
    io.outb(R.LCR, 0);
    io.outb(R.MCR, status1 ^ MCR_LOOP);
    io.outb(R.LCR, 0xe0);
    status2 = io.inb(0x02);
    io.outb(R.LCR, 0);
    io.outb(R.MCR, status1);
    if ((status2 ^ status1) & MCR_LOOP) return { type: 'NS16550A' };
  }
  // TI16750: IIR bit 5 with the 64-byte FIFO enabled under DLAB.
  io.outb(R.LCR, 0);
  io.outb(R.FCR, FCR_ENABLE_FIFO | FCR7_64BYTE);
  const s1 = io.inb(R.IIR) >> 5;
  io.outb(R.FCR, FCR_ENABLE_FIFO);
  io.outb(R.LCR, LCR_CONF_MODE_A);
  io.outb(R.FCR, FCR_ENABLE_FIFO | FCR7_64BYTE);
  const s2 = io.inb(R.IIR) >> 5;
  io.outb(R.FCR, FCR_ENABLE_FIFO);
  io.outb(R.LCR, 0);
  if (s1 === 6 && s2 === 7) return { type: '16750' };
  // XScale: a writable IER UUE bit.
  const iersave = io.inb(R.IER);
  io.outb(R.IER, iersave & ~IER_UUE);
  if (!(io.inb(R.IER) & IER_UUE)) {
    io.outb(R.IER, iersave | IER_UUE);
    if (io.inb(R.IER) & IER_UUE) return { type: 'XScale' };
  }
  io.outb(R.IER, iersave);
  const count = sizeFifo(io);
  if (count === 64) return { type: 'U6_16550A', sizeFifoCount: count };
  return { type: '16550A', sizeFifoCount: count };
}

/** One received character as the tty layer gets it. */
export interface ReceivedChar {
  readonly ch: number;
  readonly flag: 'normal' | 'break' | 'parity' | 'frame';
  readonly overrun: boolean;
}

/** A port opened by the 8250 driver: startup, termios, interrupt handler, console write. */
export class Linux8250Port {
  ier = 0;
  mcr = 0;
  bugThre = false;
  bugTxen = false;
  /** Characters the tty layer wants sent. */
  readonly xmit: number[] = [];
  /** Characters delivered to the tty layer. */
  readonly received: ReceivedChar[] = [];
  /** IIR values the handler saw (interrupting ones only). */
  readonly iirLog: number[] = [];
  /** LSR error bits seen. */
  overruns = 0;
  /** Calls of the interrupt handler (one per edge). */
  interrupts = 0;
  /** Whether the tty layer is throttled (stop reading). */

  constructor(
    readonly io: PortIo,
    readonly fifoSize = 16,
  ) {}

  /** Polls LSR until `bits` are set, for at most 10 ms (wait_for_xmitr). Returns the polls made. */
  waitForXmitr(bits: number): number {
    for (let tmout = 10_000, polls = 1; ; polls++) {
      if ((this.io.inb(R.LSR) & bits) === bits) return polls;
      if (--tmout === 0) return polls;
      this.io.udelay(1);
    }
  }

  /** serial8250_do_startup() for a PC port with an IRQ. Returns false when the LSR check fails. */
  startup(): boolean {
    const io = this.io;
    clearFifos(io);
    io.inb(R.LSR);
    io.inb(R.RX);
    io.inb(R.IIR);
    io.inb(R.MSR);
    if (io.inb(R.LSR) === 0xff) return false;
    // THRE re-assertion test.
    this.waitForXmitr(LSR_THRE);
    io.outb(R.IER, IER_THRI);
    io.udelay(1);
    const iir1 = io.inb(R.IIR);
    io.outb(R.IER, 0);
    io.outb(R.IER, IER_THRI);
    io.udelay(1);
    const iir = io.inb(R.IIR);
    io.outb(R.IER, 0);
    this.bugThre = !(iir1 & IIR_NO_INT) && (iir & IIR_NO_INT) !== 0;
    io.outb(R.LCR, LCR_WLEN8);
    this.mcr = MCR_OUT2;
    io.outb(R.MCR, this.mcr);
    // TX enable test.
    io.outb(R.IER, IER_THRI);
    const lsr = io.inb(R.LSR);
    const iir2 = io.inb(R.IIR);
    io.outb(R.IER, 0);
    this.bugTxen = (lsr & LSR_TEMT) !== 0 && (iir2 & IIR_NO_INT) !== 0;
    io.inb(R.LSR);
    io.inb(R.RX);
    io.inb(R.IIR);
    io.inb(R.MSR);
    this.ier = IER_RLSI | IER_RDI;
    // uart_port_startup then raises DTR and RTS.
    this.mcr |= MCR_DTR | MCR_RTS;
    io.outb(R.MCR, this.mcr);
    return true;
  }

  /** serial8250_do_set_termios() for 8 data bits, no parity, 1 stop bit at `baud`, with `fcr`. */
  setTermios(baud: number, fcr = FCR_ENABLE_FIFO | FCR_R_TRIG_10, modemStatus = false): void {
    const io = this.io;
    const quot = Math.round(115_200 / baud);
    const lcr = LCR_WLEN8;
    if (baud < 2400) fcr = (fcr & ~0xc0) | FCR_R_TRIG_00;
    this.ier &= ~IER_MSI;
    if (modemStatus) this.ier |= IER_MSI;
    io.outb(R.IER, this.ier);
    io.outb(R.LCR, lcr | LCR_DLAB);
    dlWrite(io, quot);
    io.outb(R.LCR, lcr);
    if (fcr & FCR_ENABLE_FIFO) io.outb(R.FCR, FCR_ENABLE_FIFO);
    io.outb(R.FCR, fcr);
    io.outb(R.MCR, this.mcr);
  }

  /** uart_start → serial8250_start_tx: queues text and enables the THRE interrupt. */
  startTx(text: string | number[]): void {
    const bytes = typeof text === 'string' ? [...new TextEncoder().encode(text)] : text;
    this.xmit.push(...bytes);
    if (!(this.ier & IER_THRI)) {
      this.ier |= IER_THRI;
      this.io.outb(R.IER, this.ier);
    }
  }

  /** serial8250_interrupt for one port on an edge: handle until IIR says nothing is pending. */
  interrupt(): void {
    this.interrupts++;
    for (let pass = 0; pass < 512; pass++) {
      const iir = this.io.inb(R.IIR);
      if (iir & IIR_NO_INT) return;
      this.iirLog.push(iir);
      this.handleIrq(iir);
    }
  }

  /** serial8250_handle_irq(). */
  handleIrq(iir: number): void {
    let lsr = this.io.inb(R.LSR);
    if (lsr & (LSR_DR | LSR_BI) && iir & IIR_RDI) lsr = this.rxChars(lsr);
    this.io.inb(R.MSR);
    if (lsr & LSR_THRE) this.txChars();
  }

  /** serial8250_rx_chars(): reads while LSR says data or break, at most 256. */
  rxChars(lsr: number): number {
    let status = lsr;
    for (let max = 256; ; ) {
      const ch = status & LSR_DR ? this.io.inb(R.RX) : 0;
      if (status & LSR_OE) this.overruns++;
      const flag = status & LSR_BI ? 'break' : status & LSR_PE ? 'parity' : status & LSR_FE ? 'frame' : 'normal';
      this.received.push({ ch, flag, overrun: (status & LSR_OE) !== 0 });
      if (--max === 0) break;
      status = this.io.inb(R.LSR);
      if (!(status & (LSR_DR | LSR_BI))) break;
    }
    return status;
  }

  /** serial8250_tx_chars(): up to one FIFO's worth, then stops the THRE interrupt when done. */
  txChars(): void {
    if (this.xmit.length === 0) {
      this.stopTx();
      return;
    }
    let count = this.fifoSize;
    do {
      this.io.outb(R.TX, this.xmit.shift()!);
      if (this.xmit.length === 0) break;
    } while (--count > 0);
    if (this.xmit.length === 0) this.stopTx();
  }

  stopTx(): void {
    if (this.ier & IER_THRI) {
      this.ier &= ~IER_THRI;
      this.io.outb(R.IER, this.ier);
    }
  }

  /** serial8250_console_write(): polled output with interrupts masked, '\n' as "\r\n". */
  consoleWrite(text: string): void {
    const io = this.io;
    const ier = io.inb(R.IER);
    io.outb(R.IER, 0);
    for (const c of new TextEncoder().encode(text)) {
      if (c === 0x0a) {
        this.waitForXmitr(LSR_THRE);
        io.outb(R.TX, 0x0d);
      }
      this.waitForXmitr(LSR_THRE);
      io.outb(R.TX, c);
    }
    this.waitForXmitr(BOTH_EMPTY);
    io.outb(R.IER, ier);
  }

  /** The received characters as text. */
  get text(): string {
    return new TextDecoder().decode(Uint8Array.from(this.received.map((r) => r.ch)));
  }
}
