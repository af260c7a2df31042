import { describe, expect, it } from 'vitest';
import { pagingFixture } from '../test/paging-fixture.js';
import { Cr0, Cr4, Efer } from './paging-bits.js';
import { AccessKind, TlbEntry } from './tlb-flag.js';

/** A small deterministic generator (xorshift32), so a failure reproduces. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const MODES = [
  { name: '32-bit', cr4: 0, efer: 0 },
  { name: '32-bit with PSE and PGE', cr4: Cr4.PSE | Cr4.PGE, efer: 0 },
  { name: 'PAE', cr4: Cr4.PAE, efer: 0 },
  { name: 'PAE with NXE', cr4: Cr4.PAE | Cr4.PGE, efer: Efer.NXE },
] as const;

describe('page tables full of garbage', () => {
  for (const mode of MODES) {
    it(`never throw, never map outside RAM and keep the TLB consistent (${mode.name})`, () => {
      const f = pagingFixture(1 << 20);
      const next = xorshift(0x5eed + mode.cr4 + mode.efer);
      // The guest fills all of its RAM with random bits: every entry is attacker-chosen.
      for (let i = 0; i < f.bus.ram.length; i++) f.bus.ram[i] = next() & 0xff;
      const ramBytes = f.bus.ram.length;
      for (let round = 0; round < 20; round++) {
        const cr3 = next() & 0x000f_ffe0;
        f.mmu.setControl(Cr0.PG | Cr0.PE | (round & 1 ? Cr0.WP : 0), cr3, mode.cr4, mode.efer);
        for (let i = 0; i < 500; i++) {
          const linear = next();
          const kind = (next() % 3) as AccessKind;
          const user = (next() & 1) === 1;
          const physical = f.mmu.translate(linear, kind, user);
          if (physical === -1) {
            expect(f.mmu.faultAddress).toBe(linear);
            expect(f.mmu.faultErrorCode & ~0x1f).toBe(0);
            continue;
          }
          expect(physical).toBeGreaterThanOrEqual(0);
          expect(physical).toBeLessThanOrEqual(0xffff_ffff);
          expect(physical & 0xfff).toBe(linear & 0xfff);
          const entry = f.mmu.tlb[linear >>> 12]!;
          if (entry !== 0) expect(entry & TlbEntry.OffsetMask).toBeLessThan(ramBytes);
          if (physical >= ramBytes) expect(entry).toBe(0);
        }
        if (round % 5 === 4) f.mmu.invlpg(next());
      }
    });
  }
});
