import { describe, expect, it } from 'vitest';
import { MemoryStatus, defineRecordLayout, readRecord, writeRecord } from '@popek/core';
import { makeBus } from '../test/helpers.js';

const MiB = 1024 * 1024;

describe('PcBus as GuestMemory (DMA)', () => {
  it('copies to and from RAM across page boundaries', () => {
    const { bus } = makeBus();
    const src = Uint8Array.from({ length: 10000 }, (_, i) => i & 0xff);
    expect(bus.write(0x200ffe, src)).toBe(MemoryStatus.Ok);
    const dest = new Uint8Array(10000);
    expect(bus.read(0x200ffe, dest)).toBe(MemoryStatus.Ok);
    expect(dest).toEqual(src);
    expect(bus.readPhysical(0x201000, 1)).toBe(2);
  });

  it('refuses ranges beyond the end of RAM and leaves memory untouched', () => {
    const { bus, metrics } = makeBus({ memoryBytes: 4 * MiB });
    expect(bus.limit).toBe(4 * MiB);
    expect(bus.write(4 * MiB - 2, Uint8Array.of(1, 2, 3))).toBe(MemoryStatus.OutOfRange);
    expect(bus.readPhysical(4 * MiB - 2, 2)).toBe(0);
    expect(bus.read(4 * MiB, new Uint8Array(1))).toBe(MemoryStatus.OutOfRange);
    expect(bus.read(0xffff_fff0, new Uint8Array(1))).toBe(MemoryStatus.OutOfRange);
    expect(metrics.value('bus.dma.rejected')).toBe(3);
  });

  it('refuses a range that wraps around 4 GiB', () => {
    const { bus } = makeBus();
    expect(bus.read(0xffff_fffe, new Uint8Array(4))).toBe(MemoryStatus.OutOfRange);
    expect(bus.write(0xffff_ffff, new Uint8Array(2))).toBe(MemoryStatus.OutOfRange);
    expect(bus.isRam(0xffff_f000, 0x2000)).toBe(false);
  });

  it('refuses negative, fractional and non-finite addresses and lengths', () => {
    const { bus } = makeBus();
    expect(bus.read(-1, new Uint8Array(1))).toBe(MemoryStatus.OutOfRange);
    expect(bus.read(1.5, new Uint8Array(1))).toBe(MemoryStatus.OutOfRange);
    expect(bus.read(Number.NaN, new Uint8Array(1))).toBe(MemoryStatus.OutOfRange);
    expect(bus.isRam(0x1000, -1)).toBe(false);
    expect(bus.isRam(0x1000, Infinity)).toBe(false);
  });

  it('refuses a transfer spanning the VGA hole as not RAM, without writing the part below it', () => {
    const { bus } = makeBus();
    const src = new Uint8Array(0x2000).fill(0xcc);
    expect(bus.write(0x9f000, src)).toBe(MemoryStatus.NotRam);
    expect(bus.readPhysical(0x9f000, 1)).toBe(0);
    expect(bus.read(0x9f800, new Uint8Array(0x1000))).toBe(MemoryStatus.NotRam);
    expect(bus.isRam(0x9f000, 0x1000)).toBe(true);
    expect(bus.isRam(0x9f000, 0x1001)).toBe(false);
  });

  it('reads ROM but refuses to write it', () => {
    const { bus } = makeBus();
    bus.installRom(0xe0000, Uint8Array.of(0x52, 0x53, 0x44));
    const dest = new Uint8Array(3);
    expect(bus.read(0xe0000, dest)).toBe(MemoryStatus.Ok);
    expect(dest).toEqual(Uint8Array.of(0x52, 0x53, 0x44));
    expect(bus.write(0xe0000, Uint8Array.of(0))).toBe(MemoryStatus.NotRam);
    expect(bus.isRam(0xe0000, 1)).toBe(false);
  });

  it('treats zero-length accesses inside the address range as done', () => {
    const { bus } = makeBus();
    expect(bus.read(0x1000, new Uint8Array(0))).toBe(MemoryStatus.Ok);
    expect(bus.write(16 * MiB, new Uint8Array(0))).toBe(MemoryStatus.Ok);
    expect(bus.write(16 * MiB + 1, new Uint8Array(0))).toBe(MemoryStatus.OutOfRange);
  });

  it('calls every dirty hook after each successful write, and none for refused or removed ones', () => {
    const { bus } = makeBus();
    const seen: [number, number][] = [];
    const remove = bus.onWrite((address, length) => seen.push([address, length]));
    bus.write(0x5000, new Uint8Array(3));
    bus.write(0xa0000, new Uint8Array(3));
    bus.read(0x5000, new Uint8Array(3));
    remove();
    bus.write(0x6000, new Uint8Array(1));
    expect(seen).toEqual([[0x5000, 3]]);
  });

  it('serves the core record helpers (a virtio descriptor round trip)', () => {
    const { bus } = makeBus();
    const desc = defineRecordLayout({ addr: 'u64', len: 'u32', flags: 'u16', next: 'u16' });
    expect(writeRecord(bus, 0x3ff8, desc, { addr: 0x12345678, len: 512, flags: 1, next: 7 })).toBe(MemoryStatus.Ok);
    const back = readRecord(bus, 0x3ff8, desc);
    expect(back).toEqual({ ok: true, value: { addr: 0x12345678, len: 512, flags: 1, next: 7 } });
  });
});
