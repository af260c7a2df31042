import { describe, expect, it } from 'vitest';
import { decodeState, encodeState } from '@popek/core';
import { FakeDevice, RegisterFile, attach, conf1Read, conf1Write, makeBus } from '../test/helpers.js';
import type { PcBus } from './pc-bus.js';
import type { WriteTracer } from './p2m-table.js';

/** The same devices, freshly made: what "construct from options" means for a machine. */
function devices(): { nic: FakeDevice; com1: FakeDevice; nicIo: RegisterFile } {
  const nicIo = new RegisterFile(32);
  const nic = new FakeDevice('nic', {
    pci: {
      vendorId: 0x10ec,
      deviceId: 0x8029,
      classCode: 0x020000,
      interruptPin: 1,
      bars: [
        { index: 0, kind: 'io', size: 32, handler: nicIo },
        { index: 1, kind: 'memory', size: 0x1000, handler: new RegisterFile(0x1000) },
      ],
    },
    dma: true,
  });
  const com1 = new FakeDevice('com1', { ports: [{ name: 'registers', base: 0x3f8, size: 8, handler: new RegisterFile(8) }], irqs: [{ name: 'irq', line: 4 }] });
  return { nic, com1, nicIo };
}

function build(): { bus: PcBus; nic: FakeDevice; com1: FakeDevice; nicIo: RegisterFile; sink: ReturnType<typeof makeBus>['sink'] } {
  const { bus, sink } = makeBus({ memoryBytes: 8 * 1024 * 1024 });
  const d = devices();
  attach(bus, d.nic);
  attach(bus, d.com1);
  bus.reset();
  return { bus, sink, ...d };
}

/** Puts the bus in a state where every part of it differs from power-on. */
function exercise(bus: PcBus, nic: FakeDevice): void {
  for (let i = 0; i < 5000; i++) bus.writePhysical(0x10_0000 + i * 13, 4, (i * 2654435761) >>> 0);
  bus.write(0x7f_f000, new Uint8Array(4096).fill(0x5a));
  bus.installRom(0xf0000, Uint8Array.of(0xea, 0x5b, 0xe0, 0x00, 0xf0));
  bus.write(0x20_0000, new Uint8Array(4096).fill(1));
  bus.write(0x20_1000, new Uint8Array(4096).fill(1));
  bus.p2m.share(0x201, 0x200);
  bus.p2m.balloon(0x300);
  conf1Write(bus, 0, 2 << 3, 0x10, 4, 0xd001);
  conf1Write(bus, 0, 1 << 3, 0x61, 1, 0x05);
  conf1Write(bus, 0, 2 << 3, 0x3c, 1, 0x0b);
  nic.attachment!.irqs['intx']!.raise();
  bus.ioWrite(0xcf8, 4, 0x8000_1004);
  bus.setA20(false);
}

describe('PcBus snapshots', () => {
  it('round-trips: save, build a fresh bus with the same devices, load, save again gives the same encoding', () => {
    const a = build();
    exercise(a.bus, a.nic);
    const saved = encodeState(a.bus.saveState());

    const b = build();
    b.bus.loadState(decodeState(saved));
    expect(encodeState(b.bus.saveState())).toEqual(saved);
  });

  it('restores what the guest sees: RAM, ROM, sharing, the moved BAR, PCI registers, A20 and CONFIG_ADDRESS', () => {
    const a = build();
    exercise(a.bus, a.nic);
    const b = build();
    b.bus.loadState(decodeState(encodeState(a.bus.saveState())));
    const bus = b.bus;
    expect(bus.a20Enabled).toBe(false);
    bus.setA20(true);

    expect(bus.readPhysical(0x10_0000 + 13 * 77, 4)).toBe((77 * 2654435761) >>> 0);
    expect(bus.readPhysical(0xf0000, 4)).toBe(0x00e05bea);
    bus.writePhysical(0xf0000, 1, 0);
    expect(bus.readPhysical(0xf0000, 1)).toBe(0xea);
    expect(bus.ramPageOffset(0x201, false)).toBe(bus.ramPageOffset(0x200, false));
    expect(bus.p2m.isBallooned(0x300)).toBe(true);
    expect(bus.ioRead(0xcf8, 4)).toBe(0x8000_1004);
    b.nicIo.bytes[1] = 0x77;
    expect(bus.ioRead(0xd001, 1)).toBe(0x77);
    expect(bus.ioRead(0xc001, 1)).toBe(0xff);
    expect(conf1Read(bus, 0, 1 << 3, 0x60, 4)).toBe(0x0b0b_050a);
    expect(conf1Read(bus, 0, 2 << 3, 0x3c, 1)).toBe(0x0b);
  });

  it('restores interrupt levels without driving the interrupt controller, which restores its own state', () => {
    const a = build();
    exercise(a.bus, a.nic);
    const b = build();
    b.sink.calls.length = 0;
    b.bus.loadState(decodeState(encodeState(a.bus.saveState())));
    expect(b.sink.calls).toEqual([]);
    expect(b.bus.irqs.irqLevel(11)).toBe(true);
    expect(b.nic.attachment!.irqs['intx']!.level).toBe(true);
    b.nic.attachment!.irqs['intx']!.lower();
    expect(b.sink.calls).toEqual([[11, false]]);
  });

  it('tells mapping listeners on restore and keeps host-side write tracers registered', () => {
    const a = build();
    const b = build();
    let changes = 0;
    b.bus.onMappingChange(() => changes++);
    const writes: number[] = [];
    const tracer: WriteTracer = { onTracedWrite: (address) => writes.push(address) };
    b.bus.p2m.trace(0x123, tracer);
    changes = 0;
    b.bus.loadState(decodeState(encodeState(a.bus.saveState())));
    expect(changes).toBe(1);
    b.bus.writePhysical(0x123456, 1, 1);
    expect(writes).toEqual([0x123456]);
  });

  it('saves RAM compactly: all-zero frames are left out', () => {
    const { bus } = build();
    const empty = encodeState(bus.saveState()).length;
    expect(empty).toBeLessThan(64 * 1024);
    bus.writePhysical(0x50_0000, 1, 1);
    expect(encodeState(bus.saveState()).length - empty).toBe(4096 + 4);
  });

  it('refuses state from a machine with other devices or another memory size', () => {
    const a = build();
    const other = makeBus({ memoryBytes: 8 * 1024 * 1024 }).bus;
    expect(() => other.loadState(decodeState(encodeState(a.bus.saveState())))).toThrow(TypeError);
    const small = makeBus({ memoryBytes: 4 * 1024 * 1024 }).bus;
    const d = devices();
    attach(small, d.nic);
    attach(small, d.com1);
    expect(() => small.loadState(a.bus.saveState())).toThrow(/pages/);
  });
});
