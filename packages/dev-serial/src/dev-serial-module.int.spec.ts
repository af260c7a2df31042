import { BufferCharBackend, Machine, isPopekError, type MachineEvent, type MachineProfile } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { TestBus, testBusPlugin } from '../test/test-bus.js';
import { EventStreamCharBackend } from './backends/event-stream-char-backend.js';
import { charBackendModule } from './char-backend-module.js';
import { plugin, serialPlugin } from './plugin.js';
import type { SerialOptions } from './serial-options.js';
import { Uart16550 } from './uart16550.js';

function profile(bus: TestBus, options?: SerialOptions): MachineProfile {
  return {
    id: 'serial-test',
    description: 'a bus and serial ports',
    plugins: [testBusPlugin(bus), options === undefined ? plugin : serialPlugin(options)],
    requires: ['bus'],
  };
}

/** Lets deterministic guest time run to each armed deadline (there is no CPU to retire instructions). */
function idle(machine: Machine, deadlines: number): void {
  for (let i = 0; i < deadlines && machine.clock.nextDeadlineNs() !== Infinity; i++) {
    machine.clock.idle();
    machine.clock.runDue();
  }
}

describe('the dev-serial plugin in a machine', () => {
  it('contributes COM1 by default, at 0x3F8 on IRQ 4, on its bound backend', () => {
    const bus = new TestBus();
    const backend = new BufferCharBackend();
    const machine = Machine.build(profile(bus), {
      clock: { mode: 'deterministic' },
      modules: [charBackendModule('com1', backend)],
    });
    expect(machine.devices.map((d) => d.id)).toEqual(['com1']);
    const com1 = machine.devices[0] as Uart16550;
    expect(com1).toBeInstanceOf(Uart16550);
    expect([com1.base, com1.irqLine]).toEqual([0x3f8, 4]);
    // Drive it through the bus as a guest would: 8N1, FIFOs, OUT2, THRE interrupt, two characters.
    bus.bus.ioWrite(0x3fb, 1, 0x03);
    bus.bus.ioWrite(0x3fa, 1, 0x01);
    bus.bus.ioWrite(0x3fc, 1, 0x08);
    bus.bus.ioWrite(0x3f9, 1, 0x02);
    expect(bus.sink.levels[4]).toBe(true);
    bus.bus.ioWrite(0x3f8, 1, 0x6f);
    bus.bus.ioWrite(0x3f8, 1, 0x6b);
    expect(bus.sink.levels[4]).toBe(false);
    idle(machine, 10);
    expect(backend.text).toBe('ok');
    expect(bus.sink.levels[4]).toBe(true);
    machine.dispose();
  });

  it('makes one UART per configured port, each on its own backend or on none', () => {
    const bus = new TestBus();
    const events = new Array<MachineEvent>();
    const com2 = new EventStreamCharBackend('com2');
    const machine = Machine.build(
      profile(bus, { ports: [{ index: 1 }, { index: 2, timing: 'fast' }, { index: 4, id: 'console' }] }),
      { clock: { mode: 'deterministic' }, modules: [charBackendModule('com2', com2)] },
    );
    machine.events.subscribe((e) => events.push(e));
    expect(machine.devices.map((d) => [d.id, (d as Uart16550).base, (d as Uart16550).irqLine])).toEqual([
      ['com1', 0x3f8, 4],
      ['com2', 0x2f8, 3],
      ['console', 0x2e8, 3],
    ]);
    bus.bus.ioWrite(0x2fb, 1, 0x03);
    for (const c of 'hi') bus.bus.ioWrite(0x2f8, 1, c.charCodeAt(0));
    bus.bus.ioWrite(0x3f8, 1, 0x41); // COM1 has no backend: discarded
    idle(machine, 10);
    const consoles = events.filter((e) => e.type === 'console');
    expect(consoles).toHaveLength(1);
    expect(consoles[0]).toMatchObject({ channel: 'com2' });
    expect(new TextDecoder().decode((consoles[0] as { bytes: Uint8Array }).bytes)).toBe('hi');
    // Input through the event-stream backend reaches the guest.
    expect(com2.send('k')).toBe(1);
    expect(bus.bus.ioRead(0x2fd, 1) & 0x01).toBe(1);
    expect(bus.bus.ioRead(0x2f8, 1)).toBe(0x6b);
    machine.dispose();
    expect(com2.send('x')).toBe(0);
  });

  it('saves and restores the serial ports through a machine snapshot, byte for byte', async () => {
    const busA = new TestBus();
    const a = Machine.build(profile(busA, { ports: [{ index: 1 }, { index: 2 }] }), { clock: { mode: 'deterministic' } });
    busA.bus.ioWrite(0x3fb, 1, 0x03);
    busA.bus.ioWrite(0x3fa, 1, 0xc7);
    busA.bus.ioWrite(0x3fc, 1, 0x1b);
    for (const c of 'abc') busA.bus.ioWrite(0x3f8, 1, c.charCodeAt(0));
    busA.bus.ioWrite(0x2ff, 1, 0x99);
    idle(a, 2);
    const snapshot = await a.saveSnapshot();
    const busB = new TestBus();
    const b = Machine.build(profile(busB, { ports: [{ index: 1 }, { index: 2 }] }), { clock: { mode: 'deterministic' } });
    await b.restoreSnapshot(snapshot);
    expect(await b.saveSnapshot()).toEqual(snapshot);
    expect(busB.bus.ioRead(0x2ff, 1)).toBe(0x99);
    idle(a, 10);
    idle(b, 10);
    const drain = (bus: TestBus): number[] => {
      const out: number[] = [];
      while (bus.bus.ioRead(0x3fd, 1) & 1) out.push(bus.bus.ioRead(0x3f8, 1));
      return out;
    };
    expect(drain(busB)).toEqual(drain(busA));
    expect(drain(busA)).toEqual([]);
  });

  it('gives the plugin descriptor for profile validation', () => {
    expect(plugin).toMatchObject({ id: '@popek/dev-serial', kind: 'device', provides: ['serial'], requires: ['bus'] });
  });

  it('rejects bad serial options with a clear error before anything is built', () => {
    for (const options of [
      { ports: [{ index: 5 }] },
      { ports: [{ index: 1 }, { index: 1 }] },
      { ports: [{ index: 1, id: 'x' }, { index: 2, id: 'x' }] },
      { ports: [{ index: 1, id: 'COM 1' }] },
      { ports: [{ index: 1, timing: 'slow' }] },
      { ports: 'com1' },
    ]) {
      let error: unknown;
      try {
        serialPlugin(options as unknown as SerialOptions);
      } catch (e) {
        error = e;
      }
      expect(isPopekError(error) && error.code).toBe('serial-options-invalid');
    }
  });
});
