import { describe, expect, it } from 'vitest';
import { PopekError, isPopekError } from '@popek/core';
import { FakeDevice, RegisterFile, attach, makeBus } from '../test/helpers.js';
import type { BusPortWindowRequest } from './pc-bus.js';

function thrown(fn: () => unknown): PopekError {
  try {
    fn();
  } catch (error) {
    if (isPopekError(error)) return error;
    throw error;
  }
  throw new Error('expected a PopekError');
}

describe('PcBus as DeviceHost', () => {
  it('gives fixed ISA resources as declared and wires them', () => {
    const { bus, sink } = makeBus();
    const regs = new RegisterFile(8);
    const com1 = new FakeDevice('com1', { ports: [{ name: 'registers', base: 0x3f8, size: 8, handler: regs }], irqs: [{ name: 'irq', line: 4 }] });
    const got = attach(bus, com1);
    expect(got.ports).toEqual({ registers: 0x3f8 });
    expect(got.memory).toBeUndefined();
    bus.ioWrite(0x3fb, 1, 0x80);
    expect(regs.bytes[3]).toBe(0x80);
    got.irqs['irq']!.raise();
    expect(sink.levels[4]).toBe(true);
  });

  it('refuses a port range another device holds, naming both owners', () => {
    const { bus } = makeBus();
    attach(bus, new FakeDevice('com1', { ports: [{ name: 'registers', base: 0x3f8, size: 8, handler: new RegisterFile(8) }] }));
    const error = thrown(() => bus.attachDevice(new FakeDevice('ne2k', { ports: [{ name: 'io', base: 0x3f0, size: 16, handler: new RegisterFile(16) }] })));
    expect(error.code).toBe('resource-conflict');
    expect(error.message).toContain('ne2k/io');
    expect(error.message).toContain('com1/registers');
  });

  it('refuses an IRQ another device holds, naming both owners, and IRQ 2 (the cascade)', () => {
    const { bus } = makeBus();
    attach(bus, new FakeDevice('com1', { irqs: [{ name: 'irq', line: 4 }] }));
    const error = thrown(() => bus.attachDevice(new FakeDevice('mouse', { irqs: [{ name: 'irq', line: 4 }] })));
    expect(error.code).toBe('resource-conflict');
    expect(error.message).toBe('mouse/irq asks for IRQ 4, which com1/irq already uses.');
    expect(thrown(() => bus.attachDevice(new FakeDevice('x', { irqs: [{ name: 'irq', line: 2 }] }))).message).toContain('cascade');
  });

  it('refuses a fixed MMIO window over RAM', () => {
    const { bus } = makeBus();
    const error = thrown(() => bus.attachDevice(new FakeDevice('fb', { mmio: [{ name: 'fb', base: 0x10_0000, size: 0x1000, handler: new RegisterFile(1) }] })));
    expect(error.code).toBe('resource-conflict');
    expect(error.message).toContain('RAM');
  });

  it('refuses a PCI location another function occupies, naming both', () => {
    const { bus } = makeBus();
    const error = thrown(() => bus.attachDevice(new FakeDevice('fake-host', { pci: { vendorId: 1, deviceId: 1, classCode: 0, interruptPin: 0, slot: 0 } })));
    expect(error.code).toBe('resource-conflict');
    expect(error.message).toBe('fake-host asks for PCI 00:00.0, which i440fx already occupies.');
  });

  it('keeps nothing of a device whose later request fails', () => {
    const { bus } = makeBus();
    attach(bus, new FakeDevice('com1', { irqs: [{ name: 'irq', line: 4 }] }));
    const regs = new RegisterFile(8);
    const broken = new FakeDevice('broken', { ports: [{ name: 'io', base: 0x2f8, size: 8, handler: regs }], irqs: [{ name: 'irq', line: 4 }] });
    expect(() => bus.attachDevice(broken)).toThrow(PopekError);
    expect(bus.ioRead(0x2f8, 1)).toBe(0xff);
    const com2 = new FakeDevice('com2', { ports: [{ name: 'io', base: 0x2f8, size: 8, handler: regs }], irqs: [{ name: 'irq', line: 3 }] });
    expect(attach(bus, com2).ports['io']).toBe(0x2f8);
  });

  it('places floating windows and IRQs in free space: ports above the ISA range, MMIO in the PCI window', () => {
    const { bus } = makeBus();
    const a = attach(bus, new FakeDevice('a', { ports: [{ name: 'p', size: 24, handler: new RegisterFile(24) }], mmio: [{ name: 'm', size: 0x100, handler: new RegisterFile(0x100) }], irqs: [{ name: 'i' }] }));
    const b = attach(bus, new FakeDevice('b', { ports: [{ name: 'p', size: 8, handler: new RegisterFile(8) }], mmio: [{ name: 'm', size: 0x2000, handler: new RegisterFile(0x2000), alignment: 0x2000 }], irqs: [{ name: 'i' }] }));
    expect(a.ports['p']).toBe(0x1000);
    expect(b.ports['p']).toBe(0x1018);
    expect(a.mmio['m']).toBe(0xe000_0000);
    expect(b.mmio['m']).toBe(0xe000_2000);
    expect([(a.irqs['i'] as { line?: number }).line, (b.irqs['i'] as { line?: number }).line]).toEqual([5, 7]);
  });

  it('puts a PCI function without a slot in the first free slot and gives it DMA memory when asked', () => {
    const { bus } = makeBus();
    const d = new FakeDevice('nic', { pci: { vendorId: 0x10ec, deviceId: 0x8139, classCode: 0x020000, interruptPin: 1 }, dma: true });
    const got = attach(bus, d);
    expect(bus.pci.functionAt(2, 0)?.owner).toBe('nic');
    expect(got.memory).toBe(bus);
    expect(got.irqs['intx']).toBeDefined();
  });

  it('splits accesses for a port window that declares byte-only access', () => {
    const { bus } = makeBus();
    const regs = new RegisterFile(2);
    const req: BusPortWindowRequest = { name: 'data', base: 0x60, size: 2, handler: regs, widths: [1] };
    attach(bus, new FakeDevice('kbd', { ports: [req] }));
    bus.ioRead(0x60, 2);
    expect(regs.log.map((e) => e.width)).toEqual([1, 1]);
  });

  it('rejects malformed declarations with a device-resources-invalid error', () => {
    const { bus } = makeBus();
    const bad = [
      new FakeDevice('a', { ports: [{ name: '', base: 0x100, size: 1, handler: new RegisterFile(1) }] }),
      new FakeDevice('b', { ports: [{ name: 'p', base: 0xffff, size: 2, handler: new RegisterFile(2) }] }),
      new FakeDevice('c', { irqs: [{ name: 'i', line: 16 }] }),
      new FakeDevice('d', { pci: { vendorId: 1, deviceId: 1, classCode: 0, interruptPin: 0, bars: [{ index: 0, kind: 'io', size: 24, handler: new RegisterFile(24) }] } }),
      new FakeDevice('e', { pci: { vendorId: 1, deviceId: 1, classCode: 0, interruptPin: 0, bars: [{ index: 6, kind: 'memory', size: 4096, handler: new RegisterFile(1) }] } }),
      new FakeDevice('f', { pci: { vendorId: 0xffff, deviceId: 1, classCode: 0, interruptPin: 0 } }),
      new FakeDevice('g', { pci: { vendorId: 1, deviceId: 1, classCode: 0, interruptPin: 0, capabilities: [{ id: 9, body: new Uint8Array(200) }] } }),
      new FakeDevice('h', { ports: [{ name: 'x', base: 0x100, size: 1, handler: new RegisterFile(1) }, { name: 'x', base: 0x101, size: 1, handler: new RegisterFile(1) }] }),
    ];
    for (const device of bad) expect(thrown(() => bus.attachDevice(device)).code).toBe('device-resources-invalid');
    attach(bus, new FakeDevice('once', {}));
    expect(thrown(() => bus.attachDevice(new FakeDevice('once', {}))).code).toBe('device-resources-invalid');
  });

  it('reports when the PCI memory window cannot hold every BAR', () => {
    const { bus } = makeBus();
    const handler = new RegisterFile(1);
    attach(bus, new FakeDevice('big1', { pci: { vendorId: 1, deviceId: 1, classCode: 0, interruptPin: 0, bars: [{ index: 0, kind: 'memory', size: 0x2000_0000, handler }] } }));
    expect(() => bus.reset()).toThrow(/No free MMIO range/);
  });
});
