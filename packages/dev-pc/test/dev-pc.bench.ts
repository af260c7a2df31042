import { bench, describe } from 'vitest';
import { Harness, PortBus } from './harness.js';
import { AcpiPm } from '../src/acpi-pm.js';
import { I8042Controller } from '../src/i8042-controller.js';
import { Pic8259Pair } from '../src/pic-8259-pair.js';
import { Pit8254 } from '../src/pit-8254.js';
import { RtcCmos } from '../src/rtc-cmos.js';

const h = new Harness();
const bus = new PortBus();
const pic = new Pic8259Pair(h.metrics);
const pit = new Pit8254(h.clock, h.metrics);
const rtc = new RtcCmos(h.clock, h.metrics, { memoryBytes: 64 * 1024 * 1024 });
const kbc = new I8042Controller(h.power, h.a20, h.metrics, h.events);
const pm = new AcpiPm(h.clock, h.power, h.metrics, h.events);
for (const d of [pic, pit, rtc, kbc, pm]) {
  bus.attach(d);
  d.reset();
}
// The PIC as Linux leaves it, IRQ 0 unmasked; the PIT in periodic mode 2.
for (const [p, v] of [[0x20, 0x11], [0x21, 0x30], [0x21, 0x04], [0x21, 0x01], [0x21, 0xfe], [0xa0, 0x11], [0xa1, 0x38], [0xa1, 0x02], [0xa1, 0x01]] as const) bus.out(p, v);
bus.out(0x43, 0x34);
bus.out(0x40, 0xa9);
bus.out(0x40, 0x04);
bus.out(0x70, 0x00);
let sink = 0;

describe('dev-pc hot paths', () => {
  bench('PIC: hasInterrupt (the CPU asks at every boundary)', () => {
    for (let i = 0; i < 1000; i++) sink ^= pic.hasInterrupt() ? 1 : 0;
  });
  bench('PIC: IRQ 0 edge → hasInterrupt → INTA → specific EOI', () => {
    for (let i = 0; i < 1000; i++) {
      pic.setIrq(0, true);
      pic.setIrq(0, false);
      if (pic.hasInterrupt()) sink ^= pic.acknowledge();
      bus.out(0x20, 0x60);
    }
  });
  bench('PIT: latch counter 0 and read LSB/MSB (Linux pit_read)', () => {
    for (let i = 0; i < 1000; i++) {
      h.cpu.count += 10;
      bus.out(0x43, 0x00);
      sink ^= bus.in(0x40) | (bus.in(0x40) << 8);
    }
  });
  bench('port 61h read (TSC calibration loop)', () => {
    for (let i = 0; i < 1000; i++) {
      h.cpu.count += 10;
      sink ^= bus.in(0x61);
    }
  });
  bench('RTC: read the seconds register', () => {
    for (let i = 0; i < 1000; i++) {
      h.cpu.count += 10;
      sink ^= bus.in(0x71);
    }
  });
  bench('ACPI: PM timer dword read', () => {
    for (let i = 0; i < 1000; i++) {
      h.cpu.count += 10;
      sink ^= bus.in(0x608, 4);
    }
  });
  bench('i8042: status read', () => {
    for (let i = 0; i < 1000; i++) sink ^= bus.in(0x64);
  });
});

export { sink };
