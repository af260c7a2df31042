/*
 * Register offsets and bits of the National Semiconductor PC16550D UART, named as in its datasheet
 * ("PC16550D Universal Asynchronous Receiver/Transmitter with FIFOs", June 1995). Section numbers
 * refer to that datasheet; Table II is its register summary.
 */

/** Register offsets within the 8-port window (Table II; DLAB is LCR bit 7). */
export const UartReg = {
  /** Receiver Buffer (read) / Transmitter Holding (write) with DLAB = 0; Divisor Latch LS with DLAB = 1. */
  RBR_THR_DLL: 0,
  /** Interrupt Enable with DLAB = 0; Divisor Latch MS with DLAB = 1. */
  IER_DLM: 1,
  /** Interrupt Identification (read) / FIFO Control (write). */
  IIR_FCR: 2,
  /** Line Control. */
  LCR: 3,
  /** Modem Control. */
  MCR: 4,
  /** Line Status. */
  LSR: 5,
  /** Modem Status. */
  MSR: 6,
  /** Scratch. */
  SCR: 7,
} as const;

/** Number of ports the UART decodes. */
export const UART_WINDOW_SIZE = 8;

/** Debug names of the registers, by offset (read side / write side). */
export const UART_REGISTER_NAMES: readonly (readonly [read: string, write: string])[] = [
  ['RBR', 'THR'],
  ['IER', 'IER'],
  ['IIR', 'FCR'],
  ['LCR', 'LCR'],
  ['MCR', 'MCR'],
  ['LSR', 'LSR'],
  ['MSR', 'MSR'],
  ['SCR', 'SCR'],
];

/** Interrupt Enable Register bits (§8.7). Bits 4–7 are always 0. */
export const Ier = {
  /** ERBFI: received data available (and, in FIFO mode, character timeout). */
  ERBFI: 0x01,
  /** ETBEI: transmitter holding register empty. */
  ETBEI: 0x02,
  /** ELSI: receiver line status. */
  ELSI: 0x04,
  /** EDSSI: modem status. */
  EDSSI: 0x08,
  /** The implemented bits. */
  MASK: 0x0f,
} as const;

/** Interrupt Identification Register values (§8.6, Table IV). */
export const Iir = {
  /** Bit 0 set: no interrupt pending. */
  NO_INT: 0x01,
  /** Receiver line status (priority 1): OE, PE, FE or BI. */
  RLS: 0x06,
  /** Received data available (priority 2): trigger level reached (FIFO) or data ready. */
  RDA: 0x04,
  /** Character timeout (priority 2, FIFO mode only). */
  CTI: 0x0c,
  /** Transmitter holding register empty (priority 3). */
  THRI: 0x02,
  /** Modem status (priority 4). */
  MSI: 0x00,
  /** Bits 6–7: set when FCR bit 0 (FIFO enable) is set. */
  FIFOS_ENABLED: 0xc0,
} as const;

/** FIFO Control Register bits (§8.5). Write-only. */
export const Fcr = {
  /** Enables both FIFOs; changing it clears both. Other bits are programmed only while it is 1. */
  FIFO_ENABLE: 0x01,
  /** Clears the receiver FIFO (self-clearing; the shift register is not cleared). */
  RCVR_FIFO_RESET: 0x02,
  /** Clears the transmitter FIFO (self-clearing; the shift register is not cleared). */
  XMIT_FIFO_RESET: 0x04,
  /** DMA mode select: affects only the RXRDY/TXRDY pins, which a PC does not wire. */
  DMA_MODE: 0x08,
  /** Shift of the receiver trigger field (bits 6–7). */
  TRIGGER_SHIFT: 6,
} as const;

/** Receiver FIFO trigger levels selected by FCR bits 7:6 (§8.5). */
export const RCVR_TRIGGER_LEVELS: readonly number[] = [1, 4, 8, 14];

/** Line Control Register bits (§8.1). */
export const Lcr = {
  /** WLS0–1: word length 5 + value. */
  WLS_MASK: 0x03,
  /** STB: 2 stop bits (1.5 with 5-bit words). */
  STB: 0x04,
  /** PEN: parity enable. */
  PEN: 0x08,
  /** EPS: even parity select. */
  EPS: 0x10,
  /** Stick parity. */
  STICK: 0x20,
  /** Set break: SOUT forced to spacing. */
  SBC: 0x40,
  /** DLAB: divisor latch access. */
  DLAB: 0x80,
} as const;

/** Modem Control Register bits (§8.8). Bits 5–7 are always 0. */
export const Mcr = {
  /** DTR output. */
  DTR: 0x01,
  /** RTS output. */
  RTS: 0x02,
  /** OUT1 output. */
  OUT1: 0x04,
  /** OUT2 output: on a PC it enables the IRQ driver between the UART and the ISA bus. */
  OUT2: 0x08,
  /** Loopback (diagnostic) mode. */
  LOOP: 0x10,
  /** The implemented bits. */
  MASK: 0x1f,
} as const;

/** Line Status Register bits (§8.4). */
export const Lsr = {
  /** Data ready. */
  DR: 0x01,
  /** Overrun error. */
  OE: 0x02,
  /** Parity error. */
  PE: 0x04,
  /** Framing error. */
  FE: 0x08,
  /** Break interrupt. */
  BI: 0x10,
  /** Transmitter holding register (or FIFO) empty. */
  THRE: 0x20,
  /** Transmitter empty: holding register (or FIFO) and shift register both empty. */
  TEMT: 0x40,
  /** Error in receiver FIFO (FIFO mode only). */
  FIFO_ERROR: 0x80,
  /** The error bits that raise a receiver line status interrupt and clear when LSR is read. */
  ERRORS: 0x1e,
} as const;

/** Modem Status Register bits (§8.9). */
export const Msr = {
  /** Delta CTS. */
  DCTS: 0x01,
  /** Delta DSR. */
  DDSR: 0x02,
  /** Trailing edge of RI (RI went from on to off). */
  TERI: 0x04,
  /** Delta DCD. */
  DDCD: 0x08,
  /** The delta bits, cleared when MSR is read. */
  DELTAS: 0x0f,
  /** Clear to send. */
  CTS: 0x10,
  /** Data set ready. */
  DSR: 0x20,
  /** Ring indicator. */
  RI: 0x40,
  /** Data carrier detect. */
  DCD: 0x80,
  /** The input bits. */
  INPUTS: 0xf0,
} as const;

/** Depth of each FIFO (§1.0 features: 16-byte transmitter and receiver FIFOs). */
export const UART_FIFO_DEPTH = 16;

/**
 * The UART's reference clock on a PC: 1.8432 MHz, divided by 16 × divisor (§8.3, Table III), so
 * divisor 1 gives 115 200 baud.
 */
export const PC_UART_CLOCK_HZ = 1_843_200;

/** Nanoseconds per bit at divisor 1 (1 / 115 200 baud). */
export const NS_PER_BIT_AT_DIVISOR_1 = (1e9 * 16) / PC_UART_CLOCK_HZ;

/** The divisor a UART holds at power-on: 12, 9600 baud (the latch is not reset by MR; we pick the BIOS default). */
export const POWER_ON_DIVISOR = 12;
