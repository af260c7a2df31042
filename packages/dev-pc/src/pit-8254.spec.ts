import { describe, expect, it } from 'vitest';
import { Harness, PortBus, encoded, fuzzPorts } from '../test/harness.js';
import { PIT_HZ, Pit8254, pitTickAt, pitTickTime } from './pit-8254.js';

const CH0 = 0x40;
const CH2 = 0x42;
const MODE = 0x43;
const PORT_B = 0x61;

function setup(h = new Harness()): { h: Harness; pit: Pit8254; bus: PortBus } {
  const pit = new Pit8254(h.clock, h.metrics);
  const bus = new PortBus();
  bus.attach(pit);
  pit.reset();
  return { h, pit, bus };
}

/** Guest time (ns) of PIT tick `t`. */
const at = (t: number): number => pitTickTime(t);

/** The rising-edge times (ticks) the recorded IRQ line saw, from the level history. */
function risingEdgeTicks(h: Harness, bus: PortBus, untilNs: number, stepNs: number): number[] {
  const line = bus.line('irq');
  const out: number[] = [];
  let last = line.level;
  while (h.now < untilNs) {
    const next = Math.min(h.clock.nextDeadlineNs(), h.now + stepNs, untilNs);
    h.advanceTo(next);
    if (line.level && !last) out.push(pitTickAt(h.now));
    last = line.level;
  }
  return out;
}

describe('PIT tick conversion', () => {
  it('maps tick times back to the same tick, exactly on the edge', () => {
    for (const t of [0, 1, 2, 1193, 1_193_182, 123_456_789, 9_876_543_210]) {
      const ns = pitTickTime(t);
      expect(pitTickAt(ns)).toBe(t);
      expect(pitTickAt(ns - 1)).toBe(t - 1);
    }
  });
});

describe('8254 driven like Linux', () => {
  it('lets quick_pit_calibrate measure the TSC within 500 ppm from channel 2 MSB reads', () => {
    const { h, bus } = setup();
    const tscHz = 2_400_000_000;
    const ioNs = 1000; // an ISA port access takes about a microsecond
    const rdtsc = (): number => Math.floor((h.now * tscHz) / 1e9);
    const inb = (port: number): number => {
      h.advance(ioNs);
      return bus.in(port);
    };
    const outb = (value: number, port: number): void => {
      h.advance(ioNs);
      bus.out(port, value);
    };
    // arch/x86/kernel/tsc.c quick_pit_calibrate(), restated.
    const verifyMsb = (val: number): boolean => {
      inb(0x42); // LSB ignored
      return inb(0x42) === val;
    };
    const expectMsb = (val: number): { ok: boolean; tsc: number; delta: number } => {
      let count = 0;
      let tsc = 0;
      let prev = 0;
      for (; count < 50_000; count++) {
        if (!verifyMsb(val)) break;
        prev = tsc;
        tsc = rdtsc();
      }
      return { ok: count > 5, tsc, delta: rdtsc() - prev };
    };
    outb((inb(PORT_B) & ~0x02) | 0x01, PORT_B);
    outb(0xb0, MODE);
    outb(0xff, CH2);
    outb(0xff, CH2);
    verifyMsb(0);
    const maxIterations = Math.floor((50 * PIT_HZ) / 1000 / 256);
    const first = expectMsb(0xff);
    expect(first.ok).toBe(true);
    let khz = 0;
    for (let i = 1; i <= maxIterations; i++) {
      const r = expectMsb(0xff - i);
      expect(r.ok).toBe(true);
      const delta = r.tsc - first.tsc;
      if (first.delta + r.delta >= delta / 2048) continue;
      expect(verifyMsb(0xfe - i)).toBe(true);
      khz = Math.floor((delta * PIT_HZ) / (i * 256 * 1000));
      break;
    }
    expect(khz).toBeGreaterThan(0);
    expect(Math.abs(khz - tscHz / 1000) / (tscHz / 1000)).toBeLessThan(500e-6);
  });

  it('raises port 61h bit 5 when the pit_calibrate_tsc one-shot on channel 2 expires', () => {
    const { h, bus } = setup();
    const latch = Math.floor(PIT_HZ / 100); // CAL_LATCH: 10 ms
    bus.out(PORT_B, (bus.in(PORT_B) & ~0x02) | 0x01);
    bus.out(MODE, 0xb0);
    bus.out(CH2, latch & 0xff);
    bus.out(CH2, latch >> 8);
    const start = h.now;
    let loops = 0;
    while ((bus.in(PORT_B) & 0x20) === 0) {
      h.advance(1000);
      loops++;
    }
    const elapsed = h.now - start;
    expect(loops).toBeGreaterThan(1000); // CAL_PIT_LOOPS
    // OUT goes high N + 1 clocks after the count is written.
    expect(elapsed).toBeGreaterThanOrEqual(((latch + 1) * 1e9) / PIT_HZ - 1);
    expect(elapsed).toBeLessThan(((latch + 1) * 1e9) / PIT_HZ + 1000);
  });

  it('raises IRQ 0 every LATCH ticks in periodic mode 2, at the exact tick', () => {
    const { h, bus, pit } = setup();
    const hz = 250;
    const latch = Math.floor((PIT_HZ + hz / 2) / hz);
    bus.out(MODE, 0x34);
    bus.out(CH0, latch & 0xff);
    bus.out(CH0, latch >> 8);
    const t0 = pitTickAt(h.now);
    const edges = risingEdgeTicks(h, bus, 1e9, 1e9);
    expect(edges.length).toBe(Math.floor((pitTickAt(1e9) - t0 - 1) / latch));
    edges.forEach((t, i) => expect(t).toBe(t0 + 1 + latch * (i + 1)));
    // Programming mode 2 drives OUT high at once (one more edge, at the write).
    expect(h.metrics.value('pit.irq0-edges')).toBe(edges.length + 1);
    expect(pit.channels[0].mode).toBe(2);
  });

  it('raises IRQ 0 once for a mode 0 one-shot and keeps it high until reprogrammed', () => {
    const { h, bus } = setup();
    bus.out(MODE, 0x30);
    bus.out(CH0, 100);
    bus.out(CH0, 0);
    const t0 = pitTickAt(h.now);
    const line = bus.line('irq');
    h.advanceTo(at(t0 + 100) + 0);
    expect(line.level).toBe(false);
    h.advanceTo(at(t0 + 101));
    expect(line.level).toBe(true);
    h.advance(10_000_000);
    expect(line.risingEdges).toBe(1);
    bus.out(MODE, 0x30); // reprogramming sets OUT low at once
    expect(line.level).toBe(false);
  });

  it('stops counting in mode 0 while a two-byte count is half written', () => {
    const { h, bus } = setup();
    bus.out(MODE, 0x30);
    bus.out(CH0, 10);
    bus.out(CH0, 0);
    h.advance(5_000);
    bus.out(CH0, 0x50); // LSB of a new count: counting stops, OUT low
    h.advance(1_000_000);
    expect(bus.line('irq').risingEdges).toBe(0);
    bus.out(CH0, 0x00);
    h.advance(((0x50 + 2) * 1e9) / PIT_HZ);
    expect(bus.line('irq').risingEdges).toBe(1);
  });

  it('makes a square wave in mode 3 and decrements by two', () => {
    const { h, bus, pit } = setup();
    bus.out(MODE, 0x36);
    bus.out(CH0, 10);
    bus.out(CH0, 0);
    const t0 = pitTickAt(h.now);
    const line = bus.line('irq');
    const ch = pit.channels[0];
    h.advanceTo(at(t0 + 1));
    expect(line.level).toBe(true);
    bus.out(MODE, 0x00); // latch counter 0
    expect(bus.in(CH0) | (bus.in(CH0) << 8)).toBe(10);
    h.advanceTo(at(t0 + 3));
    expect(ch.value(t0 + 3)).toBe(6);
    h.advanceTo(at(t0 + 6));
    expect(line.level).toBe(false);
    h.advanceTo(at(t0 + 11));
    expect(line.level).toBe(true);
    expect(line.risingEdges).toBe(2);
  });

  it('strobes OUT low for one clock in mode 4', () => {
    const { h, bus } = setup();
    bus.out(MODE, 0x38);
    bus.out(CH0, 5);
    bus.out(CH0, 0);
    const t0 = pitTickAt(h.now);
    const line = bus.line('irq');
    h.advanceTo(at(t0 + 1));
    expect(line.level).toBe(true);
    h.advanceTo(at(t0 + 6));
    expect(line.level).toBe(false);
    h.advanceTo(at(t0 + 7));
    expect(line.level).toBe(true);
    h.advance(1_000_000);
    expect(line.history.filter((l) => !l).length).toBe(1);
  });

  it('starts mode 1 and mode 5 on a rising GATE edge (counter 2 via port 61h)', () => {
    const { h, bus } = setup();
    bus.out(PORT_B, 0x00);
    bus.out(MODE, 0xb2); // counter 2, mode 1
    bus.out(CH2, 20);
    bus.out(CH2, 0);
    h.advance(100_000);
    expect(bus.in(PORT_B) & 0x20).toBe(0x20); // waiting for a trigger: OUT high
    bus.out(PORT_B, 0x01); // trigger
    let t0 = pitTickAt(h.now);
    h.advanceTo(at(t0 + 1));
    expect(bus.in(PORT_B) & 0x20).toBe(0);
    h.advanceTo(at(t0 + 21));
    expect(bus.in(PORT_B) & 0x20).toBe(0x20);
    bus.out(MODE, 0xba); // counter 2, mode 5
    bus.out(CH2, 4);
    bus.out(CH2, 0);
    bus.out(PORT_B, 0x00);
    bus.out(PORT_B, 0x01);
    t0 = pitTickAt(h.now);
    h.advanceTo(at(t0 + 5));
    expect(bus.in(PORT_B) & 0x20).toBe(0);
    h.advanceTo(at(t0 + 6));
    expect(bus.in(PORT_B) & 0x20).toBe(0x20);
  });

  it('pauses a mode 0 count while GATE is low', () => {
    const { h, bus, pit } = setup();
    bus.out(PORT_B, 0x01);
    bus.out(MODE, 0xb0);
    bus.out(CH2, 0x00);
    bus.out(CH2, 0x10);
    h.advance(1_000_000);
    bus.out(PORT_B, 0x00);
    const frozen = pit.channels[2].value(pitTickAt(h.now));
    h.advance(5_000_000);
    expect(pit.channels[2].value(pitTickAt(h.now))).toBe(frozen);
    bus.out(PORT_B, 0x01);
    h.advance(1_000_000);
    expect(pit.channels[2].value(pitTickAt(h.now))).toBeLessThan(frozen);
  });

  it('holds a latched count while time passes and reads it LSB first', () => {
    const { h, bus } = setup();
    bus.out(MODE, 0x34);
    bus.out(CH0, 0x00);
    bus.out(CH0, 0x80);
    h.advance(100_000);
    bus.out(MODE, 0x00);
    h.advance(200_000);
    const latched = bus.in(CH0) | (bus.in(CH0) << 8);
    const t = pitTickAt(h.now - 200_000);
    expect(latched).toBe(0x8000 - (t - pitTickAt(0) - 1));
    const live = bus.in(CH0) | (bus.in(CH0) << 8);
    expect(live).toBeLessThan(latched);
  });

  it('returns status then count after a read-back command', () => {
    const { h, bus } = setup();
    bus.out(MODE, 0x30); // mode 0, LSB/MSB
    expect(bus.in(MODE)).toBe(0xff);
    bus.out(MODE, 0xe2); // read back the status of counter 0
    expect(bus.in(CH0)).toBe(0x40 | 0x30 | 0x00); // NULL COUNT, RW=11, mode 0, OUT low
    bus.out(CH0, 3);
    bus.out(CH0, 0);
    h.advance(pitTickTime(pitTickAt(h.now) + 10) - h.now);
    bus.out(MODE, 0xc2); // count and status
    expect(bus.in(CH0)).toBe(0x80 | 0x30); // OUT high, count loaded
    // Loaded on the clock after the write, 9 decrements since: 3 - 9 wraps to 0xFFFA.
    expect(bus.in(CH0) | (bus.in(CH0) << 8)).toBe(0xfffa);
    // A count latched and not read is not replaced by a second latch command.
    bus.out(MODE, 0x00);
    h.advance(100_000);
    bus.out(MODE, 0x00);
    const first = bus.in(CH0) | (bus.in(CH0) << 8);
    bus.out(MODE, 0x00);
    expect(first).not.toBe(bus.in(CH0) | (bus.in(CH0) << 8));
  });

  it('counts in BCD and with LSB-only or MSB-only access', () => {
    const { h, bus, pit } = setup();
    bus.out(MODE, 0x35); // counter 0, mode 2, LSB/MSB, BCD
    bus.out(CH0, 0x00);
    bus.out(CH0, 0x10); // 1000 decimal
    const t0 = pitTickAt(h.now);
    h.advanceTo(at(t0 + 1 + 11));
    bus.out(MODE, 0x00);
    expect(bus.in(CH0) | (bus.in(CH0) << 8)).toBe(0x0989);
    bus.out(MODE, 0x50); // counter 1, LSB only, mode 0
    bus.out(0x41, 0x20);
    expect(pit.channels[1].cr).toBe(0x20);
    bus.out(MODE, 0x60); // counter 1, MSB only
    bus.out(0x41, 0x20);
    expect(pit.channels[1].cr).toBe(0x2000);
    expect(bus.in(0x41)).toBe(0x20);
  });

  it('reads back port 61h bits 0–3, toggles the refresh bit, and ignores writes to bits 4–7', () => {
    const { h, bus } = setup();
    bus.out(PORT_B, 0xfe);
    expect(bus.in(PORT_B) & 0x0f).toBe(0x0e);
    const seen = new Set<number>();
    for (let i = 0; i < 20; i++) {
      seen.add(bus.in(PORT_B) & 0x10);
      h.advance(7_000);
    }
    expect(seen).toEqual(new Set([0, 0x10]));
  });
});

describe('8254 against a hostile guest', () => {
  it('survives random port traffic, keeps one timer, and never throws', () => {
    const { h, bus, pit } = setup();
    const n = fuzzPorts(bus, 30_000, 1234, () => h.advance(37));
    expect(n).toBe(30_000);
    h.advance(100_000_000);
    expect(encoded(pit).length).toBeLessThan(4096);
    for (const ch of pit.channels) {
      const v = ch.value(pitTickAt(h.now));
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(0x10000);
    }
  });

  it('does not flood timers for an illegal count of 1 in mode 2', () => {
    const { h, bus } = setup();
    bus.out(MODE, 0x14); // counter 0, LSB only, mode 2
    bus.out(CH0, 1);
    h.advance(10_000_000);
    expect(h.clock.nextDeadlineNs()).toBe(Infinity);
  });
});

describe('8254 snapshot and reset', () => {
  it('restores counters and the armed counter 0 timer through the clock', () => {
    const a = setup();
    a.bus.out(MODE, 0x34);
    a.bus.out(CH0, 0x9b);
    a.bus.out(CH0, 0x2e);
    a.bus.out(PORT_B, 0x01);
    a.bus.out(MODE, 0xb0);
    a.bus.out(CH2, 0x34);
    a.h.advance(1_234_567);
    a.bus.out(CH2, 0x12);
    a.bus.out(MODE, 0x00); // a latch pending across the snapshot
    const clockState = a.h.clock.saveState();
    const pitState = a.pit.saveState();

    const b = setup();
    b.pit.loadState(pitState);
    b.h.clock.loadState(clockState);
    b.h.cpu.count = a.h.cpu.count;
    expect(encoded(b.pit)).toEqual(encoded(a.pit));
    expect(b.h.clock.nextDeadlineNs()).toBe(a.h.clock.nextDeadlineNs());
    const ea = risingEdgeTicks(a.h, a.bus, a.h.now + 50_000_000, 1e9);
    const eb = risingEdgeTicks(b.h, b.bus, b.h.now + 50_000_000, 1e9);
    expect(eb).toEqual(ea);
    expect(ea.length).toBeGreaterThan(0);
    expect(b.bus.in(CH0)).toBe(a.bus.in(CH0));
  });

  it('returns to its power-on state on reset and stops its timer', () => {
    const { h, bus, pit } = setup();
    const powerOn = encoded(pit);
    bus.out(MODE, 0x34);
    bus.out(CH0, 0x10);
    bus.out(CH0, 0x00);
    bus.out(PORT_B, 0x03);
    h.advance(100_000);
    pit.reset();
    expect(encoded(pit)).toEqual(powerOn);
    const edges = bus.line('irq').risingEdges;
    h.advance(10_000_000);
    expect(h.clock.nextDeadlineNs()).toBe(Infinity);
    expect(bus.line('irq').risingEdges).toBe(edges);
    expect(bus.line('irq').level).toBe(false);
  });
});

describe('8254 far into guest time', () => {
  it('keeps firing periodic IRQ 0 after 200 days of guest time, without re-firing at one instant', () => {
    const { h, bus } = setup();
    h.cpu.count = 200 * 86_400 * 1e9; // past 2^53 ns: neighbouring nanoseconds merge
    bus.out(MODE, 0x34);
    bus.out(CH0, 0x9b);
    bus.out(CH0, 0x2e);
    const line = bus.line('irq');
    const before = line.risingEdges;
    let fired = 0;
    for (let i = 0; i < 100 && h.clock.nextDeadlineNs() < h.now + 1e9; i++) {
      h.cpu.count = Math.ceil(h.clock.nextDeadlineNs());
      fired += h.clock.runDue();
      expect(h.clock.nextDeadlineNs()).toBeGreaterThan(h.now);
    }
    expect(fired).toBe(100);
    expect(line.risingEdges - before).toBeGreaterThanOrEqual(49);
  });
});
