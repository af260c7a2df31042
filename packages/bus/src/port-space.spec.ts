import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '@popek/core';
import { RegisterFile } from '../test/helpers.js';
import { PortSpace, WindowPriority } from './port-space.js';

function space(): { ports: PortSpace; metrics: MetricsRegistry } {
  const metrics = new MetricsRegistry();
  return { ports: new PortSpace(metrics), metrics };
}

describe('PortSpace', () => {
  it('hands byte, word and dword accesses inside a window to the handler at window offsets', () => {
    const { ports } = space();
    const regs = new RegisterFile(8);
    ports.add(0x3f8, 8, regs, 'com1/registers');
    ports.write(0x3f9, 1, 0x5a);
    ports.write(0x3fa, 2, 0x1234);
    ports.write(0x3fc, 4, 0xdeadbeef);
    expect(regs.log.map((e) => [e.offset, e.width])).toEqual([
      [1, 1],
      [2, 2],
      [4, 4],
    ]);
    expect(ports.read(0x3fc, 4)).toBe(0xdeadbeef);
    expect(ports.read(0x3fa, 2)).toBe(0x1234);
    expect(ports.read(0x3f9, 1)).toBe(0x5a);
  });

  it('reads unassigned ports as all ones for each width, ignores writes, and counts the accesses', () => {
    const { ports, metrics } = space();
    expect(ports.read(0x80, 1)).toBe(0xff);
    expect(ports.read(0x80, 2)).toBe(0xffff);
    expect(ports.read(0x80, 4)).toBe(0xffff_ffff);
    ports.write(0x80, 1, 0);
    expect(metrics.value('bus.io.unassigned')).toBe(4);
  });

  it('splits a word access to a byte-only window into two byte accesses', () => {
    const { ports } = space();
    const regs = new RegisterFile(2);
    ports.add(0x60, 2, regs, 'kbd', 1);
    ports.write(0x60, 2, 0xbbaa);
    expect(regs.log).toEqual([
      { op: 'w', offset: 0, width: 1, value: 0xaa },
      { op: 'w', offset: 1, width: 1, value: 0xbb },
    ]);
    expect(ports.read(0x60, 2)).toBe(0xbbaa);
  });

  it('splits a dword access to a word-only window into two word accesses', () => {
    const { ports } = space();
    const regs = new RegisterFile(4);
    ports.add(0x1f0, 4, regs, 'ide', 1 | 2);
    ports.write(0x1f0, 4, 0x4433_2211);
    expect(regs.log.map((e) => [e.offset, e.width, e.value])).toEqual([
      [0, 2, 0x2211],
      [2, 2, 0x4433],
    ]);
  });

  it('splits an access that straddles two windows, each getting its part', () => {
    const { ports } = space();
    const a = new RegisterFile(2, 0x11);
    const b = new RegisterFile(2, 0x22);
    ports.add(0x100, 2, a, 'a');
    ports.add(0x102, 2, b, 'b');
    expect(ports.read(0x101, 2)).toBe(0x2211);
    expect(ports.read(0x100, 4)).toBe(0x2222_1111);
    ports.write(0x101, 2, 0xbbaa);
    expect(a.bytes[1]).toBe(0xaa);
    expect(b.bytes[0]).toBe(0xbb);
  });

  it('fills the undecoded bytes of a partly decoded access with ones and counts each of them', () => {
    const { ports, metrics } = space();
    ports.add(0x200, 1, new RegisterFile(1, 0x42), 'one');
    expect(ports.read(0x1ff, 2)).toBe(0x42ff);
    expect(ports.read(0x200, 4)).toBe(0xffff_ff42);
    expect(metrics.value('bus.io.unassigned')).toBe(4);
  });

  it('treats bytes past port 0xFFFF as unassigned', () => {
    const { ports } = space();
    ports.add(0xfffe, 2, new RegisterFile(2, 0x33), 'top');
    expect(ports.read(0xfffe, 4)).toBe(0xffff_3333);
  });

  it('does not decode a byte access to a dword-only window (it passes through to what lies beneath)', () => {
    const { ports } = space();
    const address = new RegisterFile(4);
    const reset = new RegisterFile(1, 0x06);
    ports.add(0xcf8, 4, address, 'CONFIG_ADDRESS', 4, WindowPriority.HostBridge);
    ports.add(0xcf9, 1, reset, 'RCR');
    ports.write(0xcf8, 4, 0x8000_0000);
    expect(ports.read(0xcf8, 4)).toBe(0x8000_0000);
    expect(ports.read(0xcf9, 1)).toBe(0x06);
    expect(ports.read(0xcf8, 1)).toBe(0xff);
    ports.write(0xcfb, 1, 0x01);
    expect(address.bytes[3]).toBe(0x80);
    expect(ports.windowAt(0xcfa)).toBeUndefined();
  });

  it('lets a higher-priority window shadow an overlapped one and restores it when removed', () => {
    const { ports } = space();
    const isa = new RegisterFile(8, 0x11);
    const bar = new RegisterFile(4, 0x22);
    ports.add(0x3f8, 8, isa, 'com1');
    const handle = ports.add(0x3fc, 4, bar, 'BAR0', 7, WindowPriority.PciBar);
    expect(ports.read(0x3fc, 1)).toBe(0x22);
    expect(ports.read(0x3f8, 1)).toBe(0x11);
    expect(ports.windowAt(0x3fd)?.owner).toBe('BAR0');
    ports.remove(handle);
    expect(ports.read(0x3fc, 1)).toBe(0x11);
    expect(ports.windowAt(0x3fd)?.owner).toBe('com1');
  });
});
