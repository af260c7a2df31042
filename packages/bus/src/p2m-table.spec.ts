import { describe, expect, it } from 'vitest';
import { MemoryStatus } from '@popek/core';
import { makeBus } from '../test/helpers.js';
import type { WriteTracer } from './p2m-table.js';

class Recorder implements WriteTracer {
  readonly writes: [number, number][] = [];
  onTracedWrite(address: number, length: number): void {
    this.writes.push([address, length]);
  }
}

describe('P2M: write tracing', () => {
  it('sends writes to a traced page to the slow path, performs them, then tells the tracer', () => {
    const { bus, metrics } = makeBus();
    let changes = 0;
    bus.onMappingChange(() => changes++);
    const tracer = new Recorder();
    expect(bus.p2m.trace(0x300, tracer)).toBe(true);
    expect(changes).toBe(1);
    expect(bus.ramPageOffset(0x300, true)).toBe(-1);
    expect(bus.ramPageOffset(0x300, false)).toBeGreaterThanOrEqual(0);
    bus.writePhysical(0x300ffe, 2, 0xbeef);
    expect(bus.readPhysical(0x300ffe, 2)).toBe(0xbeef);
    expect(tracer.writes).toEqual([[0x300ffe, 2]]);
    expect(metrics.value('bus.p2m.traced_writes')).toBe(1);
  });

  it('reports DMA writes to a traced page too, with the part that fell in the page', () => {
    const { bus } = makeBus();
    const tracer = new Recorder();
    bus.p2m.trace(0x301, tracer);
    expect(bus.write(0x300ff0, new Uint8Array(0x20))).toBe(MemoryStatus.Ok);
    expect(tracer.writes).toEqual([[0x301000, 0x10]]);
  });

  it('splits a write that crosses into a traced page so only the traced part is reported', () => {
    const { bus } = makeBus();
    const tracer = new Recorder();
    bus.p2m.trace(0x301, tracer);
    bus.writePhysical(0x300ffe, 4, 0x11223344);
    expect(tracer.writes).toEqual([[0x301000, 2]]);
    expect(bus.readPhysical(0x300ffe, 4)).toBe(0x11223344);
  });

  it('keeps a page traced until its last tracer leaves, then lets writes take the fast path again', () => {
    const { bus } = makeBus();
    const a = new Recorder();
    const b = new Recorder();
    bus.p2m.trace(0x10, a);
    bus.p2m.trace(0x10, b);
    bus.p2m.trace(0x10, a);
    bus.writePhysical(0x10000, 1, 1);
    expect([a.writes.length, b.writes.length]).toEqual([1, 1]);
    bus.p2m.untrace(0x10, a);
    expect(bus.ramPageOffset(0x10, true)).toBe(-1);
    bus.p2m.untrace(0x10, b);
    expect(bus.ramPageOffset(0x10, true)).toBeGreaterThanOrEqual(0);
  });

  it('refuses to trace pages that are not RAM', () => {
    const { bus } = makeBus();
    expect(bus.p2m.trace(0xa0, new Recorder())).toBe(false);
    expect(bus.p2m.trace(0x10000, new Recorder())).toBe(false);
  });
});

describe('P2M: dirty logging', () => {
  it('makes every page take the slow path once per round and reports what was written', () => {
    const { bus } = makeBus({ memoryBytes: 4 * 1024 * 1024 });
    bus.p2m.startDirtyLog();
    expect(bus.ramPageOffset(5, true)).toBe(-1);
    expect(bus.ramPageOffset(5, false)).toBeGreaterThanOrEqual(0);
    bus.writePhysical(0x5000, 4, 1);
    expect(bus.ramPageOffset(5, true)).toBeGreaterThanOrEqual(0);
    bus.write(0x3ff000, new Uint8Array(0x10));
    const first = bus.p2m.collectDirty();
    expect(bitsSet(first)).toEqual([5, 0x3ff]);
    expect(bus.ramPageOffset(5, true)).toBe(-1);
    expect(bitsSet(bus.p2m.collectDirty())).toEqual([]);
    bus.p2m.stopDirtyLog();
    expect(bus.ramPageOffset(5, true)).toBeGreaterThanOrEqual(0);
  });
});

describe('P2M: page sharing and ballooning', () => {
  it('shares two pages with equal contents copy-on-write and splits them again on the first write', () => {
    const { bus, metrics } = makeBus();
    bus.write(0x40000, new Uint8Array(4096).fill(7));
    bus.write(0x41000, new Uint8Array(4096).fill(7));
    const freeBefore = bus.pool.freeFrames;
    expect(bus.p2m.share(0x41, 0x40)).toBe(true);
    expect(bus.pool.freeFrames).toBe(freeBefore + 1);
    expect(bus.ramPageOffset(0x41, false)).toBe(bus.ramPageOffset(0x40, false));
    expect(bus.ramPageOffset(0x41, true)).toBe(-1);
    bus.writePhysical(0x41000, 1, 9);
    expect(metrics.value('bus.p2m.cow_breaks')).toBe(1);
    expect(bus.readPhysical(0x41000, 1)).toBe(9);
    expect(bus.readPhysical(0x40000, 1)).toBe(7);
    expect(bus.pool.freeFrames).toBe(freeBefore);
    bus.writePhysical(0x40000, 1, 8);
    expect(bus.ramPageOffset(0x40, true)).toBeGreaterThanOrEqual(0);
    expect(metrics.value('bus.p2m.cow_breaks')).toBe(1);
  });

  it('does not share pages whose contents differ', () => {
    const { bus } = makeBus();
    bus.writePhysical(0x40000, 1, 1);
    expect(bus.p2m.share(0x41, 0x40)).toBe(false);
  });

  it('reads a ballooned page as zeros and gives it a fresh zeroed frame on write', () => {
    const { bus, metrics } = makeBus();
    bus.write(0x50000, new Uint8Array(4096).fill(0xee));
    expect(bus.p2m.balloon(0x50)).toBe(true);
    expect(bus.ramPageOffset(0x50, false)).toBe(-1);
    expect(bus.readPhysical(0x50010, 4)).toBe(0);
    const dest = new Uint8Array(2);
    expect(bus.read(0x50000, dest)).toBe(MemoryStatus.Ok);
    expect(dest).toEqual(new Uint8Array(2));
    bus.writePhysical(0x50004, 1, 3);
    expect(metrics.value('bus.p2m.balloon_faults')).toBe(1);
    expect(bus.readPhysical(0x50000, 4)).toBe(0);
    expect(bus.readPhysical(0x50004, 1)).toBe(3);
    expect(bus.ramPageOffset(0x50, true)).toBeGreaterThanOrEqual(0);
  });
});

function bitsSet(bitmap: Uint32Array): number[] {
  const out: number[] = [];
  bitmap.forEach((word, w) => {
    for (let b = 0; b < 32; b++) if ((word >>> b) & 1) out.push(w * 32 + b);
  });
  return out;
}
