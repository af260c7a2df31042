import { BufferCharBackend, type CharBackend, type CharReceiver } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { CharInputQueue } from './char-input-queue.js';
import { makeHarness, type Harness } from '../test/harness.js';
import {
  FCR_ENABLE_FIFO,
  FCR_R_TRIG_00,
  FCR_R_TRIG_01,
  FCR_R_TRIG_10,
  FCR_R_TRIG_11,
  IER_RDI,
  IER_RLSI,
  Linux8250Port,
  R,
  autoconfig,
  type PortIo,
} from '../test/linux-8250.js';

function io(h: Harness): PortIo {
  return { inb: h.inb, outb: h.outb, udelay: (us) => h.advance(us * 1000) };
}

/** Runs guest time for `ns`, delivering each rising IRQ edge to the driver's handler at once. */
function run(h: Harness, port: Linux8250Port, ns: number, step = h.uart.characterTimeNs / 4): void {
  const end = h.now() + ns;
  for (;;) {
    if (h.irq.pending) {
      h.irq.pending = false;
      port.interrupt();
      continue;
    }
    if (h.now() >= end) return;
    h.advance(Math.min(step, end - h.now()));
  }
}

/** A port opened the way Linux opens ttyS0: probe, startup, termios. */
function openPort(h: Harness, baud = 115_200, fcr = FCR_ENABLE_FIFO | FCR_R_TRIG_10): Linux8250Port {
  const result = autoconfig(io(h), { skipTest: true });
  const port = new Linux8250Port(io(h), result.fifoSize);
  expect(port.startup()).toBe(true);
  port.setTermios(baud, fcr);
  // The TXEN test raised the line for a moment; as on a PC, the latched edge runs the handler
  // once, which finds nothing to do.
  if (h.irq.pending) {
    h.irq.pending = false;
    port.interrupt();
  }
  port.interrupts = 0;
  port.iirLog.length = 0;
  return port;
}

/** A backend holding a large input, delivering it only as the device accepts (like the stdio backend). */
class HoldingBackend implements CharBackend {
  readonly queue = new CharInputQueue();
  receiver: CharReceiver | undefined;
  write(): void {}
  connect(receiver: CharReceiver): void {
    this.receiver = receiver;
    this.ready();
  }
  ready(): void {
    this.queue.deliver(this.receiver);
  }
  type(bytes: Uint8Array): void {
    this.queue.push(bytes);
    this.ready();
  }
}

describe('the 16550A as Linux 8250 driver sees it', () => {
  it('autoconfig identifies a 16550A, including the loopback test and the FIFO size count', () => {
    const h = makeHarness();
    const result = autoconfig(io(h));
    expect(result.type).toBe('16550A');
    expect(result.fifoSize).toBe(16);
    expect(result.sizeFifoCount).toBe(16);
    // The probe never enabled OUT2, so no interrupt reached the bus.
    expect(h.irq.rises).toBe(0);
    expect(h.inb(R.LCR)).toBe(0);
    expect(h.inb(R.IER)).toBe(0);
  });

  it('autoconfig with UPF_SKIP_TEST (the legacy COM ports) also finds a 16550A', () => {
    const h = makeHarness();
    expect(autoconfig(io(h), { skipTest: true }).type).toBe('16550A');
  });

  it('the loopback test reads CTS and DCD from RTS and OUT2 (MSR 0x90 for MCR 0x1A)', () => {
    const h = makeHarness();
    h.outb(R.MCR, 0x1a);
    expect(h.inb(R.MSR) & 0xf0).toBe(0x90);
  });

  it('the scratch register keeps what the 16450 test writes', () => {
    const h = makeHarness();
    h.outb(R.SCR, 0xa5);
    expect(h.inb(R.SCR)).toBe(0xa5);
    h.outb(R.SCR, 0x5a);
    expect(h.inb(R.SCR)).toBe(0x5a);
  });

  it('serial8250_do_startup finds neither the THRE nor the TXEN bug, and termios leaves the port quiet', () => {
    const h = makeHarness();
    const port = openPort(h);
    expect(port.bugThre).toBe(false);
    expect(port.bugTxen).toBe(false);
    expect(h.inb(R.IIR)).toBe(0xc1);
    expect(h.inb(R.IER)).toBe(IER_RLSI | IER_RDI);
    expect(h.inb(R.MCR)).toBe(0x0b);
    expect(h.inb(R.LCR)).toBe(0x03);
    expect(h.uart.baudRate).toBe(115_200);
    expect(h.irq.level).toBe(false);
  });

  it('transmits a string through THRE interrupts, 16 bytes per interrupt, with the line never idle', () => {
    const backend = new BufferCharBackend();
    const h = makeHarness({ backend });
    const port = openPort(h);
    const text = 'The quick brown fox jumps over the lazy dog; 0123456789 ~!@#$%^&*() and some more text to send.\r\n';
    const start = h.now();
    const txBefore = h.metric('serial.tx.bytes');
    port.startTx(text);
    run(h, port, text.length * h.uart.characterTimeNs + 1_000_000);
    expect(backend.text).toBe(text);
    expect(port.iirLog.every((iir) => iir === 0xc2)).toBe(true);
    expect(port.interrupts).toBe(Math.ceil(text.length / 16));
    expect(port.ier & 0x02).toBe(0);
    expect(h.irq.level).toBe(false);
    // Refilled while the shift register was still busy: the last character left after exactly
    // text.length character times.
    const lsr = h.inb(R.LSR);
    expect(lsr & 0x60).toBe(0x60);
    expect(h.metric('serial.tx.bytes') - txBefore).toBe(text.length);
    expect(start).toBeLessThan(h.now());
  });

  it('keeps the transmitter busy back to back: the last character leaves one bit plus text.length character times after the first write', () => {
    const h = makeHarness();
    const port = openPort(h);
    const text = 'x'.repeat(40);
    const t0 = h.now();
    port.startTx(text);
    let doneAt = -1;
    const step = 1000;
    for (let t = 0; t < 60 * h.uart.characterTimeNs && doneAt < 0; t += step) {
      if (h.irq.pending) {
        h.irq.pending = false;
        port.interrupt();
      }
      h.advance(step);
      if (port.xmit.length === 0 && (h.uart.saveState() as { tsr: number }).tsr < 0) doneAt = h.now();
    }
    const charNs = h.uart.characterTimeNs;
    const bitNs = charNs / 10;
    expect(doneAt - t0).toBeGreaterThanOrEqual(bitNs + 40 * charNs);
    expect(doneAt - t0).toBeLessThan(bitNs + 40 * charNs + step);
  });

  it('console write polls THRE, turns \\n into \\r\\n and keeps the line busy back to back', () => {
    const backend = new BufferCharBackend();
    const h = makeHarness({ backend });
    const port = openPort(h);
    const rises = h.irq.rises;
    const t0 = h.now();
    port.consoleWrite('Linux version 6.1\nhello\n');
    const charNs = h.uart.characterTimeNs;
    expect(backend.text).toBe('Linux version 6.1\r\nhello\r\n');
    const sent = 'Linux version 6.1\r\nhello\r\n'.length;
    // The first character enters the shift register one bit time after it is written; the driver
    // polls with udelay(1), so the write ends within a microsecond of the last stop bit.
    const bitNs = charNs / 10;
    expect(h.now() - t0).toBeGreaterThanOrEqual(bitNs + sent * charNs);
    expect(h.now() - t0).toBeLessThanOrEqual(bitNs + sent * charNs + 1000);
    expect(h.irq.rises).toBe(rises);
  });

  it('receives with trigger level 8: data-available interrupts at 8 and 16 characters, the rest by character timeout', () => {
    const backend = new BufferCharBackend();
    const h = makeHarness({ backend });
    const port = openPort(h);
    const text = 'abcdefghijklmnopqrst';
    const seen: number[] = [];
    const original = port.interrupt.bind(port);
    port.interrupt = () => {
      seen.push(h.uart.receiveLevel);
      original();
    };
    backend.type(text);
    run(h, port, 30 * h.uart.characterTimeNs);
    expect(port.text).toBe(text);
    expect(port.iirLog).toEqual([0xc4, 0xc4, 0xcc]);
    expect(seen).toEqual([8, 8, 4]);
    expect(port.overruns).toBe(0);
  });

  it('raises the character timeout four character times after the last character arrived', () => {
    const backend = new BufferCharBackend();
    const h = makeHarness({ backend });
    const port = openPort(h);
    const charNs = h.uart.characterTimeNs;
    backend.type('ab');
    // 'a' arrives now, 'b' one character time later.
    const tLast = h.now() + charNs;
    h.advance(tLast - h.now() + 4 * charNs - 1);
    expect(h.irq.level).toBe(false);
    h.advance(1);
    expect(h.irq.level).toBe(true);
    expect(h.inb(R.IIR)).toBe(0xcc);
    port.interrupt();
    expect(port.text).toBe('ab');
  });

  it.each([
    [FCR_R_TRIG_00, 1],
    [FCR_R_TRIG_01, 4],
    [FCR_R_TRIG_10, 8],
    [FCR_R_TRIG_11, 14],
  ])('with FCR trigger bits %i the first data-available interrupt comes with the %i-th character', (bits, level) => {
    const backend = new BufferCharBackend();
    const h = makeHarness({ backend });
    openPort(h, 115_200, FCR_ENABLE_FIFO | bits);
    backend.type('0123456789ABCDEF');
    const charNs = h.uart.characterTimeNs;
    for (let i = 0; i < 16 && !h.irq.level; i++) h.advance(charNs);
    expect(h.irq.level).toBe(true);
    expect(h.inb(R.IIR)).toBe(0xc4);
    expect(h.uart.receiveLevel).toBe(level);
  });

  it('a guest that does not read leaves 100 KB of input with the backend; read later, all of it arrives in order', () => {
    const backend = new HoldingBackend();
    const h = makeHarness({ backend });
    const port = openPort(h, 115_200, FCR_ENABLE_FIFO | FCR_R_TRIG_11);
    const overrunsBefore = h.metric('serial.rx.overruns');
    const input = new Uint8Array(100 * 1024);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7 + (i >> 8)) & 0xff;
    backend.type(input);
    // The guest masks the UART's interrupts and does nothing for a second of guest time.
    h.outb(R.IER, 0);
    let highest = 0;
    for (let t = 0; t < 1e9; t += 1e6) {
      h.advance(1e6);
      highest = Math.max(highest, h.uart.receiveLevel);
    }
    expect(highest).toBe(16);
    expect(backend.queue.length).toBe(input.length - 16);
    expect(h.metric('serial.rx.overruns')).toBe(overrunsBefore);
    // Now the driver runs.
    h.outb(R.IER, port.ier);
    let guard = 0;
    while (port.received.length < input.length && guard++ < 1_000_000) run(h, port, 1e6);
    expect(port.received.length).toBe(input.length);
    expect(Uint8Array.from(port.received.map((r) => r.ch))).toEqual(input);
    expect(port.overruns).toBe(0);
    expect(h.metric('serial.rx.overruns')).toBe(overrunsBefore);
  });

  it('reports an overrun when a backend pushes more than the FIFO holds while the guest is not reading', () => {
    const h = makeHarness();
    const port = openPort(h);
    const overrunsBefore = h.metric('serial.rx.overruns');
    h.uart.accept(new TextEncoder().encode('0123456789abcdefXYZ'));
    expect(h.uart.receiveLevel).toBe(16);
    expect(h.irq.level).toBe(true);
    expect(h.inb(R.IIR)).toBe(0xc6);
    port.interrupt();
    expect(port.overruns).toBe(1);
    expect(port.text).toBe('0123456789abcdef');
    expect(port.received[0]!.overrun).toBe(true);
    expect(h.metric('serial.rx.overruns') - overrunsBefore).toBe(3);
  });

  /*
   * Input typed ahead of the guest, as from `printf '…' | popek run`, with the register sequence
   * Debian's 6.1 kernel was seen to use on COM1: the console's termios with the FIFO off, the probe
   * (which switches the FIFO on and off and resets it), then the port opened for init. Every port
   * access takes 100 ns of guest time and every timer fires on its deadline, as in a deterministic
   * machine. The UART starts in 16450 mode and takes the first character at power-on; the probe's
   * FIFO switch empties the receiver, the host hands one more character over one character time
   * later, and the start-up's FIFO switch empties it again. The rest arrives once the port is open.
   */
  it.each(['fast', 'realistic'] as const)('typed-ahead input loses its first two characters to the driver start-up, and no more (%s timing)', (timing) => {
    const backend = new HoldingBackend();
    const typed = 'echo ready\nuname -a\npoweroff\n';
    backend.queue.push(new TextEncoder().encode(typed));
    const h = makeHarness({ backend, timing });
    const slow: PortIo = {
      inb: (offset) => {
        h.advance(100);
        return h.inb(offset);
      },
      outb: (offset, value) => {
        h.advance(100);
        h.outb(offset, value);
      },
      udelay: (us) => h.advance(us * 1000),
    };
    expect(h.uart.receiveLevel).toBe(1);
    h.advance(2_000_000);
    const console = new Linux8250Port(slow);
    console.setTermios(115_200, 0);
    console.consoleWrite('[    0.000000] Linux version 6.1.0\n');
    const result = autoconfig(slow, { skipTest: true });
    expect(result.type).toBe('16550A');
    console.consoleWrite('[    0.400000] 00:04: ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A\n');
    h.advance(300_000_000);
    const port = new Linux8250Port(slow, result.fifoSize);
    expect(port.startup()).toBe(true);
    port.setTermios(115_200, FCR_ENABLE_FIFO | FCR_R_TRIG_10);
    run(h, port, 10_000_000);
    expect(port.text).toBe(typed.slice(2));
    expect(port.overruns).toBe(0);
    expect(backend.queue.length).toBe(0);
  });
});
