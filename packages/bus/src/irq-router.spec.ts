import { describe, expect, it } from 'vitest';
import type { IrqLine } from '@popek/core';
import { FakeDevice, attach, conf1Read, conf1Write, makeBus } from '../test/helpers.js';
import { PciIrqRoutingTable, pirqOf } from './pci-irq-routing.js';

function pciDevice(id: string, slot: number, pin: 1 | 2 | 3 | 4 = 1): FakeDevice {
  return new FakeDevice(id, { pci: { vendorId: 0x1af4, deviceId: 0x1000, classCode: 0x020000, interruptPin: pin, slot } });
}

function intx(device: FakeDevice): IrqLine {
  return device.attachment!.irqs['intx']!;
}

describe('PCI interrupt routing', () => {
  it('swizzles INTx# of slot s, pin p onto PIRQ (s + p − 1) mod 4', () => {
    expect([pirqOf(2, 1), pirqOf(2, 2), pirqOf(3, 1), pirqOf(4, 1), pirqOf(5, 4)]).toEqual([2, 3, 3, 0, 0]);
  });

  it('programs the PIIX3 route registers and each function’s interrupt line at reset, as a BIOS would', () => {
    const { bus } = makeBus();
    for (const [i, slot] of [2, 3, 4, 5].entries()) attach(bus, pciDevice(`nic${i}`, slot));
    bus.reset();
    expect(conf1Read(bus, 0, 1 << 3, 0x60, 4)).toBe(0x0b0b_0a0a);
    const lines = [2, 3, 4, 5].map((slot) => conf1Read(bus, 0, slot << 3, 0x3c, 1));
    expect(lines).toEqual([11, 11, 10, 10]);
    expect(conf1Read(bus, 0, 0, 0x3c, 1)).toBe(0);
  });

  it('reports the routed IRQs for the PIC’s edge/level control register', () => {
    const routing = new PciIrqRoutingTable({ memoryBytes: 16 << 20 });
    expect(routing.levelTriggeredIrqs).toEqual([10, 11]);
    expect(routing.elcrMask).toBe(0x0c00);
    expect(routing.irqOf(2, 1)).toBe(11);
    const other = new PciIrqRoutingTable({ memoryBytes: 16 << 20, pirqIrqs: [5, 9, 10, 11] });
    expect(other.elcrMask).toBe(0x0e20);
  });

  it('raises the routed ISA IRQ while INTx# is asserted and reflects it in the status register', () => {
    const { bus, sink } = makeBus();
    const nic = pciDevice('nic', 2);
    attach(bus, nic);
    bus.reset();
    intx(nic).raise();
    expect(sink.levels[11]).toBe(true);
    expect(conf1Read(bus, 0, 2 << 3, 0x06, 2) & 0x08).toBe(0x08);
    intx(nic).lower();
    expect(sink.levels[11]).toBe(false);
    expect(conf1Read(bus, 0, 2 << 3, 0x06, 2) & 0x08).toBe(0);
  });

  it('keeps a shared level IRQ asserted until the last function on it deasserts', () => {
    const { bus, sink } = makeBus();
    const a = pciDevice('a', 2);
    const b = pciDevice('b', 3);
    attach(bus, a);
    attach(bus, b);
    bus.reset();
    sink.calls.length = 0;
    intx(a).raise();
    intx(b).raise();
    intx(a).lower();
    expect(sink.levels[11]).toBe(true);
    intx(b).lower();
    expect(sink.calls).toEqual([
      [11, true],
      [11, false],
    ]);
  });

  it('ORs an ISA device’s line with the PIRQs routed to the same IRQ', () => {
    const { bus, sink } = makeBus();
    const isa = new FakeDevice('isa', { irqs: [{ name: 'irq', line: 10 }] });
    const pci = pciDevice('pci', 4);
    attach(bus, isa);
    attach(bus, pci);
    bus.reset();
    isa.attachment!.irqs['irq']!.raise();
    intx(pci).raise();
    isa.attachment!.irqs['irq']!.lower();
    expect(sink.levels[10]).toBe(true);
    intx(pci).lower();
    expect(sink.levels[10]).toBe(false);
  });

  it('moves an asserted PIRQ when the guest reprograms its route register, and drops it when disabled', () => {
    const { bus, sink } = makeBus();
    const nic = pciDevice('nic', 2);
    attach(bus, nic);
    bus.reset();
    intx(nic).raise();
    conf1Write(bus, 0, 1 << 3, 0x62, 1, 5);
    expect(sink.levels[11]).toBe(false);
    expect(sink.levels[5]).toBe(true);
    conf1Write(bus, 0, 1 << 3, 0x62, 1, 0x85);
    expect(sink.levels[5]).toBe(false);
    expect(conf1Read(bus, 0, 1 << 3, 0x62, 1)).toBe(0x85);
    conf1Write(bus, 0, 1 << 3, 0x62, 1, 0x7b);
    expect(conf1Read(bus, 0, 1 << 3, 0x62, 1)).toBe(0x0b);
    expect(sink.levels[11]).toBe(true);
  });

  it('treats a route register naming a reserved IRQ (0–2, 8, 13) as disconnected', () => {
    const { bus, sink } = makeBus();
    const nic = pciDevice('nic', 2);
    attach(bus, nic);
    bus.reset();
    intx(nic).raise();
    for (const reserved of [0, 1, 2, 8, 13]) {
      conf1Write(bus, 0, 1 << 3, 0x62, 1, reserved);
      expect(bus.irqs.pirqRoute(2)).toBe(-1);
      expect(sink.levels.slice(0, 14).some((l) => l)).toBe(false);
    }
  });

  it('masks INTx# while the command register’s interrupt disable bit is set (status still shows it)', () => {
    const { bus, sink } = makeBus();
    const nic = pciDevice('nic', 2);
    attach(bus, nic);
    bus.reset();
    conf1Write(bus, 0, 2 << 3, 0x04, 2, 0x0400);
    intx(nic).raise();
    expect(sink.levels[11]).toBe(false);
    expect(conf1Read(bus, 0, 2 << 3, 0x06, 2) & 0x08).toBe(0x08);
    conf1Write(bus, 0, 2 << 3, 0x04, 2, 0x0000);
    expect(sink.levels[11]).toBe(true);
  });

  it('passes an edge-triggered ISA device’s pulse to the PIC as one rising and one falling edge', () => {
    const { bus, sink } = makeBus();
    const com1 = new FakeDevice('com1', { irqs: [{ name: 'irq', line: 4 }] });
    attach(bus, com1);
    com1.attachment!.irqs['irq']!.pulse();
    expect(sink.calls).toEqual([
      [4, true],
      [4, false],
    ]);
    expect(com1.attachment!.irqs['irq']!.level).toBe(false);
  });

  it('passes an ISA device’s request for acknowledge notices to the interrupt controller, for its IRQ', () => {
    const { bus, sink } = makeBus();
    const pit = new FakeDevice('pit', { irqs: [{ name: 'irq', line: 0 }] });
    attach(bus, pit);
    let acks = 0;
    pit.attachment!.irqs['irq']!.onAcknowledge?.(() => acks++);
    expect([...sink.onAck.keys()]).toEqual([0]);
    for (const callback of sink.onAck.get(0)!) callback();
    expect(acks).toBe(1);
  });

  it('disconnects every PIRQ while the bridge is at its power-on values', () => {
    const { bus, sink } = makeBus();
    const nic = pciDevice('nic', 2);
    attach(bus, nic);
    intx(nic).raise();
    expect(sink.calls).toEqual([]);
    expect(conf1Read(bus, 0, 1 << 3, 0x60, 4)).toBe(0x8080_8080);
    bus.reset();
    expect(sink.levels[11]).toBe(true);
  });
});
