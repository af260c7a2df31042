import { Container, HostArena, MemoryStatus, Metrics, MetricsRegistry, WasmHostArena, decodeState, encodeState } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { BusOptions } from './bus-options.js';
import { busModule } from './bus-module.js';
import { PcBus } from './pc-bus.js';

/** A bus resolved from a container with a host arena bound, its RAM not at the memory's start. */
function arenaBus(): { arena: WasmHostArena; bus: PcBus } {
  const arena = new WasmHostArena();
  arena.allocate(32, 8);
  const c = new Container({ defaultScope: 'Singleton' });
  c.bind(HostArena).toConstantValue(arena);
  c.bind(Metrics).toConstantValue(new MetricsRegistry());
  c.bind(BusOptions).toConstantValue({ memoryBytes: 16 << 20 });
  c.load(busModule);
  return { arena, bus: c.get(PcBus) };
}

describe('PcBus with a host arena', () => {
  it('keeps guest RAM in the arena\'s memory', () => {
    const { arena, bus } = arenaBus();
    expect(bus.ram).toBe(bus.pool.bytes);
    expect(bus.ram.byteOffset).toBe(4096);
    expect(bus.ram.length).toBe(16 << 20);
    bus.writePhysical(0x12_3456, 4, 0xdead_beef);
    const at = bus.ram.byteOffset + bus.ramPageOffset(0x123, false) + 0x456;
    expect(new DataView(arena.memory.buffer).getUint32(at, true)).toBe(0xdead_beef);
  });

  it('shares, splits and balloons pages at their place in the memory', () => {
    const { bus } = arenaBus();
    const page = new Uint8Array(4096).fill(0x3c);
    expect(bus.write(0x40_000, page)).toBe(MemoryStatus.Ok);
    expect(bus.write(0x41_000, page)).toBe(MemoryStatus.Ok);
    expect(bus.p2m.share(0x41, 0x40)).toBe(true);
    bus.writePhysical(0x41_000, 1, 0);
    expect(bus.readPhysical(0x40_000, 1)).toBe(0x3c);
    expect(bus.readPhysical(0x41_000, 1)).toBe(0);
    bus.writePhysical(0x42_000, 1, 1);
    expect(bus.p2m.share(0x42, 0x40)).toBe(false);
    expect(bus.p2m.balloon(0x50)).toBe(true);
    expect(bus.readPhysical(0x50_000, 4)).toBe(0);
  });

  it('round-trips a snapshot into a bus without an arena and back', () => {
    const { bus } = arenaBus();
    for (let i = 0; i < 64; i++) bus.writePhysical(0x10_0000 + i * 40_999, 4, (i * 2654435761) >>> 0);
    const saved = encodeState(bus.saveState());
    // Byte-identical (compared as Buffers: a deep equality of megabytes is slow).
    const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
    const plain = new PcBus({ memoryBytes: 16 << 20 });
    plain.loadState(decodeState(saved));
    expect(same(encodeState(plain.saveState()), saved)).toBe(true);
    const back = arenaBus().bus;
    back.loadState(decodeState(saved));
    expect(same(encodeState(back.saveState()), saved)).toBe(true);
    expect(back.readPhysical(0x10_0000 + 63 * 40_999, 4)).toBe((63 * 2654435761) >>> 0);
  });
});
