import { describe, expect, it } from 'vitest';
import type { AccessWidth, PciFunctionRequest } from '@popek/core';
import { FakeDevice, RegisterFile, attach, conf1Read, conf1Write, makeBus, readBase } from '../../test/helpers.js';
import type { PcBus } from '../pc-bus.js';

const NIC_DEVFN = 2 << 3;

interface CapWrite {
  offset: number;
  width: AccessWidth;
  value: number;
}

function nic(io = new RegisterFile(32), mem = new RegisterFile(4096), capWrites: CapWrite[] = [], commands: number[] = []): { device: FakeDevice; io: RegisterFile; mem: RegisterFile } {
  const pci: PciFunctionRequest = {
    vendorId: 0x10ec,
    deviceId: 0x8029,
    revisionId: 0x01,
    classCode: 0x02_00_00,
    subsystemVendorId: 0x1af4,
    subsystemId: 0x1100,
    interruptPin: 1,
    bars: [
      { index: 0, kind: 'io', size: 32, handler: io },
      { index: 1, kind: 'memory', size: 4096, handler: mem, prefetchable: true },
    ],
    capabilities: [
      { id: 0x09, body: Uint8Array.of(0x06, 0xaa, 0xbb, 0xcc), onWrite: (offset, width, value) => capWrites.push({ offset, width, value }) },
      { id: 0x01, body: Uint8Array.of(0x03, 0x00, 0x00, 0x00, 0x00, 0x00) },
    ],
    onCommand: (command) => commands.push(command),
  };
  return { device: new FakeDevice('nic', { pci, dma: true }), io, mem };
}

function machineWithNic(): { bus: PcBus; io: RegisterFile; mem: RegisterFile; capWrites: CapWrite[]; commands: number[] } {
  const { bus } = makeBus();
  const capWrites: CapWrite[] = [];
  const commands: number[] = [];
  const { device, io, mem } = nic(undefined, undefined, capWrites, commands);
  attach(bus, device);
  bus.reset();
  return { bus, io, mem, capWrites, commands };
}

describe('PCI configuration mechanism #1, driven as Linux drives it', () => {
  it('passes pci_check_type1: CONFIG_ADDRESS reads back a dword write, byte writes at 0xCFB do not reach it', () => {
    const { bus } = makeBus();
    bus.ioWrite(0xcfb, 1, 0x01);
    const saved = bus.ioRead(0xcf8, 4);
    bus.ioWrite(0xcf8, 4, 0x8000_0000);
    expect(bus.ioRead(0xcf8, 4)).toBe(0x8000_0000);
    bus.ioWrite(0xcf8, 4, saved);
    expect(bus.ioRead(0xcf8, 4)).toBe(saved);
  });

  it('fails pci_check_type2: byte accesses at 0xCF8 and 0xCFA do not read back', () => {
    const { bus } = makeBus();
    bus.ioWrite(0xcfb, 1, 0x00);
    bus.ioWrite(0xcf8, 1, 0x00);
    bus.ioWrite(0xcfa, 1, 0x00);
    expect(bus.ioRead(0xcf8, 1)).toBe(0xff);
    expect(bus.ioRead(0xcfa, 1)).toBe(0xff);
  });

  it('keeps CONFIG_ADDRESS reserved bits at zero', () => {
    const { bus } = makeBus();
    bus.ioWrite(0xcf8, 4, 0xffff_ffff);
    expect(bus.ioRead(0xcf8, 4)).toBe(0x80ff_fffc);
  });

  it('shows the i440FX host bridge at 00:00.0 and the multi-function PIIX3 ISA bridge at 00:01.0', () => {
    const { bus } = makeBus();
    expect(conf1Read(bus, 0, 0, 0x00, 4)).toBe(0x1237_8086);
    expect(conf1Read(bus, 0, 0, 0x0a, 2)).toBe(0x0600);
    expect(conf1Read(bus, 0, 0, 0x0e, 1)).toBe(0x00);
    expect(conf1Read(bus, 0, 0, 0x08, 1)).toBe(0x02);
    expect(conf1Read(bus, 0, 1 << 3, 0x00, 4)).toBe(0x7000_8086);
    expect(conf1Read(bus, 0, 1 << 3, 0x08, 4) >>> 8).toBe(0x06_01_00);
    expect(conf1Read(bus, 0, 1 << 3, 0x0e, 1)).toBe(0x80);
  });

  it('enumerates like pci_scan_bus: present functions answer, absent ones and other buses read all ones', () => {
    const { bus } = machineWithNic();
    const found: string[] = [];
    for (let slot = 0; slot < 32; slot++) {
      const header = conf1Read(bus, 0, slot << 3, 0x0e, 1);
      const functions = header !== 0xff && (header & 0x80) !== 0 ? 8 : 1;
      for (let fn = 0; fn < functions; fn++) {
        const id = conf1Read(bus, 0, (slot << 3) | fn, 0x00, 4);
        if (id !== 0xffff_ffff) found.push(`${slot}.${fn}=${id.toString(16)}`);
      }
    }
    expect(found).toEqual(['0.0=12378086', '1.0=70008086', '2.0=802910ec']);
    expect(conf1Read(bus, 1, 0, 0x00, 4)).toBe(0xffff_ffff);
    bus.ioWrite(0xcf8, 4, 0x0000_0000);
    expect(bus.ioRead(0xcfc, 4)).toBe(0xffff_ffff);
  });

  it('reads bytes and words at every CONFIG_DATA offset from the selected dword', () => {
    const { bus } = machineWithNic();
    bus.ioWrite(0xcf8, 4, 0x8000_1000);
    expect(bus.ioRead(0xcfc, 1)).toBe(0xec);
    expect(bus.ioRead(0xcfd, 1)).toBe(0x10);
    expect(bus.ioRead(0xcfe, 1)).toBe(0x29);
    expect(bus.ioRead(0xcff, 1)).toBe(0x80);
    expect(bus.ioRead(0xcfe, 2)).toBe(0x8029);
    expect(bus.ioRead(0xcfd, 2)).toBe(0x2910);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x2c, 4)).toBe(0x1100_1af4);
  });

  it('keeps identity registers read-only', () => {
    const { bus } = machineWithNic();
    conf1Write(bus, 0, NIC_DEVFN, 0x00, 4, 0x1234_5678);
    conf1Write(bus, 0, NIC_DEVFN, 0x08, 4, 0xffff_ffff);
    conf1Write(bus, 0, NIC_DEVFN, 0x2c, 4, 0);
    conf1Write(bus, 0, NIC_DEVFN, 0x3d, 1, 4);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x00, 4)).toBe(0x8029_10ec);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x08, 4)).toBe(0x0200_0001);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x2c, 4)).toBe(0x1100_1af4);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x3d, 1)).toBe(1);
  });

  it('implements only the defined command bits and tells the device', () => {
    const { bus, commands } = machineWithNic();
    conf1Write(bus, 0, NIC_DEVFN, 0x04, 2, 0xffff);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x04, 2)).toBe(0x0547);
    expect(commands.at(-1)).toBe(0x0547);
  });

  it('keeps the host bridge memory and master enables hard-wired on', () => {
    const { bus } = makeBus();
    conf1Write(bus, 0, 0, 0x04, 2, 0);
    expect(conf1Read(bus, 0, 0, 0x04, 2)).toBe(0x0006);
  });

  it('clears status error bits written with ones and leaves read-only status bits alone', () => {
    const { bus } = machineWithNic();
    const fn = bus.pci.functionAt(2, 0)!;
    fn.raiseStatus(0x2000 | 0x0800);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x06, 2)).toBe(0x2810);
    conf1Write(bus, 0, NIC_DEVFN, 0x06, 2, 0x2000 | 0x0010);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x06, 2)).toBe(0x0810);
    // Writing the command word through a dword write with zero status bits clears nothing.
    conf1Write(bus, 0, NIC_DEVFN, 0x04, 4, 0x0000_0007);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x06, 2)).toBe(0x0810);
  });

  it('sizes BARs the way __pci_read_base does: I/O flag and size, memory type and prefetch bits', () => {
    const { bus } = machineWithNic();
    expect(readBase(bus, NIC_DEVFN, 0)).toEqual({ io: true, address: 0xc000, size: 32, prefetch: false });
    expect(readBase(bus, NIC_DEVFN, 1)).toEqual({ io: false, address: 0xe000_0000, size: 4096, prefetch: true });
    expect(readBase(bus, NIC_DEVFN, 2)).toEqual({ io: false, address: 0, size: 0, prefetch: false });
    conf1Write(bus, 0, NIC_DEVFN, 0x30, 4, 0xffff_fffe);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x30, 4)).toBe(0);
  });

  it('restores decoding after sizing: the BAR windows answer at their addresses again', () => {
    const { bus, io, mem } = machineWithNic();
    readBase(bus, NIC_DEVFN, 0);
    readBase(bus, NIC_DEVFN, 1);
    bus.ioWrite(0xc004, 2, 0xabcd);
    expect(io.log.at(-1)).toEqual({ op: 'w', offset: 4, width: 2, value: 0xabcd });
    bus.writePhysical(0xe000_0010, 4, 0x1234_5678);
    expect(mem.log.at(-1)).toEqual({ op: 'w', offset: 0x10, width: 4, value: 0x1234_5678 });
  });

  it('moves a BAR window when the guest reprograms the BAR, releasing the old range', () => {
    const { bus, io, mem } = machineWithNic();
    conf1Write(bus, 0, NIC_DEVFN, 0x10, 4, 0xd001);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x10, 4)).toBe(0xd001);
    expect(bus.ioRead(0xc000, 1)).toBe(0xff);
    io.bytes[3] = 0x42;
    expect(bus.ioRead(0xd003, 1)).toBe(0x42);
    conf1Write(bus, 0, NIC_DEVFN, 0x14, 4, 0xe010_0000);
    expect(bus.readPhysical(0xe000_0000, 4)).toBe(0xffff_ffff);
    mem.bytes[8] = 0x99;
    expect(bus.readPhysical(0xe010_0008, 1)).toBe(0x99);
  });

  it('decodes BARs only while the command register enables I/O or memory space', () => {
    const { bus, io } = machineWithNic();
    io.bytes[0] = 0x5a;
    conf1Write(bus, 0, NIC_DEVFN, 0x04, 2, 0x0002);
    expect(bus.ioRead(0xc000, 1)).toBe(0xff);
    conf1Write(bus, 0, NIC_DEVFN, 0x04, 2, 0x0001);
    expect(bus.ioRead(0xc000, 1)).toBe(0x5a);
    expect(bus.readPhysical(0xe000_0000, 1)).toBe(0xff);
  });

  it('keeps CONFIG_ADDRESS and CONFIG_DATA reachable when the guest places an I/O BAR over them', () => {
    const { bus, io } = machineWithNic();
    conf1Write(bus, 0, NIC_DEVFN, 0x10, 4, 0x0ce1);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x10, 4)).toBe(0x0ce1);
    expect(conf1Read(bus, 0, 0, 0x00, 4)).toBe(0x1237_8086);
    io.bytes[0] = 0x3c;
    expect(bus.ioRead(0xce0, 1)).toBe(0x3c);
    conf1Write(bus, 0, NIC_DEVFN, 0x10, 4, 0xc001);
    expect(bus.ioRead(0xce0, 1)).toBe(0xff);
  });

  it('never decodes a BAR at address 0 or one that would run past the top of its space', () => {
    const { bus } = machineWithNic();
    conf1Write(bus, 0, NIC_DEVFN, 0x10, 4, 0xffe1);
    expect(bus.pci.functionAt(2, 0)!.bars[0]!.mappedAt).toBe(0xffe0);
    conf1Write(bus, 0, NIC_DEVFN, 0x10, 4, 0x1_ffe1);
    expect(bus.pci.functionAt(2, 0)!.bars[0]!.mappedAt).toBe(-1);
    conf1Write(bus, 0, NIC_DEVFN, 0x14, 4, 0);
    expect(bus.pci.functionAt(2, 0)!.bars[1]!.mappedAt).toBe(-1);
  });

  it('keeps the interrupt line writable and the interrupt pin read-only', () => {
    const { bus } = machineWithNic();
    conf1Write(bus, 0, NIC_DEVFN, 0x3c, 1, 0x05);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x3c, 2)).toBe(0x0105);
  });

  it('chains capabilities from 0x34 with the status capability bit set, and sends body writes to the device', () => {
    const { bus, capWrites } = machineWithNic();
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x06, 2) & 0x10).toBe(0x10);
    const chain: [number, number][] = [];
    for (let pos = conf1Read(bus, 0, NIC_DEVFN, 0x34, 1); pos !== 0; pos = conf1Read(bus, 0, NIC_DEVFN, pos + 1, 1)) {
      chain.push([pos, conf1Read(bus, 0, NIC_DEVFN, pos, 1)]);
    }
    expect(chain).toEqual([
      [0x40, 0x09],
      [0x48, 0x01],
    ]);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x40, 4)).toBe(0xaa06_4809);
    conf1Write(bus, 0, NIC_DEVFN, 0x42, 2, 0x1234);
    conf1Write(bus, 0, NIC_DEVFN, 0x40, 4, 0xffff_ffff);
    expect(capWrites).toEqual([
      { offset: 0, width: 2, value: 0x1234 },
      { offset: 0, width: 1, value: 0xff },
      { offset: 1, width: 1, value: 0xff },
    ]);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x40, 2)).toBe(0x4809);
    expect(conf1Read(bus, 0, NIC_DEVFN, 0x80, 4)).toBe(0);
  });

  it('lets a chipset device own the reset control register at 0xCF9 next to CONFIG_ADDRESS', () => {
    const { bus } = makeBus();
    const rcr = new RegisterFile(1);
    attach(bus, new FakeDevice('rcr', { ports: [{ name: 'rcr', base: 0xcf9, size: 1, handler: rcr }] }));
    bus.ioWrite(0xcf9, 1, 0x06);
    expect(rcr.bytes[0]).toBe(0x06);
    bus.ioWrite(0xcf8, 4, 0x8000_0800);
    expect(bus.ioRead(0xcf8, 4)).toBe(0x8000_0800);
    expect(bus.ioRead(0xcfc, 4)).toBe(0x7000_8086);
  });

  it('leaves the host bridge PAM registers at DRAM read/write and the DRBs at the RAM size after reset', () => {
    const { bus } = makeBus({ memoryBytes: 64 * 1024 * 1024 });
    bus.reset();
    expect(conf1Read(bus, 0, 0, 0x58, 4) >>> 8).toBe(0x33_33_30);
    expect(conf1Read(bus, 0, 0, 0x60, 4)).toBe(0x0808_0808);
  });

  it('marks function 0 multi-function when a device adds another function to its slot', () => {
    const { bus } = makeBus();
    attach(bus, new FakeDevice('f0', { pci: { vendorId: 0x1234, deviceId: 1, classCode: 0xff0000, interruptPin: 0, slot: 5 } }));
    expect(conf1Read(bus, 0, 5 << 3, 0x0e, 1)).toBe(0x00);
    attach(bus, new FakeDevice('f1', { pci: { vendorId: 0x1234, deviceId: 2, classCode: 0xff0000, interruptPin: 0, slot: 5, function: 1 } }));
    expect(conf1Read(bus, 0, 5 << 3, 0x0e, 1)).toBe(0x80);
    expect(conf1Read(bus, 0, (5 << 3) | 1, 0x00, 4)).toBe(0x0002_1234);
    bus.reset();
    expect(conf1Read(bus, 0, 5 << 3, 0x0e, 1)).toBe(0x80);
  });

  it('sends registers above the header outside capabilities to the device-specific handler at their offsets', () => {
    const { bus } = makeBus();
    const regs = new RegisterFile(256);
    attach(bus, new FakeDevice('chip', { pci: { vendorId: 0x1234, deviceId: 3, classCode: 0x068000, interruptPin: 0, deviceConfig: regs } }));
    const devfn = 2 << 3;
    conf1Write(bus, 0, devfn, 0x44, 4, 0xcafe_f00d);
    expect(regs.log.at(-1)).toEqual({ op: 'w', offset: 0x44, width: 4, value: 0xcafe_f00d });
    expect(conf1Read(bus, 0, devfn, 0x46, 2)).toBe(0xcafe);
  });
});
