/*
 * Throughput of the bus's hot and slow paths, and snapshot cost. Run with `npx vitest bench --run`
 * from the package directory. Nothing here asserts on time.
 */
import { bench, describe } from 'vitest';
import { encodeState } from '@popek/core';
import type { AccessWidth, IoHandler } from '@popek/core';
import { FakeDevice, attach, makeBus } from '../test/helpers.js';

/** A register window that only stores bytes (the test helper's access log would dominate). */
class Plain implements IoHandler {
  readonly bytes: Uint8Array;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
  read(offset: number, width: AccessWidth): number {
    const b = this.bytes;
    return width === 1 ? b[offset]! : width === 2 ? b[offset]! | (b[offset + 1]! << 8) : (b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16) | (b[offset + 3]! << 24)) >>> 0;
  }
  write(offset: number, _width: AccessWidth, value: number): void {
    this.bytes[offset] = value;
  }
}

const { bus } = makeBus({ memoryBytes: 128 << 20 });
attach(bus, new FakeDevice('com1', { ports: [{ name: 'registers', base: 0x3f8, size: 8, handler: new Plain(8) }] }));
attach(bus, new FakeDevice('vga', { mmio: [{ name: 'vram', base: 0xa0000, size: 0x20000, handler: new Plain(0x20000) }] }));
bus.reset();
for (let i = 0; i < 16 << 20; i += 4096) bus.writePhysical(i, 4, i);

describe('bus paths (1000 operations per iteration)', () => {
  bench('ramPageOffset (TLB refill)', () => {
    let sum = 0;
    for (let i = 0; i < 1000; i++) sum += bus.ramPageOffset(i & 0x7fff, (i & 1) === 0);
    if (sum === -1) throw new Error('unreachable');
  });
  bench('ioRead of a device port', () => {
    for (let i = 0; i < 1000; i++) bus.ioRead(0x3f8 + (i & 7), 1);
  });
  bench('ioRead of an unassigned port', () => {
    for (let i = 0; i < 1000; i++) bus.ioRead(0x80, 1);
  });
  bench('PCI config dword read via 0xCF8/0xCFC', () => {
    for (let i = 0; i < 1000; i++) {
      bus.ioWrite(0xcf8, 4, 0x8000_0800 | ((i & 15) << 2));
      bus.ioRead(0xcfc, 4);
    }
  });
  bench('readPhysical of MMIO (VGA window)', () => {
    for (let i = 0; i < 1000; i++) bus.readPhysical(0xb8000 + (i & 0xffe), 2);
  });
  bench('readPhysical of RAM (slow path)', () => {
    for (let i = 0; i < 1000; i++) bus.readPhysical(0x10_0000 + i * 4, 4);
  });
  bench('DMA write of 4 KiB', () => {
    const src = new Uint8Array(4096);
    for (let i = 0; i < 1000; i++) bus.write(0x20_0000 + (i & 255) * 4096, src);
  });
});

describe('snapshot of a 128 MiB machine with 16 MiB touched', () => {
  bench('saveState + encodeState', () => {
    encodeState(bus.saveState());
  }, { iterations: 3, time: 0 });
});
