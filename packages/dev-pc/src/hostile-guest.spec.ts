import type { AccessWidth, Device } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { Harness, encoded, rng } from '../test/harness.js';
import { AcpiPm } from './acpi-pm.js';
import { I8042Controller } from './i8042-controller.js';
import { Pic8259Pair } from './pic-8259-pair.js';
import { Pit8254 } from './pit-8254.js';
import { ResetControlRegister } from './reset-control-register.js';
import { RtcCmos } from './rtc-cmos.js';
import { SystemControlPortA } from './system-control-port-a.js';

/** Every device of the package, built on one harness, attached to nothing (lines disconnected). */
function devices(h: Harness): Device[] {
  return [
    new Pic8259Pair(h.metrics),
    new Pit8254(h.clock, h.metrics),
    new RtcCmos(h.clock, h.metrics, { memoryBytes: 32 * 1024 * 1024 }),
    new I8042Controller(h.power, h.a20, h.metrics, h.events),
    new SystemControlPortA(h.power, h.a20),
    new ResetControlRegister(h.power),
    new AcpiPm(h.clock, h.power, h.metrics, h.events),
  ];
}

const WIDTHS: AccessWidth[] = [1, 2, 4];
const ODD_OFFSETS = [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, 0.5];
const ODD_VALUES = [0, 0xff, 0xffff, 0xffff_ffff, -1, 2 ** 40, Number.NaN, 0.5];

describe('every device against a hostile guest', () => {
  it('accepts every offset of its windows (and nonsense ones) at every width without throwing', () => {
    const h = new Harness();
    for (const device of devices(h)) {
      device.reset();
      for (const window of device.resources().ports ?? []) {
        const offsets = [...Array.from({ length: window.size + 2 }, (_, i) => i), ...ODD_OFFSETS];
        for (const offset of offsets) {
          for (const width of WIDTHS) {
            const v = window.handler.read(offset, width);
            expect(Number.isInteger(v), `${device.id}/${window.name}+${offset} read`).toBe(true);
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(width === 4 ? 0xffff_ffff : width === 2 ? 0xffff : 0xff);
            for (const value of ODD_VALUES) window.handler.write(offset, width, value);
          }
        }
        // Reads of nonsense offsets float.
        expect(window.handler.read(-1, 1)).toBe(0xff);
        expect(window.handler.read(window.size, 2)).toBe(0xffff);
      }
    }
  });

  it('does not grow its state under a million random accesses and lots of guest time', () => {
    const h = new Harness();
    const all = devices(h);
    for (const d of all) d.reset();
    const windows = all.flatMap((d) => (d.resources().ports ?? []).map((w) => ({ d, w })));
    const next = rng(2024);
    const before = all.map((d) => encoded(d).length);
    for (let i = 0; i < 1_000_000; i++) {
      const { w } = windows[next() % windows.length]!;
      const offset = next() % w.size;
      const width = WIDTHS[next() % 3]!;
      if (next() & 1) w.handler.write(offset, width, next());
      else w.handler.read(offset, width);
      if ((i & 1023) === 0) h.advance(next() % 5_000_000);
    }
    const after = all.map((d) => encoded(d).length);
    for (let i = 0; i < all.length; i++) expect(after[i], all[i]!.id).toBeLessThanOrEqual(before[i]! + 64);
  });
});
