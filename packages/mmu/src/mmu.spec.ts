import { encodeState } from '@popek/core';
import { describe, expect, it } from 'vitest';
import {
  PAE_PD,
  PAE_PDPT,
  PD32,
  pagingFixture,
  poke32,
  poke64,
  setPde32,
  setPdePae,
  setPdptes,
  setPte32,
  setPtePae,
  type PagingFixture,
} from '../test/paging-fixture.js';
import { FlushReason } from './mmu-strategy.js';
import { Mmu, TLB_FILL_CAPACITY } from './mmu.js';
import { DirectStrategy } from './direct-strategy.js';
import { Cr0, Cr4, PageEntry } from './paging-bits.js';
import { ControlRegister, PagingMode } from './paging-mode.js';
import { AccessKind, TlbEntry, TlbFlag } from './tlb-flag.js';

const { P, RW, US, D, PS, G } = PageEntry;
const PG = Cr0.PG | Cr0.PE;
const PT = 0x3000;
const ALL = 0x3f;

/** Identity-maps the first 4 MiB with one page table (user, writable, dirty), `extra` on each PTE. */
function identity32(f: PagingFixture, extra = 0): void {
  setPde32(f.bus, 0, PT | P | RW | US);
  for (let i = 0; i < 1024; i++) setPte32(f.bus, PT, i << 12, (i << 12) | P | RW | US | D | extra);
}

function nonZeroEntries(tlb: Int32Array): number {
  let n = 0;
  for (let i = 0; i < tlb.length; i++) if (tlb[i] !== 0) n++;
  return n;
}

describe('the TLB with paging off', () => {
  it('maps linear to physical and gives RAM pages all six flags', () => {
    const { mmu } = pagingFixture();
    expect(mmu.translate(0x12345, AccessKind.Read, false)).toBe(0x12345);
    const entry = mmu.tlb[0x12]!;
    expect(entry & TlbEntry.FlagMask).toBe(ALL);
    expect(entry & TlbEntry.OffsetMask).toBe(0x12000);
  });

  it('wraps at 1 MiB while the A20 gate is closed, and drops the TLB when it toggles', () => {
    const { bus, mmu } = pagingFixture();
    expect(mmu.translate(0x10_0010, AccessKind.Read, false)).toBe(0x10_0010);
    expect(mmu.tlb[0x100]! & TlbEntry.OffsetMask).toBe(0x10_0000);
    bus.setA20(false);
    expect(mmu.tlb[0x100]).toBe(0);
    expect(mmu.translate(0x10_0010, AccessKind.Read, false)).toBe(0x10);
    expect(mmu.tlb[0x100]! & TlbEntry.OffsetMask).toBe(0);
    bus.setA20(true);
    expect(mmu.translate(0x10_0010, AccessKind.Write, false)).toBe(0x10_0010);
  });

  it('gives ROM pages read and execute flags only', () => {
    const { bus, mmu } = pagingFixture();
    bus.rom.add(0xf0);
    mmu.translate(0xf0000, AccessKind.Read, false);
    expect(mmu.tlb[0xf0]! & TlbEntry.FlagMask).toBe(TlbEntry.ReadExecMask);
  });
});

describe('pages outside the fast path', () => {
  it('never puts an MMIO page in the TLB, with paging off or on, yet translates it', () => {
    const f = pagingFixture();
    const { bus, mmu } = f;
    bus.mmio.add(0x80);
    expect(mmu.translate(0x80_123, AccessKind.Write, false)).toBe(0x80_123);
    expect(mmu.tlb[0x80]).toBe(0);
    identity32(f);
    mmu.setControl(PG, PD32, 0, 0);
    for (const kind of [AccessKind.Read, AccessKind.Write, AccessKind.Execute] as const) {
      expect(mmu.translate(0x80_040, kind, true)).toBe(0x80_040);
      expect(mmu.tlb[0x80]).toBe(0);
    }
  });

  it('answers repeated MMIO translations without walking again', () => {
    const f = pagingFixture();
    f.bus.mmio.add(0x80);
    identity32(f);
    f.mmu.setControl(PG, PD32, 0, 0);
    f.mmu.translate(0x80_000, AccessKind.Read, false);
    const walks = f.metrics.total('mmu.walks');
    for (let i = 0; i < 10; i++) expect(f.mmu.translate(0x80_000 + i * 4, AccessKind.Read, false)).toBe(0x80_000 + i * 4);
    expect(f.metrics.total('mmu.walks')).toBe(walks);
    expect(f.mmu.tlb[0x80]).toBe(0);
  });

  it('walks again (and sets D) on the first write to an MMIO page first only read', () => {
    const f = pagingFixture();
    f.bus.mmio.add(0x80);
    setPde32(f.bus, 0, PT | P | RW);
    setPte32(f.bus, PT, 0x80_000, 0x80_000 | P | RW);
    f.mmu.setControl(PG, PD32, 0, 0);
    f.mmu.translate(0x80_000, AccessKind.Read, false);
    expect(f.mmu.translate(0x80_000, AccessKind.Write, false)).toBe(0x80_000);
    expect(f.bus.readPhysical(PT + 0x80 * 4, 4) & D).toBe(D);
  });

  it('keeps write flags off write-traced pages but allows fast reads', () => {
    const f = pagingFixture();
    f.bus.traced.add(0x5);
    identity32(f);
    f.mmu.setControl(PG, PD32, 0, 0);
    f.mmu.translate(0x5000, AccessKind.Write, true);
    expect(f.mmu.tlb[0x5]! & TlbEntry.FlagMask).toBe(TlbEntry.ReadExecMask);
  });

  it('walks page tables that live in MMIO space through the slow path', () => {
    const f = pagingFixture();
    f.bus.mmio.add(0x90);
    f.bus.mmioValues.set(0x90_000 + 4 * 1, 0x3000 | P | RW);
    setPte32(f.bus, PT, 0x40_0000, 0x60_0000 | P | RW);
    f.mmu.setControl(PG, 0x90_000, 0, 0);
    expect(f.mmu.translate(0x40_0000, AccessKind.Read, false)).toBe(0x60_0000);
    expect(f.bus.slowReads).toContainEqual([0x90_004, 4]);
    // The accessed bit goes to the device as a one-byte slow write.
    expect(f.bus.slowWrites).toContainEqual([0x90_004, 1, (0x3000 | P | RW | PageEntry.A) & 0xff]);
  });

  it('translates to unassigned space without a TLB entry or an exception', () => {
    const f = pagingFixture(1 << 20);
    setPde32(f.bus, 0, PT | P | RW);
    setPte32(f.bus, PT, 0x1000, 0xfff0_0000 | P | RW);
    f.mmu.setControl(PG, PD32, 0, 0);
    expect(f.mmu.translate(0x1234, AccessKind.Write, false)).toBe(0xfff0_0234);
    expect(f.mmu.tlb[1]).toBe(0);
  });
});

describe('TLB flushes', () => {
  it('drops non-global translations on a CR3 write and keeps global ones with CR4.PGE', () => {
    const f = pagingFixture();
    identity32(f);
    setPte32(f.bus, PT, 0x7000, 0x7000 | P | RW | G);
    f.mmu.setControl(PG, PD32, Cr4.PGE, 0);
    f.mmu.translate(0x6000, AccessKind.Read, false);
    f.mmu.translate(0x7000, AccessKind.Read, false);
    f.mmu.setControl(PG, 0x9000, Cr4.PGE, 0, ControlRegister.Cr3);
    expect(f.mmu.tlb[0x6]).toBe(0);
    expect(f.mmu.tlb[0x7]! & TlbFlag.ReadSupervisor).toBe(TlbFlag.ReadSupervisor);
    // Still there after a second switch: the kept entry stayed on the flush list.
    f.mmu.setControl(PG, PD32, Cr4.PGE, 0, ControlRegister.Cr3);
    expect(f.mmu.tlb[0x7]).not.toBe(0);
  });

  it('ignores G without CR4.PGE', () => {
    const f = pagingFixture();
    identity32(f, G);
    f.mmu.setControl(PG, PD32, 0, 0);
    f.mmu.translate(0x7000, AccessKind.Read, false);
    f.mmu.setControl(PG, PD32, 0, 0, ControlRegister.Cr3);
    expect(f.mmu.tlb[0x7]).toBe(0);
  });

  it('drops global translations when CR4.PGE is toggled', () => {
    const f = pagingFixture();
    identity32(f, G);
    f.mmu.setControl(PG, PD32, Cr4.PGE, 0);
    f.mmu.translate(0x7000, AccessKind.Read, false);
    f.mmu.setControl(PG, PD32, 0, 0, ControlRegister.Cr4);
    expect(f.mmu.tlb[0x7]).toBe(0);
  });

  it('drops everything when CR0.WP changes, since write rights depend on it', () => {
    const f = pagingFixture();
    identity32(f, G);
    f.mmu.setControl(PG, PD32, Cr4.PGE, 0);
    f.mmu.translate(0x7000, AccessKind.Read, false);
    f.mmu.setControl(PG | Cr0.WP, PD32, Cr4.PGE, 0, ControlRegister.Cr0);
    expect(f.mmu.tlb[0x7]).toBe(0);
  });

  it('keeps translations across a CR0 write that changes no paging bit (CLTS)', () => {
    const f = pagingFixture();
    identity32(f);
    f.mmu.setControl(PG | 0x8, PD32, 0, 0);
    f.mmu.translate(0x7000, AccessKind.Read, false);
    f.mmu.setControl(PG, PD32, 0, 0); // TS cleared, register inferred
    expect(f.mmu.tlb[0x7]).not.toBe(0);
  });

  it('treats a write that changes nothing as a CR3 reload when the register is not given', () => {
    const f = pagingFixture();
    identity32(f);
    f.mmu.setControl(PG, PD32, 0, 0);
    f.mmu.translate(0x7000, AccessKind.Read, false);
    f.mmu.setControl(PG, PD32, 0, 0);
    expect(f.mmu.tlb[0x7]).toBe(0);
  });

  it('INVLPG drops one page, global or not, and leaves the others', () => {
    const f = pagingFixture();
    identity32(f, G);
    f.mmu.setControl(PG, PD32, Cr4.PGE, 0);
    f.mmu.translate(0x6000, AccessKind.Read, false);
    f.mmu.translate(0x7000, AccessKind.Read, false);
    f.mmu.invlpg(0x7fff);
    expect(f.mmu.tlb[0x7]).toBe(0);
    expect(f.mmu.tlb[0x6]).not.toBe(0);
  });

  it('INVLPG anywhere in a 4 MiB page drops every cached piece of it', () => {
    const f = pagingFixture(32 << 20);
    setPde32(f.bus, 0x0080_0000, 0x0100_0000 | P | RW | PS | D);
    f.mmu.setControl(PG, PD32, Cr4.PSE, 0);
    f.mmu.translate(0x0080_0000, AccessKind.Read, false);
    f.mmu.translate(0x00bf_f000, AccessKind.Read, false);
    // The guest remaps the large page and invalidates one address inside it.
    setPde32(f.bus, 0x0080_0000, 0x0140_0000 | P | RW | PS | D);
    f.mmu.invlpg(0x0090_0000);
    expect(f.mmu.tlb[0x800]).toBe(0);
    expect(f.mmu.tlb[0xbff]).toBe(0);
    expect(f.mmu.translate(0x00bf_f000, AccessKind.Read, false)).toBe(0x017f_f000);
  });

  it('INVLPG anywhere in a 4 MiB page that maps MMIO drops the cached translations of its other pieces', () => {
    const f = pagingFixture(32 << 20);
    for (let gfn = 0x1000; gfn < 0x1800; gfn++) f.bus.mmio.add(gfn);
    setPde32(f.bus, 0x0080_0000, 0x0100_0000 | P | RW | PS | D);
    f.mmu.setControl(PG, PD32, Cr4.PSE, 0);
    expect(f.mmu.translate(0x0080_1000, AccessKind.Read, false)).toBe(0x0100_1000);
    setPde32(f.bus, 0x0080_0000, 0x0140_0000 | P | RW | PS | D);
    f.mmu.invlpg(0x0090_0000);
    expect(f.mmu.translate(0x0080_1000, AccessKind.Read, false)).toBe(0x0140_1000);
  });

  it('INVLPG drops a cached MMIO translation', () => {
    const f = pagingFixture();
    f.bus.mmio.add(0x80);
    identity32(f);
    f.mmu.setControl(PG, PD32, 0, 0);
    expect(f.mmu.translate(0x80_000, AccessKind.Read, false)).toBe(0x80_000);
    setPte32(f.bus, PT, 0x80_000, 0x81_000 | P | RW);
    f.mmu.invlpg(0x80_000);
    expect(f.mmu.translate(0x80_000, AccessKind.Read, false)).toBe(0x81_000);
  });

  it('touches only filled entries when flushing', () => {
    const f = pagingFixture();
    identity32(f);
    f.mmu.setControl(PG, PD32, 0, 0);
    for (const page of [1, 2, 3]) f.mmu.translate(page << 12, AccessKind.Read, false);
    // A marker in an entry the MMU never filled survives every kind of flush: nothing scans the TLB.
    f.mmu.tlb[0x5_5555] = 0x7777_7000 | TlbFlag.ReadSupervisor;
    const flushed = f.metrics.total('mmu.tlb.flushed-entries');
    f.mmu.setControl(PG, 0x8000, 0, 0, ControlRegister.Cr3);
    expect(f.metrics.total('mmu.tlb.flushed-entries') - flushed).toBe(3);
    expect(f.mmu.filledEntries).toBe(0);
    f.mmu.translate(0x1000, AccessKind.Read, false);
    f.mmu.flushAll();
    expect(f.mmu.tlb[0x5_5555]).toBe(0x7777_7000 | TlbFlag.ReadSupervisor);
    expect(f.mmu.tlb[1]).toBe(0);
  });

  it('bounds the flush list: past its capacity a fill first flushes everything', () => {
    const f = pagingFixture(8 << 20);
    // Every 4 MiB of the linear space maps the same 4 MiB of RAM.
    for (let i = 0; i < 1024; i++) setPde32(f.bus, i << 22, 0x40_0000 | P | RW | PS);
    f.mmu.setControl(PG, PD32, Cr4.PSE, 0);
    const pages = TLB_FILL_CAPACITY + 100;
    for (let i = 0; i < pages; i++) expect(f.mmu.translate(i * 0x1000, AccessKind.Read, false)).toBe(0x40_0000 + (i % 1024) * 0x1000);
    expect(f.mmu.filledEntries).toBeLessThanOrEqual(TLB_FILL_CAPACITY);
    expect(nonZeroEntries(f.mmu.tlb)).toBe(f.mmu.filledEntries);
    expect(f.metrics.value('mmu.tlb.flushes', { scope: 'all' })).toBeGreaterThan(0);
    f.mmu.flushAll();
    expect(nonZeroEntries(f.mmu.tlb)).toBe(0);
  });

  it('flushes on bus mapping changes and tells the strategy why', () => {
    const f = pagingFixture();
    const reasons: FlushReason[] = [];
    const strategy = new (class extends DirectStrategy {
      override invalidateAll(reason: FlushReason): void {
        reasons.push(reason);
      }
    })();
    const mmu = new Mmu(f.bus, strategy, f.metrics);
    mmu.translate(0x1000, AccessKind.Read, false);
    f.bus.setA20(false);
    mmu.flushAll();
    expect(reasons).toEqual([FlushReason.MappingChange, FlushReason.Explicit]);
    expect(mmu.tlb[1]).toBe(0);
  });
});

describe('PAE PDPTE registers', () => {
  const PAE_PT = 0x1_0000;

  function paeFixture(): PagingFixture {
    const f = pagingFixture();
    setPdptes(f.bus);
    setPdePae(f.bus, 0x40_0000, PAE_PT | P | RW);
    setPtePae(f.bus, PAE_PT, 0x40_0000, 0x50_0000 | P | RW);
    setPdePae(f.bus, 0x4000_0000, PAE_PT | P | RW); // PD of PDPTE 1 shares the page table
    return f;
  }

  it('loads the PDPTEs when PAE paging is enabled, and uses the registers, not memory, afterwards', () => {
    const f = paeFixture();
    f.mmu.setControl(PG, PAE_PDPT, Cr4.PAE, 0);
    expect(f.mmu.pagingMode).toBe(PagingMode.Pae);
    expect(f.mmu.pdptes[0]).toBe(PAE_PD | 1);
    poke64(f.bus, PAE_PDPT, 0); // the guest clears PDPTE 0 in memory but does not reload CR3
    expect(f.mmu.translate(0x40_0000, AccessKind.Read, false)).toBe(0x50_0000);
  });

  it('reloads the PDPTEs on a CR3 write', () => {
    const f = paeFixture();
    f.mmu.setControl(PG, PAE_PDPT, Cr4.PAE, 0);
    poke64(f.bus, PAE_PDPT, (PAE_PD + 0x1000) | 1); // PDPTE 0 now points at PDPTE 1's directory
    f.mmu.setControl(PG, PAE_PDPT, Cr4.PAE, 0, ControlRegister.Cr3);
    expect(f.mmu.pdptes[0]).toBe((PAE_PD + 0x1000) | 1);
    expect(f.mmu.translate(0x0000_0000, AccessKind.Read, false)).toBe(0x50_0000);
  });

  it('does not reload the PDPTEs on a CR0 write that changes no paging bit', () => {
    const f = paeFixture();
    f.mmu.setControl(PG | 0x8, PAE_PDPT, Cr4.PAE, 0);
    poke64(f.bus, PAE_PDPT, 0);
    expect(f.mmu.pdpteLoadFaults(PG, PAE_PDPT, Cr4.PAE, 0, ControlRegister.Cr0)).toBe(false);
    f.mmu.setControl(PG, PAE_PDPT, Cr4.PAE, 0, ControlRegister.Cr0);
    expect(f.mmu.pdptes[0]).toBe(PAE_PD | 1);
  });

  it('reports a PDPTE load that must raise #GP: present with reserved bits', () => {
    const f = paeFixture();
    expect(f.mmu.pdpteLoadFaults(PG, PAE_PDPT, Cr4.PAE, 0)).toBe(false);
    poke64(f.bus, PAE_PDPT + 8, (PAE_PD + 0x1000) | 1 | 0x20);
    expect(f.mmu.pdpteLoadFaults(PG, PAE_PDPT, Cr4.PAE, 0)).toBe(true);
    poke64(f.bus, PAE_PDPT + 8, (PAE_PD + 0x1000) | 1, 0x1);
    expect(f.mmu.pdpteLoadFaults(PG, PAE_PDPT, Cr4.PAE, 0)).toBe(true);
    // Reserved bits in a not-present PDPTE do not matter.
    poke64(f.bus, PAE_PDPT + 8, 0x1e6, 0xffff_ffff);
    expect(f.mmu.pdpteLoadFaults(PG, PAE_PDPT, Cr4.PAE, 0)).toBe(false);
    // Nothing is loaded without PAE paging.
    poke64(f.bus, PAE_PDPT + 8, 0x1e7);
    expect(f.mmu.pdpteLoadFaults(PG, PAE_PDPT, 0, 0)).toBe(false);
    expect(f.mmu.pdpteLoadFaults(0, PAE_PDPT, Cr4.PAE, 0)).toBe(false);
  });

  it('leaves the MMU untouched when asked whether a write would fault', () => {
    const f = paeFixture();
    f.mmu.setControl(PG, PAE_PDPT, Cr4.PAE, 0);
    const before = encodeState(f.mmu.saveState());
    poke64(f.bus, 0x8000, 0x1e7);
    expect(f.mmu.pdpteLoadFaults(PG, 0x8000, Cr4.PAE, 0, ControlRegister.Cr3)).toBe(true);
    expect(encodeState(f.mmu.saveState())).toEqual(before);
  });
});

describe('metrics', () => {
  it('counts misses by kind, walks, walk references and page faults by reason', () => {
    const f = pagingFixture();
    identity32(f);
    f.mmu.setControl(PG | Cr0.WP, PD32, 0, 0);
    f.mmu.translate(0x1000, AccessKind.Read, false);
    f.mmu.translate(0x2000, AccessKind.Execute, false);
    f.mmu.translate(0x40_0000, AccessKind.Write, false); // PDE 1 not present
    expect(f.metrics.value('mmu.tlb.misses', { kind: 'read' })).toBe(1);
    expect(f.metrics.value('mmu.tlb.misses', { kind: 'execute' })).toBe(1);
    expect(f.metrics.value('mmu.tlb.misses', { kind: 'write' })).toBe(1);
    expect(f.metrics.total('mmu.walks')).toBe(3);
    expect(f.metrics.total('mmu.walk-references')).toBe(5);
    expect(f.metrics.value('mmu.page-faults', { reason: 'not-present' })).toBe(1);
  });
});

describe('snapshots', () => {
  it('round-trips the control values and PDPTE registers; the TLB restarts empty', () => {
    const f = pagingFixture();
    setPdptes(f.bus);
    setPdePae(f.bus, 0x40_0000, 0x1_0000 | P | RW);
    setPtePae(f.bus, 0x1_0000, 0x40_0000, 0x50_0000 | P | RW);
    f.mmu.setControl(PG | Cr0.WP, PAE_PDPT, Cr4.PAE | Cr4.PGE, 0x800);
    f.mmu.translate(0x40_0000, AccessKind.Read, false);
    const saved = f.mmu.saveState();

    const g = pagingFixture();
    g.bus.ram.set(f.bus.ram);
    poke32(g.bus, PAE_PDPT, 0); // memory no longer matches: the registers come from the snapshot
    g.mmu.translate(0x1000, AccessKind.Read, false);
    g.mmu.loadState(saved);
    expect(encodeState(g.mmu.saveState())).toEqual(encodeState(saved));
    expect(nonZeroEntries(g.mmu.tlb)).toBe(0);
    expect(g.mmu.pagingMode).toBe(PagingMode.Pae);
    expect(g.mmu.translate(0x40_0000, AccessKind.Read, false)).toBe(0x50_0000);
  });

  it('saves a copy, not the live PDPTE registers', () => {
    const f = pagingFixture();
    const saved = f.mmu.saveState();
    setPdptes(f.bus);
    f.mmu.setControl(PG, PAE_PDPT, Cr4.PAE, 0);
    expect(saved.pdptes[0]).toBe(0);
  });

  it('rejects malformed state', () => {
    const { mmu } = pagingFixture();
    expect(() => mmu.loadState({ cr0: 0, cr3: 0, cr4: 0, efer: -1, pdptes: new Uint32Array(8) })).toThrow(TypeError);
    expect(() => mmu.loadState({ cr0: 0, cr3: 0, cr4: 0, efer: 0, pdptes: new Uint32Array(4) })).toThrow(TypeError);
    expect(() => mmu.loadState({ cr0: 0, cr3: 0, cr4: 0 })).toThrow(TypeError);
  });

  it('returns to the power-on state on reset', () => {
    const f = pagingFixture();
    identity32(f);
    f.mmu.setControl(PG, PD32, 0, 0);
    f.mmu.translate(0x1000, AccessKind.Read, false);
    f.mmu.reset();
    expect(f.mmu.pagingMode).toBe(PagingMode.Off);
    expect(f.mmu.tlb[1]).toBe(0);
    expect(encodeState(f.mmu.saveState())).toEqual(encodeState(pagingFixture().mmu.saveState()));
  });
});
