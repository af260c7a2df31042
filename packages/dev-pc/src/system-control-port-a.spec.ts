import { describe, expect, it } from 'vitest';
import { Harness, PortBus, encoded, fuzzPorts } from '../test/harness.js';
import { SystemControlPortA } from './system-control-port-a.js';

function setup(): { h: Harness; port: SystemControlPortA; bus: PortBus } {
  const h = new Harness();
  const port = new SystemControlPortA(h.power, h.a20);
  const bus = new PortBus();
  bus.attach(port);
  port.reset();
  return { h, port, bus };
}

describe('port 0x92 (System Control Port A)', () => {
  it('opens and closes A20 with bit 1 and reads back the gate state', () => {
    const { h, bus } = setup();
    bus.out(0x92, bus.in(0x92) & ~0x02);
    expect(h.a20.a20Enabled).toBe(false);
    expect(bus.in(0x92) & 0x02).toBe(0);
    bus.out(0x92, bus.in(0x92) | 0x02); // the fast-A20 sequence of Linux's boot code
    expect(h.a20.a20Enabled).toBe(true);
    h.a20.setA20(false); // the keyboard controller closed it
    expect(bus.in(0x92) & 0x02).toBe(0);
    expect(h.power.resets).toEqual([]);
  });

  it('resets the machine on a 0-to-1 transition of bit 0 only', () => {
    const { h, bus, port } = setup();
    bus.out(0x92, 0x03);
    expect(h.power.resets).toEqual(['guest']);
    bus.out(0x92, 0x03);
    expect(h.power.resets).toEqual(['guest']);
    port.reset(); // the machine reset that followed
    bus.out(0x92, 0x01);
    expect(h.power.resets).toEqual(['guest', 'guest']);
  });

  it('survives random traffic, round-trips its snapshot, and resets to power-on', () => {
    const { bus, port } = setup();
    const powerOn = encoded(port);
    fuzzPorts(bus, 2_000, 92);
    bus.out(0x92, 0xc2);
    const fresh = setup().port;
    fresh.loadState(port.saveState());
    expect(encoded(fresh)).toEqual(encoded(port));
    port.reset();
    expect(encoded(port)).toEqual(powerOn);
  });
});
