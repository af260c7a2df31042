import { describe, expect, it } from 'vitest';
import { FakeDevice, RegisterFile, attach, makeBus } from '../test/helpers.js';

const MiB = 1024 * 1024;

describe('PcBus memory map (the CPU side)', () => {
  it('gives plain RAM pages a host offset for reads and writes, and the CPU sees its writes through the pool', () => {
    const { bus } = makeBus();
    const offset = bus.ramPageOffset(0x123, true);
    expect(offset).toBeGreaterThanOrEqual(0);
    bus.ram[offset + 0x10] = 0xab;
    expect(bus.readPhysical(0x123010, 1)).toBe(0xab);
    expect(bus.ramPageOffset(0x123, false)).toBe(offset);
  });

  it('sends the VGA hole, unassigned space and pages above RAM to the slow path', () => {
    const { bus, metrics } = makeBus();
    expect(bus.ramPageOffset(0xa0, false)).toBe(-1);
    expect(bus.ramPageOffset(0xbf, true)).toBe(-1);
    expect(bus.ramPageOffset(16 * MiB / 4096, false)).toBe(-1);
    expect(bus.ramPageOffset(0xfffff, false)).toBe(-1);
    expect(bus.readPhysical(0xa0000, 4)).toBe(0xffff_ffff);
    expect(bus.readPhysical(0x4000_0000, 2)).toBe(0xffff);
    bus.writePhysical(0xb8000, 2, 0x0741);
    expect(bus.readPhysical(0xb8000, 2)).toBe(0xffff);
    expect(metrics.value('bus.mmio.unassigned')).toBe(4);
  });

  it('keeps RAM below and above the VGA hole and the BIOS area as RAM by default', () => {
    const { bus } = makeBus();
    for (const address of [0x9f000, 0xc0000, 0xe0000, 0xff000, 0x100000]) {
      bus.writePhysical(address, 4, 0x1234_5678);
      expect(bus.readPhysical(address, 4)).toBe(0x1234_5678);
    }
  });

  it('dispatches an MMIO window a device claims at the VGA window, at offsets into the window', () => {
    const { bus } = makeBus();
    const vram = new RegisterFile(0x20000);
    const vga = new FakeDevice('vga', { mmio: [{ name: 'vram', base: 0xa0000, size: 0x20000, handler: vram }] });
    expect(attach(bus, vga).mmio['vram']).toBe(0xa0000);
    bus.writePhysical(0xb8000, 2, 0x0741);
    expect(vram.log.at(-1)).toEqual({ op: 'w', offset: 0x18000, width: 2, value: 0x0741 });
    expect(bus.readPhysical(0xb8000, 2)).toBe(0x0741);
  });

  it('splits an access that runs past the end of an MMIO window into the window part and the floating part', () => {
    const { bus } = makeBus();
    const regs = new RegisterFile(0x10, 0x5a);
    attach(bus, new FakeDevice('dev', { mmio: [{ name: 'regs', base: 0xe000_0000, size: 0x10, handler: regs }] }));
    expect(bus.readPhysical(0xe000_000e, 4)).toBe(0xffff_5a5a);
    expect(regs.log.map((e) => [e.offset, e.width])).toEqual([[0xe, 2]]);
  });

  it('splits an access that crosses from RAM into MMIO at the page boundary', () => {
    const { bus } = makeBus();
    const regs = new RegisterFile(0x1000, 0x77);
    attach(bus, new FakeDevice('vga', { mmio: [{ name: 'vram', base: 0xa0000, size: 0x1000, handler: regs }] }));
    bus.writePhysical(0x9fffe, 2, 0xbbaa);
    expect(bus.readPhysical(0x9fffe, 4)).toBe(0x7777_bbaa);
    bus.writePhysical(0x9ffff, 4, 0x4433_2211);
    expect(bus.readPhysical(0x9ffff, 1)).toBe(0x11);
    expect(regs.bytes.subarray(0, 3)).toEqual(Uint8Array.of(0x22, 0x33, 0x44));
  });

  it('reads an unaligned dword that crosses two RAM pages correctly', () => {
    const { bus } = makeBus();
    bus.writePhysical(0x1ffd, 4, 0xa1b2c3d4);
    expect(bus.readPhysical(0x1ffd, 4)).toBe(0xa1b2c3d4);
    expect(bus.readPhysical(0x1fff, 2)).toBe(0xa1b2);
  });

  it('ignores guest writes to ROM, still reads it on the fast path, and counts the ignored writes', () => {
    const { bus, metrics } = makeBus();
    bus.installRom(0xf0000, Uint8Array.of(0xea, 0x5b, 0xe0, 0x00, 0xf0));
    expect(bus.ramPageOffset(0xf0, false)).toBeGreaterThanOrEqual(0);
    expect(bus.ramPageOffset(0xf0, true)).toBe(-1);
    bus.writePhysical(0xf0000, 4, 0);
    expect(bus.readPhysical(0xf0000, 4)).toBe(0x00e05bea);
    expect(metrics.value('bus.rom.writes_ignored')).toBe(1);
    expect(bus.regions().find((r) => r.base === 0xf0000)).toEqual({ base: 0xf0000, size: 0x1000, kind: 'rom' });
    bus.setReadOnly(0xf0000, 0x1000, false);
    bus.writePhysical(0xf0000, 1, 0x90);
    expect(bus.readPhysical(0xf0000, 1)).toBe(0x90);
  });

  it('refuses to mark as ROM a range that is not whole RAM pages', () => {
    const { bus } = makeBus();
    expect(() => bus.setReadOnly(0xa0000, 0x1000, true)).toThrow(/not RAM/);
    expect(() => bus.setReadOnly(0xf0010, 0x1000, true)).toThrow(/4 KiB pages/);
  });

  it('wraps addresses at 1 MiB with the A20 gate closed and tells the mapping listeners', () => {
    const { bus } = makeBus();
    let changes = 0;
    bus.onMappingChange(() => changes++);
    bus.writePhysical(0x000010, 1, 0x11);
    bus.writePhysical(0x100010, 1, 0x22);
    expect(bus.a20Enabled).toBe(true);
    bus.setA20(false);
    expect(changes).toBe(1);
    expect(bus.a20Mask).toBe(0xffef_ffff);
    expect(bus.readPhysical(0x100010, 1)).toBe(0x11);
    expect(bus.ramPageOffset(0x100, false)).toBe(bus.ramPageOffset(0x000, false));
    bus.writePhysical(0x10fff0, 1, 0x33);
    expect(bus.readPhysical(0x0fff0, 1)).toBe(0x33);
    bus.setA20(false);
    expect(changes).toBe(1);
    bus.setA20(true);
    expect(bus.readPhysical(0x100010, 1)).toBe(0x22);
    expect(changes).toBe(2);
  });

  it('reports RAM, the VGA hole and the PCI window as its memory layout', () => {
    const { bus } = makeBus({ memoryBytes: 32 * MiB });
    expect(bus.regions()).toEqual([
      { base: 0, size: 0xa0000, kind: 'ram' },
      { base: 0xa0000, size: 0x20000, kind: 'reserved' },
      { base: 0xc0000, size: 32 * MiB - 0xc0000, kind: 'ram' },
      { base: 0xe000_0000, size: 0x2000_0000, kind: 'reserved' },
    ]);
    expect(bus.ramBytes).toBe(32 * MiB - 0x20000);
  });

  it('backs RAM with a SharedArrayBuffer when the host has one, unless told not to', () => {
    expect(makeBus().bus.pool.shared).toBe(true);
    expect(makeBus({ sharedMemory: false }).bus.pool.shared).toBe(false);
  });
});
