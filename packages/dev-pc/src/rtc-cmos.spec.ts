import { isPopekError } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { Harness, PortBus, encoded, fuzzPorts } from '../test/harness.js';
import { civilFromDays, dayOfWeek, daysFromCivil } from './civil-time.js';
import type { CmosOptions } from './cmos-options.js';
import { RtcCmos } from './rtc-cmos.js';

const RTC_SECONDS = 0x00;
const RTC_SECONDS_ALARM = 0x01;
const RTC_MINUTES = 0x02;
const RTC_MINUTES_ALARM = 0x03;
const RTC_HOURS = 0x04;
const RTC_HOURS_ALARM = 0x05;
const RTC_DAY_OF_WEEK = 0x06;
const RTC_DAY_OF_MONTH = 0x07;
const RTC_MONTH = 0x08;
const RTC_YEAR = 0x09;
const RTC_FREQ_SELECT = 0x0a;
const RTC_CONTROL = 0x0b;
const RTC_INTR_FLAGS = 0x0c;
const RTC_VALID = 0x0d;
const RTC_UIP = 0x80;
const RTC_SET = 0x80;
const RTC_PIE = 0x40;
const RTC_AIE = 0x20;
const RTC_UIE = 0x10;
const RTC_DM_BINARY = 0x04;
const RTC_24H = 0x02;
const RTC_DIV_RESET2 = 0x70;

function setup(options: Partial<CmosOptions> = {}, h = new Harness()): { h: Harness; rtc: RtcCmos; bus: PortBus } {
  const rtc = new RtcCmos(h.clock, h.metrics, { memoryBytes: 128 * 1024 * 1024, ...options });
  const bus = new PortBus();
  bus.attach(rtc);
  rtc.reset();
  return { h, rtc, bus };
}

function cmosRead(bus: PortBus, index: number): number {
  bus.out(0x70, index);
  return bus.in(0x71);
}

function cmosWrite(bus: PortBus, index: number, value: number): void {
  bus.out(0x70, index);
  bus.out(0x71, value);
}

const bcd2bin = (v: number): number => (v >> 4) * 10 + (v & 15);

/** drivers/rtc/rtc-mc146818-lib.c mc146818_get_time(), restated: UIP polling around the read. */
function getTime(h: Harness, bus: PortBus): { year: number; month: number; day: number; hour: number; min: number; sec: number } {
  for (let tries = 0; tries < 100; tries++) {
    const seconds = cmosRead(bus, RTC_SECONDS);
    if (cmosRead(bus, RTC_FREQ_SELECT) & RTC_UIP) {
      h.advance(100_000); // udelay(100)
      continue;
    }
    if (seconds !== cmosRead(bus, RTC_SECONDS)) continue;
    const min = cmosRead(bus, RTC_MINUTES);
    const hour = cmosRead(bus, RTC_HOURS);
    const day = cmosRead(bus, RTC_DAY_OF_MONTH);
    const mon = cmosRead(bus, RTC_MONTH);
    const year = cmosRead(bus, RTC_YEAR);
    const century = cmosRead(bus, 0x32);
    const ctrl = cmosRead(bus, RTC_CONTROL);
    if (cmosRead(bus, RTC_FREQ_SELECT) & RTC_UIP) {
      h.advance(100_000);
      continue;
    }
    if (seconds !== cmosRead(bus, RTC_SECONDS)) continue;
    const conv = ctrl & RTC_DM_BINARY ? (v: number): number => v : bcd2bin;
    return { year: conv(century) * 100 + conv(year), month: conv(mon), day: conv(day), hour: conv(hour), min: conv(min), sec: conv(seconds) };
  }
  throw new Error('UIP never cleared');
}

/** mc146818_set_time(), restated: SET and divider reset around the writes. */
function setTime(bus: PortBus, t: { year: number; month: number; day: number; hour: number; min: number; sec: number }): void {
  const control = cmosRead(bus, RTC_CONTROL);
  const freq = cmosRead(bus, RTC_FREQ_SELECT);
  const conv = control & RTC_DM_BINARY ? (v: number): number => v : (v: number): number => ((Math.floor(v / 10) % 10) << 4) | v % 10;
  cmosWrite(bus, RTC_CONTROL, control | RTC_SET);
  cmosWrite(bus, RTC_FREQ_SELECT, freq | RTC_DIV_RESET2);
  cmosWrite(bus, RTC_YEAR, conv(t.year % 100));
  cmosWrite(bus, RTC_MONTH, conv(t.month));
  cmosWrite(bus, RTC_DAY_OF_MONTH, conv(t.day));
  cmosWrite(bus, RTC_HOURS, conv(t.hour));
  cmosWrite(bus, RTC_MINUTES, conv(t.min));
  cmosWrite(bus, RTC_SECONDS, conv(t.sec));
  cmosWrite(bus, 0x32, conv(Math.floor(t.year / 100)));
  cmosWrite(bus, RTC_CONTROL, control);
  cmosWrite(bus, RTC_FREQ_SELECT, freq);
}

describe('calendar arithmetic', () => {
  it('round-trips day numbers across leap years and centuries', () => {
    for (let d = -800_000; d < 3_000_000; d += 997) {
      const { year, month, day } = civilFromDays(d);
      expect(daysFromCivil(year, month, day)).toBe(d);
    }
    expect(civilFromDays(daysFromCivil(2000, 2, 29))).toEqual({ year: 2000, month: 2, day: 29 });
    expect(civilFromDays(daysFromCivil(2100, 2, 29))).toEqual({ year: 2100, month: 3, day: 1 });
    expect(dayOfWeek(daysFromCivil(2025, 1, 1))).toBe(4); // a Wednesday
  });
});

describe('MC146818 RTC driven like Linux', () => {
  it('reads the configured start time with mc146818_get_time and sees it advance', () => {
    const { h, bus } = setup({ startTimeSeconds: daysFromCivil(2024, 12, 31) * 86_400 + 23 * 3600 + 59 * 60 + 58 });
    expect(getTime(h, bus)).toEqual({ year: 2024, month: 12, day: 31, hour: 23, min: 59, sec: 58 });
    h.advanceTo(2_500_000_000);
    expect(getTime(h, bus)).toEqual({ year: 2025, month: 1, day: 1, hour: 0, min: 0, sec: 0 });
    expect(cmosRead(bus, RTC_DAY_OF_WEEK)).toBe(4);
    expect(cmosRead(bus, RTC_VALID)).toBe(0x80);
  });

  it('defaults to a fixed date so deterministic runs agree', () => {
    const { h, bus } = setup();
    expect(getTime(h, bus)).toEqual({ year: 2025, month: 1, day: 1, hour: 0, min: 0, sec: 0 });
  });

  it('raises UIP exactly 244 µs before each update and drops it when the update is done', () => {
    const { h, bus } = setup();
    h.advanceTo(1e9 - 244_001);
    expect(cmosRead(bus, RTC_FREQ_SELECT) & RTC_UIP).toBe(0);
    h.advanceTo(1e9 - 244_000);
    expect(cmosRead(bus, RTC_FREQ_SELECT) & RTC_UIP).toBe(RTC_UIP);
    expect(cmosRead(bus, RTC_SECONDS)).toBe(0x00);
    h.advanceTo(1e9);
    expect(cmosRead(bus, RTC_FREQ_SELECT) & RTC_UIP).toBe(0);
    expect(cmosRead(bus, RTC_SECONDS)).toBe(0x01);
    // mc146818_get_time polls through the UIP window and still gets a consistent time.
    h.advanceTo(2e9 - 100_000);
    expect(getTime(h, bus).sec).toBe(2);
  });

  it('sets the time with mc146818_set_time; the first update comes 500 ms after the divider restarts', () => {
    const { h, bus } = setup();
    h.advanceTo(300_000_000);
    setTime(bus, { year: 2024, month: 2, day: 28, hour: 23, min: 59, sec: 59 });
    const released = h.now;
    h.advanceTo(released + 499_999_999);
    expect(cmosRead(bus, RTC_SECONDS)).toBe(0x59);
    h.advanceTo(released + 500_000_000);
    expect(getTime(h, bus)).toEqual({ year: 2024, month: 2, day: 29, hour: 0, min: 0, sec: 0 });
    expect(cmosRead(bus, RTC_DAY_OF_WEEK)).toBe(5); // Thursday
  });

  it('does not advance the time while SET is 1, and setting SET clears UIE', () => {
    const { h, bus } = setup();
    cmosWrite(bus, RTC_CONTROL, RTC_24H | RTC_UIE);
    cmosWrite(bus, RTC_CONTROL, RTC_24H | RTC_UIE | RTC_SET);
    expect(cmosRead(bus, RTC_CONTROL)).toBe(RTC_24H | RTC_SET);
    h.advanceTo(5e9);
    expect(cmosRead(bus, RTC_SECONDS)).toBe(0);
    expect(cmosRead(bus, RTC_FREQ_SELECT) & RTC_UIP).toBe(0);
    cmosWrite(bus, RTC_CONTROL, RTC_24H);
    h.advanceTo(6e9);
    expect(cmosRead(bus, RTC_SECONDS)).toBe(1);
  });

  it('keeps binary and 12-hour time when register B asks for them', () => {
    const { h, bus } = setup({ startTimeSeconds: daysFromCivil(2025, 6, 15) * 86_400 + 13 * 3600 + 5 * 60 });
    cmosWrite(bus, RTC_CONTROL, RTC_DM_BINARY); // binary, 12-hour
    setTime(bus, { year: 2025, month: 6, day: 15, hour: 0, min: 59, sec: 59 });
    cmosWrite(bus, RTC_CONTROL, RTC_SET | RTC_DM_BINARY);
    cmosWrite(bus, RTC_HOURS, 0x80 | 11); // 11 PM
    cmosWrite(bus, RTC_CONTROL, RTC_DM_BINARY);
    h.advance(2e9);
    expect(cmosRead(bus, RTC_HOURS)).toBe(12); // 12 AM
    expect(cmosRead(bus, RTC_DAY_OF_MONTH)).toBe(16);
    expect(cmosRead(bus, RTC_YEAR)).toBe(25);
    expect(cmosRead(bus, 0x32)).toBe(20);
  });

  it('interrupts 1024 times a second with PIE at rate 6, one edge per read of register C', () => {
    const { h, bus } = setup();
    const irq = bus.line('irq');
    cmosWrite(bus, RTC_FREQ_SELECT, 0x26);
    cmosRead(bus, RTC_INTR_FLAGS);
    cmosWrite(bus, RTC_CONTROL, RTC_24H | RTC_PIE);
    let handled = 0;
    let last = false;
    while (h.now < 1e9) {
      h.advanceTo(Math.min(h.clock.nextDeadlineNs(), 1e9));
      if (irq.level && !last) {
        handled++;
        const flags = cmosRead(bus, RTC_INTR_FLAGS); // the rtc driver's handler
        expect(flags & 0xc0).toBe(0xc0);
      }
      last = irq.level;
    }
    expect(handled).toBe(1024);
    expect(h.metrics.value('rtc.interrupts')).toBe(1024);
  });

  it('keeps the line high (no new edges) until register C is read', () => {
    const { h, bus } = setup();
    const irq = bus.line('irq');
    cmosWrite(bus, RTC_CONTROL, RTC_24H | RTC_PIE);
    h.advance(100_000_000);
    expect(irq.level).toBe(true);
    expect(irq.risingEdges).toBe(1);
    cmosRead(bus, RTC_INTR_FLAGS);
    expect(irq.level).toBe(false);
  });

  it('raises the update-ended interrupt every second with UIE', () => {
    const { h, bus } = setup();
    const irq = bus.line('irq');
    cmosWrite(bus, RTC_CONTROL, RTC_24H | RTC_UIE);
    for (let s = 1; s <= 5; s++) {
      h.advanceTo(s * 1e9 - 1);
      expect(irq.level).toBe(false);
      h.advanceTo(s * 1e9);
      expect(irq.level).toBe(true);
      expect(cmosRead(bus, RTC_INTR_FLAGS) & 0xb0).toBe(0x80 | 0x10); // PF runs too, unenabled
    }
  });

  it('raises the alarm interrupt when the time matches, honouring don\'t-care bytes', () => {
    const { h, bus } = setup();
    const irq = bus.line('irq');
    cmosWrite(bus, RTC_SECONDS_ALARM, 0x05);
    cmosWrite(bus, RTC_MINUTES_ALARM, 0x00);
    cmosWrite(bus, RTC_HOURS_ALARM, 0x00);
    cmosWrite(bus, RTC_CONTROL, RTC_24H | RTC_AIE);
    h.advanceTo(5e9 - 1);
    expect(irq.level).toBe(false);
    h.advanceTo(5e9);
    expect(irq.level).toBe(true);
    expect(cmosRead(bus, RTC_INTR_FLAGS) & 0xb0).toBe(0xa0 | 0x10);
    cmosWrite(bus, RTC_SECONDS_ALARM, 0xc0);
    cmosWrite(bus, RTC_MINUTES_ALARM, 0xff);
    cmosWrite(bus, RTC_HOURS_ALARM, 0xc5);
    h.advanceTo(6e9);
    expect(irq.level).toBe(true);
  });

  it('sets PF, AF and UF without their enables, and reports IRQF only for enabled ones', () => {
    const { h, bus } = setup();
    cmosWrite(bus, RTC_SECONDS_ALARM, 0xc0);
    cmosWrite(bus, RTC_MINUTES_ALARM, 0xc0);
    cmosWrite(bus, RTC_HOURS_ALARM, 0xc0);
    h.advanceTo(3e9 + 1);
    expect(cmosRead(bus, RTC_INTR_FLAGS)).toBe(0x70);
    expect(cmosRead(bus, RTC_INTR_FLAGS)).toBe(0x00);
    expect(bus.line('irq').risingEdges).toBe(0);
  });

  it('sets no flags while the divider is held in reset', () => {
    const { h, bus } = setup();
    cmosWrite(bus, RTC_FREQ_SELECT, RTC_DIV_RESET2 | 0x06);
    cmosRead(bus, RTC_INTR_FLAGS);
    h.advance(5e9);
    expect(cmosRead(bus, RTC_INTR_FLAGS)).toBe(0);
    expect(cmosRead(bus, RTC_SECONDS)).toBe(0);
  });
});

describe('CMOS RAM', () => {
  it('reports memory size like SeaBIOS expects', () => {
    const small = setup({ memoryBytes: 16 * 1024 * 1024 });
    expect(cmosRead(small.bus, 0x15) | (cmosRead(small.bus, 0x16) << 8)).toBe(640);
    expect(cmosRead(small.bus, 0x17) | (cmosRead(small.bus, 0x18) << 8)).toBe(15 * 1024);
    expect(cmosRead(small.bus, 0x30) | (cmosRead(small.bus, 0x31) << 8)).toBe(15 * 1024);
    expect(cmosRead(small.bus, 0x34) | (cmosRead(small.bus, 0x35) << 8)).toBe(0);
    const mid = setup({ memoryBytes: 128 * 1024 * 1024 });
    expect(cmosRead(mid.bus, 0x17) | (cmosRead(mid.bus, 0x18) << 8)).toBe(0xffff);
    expect(cmosRead(mid.bus, 0x34) | (cmosRead(mid.bus, 0x35) << 8)).toBe(0x0700);
    const big = setup({ memoryBytes: 6 * 1024 * 1024 * 1024 });
    expect(cmosRead(big.bus, 0x34) | (cmosRead(big.bus, 0x35) << 8)).toBe(0xdf00);
    expect(cmosRead(big.bus, 0x5b) | (cmosRead(big.bus, 0x5c) << 8) | (cmosRead(big.bus, 0x5d) << 16)).toBe(0xa000);
  });

  it('holds the century, equipment byte and a valid checksum', () => {
    const { bus } = setup();
    expect(cmosRead(bus, 0x32)).toBe(0x20);
    expect(cmosRead(bus, 0x14)).toBe(0x06);
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += cmosRead(bus, i);
    expect((cmosRead(bus, 0x2e) << 8) | cmosRead(bus, 0x2f)).toBe(sum);
  });

  it('stores NVRAM bytes, masks the index, keeps the NMI bit, and ignores writes to C and D', () => {
    const { bus, rtc } = setup();
    cmosWrite(bus, 0x80 | 0x40, 0xa5);
    expect(rtc.nmiDisabled).toBe(true);
    expect(cmosRead(bus, 0x40)).toBe(0xa5);
    expect(rtc.nmiDisabled).toBe(false);
    expect(bus.in(0x70)).toBe(0xff);
    cmosWrite(bus, RTC_VALID, 0);
    cmosWrite(bus, RTC_INTR_FLAGS, 0xff);
    expect(cmosRead(bus, RTC_VALID)).toBe(0x80);
    expect(cmosRead(bus, RTC_INTR_FLAGS)).toBe(0);
  });

  it('rejects options out of range with a PopekError', () => {
    const h = new Harness();
    const bad: CmosOptions[] = [
      { memoryBytes: -1 },
      { memoryBytes: 1.5 },
      { memoryBytes: 1024, startTimeSeconds: -5 },
      { memoryBytes: 1024, startTimeSeconds: 1e12 },
      { memoryBytes: 1024, belowFourGigBytes: 2048 },
    ];
    for (const options of bad) {
      let error: unknown;
      try {
        new RtcCmos(h.clock, h.metrics, options);
      } catch (e) {
        error = e;
      }
      expect(isPopekError(error)).toBe(true);
    }
  });
});

describe('RTC against a hostile guest', () => {
  it('survives random traffic including garbage time registers and huge rates', () => {
    const { h, bus, rtc } = setup();
    fuzzPorts(bus, 30_000, 4242, () => h.advance(1_001));
    cmosWrite(bus, RTC_CONTROL, RTC_PIE | RTC_AIE | RTC_UIE);
    cmosWrite(bus, RTC_FREQ_SELECT, 0x23);
    for (const reg of [RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_MONTH, RTC_MONTH, RTC_YEAR, 0x32]) cmosWrite(bus, reg, 0xff);
    h.advance(3e9);
    expect(() => getTime(h, bus)).not.toThrow();
    expect(encoded(rtc).length).toBeLessThan(1024);
  });

  it('catches up days of skipped updates in bounded time', () => {
    const { h, bus } = setup();
    cmosWrite(bus, RTC_SECONDS_ALARM, 0x30);
    cmosWrite(bus, RTC_MINUTES_ALARM, 0x30);
    cmosWrite(bus, RTC_HOURS_ALARM, 0x12);
    h.advance(400 * 86_400 * 1e9);
    expect(cmosRead(bus, RTC_INTR_FLAGS) & 0x20).toBe(0x20);
    expect(getTime(h, bus)).toEqual({ year: 2026, month: 2, day: 5, hour: 0, min: 0, sec: 0 });
  });
});

describe('RTC snapshot and reset', () => {
  it('restores with an identical encoding and the same interrupts afterwards', () => {
    const a = setup();
    cmosWrite(a.bus, RTC_CONTROL, RTC_24H | RTC_PIE | RTC_UIE);
    cmosWrite(a.bus, RTC_FREQ_SELECT, 0x2a);
    a.h.advance(1_234_567_891);
    cmosWrite(a.bus, 0x50, 0x77);
    const clockState = a.h.clock.saveState();
    const saved = a.rtc.saveState();
    const b = setup();
    b.rtc.loadState(saved);
    b.h.clock.loadState(clockState);
    b.h.cpu.count = a.h.cpu.count;
    expect(encoded(b.rtc)).toEqual(encoded(a.rtc));
    expect(b.h.clock.nextDeadlineNs()).toBe(a.h.clock.nextDeadlineNs());
    for (let i = 0; i < 50; i++) {
      a.h.advance(10_000_000);
      b.h.advance(10_000_000);
      expect(cmosRead(b.bus, RTC_INTR_FLAGS)).toBe(cmosRead(a.bus, RTC_INTR_FLAGS));
    }
    expect(getTime(b.h, b.bus)).toEqual(getTime(a.h, a.bus));
  });

  it('keeps time and RAM over a machine reset but clears interrupt enables and flags', () => {
    const { h, bus, rtc } = setup();
    cmosWrite(bus, 0x40, 0x99);
    cmosWrite(bus, RTC_CONTROL, RTC_24H | RTC_PIE | RTC_UIE);
    h.advance(3_000_000_000);
    expect(bus.line('irq').level).toBe(true);
    rtc.reset();
    expect(bus.line('irq').level).toBe(false);
    expect(cmosRead(bus, RTC_CONTROL)).toBe(RTC_24H);
    expect(cmosRead(bus, 0x40)).toBe(0x99);
    expect(cmosRead(bus, RTC_SECONDS)).toBe(0x03);
    const edges = bus.line('irq').risingEdges;
    h.advance(3e9);
    expect(bus.line('irq').risingEdges).toBe(edges);
  });
});

describe('CMOS memory size from the memory layout', () => {
  it('takes the size from the bus layout when the options do not give it', () => {
    const h = new Harness();
    const layout = {
      ramBytes: 64 * 1024 * 1024 - 0x20000,
      regions: () => [
        { base: 0, size: 0xa0000, kind: 'ram' as const },
        { base: 0xa0000, size: 0x20000, kind: 'reserved' as const },
        { base: 0xc0000, size: 64 * 1024 * 1024 - 0xc0000, kind: 'ram' as const },
        { base: 0xe000_0000, size: 0x2000_0000, kind: 'reserved' as const },
      ],
    };
    const rtc = new RtcCmos(h.clock, h.metrics, undefined, layout);
    const bus = new PortBus();
    bus.attach(rtc);
    expect(cmosRead(bus, 0x17) | (cmosRead(bus, 0x18) << 8)).toBe(63 * 1024);
    expect(cmosRead(bus, 0x34) | (cmosRead(bus, 0x35) << 8)).toBe(48 * 16);
  });

  it('refuses to guess without options or a layout', () => {
    const h = new Harness();
    expect(() => new RtcCmos(h.clock, h.metrics)).toThrow(/memory size/);
  });
});
