import { describe, expect, it } from 'vitest';
import { pagingFixture, poke32 } from '../test/paging-fixture.js';
import { Cr0 } from './paging-bits.js';
import { AccessKind, TlbEntry, TlbFlag } from './tlb-flag.js';

describe('Mmu with paging off', () => {
  it('translates linear to physical and fills the TLB with all six flags for RAM', () => {
    const { mmu } = pagingFixture();
    expect(mmu.translate(0x12345, AccessKind.Read, false)).toBe(0x12345);
    const entry = mmu.tlb[0x12]!;
    expect(entry & TlbEntry.FlagMask).toBe(0x3f);
    expect(entry & TlbEntry.OffsetMask).toBe(0x12000);
  });
});

describe('Mmu with 32-bit paging', () => {
  it('maps a 4 KiB page through a page directory and a page table', () => {
    const { bus, mmu } = pagingFixture();
    poke32(bus, 0x1000 + 4 * 1, 0x2000 | 0x7); // PDE 1 → page table at 0x2000, user, writable
    poke32(bus, 0x2000 + 4 * 3, 0x0050_0000 | 0x7); // PTE 3 → frame 0x500000
    mmu.setControl(Cr0.PG | Cr0.PE, 0x1000, 0, 0);
    expect(mmu.translate(0x0040_3abc, AccessKind.Read, true)).toBe(0x0050_0abc);
    expect(mmu.tlb[0x403]! & TlbFlag.ReadUser).toBe(TlbFlag.ReadUser);
  });
});
