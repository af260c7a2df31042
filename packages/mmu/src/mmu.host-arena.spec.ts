import { Container, FlatPhysicalBus, HostArena, Metrics, MetricsRegistry, PhysicalBus, WasmHostArena } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { TestBus } from '../test/paging-fixture.js';
import { DirectStrategy } from './direct-strategy.js';
import { Mmu, TLB_ENTRIES } from './mmu.js';
import { mmuModule } from './mmu-module.js';
import { AccessKind, TlbEntry } from './tlb-flag.js';

describe('the MMU with a host arena', () => {
  it('keeps its TLB in the arena\'s memory, where the CPU and generated code read it', () => {
    const arena = new WasmHostArena();
    arena.allocate(100); // the TLB does not start at byte 0 of the memory
    const mmu = new Mmu(new TestBus(1 << 20), new DirectStrategy(), new MetricsRegistry(), arena);
    expect(mmu.tlb.length).toBe(TLB_ENTRIES);
    expect(mmu.tlb.byteOffset).toBe(4096);
    expect(mmu.tlb.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(mmu.tlb.every((e) => e === 0)).toBe(true);
    expect(mmu.translate(0x5_4321, AccessKind.Write, false)).toBe(0x5_4321);
    const entry = new DataView(arena.memory.buffer).getInt32(mmu.tlb.byteOffset + 0x54 * 4, true);
    expect(entry).toBe(mmu.tlb[0x54]);
    expect(entry & TlbEntry.OffsetMask).toBe(0x5_4000);
    mmu.flushAll();
    expect(new DataView(arena.memory.buffer).getInt32(mmu.tlb.byteOffset + 0x54 * 4, true)).toBe(0);
  });

  it('takes the arena from the container when one is bound', () => {
    const arena = new WasmHostArena();
    const c = new Container({ defaultScope: 'Singleton' });
    c.bind(PhysicalBus).toConstantValue(new FlatPhysicalBus(1 << 20));
    c.bind(Metrics).toConstantValue(new MetricsRegistry());
    c.bind(HostArena).toConstantValue(arena);
    c.load(mmuModule);
    const tlb = c.get(Mmu).tlb;
    tlb[7] = 0x1234_5678;
    expect(new Int32Array(arena.memory.buffer, tlb.byteOffset, 8)[7]).toBe(0x1234_5678);
  });

  it('keeps an array of its own without one', () => {
    const mmu = new Mmu(new TestBus(1 << 20), new DirectStrategy(), new MetricsRegistry());
    expect(mmu.tlb.buffer).toBeInstanceOf(ArrayBuffer);
    expect(mmu.tlb.byteOffset).toBe(0);
  });
});
