import { BufferCharBackend, decodeState, encodeState, isPopekError, type StateRecord } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { makeHarness, prng, type Harness } from '../test/harness.js';
import { uart16550StateFromValue } from './uart16550-state.js';

const RBR = 0;
const THR = 0;
const DLL = 0;
const IER = 1;
const DLM = 1;
const IIR = 2;
const FCR = 2;
const LCR = 3;
const MCR = 4;
const LSR = 5;
const MSR = 6;
const SCR = 7;

function bufferOf(h: Harness): BufferCharBackend {
  return h.backend as BufferCharBackend;
}

/** Sets divisor 1 (115 200 baud), 8N1. */
function fastLine(h: Harness): void {
  h.outb(LCR, 0x83);
  h.outb(DLL, 1);
  h.outb(DLM, 0);
  h.outb(LCR, 0x03);
}

function stateOf(h: Harness): StateRecord {
  return h.uart.saveState() as StateRecord;
}

describe('Uart16550 registers', () => {
  it('reads the master-reset values of datasheet Table I at power-on', () => {
    const h = makeHarness();
    expect([h.inb(IER), h.inb(IIR), h.inb(LCR), h.inb(MCR), h.inb(LSR), h.inb(MSR), h.inb(SCR)]).toEqual([
      0x00, 0x01, 0x00, 0x00, 0x60, 0xb0, 0x00,
    ]);
    expect(h.uart.baudRate).toBe(9600);
    expect(h.irq.level).toBe(false);
  });

  it('keeps IER bits 4–7 at zero', () => {
    const h = makeHarness();
    h.outb(IER, 0xff);
    expect(h.inb(IER)).toBe(0x0f);
  });

  it('with DLAB set, offsets 0 and 1 are the divisor latch and leave THR, RBR and IER alone', () => {
    const h = makeHarness();
    h.outb(IER, 0x05);
    h.outb(LCR, 0x80 | 0x03);
    h.outb(DLL, 0x34);
    h.outb(DLM, 0x12);
    expect(h.inb(DLL)).toBe(0x34);
    expect(h.inb(DLM)).toBe(0x12);
    h.outb(LCR, 0x03);
    expect(h.inb(IER)).toBe(0x05);
    expect(h.uart.baudRate).toBeCloseTo(115_200 / 0x1234);
    expect(h.metric('serial.tx.bytes')).toBe(0);
    h.advance(1e9);
    expect(bufferOf(h).output.length).toBe(0);
  });

  it('times a character by the divisor and the line format', () => {
    const h = makeHarness();
    const bitNs = 1e9 / 115_200;
    fastLine(h);
    expect(h.uart.characterTimeNs).toBe(Math.round(10 * bitNs));
    h.outb(LCR, 0x0e); // 7 data bits, parity, 2 stop bits
    expect(h.uart.characterTimeNs).toBe(Math.round(11 * bitNs));
    h.outb(LCR, 0x04); // 5 data bits, 1.5 stop bits
    expect(h.uart.characterTimeNs).toBe(Math.round(7.5 * bitNs));
    h.outb(LCR, 0x83);
    h.outb(DLL, 0);
    h.outb(DLM, 0);
    h.outb(LCR, 0x03);
    expect(h.uart.characterTimeNs).toBe(Math.round(10 * 65536 * bitNs));
  });

  it('clears THRE on a write, sets it one bit time later and TEMT one character time after that', () => {
    const h = makeHarness();
    fastLine(h);
    const charNs = h.uart.characterTimeNs;
    const bitNs = Math.round(charNs / 10);
    h.outb(THR, 0x41);
    expect(h.inb(LSR) & 0x60).toBe(0x00);
    h.advance(bitNs);
    expect(h.inb(LSR) & 0x60).toBe(0x20);
    h.advance(charNs - 1);
    expect(h.inb(LSR) & 0x60).toBe(0x20);
    expect(bufferOf(h).output.length).toBe(0);
    h.advance(1);
    expect(h.inb(LSR) & 0x60).toBe(0x60);
    expect(bufferOf(h).text).toBe('A');
  });

  it('reports pending interrupts in priority order: line status, received data, THRE, modem status', () => {
    const h = makeHarness();
    h.outb(FCR, 0x01);
    h.outb(MCR, 0x08);
    h.uart.accept(new Uint8Array(17).fill(0x55)); // 16 fit, one overruns
    h.uart.setModemInputs(0x30); // DCD drops
    h.outb(IER, 0x0f);
    expect(h.irq.level).toBe(true);
    expect(h.inb(IIR)).toBe(0xc6);
    expect(h.inb(LSR) & 0x03).toBe(0x03);
    expect(h.inb(IIR)).toBe(0xc4);
    for (let i = 0; i < 16; i++) h.inb(RBR);
    expect(h.inb(IIR)).toBe(0xc2);
    expect(h.inb(IIR)).toBe(0xc0);
    expect(h.inb(MSR)).toBe(0x38);
    expect(h.inb(IIR)).toBe(0xc1);
    expect(h.irq.level).toBe(false);
  });

  it('reading IIR clears a THRE interrupt only when IIR reports it', () => {
    const h = makeHarness();
    h.outb(LCR, 0x03);
    h.outb(MCR, 0x08);
    h.uart.accept(Uint8Array.of(0x61));
    h.outb(IER, 0x03);
    expect(h.inb(IIR)).toBe(0x04);
    expect(h.inb(IIR)).toBe(0x04);
    expect(h.inb(RBR)).toBe(0x61);
    expect(h.inb(IIR)).toBe(0x02);
    expect(h.inb(IIR)).toBe(0x01);
    expect(h.irq.level).toBe(false);
  });

  it('writing THR clears the THRE interrupt; it returns when the FIFO empties into the shift register', () => {
    const h = makeHarness();
    fastLine(h);
    h.outb(FCR, 0x07);
    h.outb(MCR, 0x08);
    h.outb(IER, 0x02);
    expect(h.inb(IIR)).toBe(0xc2);
    h.outb(IER, 0x00);
    h.outb(IER, 0x02);
    expect(h.irq.level).toBe(true);
    h.outb(THR, 0x31);
    h.outb(THR, 0x32);
    expect(h.irq.level).toBe(false);
    const bitNs = Math.round(h.uart.characterTimeNs / 10);
    h.advance(bitNs); // '1' moves into the shift register, '2' waits
    expect(h.irq.level).toBe(false);
    h.advance(h.uart.characterTimeNs); // '2' moves in: the FIFO is empty
    expect(h.irq.level).toBe(true);
    expect(h.inb(IIR)).toBe(0xc2);
    expect(h.irq.level).toBe(false);
    expect(h.inb(LSR) & 0x60).toBe(0x20);
  });

  it('re-asserts THRE when ETBEI is enabled again while the transmitter is idle', () => {
    const h = makeHarness();
    h.outb(IER, 0x02);
    expect(h.inb(IIR)).toBe(0x02);
    expect(h.inb(IIR)).toBe(0x01);
    h.outb(IER, 0x00);
    h.outb(IER, 0x02);
    expect(h.inb(IIR)).toBe(0x02);
  });

  it('drives the IRQ line only through OUT2, and releases it in loopback', () => {
    const h = makeHarness();
    h.outb(IER, 0x02);
    expect(h.irq.level).toBe(false);
    h.outb(MCR, 0x08);
    expect(h.irq.level).toBe(true);
    h.outb(MCR, 0x18);
    expect(h.irq.level).toBe(false);
    h.outb(MCR, 0x08);
    expect(h.irq.level).toBe(true);
    expect(h.metric('serial.irq.raised')).toBe(2);
  });

  it('in 16450 mode an unread character is replaced by the next one and OE is set', () => {
    const h = makeHarness();
    h.outb(LCR, 0x03);
    h.uart.accept(Uint8Array.of(0x61, 0x62));
    expect(h.inb(LSR) & 0x03).toBe(0x03);
    expect(h.inb(LSR) & 0x03).toBe(0x01);
    expect(h.inb(RBR)).toBe(0x62);
    expect(h.inb(LSR) & 0x01).toBe(0);
    expect(h.inb(RBR)).toBe(0x62); // an empty receiver reads the last character again
    expect(h.metric('serial.rx.overruns')).toBe(1);
  });

  it('FCR: enabling FIFOs shows in IIR bits 6–7; bits other than 0 are ignored while FIFOs are off', () => {
    const h = makeHarness();
    h.outb(FCR, 0xc0); // trigger 14 without FIFO enable: not programmed
    expect(h.inb(IIR)).toBe(0x01);
    h.outb(FCR, 0x01);
    expect(h.inb(IIR)).toBe(0xc1);
    // The trigger is still 1: one character raises a data-available interrupt.
    h.outb(MCR, 0x08);
    h.outb(IER, 0x01);
    h.uart.accept(Uint8Array.of(0x41));
    expect(h.inb(IIR)).toBe(0xc4);
    h.outb(FCR, 0x00);
    expect(h.inb(IIR)).toBe(0x01);
    expect(h.uart.receiveLevel).toBe(0); // changing modes clears the FIFOs
  });

  it('FIFO resets clear the FIFOs but not the shift register', () => {
    const h = makeHarness();
    fastLine(h);
    h.outb(FCR, 0x01);
    for (const c of 'abcdef') h.outb(THR, c.charCodeAt(0));
    h.advance(Math.round(h.uart.characterTimeNs / 10)); // 'a' is in the shift register
    h.uart.accept(Uint8Array.of(0x7a));
    h.outb(FCR, 0x07);
    expect(h.uart.transmitLevel).toBe(0);
    expect(h.uart.receiveLevel).toBe(0);
    expect(h.inb(LSR) & 0x61).toBe(0x20);
    h.advance(h.uart.characterTimeNs);
    expect(bufferOf(h).text).toBe('a');
    expect(h.inb(LSR) & 0x60).toBe(0x60);
  });

  it('drops characters written to a full transmitter FIFO', () => {
    const h = makeHarness();
    h.outb(FCR, 0x01);
    for (let i = 0; i < 20; i++) h.outb(THR, 0x41 + i);
    expect(h.uart.transmitLevel).toBe(16);
    expect(h.metric('serial.tx.lost')).toBe(4);
    h.advance(20 * h.uart.characterTimeNs);
    expect(bufferOf(h).text).toBe('ABCDEFGHIJKLMNOP');
  });

  it('loops transmitted characters back to the receiver, sends nothing to the backend and holds host input', () => {
    const h = makeHarness();
    const backend = bufferOf(h);
    fastLine(h);
    h.outb(FCR, 0x01);
    h.outb(MCR, 0x10);
    h.outb(THR, 0x68);
    h.outb(THR, 0x69);
    backend.type('x');
    h.advance(3 * h.uart.characterTimeNs);
    expect(backend.output.length).toBe(0);
    expect(h.uart.receiveLevel).toBe(2);
    expect(backend.pendingInput).toBe(1);
    expect(h.inb(RBR)).toBe(0x68);
    expect(h.inb(RBR)).toBe(0x69);
    h.outb(MCR, 0x00);
    h.advance(h.uart.characterTimeNs);
    expect(backend.pendingInput).toBe(0);
    expect(h.inb(RBR)).toBe(0x78);
  });

  it('in loopback, MSR shows RTS, DTR, OUT1 and OUT2 as CTS, DSR, RI and DCD, with their deltas', () => {
    const h = makeHarness();
    h.outb(MCR, 0x10);
    expect(h.inb(MSR)).toBe(0x0b); // CTS, DSR and DCD dropped from the host's values
    expect(h.inb(MSR)).toBe(0x00);
    h.outb(MCR, 0x1f);
    expect(h.inb(MSR)).toBe(0xfb); // RI rising is not a delta
    h.outb(MCR, 0x1b);
    expect(h.inb(MSR)).toBe(0xb4); // RI's trailing edge
    h.outb(MCR, 0x00);
    expect(h.inb(MSR)).toBe(0xb0);
  });

  it('sets MSR delta bits when the host changes the modem inputs, and raises a modem-status interrupt', () => {
    const h = makeHarness();
    h.outb(MCR, 0x08);
    h.outb(IER, 0x08);
    h.uart.setModemInputs(0xf0);
    expect(h.irq.level).toBe(false); // RI rising sets no delta
    expect(h.inb(MSR)).toBe(0xf0);
    h.uart.setModemInputs(0xa0); // CTS and RI drop
    expect(h.irq.level).toBe(true);
    expect(h.inb(IIR)).toBe(0x00);
    expect(h.inb(MSR)).toBe(0xa5);
    expect(h.inb(IIR)).toBe(0x01);
    expect(h.irq.level).toBe(false);
  });

  it('setting break in loopback receives a zero character with BI and a line status interrupt', () => {
    const h = makeHarness();
    h.outb(FCR, 0x01);
    h.outb(MCR, 0x18);
    h.outb(IER, 0x05);
    h.outb(LCR, 0x43);
    expect(h.uart.receiveLevel).toBe(1);
    expect(h.inb(IIR)).toBe(0xc6);
    const lsr = h.inb(LSR);
    expect(lsr & 0x91).toBe(0x91); // DR, BI, error in FIFO
    expect(h.inb(LSR) & 0x10).toBe(0);
    expect(h.inb(RBR)).toBe(0);
    expect(h.inb(LSR) & 0x80).toBe(0);
  });

  it('characters sent while break is set never leave the line', () => {
    const h = makeHarness();
    h.outb(LCR, 0x43);
    h.outb(THR, 0x41);
    h.advance(2 * h.uart.characterTimeNs);
    h.outb(LCR, 0x03);
    h.outb(THR, 0x42);
    h.advance(2 * h.uart.characterTimeNs);
    expect(bufferOf(h).text).toBe('B');
    expect(h.metric('serial.tx.lost')).toBe(1);
  });

  it('masks received characters to the word length, in loopback and from the host', () => {
    const h = makeHarness();
    h.outb(LCR, 0x00); // 5 bits
    h.outb(MCR, 0x10);
    h.outb(THR, 0xff);
    h.advance(2 * h.uart.characterTimeNs);
    expect(h.inb(RBR)).toBe(0x1f);
    h.outb(MCR, 0x00);
    h.outb(LCR, 0x02); // 7 bits
    h.uart.accept(Uint8Array.of(0xe1));
    expect(h.inb(RBR)).toBe(0x61);
  });

  it('raises no character timeout in 16450 mode', () => {
    const h = makeHarness();
    h.outb(MCR, 0x08);
    h.uart.accept(Uint8Array.of(0x41));
    h.advance(100 * h.uart.characterTimeNs);
    h.outb(IER, 0x01);
    expect(h.inb(IIR)).toBe(0x04);
  });

  it('splits 16- and 32-bit accesses into byte accesses; bytes outside the window read 0xFF and ignore writes', () => {
    const h = makeHarness();
    h.outb(SCR, 0x5a);
    expect(h.uart.read(6, 2)).toBe(0x5ab0);
    expect(h.uart.read(6, 4)).toBe(0xffff5ab0);
    h.uart.write(7, 2, 0xab12);
    expect(h.inb(SCR)).toBe(0x12);
    h.uart.write(3, 2, 0x0883); // LCR = 0x83, MCR = 0x08
    expect(h.inb(LCR)).toBe(0x83);
    expect(h.inb(MCR)).toBe(0x08);
    h.uart.write(0, 2, 0x0001); // DLL = 1, DLM = 0
    expect(h.uart.baudRate).toBe(115_200);
    expect(h.metric('serial.guest.ignored')).toBe(3);
  });

  it('ignores writes to LSR and MSR', () => {
    const h = makeHarness();
    h.outb(LSR, 0x00);
    h.outb(MSR, 0x0f);
    expect(h.inb(LSR)).toBe(0x60);
    expect(h.inb(MSR)).toBe(0xb0);
    expect(h.metric('serial.guest.ignored')).toBe(2);
  });

  it('survives hostile accesses at every offset and width with bounded buffers and a consistent IRQ line', () => {
    const backend = new BufferCharBackend();
    const h = makeHarness({ backend });
    const random = prng(0x16550);
    const offsets = [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0.5, 2 ** 31, Number.NaN];
    const values = [0, 0xff, 0xffff_ffff, -1, 0x1_0000_0000, Number.NaN, 0.7];
    let deepestReceive = 0;
    let deepestTransmit = 0;
    for (let i = 0; i < 100_000; i++) {
      const r = random();
      const width = ([1, 2, 4] as const)[r % 3]!;
      const offset = r & 0x10 ? offsets[(r >>> 8) % offsets.length]! : (r >>> 8) % 8;
      if (r & 0x20) {
        h.uart.read(offset, width);
      } else {
        const value = r & 0x40 ? values[(r >>> 12) % values.length]! : random();
        h.uart.write(offset, width, value);
      }
      if ((r & 0x3f00) === 0) backend.type(Uint8Array.of(r & 0xff, (r >>> 16) & 0xff));
      if ((r & 0xff00) === 0x100) h.advance(r % 5_000_000);
      // The deepest FIFOs seen, checked once after the loop: an expect per access costs far more than the UART.
      deepestReceive = Math.max(deepestReceive, h.uart.receiveLevel);
      deepestTransmit = Math.max(deepestTransmit, h.uart.transmitLevel);
      if (i % 997 === 0) {
        const state = h.uart.saveState();
        expect(() => uart16550StateFromValue(decodeState(encodeState(state)), 'com1')).not.toThrow();
        const level = h.irq.level;
        const mcr = h.uart.read(4, 1);
        const iir = h.uart.read(2, 1);
        expect(level).toBe((mcr & 0x18) === 0x08 && (iir & 1) === 0);
      }
    }
    expect(deepestReceive).toBeLessThanOrEqual(16);
    expect(deepestTransmit).toBeLessThanOrEqual(16);
    expect(h.metric('serial.guest.ignored')).toBeGreaterThan(0);
    expect(backend.pendingInput).toBeLessThan(100_000);
  });

  it('keeps the line rate when timers fire late, as after a realtime slice', () => {
    const backend = new BufferCharBackend();
    const h = makeHarness({ backend });
    fastLine(h);
    h.outb(FCR, 0x01);
    backend.type('0123456789abcdefghij');
    expect(h.uart.receiveLevel).toBe(1);
    h.jump(10 * h.uart.characterTimeNs);
    expect(h.uart.receiveLevel).toBe(11);
    for (const c of 'transmit') h.outb(THR, c.charCodeAt(0));
    h.jump(5 * h.uart.characterTimeNs);
    // Loaded one bit late, four characters are complete after five character times (staged for the
    // backend until the transmitter goes idle).
    expect(h.metric('serial.tx.bytes')).toBe(4);
    expect(backend.text).toBe('');
    h.jump(10 * h.uart.characterTimeNs);
    expect(backend.text).toBe('transmit');
  });

  it('fast timing transmits at once: THRE and TEMT stay set and output reaches the backend at the next timer', () => {
    const backend = new BufferCharBackend();
    const h = makeHarness({ backend, timing: 'fast' });
    h.outb(FCR, 0x01);
    for (const c of 'hello') h.outb(THR, c.charCodeAt(0));
    expect(h.inb(LSR) & 0x60).toBe(0x60);
    expect(backend.output.length).toBe(0);
    h.advance(0);
    expect(backend.text).toBe('hello');
    backend.type('0123456789abcdefXYZ');
    expect(h.uart.receiveLevel).toBe(16);
    for (let i = 0; i < 16; i++) h.inb(RBR);
    h.advance(0);
    expect(h.uart.receiveLevel).toBe(3);
    expect(h.metric('serial.rx.overruns')).toBe(0);
  });
});

describe('Uart16550 reset and snapshots', () => {
  it('reset returns every register, FIFO and timer to the power-on state and lowers the IRQ', () => {
    const backend = new BufferCharBackend();
    const h = makeHarness({ backend });
    fastLine(h);
    h.outb(FCR, 0xc1);
    h.outb(MCR, 0x0b);
    h.outb(IER, 0x0f);
    h.outb(SCR, 0x77);
    for (const c of 'pending') h.outb(THR, c.charCodeAt(0));
    backend.type('input');
    h.advance(2.5 * h.uart.characterTimeNs);
    h.uart.setModemInputs(0x10);
    expect(h.irq.level).toBe(true);
    h.uart.reset();
    expect(h.irq.level).toBe(false);
    const fresh = makeHarness({ clock: undefined });
    fresh.uart.setModemInputs(0x10);
    fresh.inb(MSR);
    expect(encodeState(h.uart.saveState())).toEqual(encodeState(fresh.uart.saveState()));
    expect([h.inb(IER), h.inb(IIR), h.inb(LCR), h.inb(MCR), h.inb(LSR), h.inb(SCR)]).toEqual([0, 1, 0, 0, 0x60, 0]);
    // Characters transmitted before the reset were handed to the backend.
    expect(backend.text).toBe('pe');
  });

  it('a snapshot taken mid-transmission restores into a fresh UART byte for byte, which then finishes the same way', () => {
    const a = makeHarness();
    fastLine(a);
    a.outb(FCR, 0x81);
    a.outb(MCR, 0x0b);
    a.outb(IER, 0x07);
    const text = 'snapshot in the middle of a line\r\n';
    for (const c of text.slice(0, 16)) a.outb(THR, c.charCodeAt(0));
    a.advance(5.5 * a.uart.characterTimeNs);
    (a.backend as BufferCharBackend).type('rx');
    a.advance(0.3 * a.uart.characterTimeNs);
    const saved = encodeState(a.uart.saveState());
    const sentBefore = (a.backend as BufferCharBackend).output.length;

    const b = makeHarness({ startNs: a.now() });
    b.uart.loadState(decodeState(saved));
    expect(encodeState(b.uart.saveState())).toEqual(saved);
    expect(b.irq.level).toBe(a.irq.level);
    // Host input still held by a's backend is host state, not guest state: the host brings it along.
    expect((a.backend as BufferCharBackend).pendingInput).toBe(1);
    (b.backend as BufferCharBackend).type('x');

    for (const h of [a, b]) {
      for (let i = 0; i < 40; i++) {
        if (h.inb(LSR) & 0x20) for (const c of text.slice(16)) h.outb(THR, c.charCodeAt(0));
        h.advance(h.uart.characterTimeNs / 2);
        while (h.inb(LSR) & 0x01) h.inb(RBR);
      }
    }
    const outA = (a.backend as BufferCharBackend).output.slice(sentBefore);
    const outB = (b.backend as BufferCharBackend).output;
    expect(outB).toEqual(outA);
    expect(decodeState(encodeState(b.uart.saveState()))).toEqual(decodeState(encodeState(a.uart.saveState())));
  });

  it('round-trips loopback, received errors, latched interrupts and fast timing', () => {
    const a = makeHarness({ timing: 'fast' });
    a.outb(FCR, 0x41);
    a.outb(MCR, 0x1f);
    a.outb(IER, 0x0f);
    a.outb(LCR, 0x43);
    a.outb(LCR, 0x03);
    a.outb(THR, 0x31);
    const saved = encodeState(a.uart.saveState());
    const b = makeHarness({ timing: 'fast', startNs: a.now() });
    b.uart.loadState(decodeState(saved));
    expect(encodeState(b.uart.saveState())).toEqual(saved);
    expect(b.inb(IIR)).toBe(a.inb(IIR));
    expect(b.inb(LSR)).toBe(a.inb(LSR));
    expect(b.inb(MSR)).toBe(a.inb(MSR));
  });

  it('rejects a corrupt state with a snapshot-invalid error and keeps its own', () => {
    const h = makeHarness();
    h.outb(SCR, 0x42);
    const good = h.uart.saveState() as StateRecord;
    const before = encodeState(good);
    const corrupt: StateRecord[] = [
      { ...good, rxData: new Uint8Array(17), rxFlags: new Uint8Array(17) },
      { ...good, fifoEnabled: false, txData: new Uint8Array(2), deadlines: [1, null, null] },
      { ...good, ier: 0x1ff },
      { ...good, tsr: 0x41, deadlines: [null, null, null] },
      { ...good, deadlines: [Number.NaN, null, null] },
      { ...good, divisor: 70_000 },
      { ...good, output: new Uint8Array(10_000) },
      { ...good, lcr: 'x' },
    ];
    for (const state of corrupt) {
      let error: unknown;
      try {
        h.uart.loadState(state);
      } catch (e) {
        error = e;
      }
      expect(isPopekError(error) && error.code).toBe('snapshot-invalid');
    }
    expect(encodeState(h.uart.saveState())).toEqual(before);
  });

  it('loads the shift register one bit after a THR write and empties it when the character is sent', () => {
    const h = makeHarness();
    h.outb(THR, 0x41);
    expect(stateOf(h)['tsr']).toBe(-1);
    h.advance(h.uart.characterTimeNs);
    expect(stateOf(h)['tsr']).toBe(0x41);
    h.advance(h.uart.characterTimeNs);
    expect(stateOf(h)['tsr']).toBe(-1);
  });
});
