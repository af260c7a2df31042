import { describe, expect, it } from 'vitest';
import { Harness, PortBus, encoded, fuzzPorts } from '../test/harness.js';
import { ResetControlRegister } from './reset-control-register.js';

function setup(): { h: Harness; rcr: ResetControlRegister; bus: PortBus } {
  const h = new Harness();
  const rcr = new ResetControlRegister(h.power);
  const bus = new PortBus();
  bus.attach(rcr);
  rcr.reset();
  return { h, rcr, bus };
}

describe('reset control register (0xCF9)', () => {
  it('resets on reboot=pci: 0x02 then 0x06', () => {
    const { h, bus } = setup();
    const cf9 = bus.in(0xcf9) & ~0x06;
    bus.out(0xcf9, cf9 | 0x02);
    expect(h.power.resets).toEqual([]);
    expect(bus.in(0xcf9)).toBe(0x02);
    bus.out(0xcf9, cf9 | 0x06);
    expect(h.power.resets).toEqual(['guest']);
  });

  it('resets on the ACPI RESET_REG write of 0x06', () => {
    const { h, bus } = setup();
    bus.out(0xcf9, 0x06);
    expect(h.power.resets).toEqual(['guest']);
  });

  it('needs RST_CPU to go from 0 to 1 again, as after the machine reset', () => {
    const { h, bus, rcr } = setup();
    bus.out(0xcf9, 0x0e);
    bus.out(0xcf9, 0x0e);
    expect(h.power.resets.length).toBe(1);
    rcr.reset();
    expect(bus.in(0xcf9)).toBe(0);
    bus.out(0xcf9, 0x04);
    expect(h.power.resets.length).toBe(2);
  });

  it('exposes a byte handler for a bus that forwards 0xCF9 itself', () => {
    const { h, rcr } = setup();
    rcr.handler.write(0, 1, 0x06);
    expect(h.power.resets).toEqual(['guest']);
    expect(rcr.handler.read(0, 2)).toBe(0xff06);
  });

  it('survives random traffic and round-trips its snapshot', () => {
    const { bus, rcr } = setup();
    const powerOn = encoded(rcr);
    fuzzPorts(bus, 2_000, 0xcf9);
    const fresh = setup().rcr;
    fresh.loadState(rcr.saveState());
    expect(encoded(fresh)).toEqual(encoded(rcr));
    rcr.reset();
    expect(encoded(rcr)).toEqual(powerOn);
  });
});
