import { describe, expect, it } from 'vitest';
import {
  PAE_PD,
  PAE_PDPT,
  PD32,
  pagingFixture,
  peek32,
  poke64,
  setPde32,
  setPdePae,
  setPdptes,
  setPte32,
  setPtePae,
  type PagingFixture,
} from '../test/paging-fixture.js';
import { Cr0, Cr4, Efer, PageEntry, PageFaultError } from './paging-bits.js';
import { AccessKind, TlbFlag } from './tlb-flag.js';

const { P, RW, US, A, D, PS, G } = PageEntry;
const PG = Cr0.PG | Cr0.PE;
const PT = 0x3000;
/** Above the four PAE page directories (0x2000–0x5fff). */
const PAE_PT = 0x1_0000;
const FRAME = 0x0050_0000;
const LIN = 0x0040_3abc; // PDE 1, PTE 3 (32-bit); PDPTE 0, PDE 2, PTE 3 (PAE)

function paging32(f: PagingFixture, cr0 = PG, cr4 = 0): void {
  f.mmu.setControl(cr0, PD32, cr4, 0);
}

function pae(f: PagingFixture, efer = 0, cr0 = PG): void {
  setPdptes(f.bus);
  f.mmu.setControl(cr0, PAE_PDPT, Cr4.PAE, efer);
}

/** Builds 32-bit tables mapping LIN's page to FRAME with the given PDE and PTE flags. */
function map32(f: PagingFixture, pdeFlags: number, pteFlags: number): void {
  setPde32(f.bus, LIN, PT | pdeFlags);
  setPte32(f.bus, PT, LIN, FRAME | pteFlags);
}

/** Builds PAE tables mapping LIN's page to FRAME with the given PDE and PTE flags. */
function mapPae(f: PagingFixture, pdeFlags: number, pteFlags: number, pdeHigh = 0, pteHigh = 0): void {
  setPdePae(f.bus, LIN, PAE_PT | pdeFlags, pdeHigh);
  setPtePae(f.bus, PAE_PT, LIN, FRAME | pteFlags, pteHigh);
}

function fault(f: PagingFixture, linear: number, kind: AccessKind, user: boolean): number {
  const result = f.mmu.translate(linear, kind, user);
  expect(result, 'translation should fault').toBe(-1);
  expect(f.mmu.faultAddress).toBe(linear >>> 0);
  return f.mmu.faultErrorCode;
}

const pde32Address = PD32 + (LIN >>> 22) * 4;
const pte32Address = PT + ((LIN >>> 12) & 0x3ff) * 4;

describe('32-bit paging translations', () => {
  it('maps a 4 KiB page through the directory at CR3 and a page table', () => {
    const f = pagingFixture();
    map32(f, P | RW | US, P | RW | US);
    paging32(f);
    expect(f.mmu.translate(LIN, AccessKind.Read, true)).toBe(FRAME + 0xabc);
    expect(f.mmu.translate(LIN, AccessKind.Write, false)).toBe(FRAME + 0xabc);
  });

  it('maps a 4 MiB page when CR4.PSE and PDE.PS are set', () => {
    const f = pagingFixture(32 << 20);
    setPde32(f.bus, 0xc0_000000, 0x0140_0000 | P | RW | PS);
    paging32(f, PG, Cr4.PSE);
    expect(f.mmu.translate(0xc0_123456, AccessKind.Read, false)).toBe(0x0152_3456);
  });

  it('ignores PDE.PS without CR4.PSE and uses the entry as a page-table pointer', () => {
    const f = pagingFixture();
    setPde32(f.bus, LIN, PT | P | RW | PS);
    setPte32(f.bus, PT, LIN, FRAME | P | RW);
    paging32(f);
    expect(f.mmu.translate(LIN, AccessKind.Read, false)).toBe(FRAME + 0xabc);
  });

  it('faults on a 4 MiB PDE with reserved bits 21:13 set (no PSE-36)', () => {
    const f = pagingFixture();
    setPde32(f.bus, 0x0080_0000, 0x0040_0000 | 0x2000 | P | RW | PS);
    paging32(f, PG, Cr4.PSE);
    expect(fault(f, 0x0080_0000, AccessKind.Read, false)).toBe(PageFaultError.P | PageFaultError.RSVD);
  });
});

describe('32-bit paging #PF error codes', () => {
  it('reports a not-present PDE with P = 0 and the access bits', () => {
    const f = pagingFixture();
    paging32(f);
    expect(fault(f, LIN, AccessKind.Read, false)).toBe(0);
    expect(fault(f, LIN, AccessKind.Write, false)).toBe(PageFaultError.WR);
    expect(fault(f, LIN, AccessKind.Read, true)).toBe(PageFaultError.US);
    expect(fault(f, LIN, AccessKind.Write, true)).toBe(PageFaultError.WR | PageFaultError.US);
  });

  it('reports a not-present PTE with P = 0', () => {
    const f = pagingFixture();
    map32(f, P | RW | US, RW | US);
    paging32(f);
    expect(fault(f, LIN, AccessKind.Write, true)).toBe(PageFaultError.WR | PageFaultError.US);
  });

  it('never reports I/D with 32-bit paging, even with EFER.NXE set', () => {
    const f = pagingFixture();
    f.mmu.setControl(PG, PD32, 0, Efer.NXE);
    expect(fault(f, LIN, AccessKind.Execute, false)).toBe(0);
  });

  it('lets supervisor writes through read-only pages when CR0.WP = 0', () => {
    const f = pagingFixture();
    map32(f, P | US, P | US);
    paging32(f);
    expect(f.mmu.translate(LIN, AccessKind.Write, false)).toBe(FRAME + 0xabc);
  });

  it('faults supervisor writes to read-only pages when CR0.WP = 1, at either level', () => {
    const f = pagingFixture();
    map32(f, P | RW, P);
    paging32(f, PG | Cr0.WP);
    expect(fault(f, LIN, AccessKind.Write, false)).toBe(PageFaultError.P | PageFaultError.WR);
    map32(f, P, P | RW);
    f.mmu.flushAll();
    expect(fault(f, LIN, AccessKind.Write, false)).toBe(PageFaultError.P | PageFaultError.WR);
    expect(f.mmu.translate(LIN, AccessKind.Read, false)).toBe(FRAME + 0xabc);
  });

  it('faults user writes to read-only pages whatever CR0.WP says', () => {
    const f = pagingFixture();
    map32(f, P | US, P | RW | US);
    paging32(f);
    expect(fault(f, LIN, AccessKind.Write, true)).toBe(PageFaultError.P | PageFaultError.WR | PageFaultError.US);
    expect(f.mmu.translate(LIN, AccessKind.Read, true)).toBe(FRAME + 0xabc);
  });

  it('faults user accesses to supervisor pages (U/S clear at either level)', () => {
    const f = pagingFixture();
    map32(f, P | RW, P | RW | US);
    paging32(f);
    expect(fault(f, LIN, AccessKind.Read, true)).toBe(PageFaultError.P | PageFaultError.US);
    map32(f, P | RW | US, P | RW);
    f.mmu.flushAll();
    expect(fault(f, LIN, AccessKind.Execute, true)).toBe(PageFaultError.P | PageFaultError.US);
    expect(f.mmu.translate(LIN, AccessKind.Read, false)).toBe(FRAME + 0xabc);
  });

  it('lets supervisor code fetch from user pages (no SMEP)', () => {
    const f = pagingFixture();
    map32(f, P | US, P | US);
    paging32(f);
    expect(f.mmu.translate(LIN, AccessKind.Execute, false)).toBe(FRAME + 0xabc);
  });
});

describe('accessed and dirty bits', () => {
  it('sets A in the PDE and PTE on a read, and no D', () => {
    const f = pagingFixture();
    map32(f, P | RW, P | RW);
    paging32(f);
    f.mmu.translate(LIN, AccessKind.Read, false);
    expect(peek32(f.bus, pde32Address) & (A | D)).toBe(A);
    expect(peek32(f.bus, pte32Address) & (A | D)).toBe(A);
  });

  it('sets D on the PTE only for a write', () => {
    const f = pagingFixture();
    map32(f, P | RW, P | RW);
    paging32(f);
    f.mmu.translate(LIN, AccessKind.Write, false);
    expect(peek32(f.bus, pde32Address) & (A | D)).toBe(A);
    expect(peek32(f.bus, pte32Address) & (A | D)).toBe(A | D);
  });

  it('does not let a translation made by a read serve a write until D is set', () => {
    const f = pagingFixture();
    map32(f, P | RW | US, P | RW | US);
    paging32(f);
    f.mmu.translate(LIN, AccessKind.Read, true);
    const page = LIN >>> 12;
    expect(f.mmu.tlb[page]! & (TlbFlag.WriteUser | TlbFlag.WriteSupervisor)).toBe(0);
    expect(f.mmu.tlb[page]! & TlbFlag.ReadUser).toBe(TlbFlag.ReadUser);
    expect(peek32(f.bus, pte32Address) & D).toBe(0);
    // The CPU misses on the write, calls translate, and the walk sets D.
    expect(f.mmu.translate(LIN, AccessKind.Write, true)).toBe(FRAME + 0xabc);
    expect(peek32(f.bus, pte32Address) & D).toBe(D);
    expect(f.mmu.tlb[page]! & (TlbFlag.WriteUser | TlbFlag.WriteSupervisor)).toBe(TlbFlag.WriteUser | TlbFlag.WriteSupervisor);
  });

  it('gives write flags to a read translation when D is already set', () => {
    const f = pagingFixture();
    map32(f, P | RW, P | RW | D);
    paging32(f);
    f.mmu.translate(LIN, AccessKind.Read, false);
    expect(f.mmu.tlb[LIN >>> 12]! & TlbFlag.WriteSupervisor).toBe(TlbFlag.WriteSupervisor);
  });

  it('sets the PDE A bit but not the PTE A bit when the access faults', () => {
    const f = pagingFixture();
    map32(f, P | RW, P);
    paging32(f, PG | Cr0.WP);
    fault(f, LIN, AccessKind.Write, false);
    expect(peek32(f.bus, pde32Address) & A).toBe(A);
    expect(peek32(f.bus, pte32Address) & (A | D)).toBe(0);
  });

  it('sets A and D on a 4 MiB PDE, the entry that maps the page', () => {
    const f = pagingFixture();
    setPde32(f.bus, 0x0080_0000, 0x0040_0000 | P | RW | PS);
    paging32(f, PG, Cr4.PSE);
    f.mmu.translate(0x0080_0010, AccessKind.Write, false);
    expect(peek32(f.bus, PD32 + 2 * 4) & (A | D)).toBe(A | D);
  });

  it('writes only the byte with the flags, keeping the rest of the entry', () => {
    const f = pagingFixture();
    map32(f, P | RW | 0xe00, P | RW | 0xe00);
    paging32(f);
    f.mmu.translate(LIN, AccessKind.Write, false);
    expect(peek32(f.bus, pte32Address) >>> 0).toBe((FRAME | P | RW | 0xe00 | A | D) >>> 0);
    expect(peek32(f.bus, pde32Address) >>> 0).toBe((PT | P | RW | 0xe00 | A) >>> 0);
  });
});

describe('PAE paging', () => {
  it('translates through a PDPTE register, a PDE and a PTE', () => {
    const f = pagingFixture();
    mapPae(f, P | RW | US, P | RW | US);
    pae(f);
    expect(f.mmu.translate(LIN, AccessKind.Read, true)).toBe(FRAME + 0xabc);
    const pteAddress = PAE_PT + ((LIN >>> 12) & 0x1ff) * 8;
    expect(peek32(f.bus, pteAddress) & A).toBe(A);
  });

  it('maps 2 MiB pages with PDE.PS, whatever CR4.PSE says', () => {
    const f = pagingFixture();
    setPdePae(f.bus, 0x0060_0000, 0x0080_0000 | P | RW | PS);
    pae(f);
    expect(f.mmu.translate(0x0061_2345, AccessKind.Write, false)).toBe(0x0081_2345);
  });

  it('reports a not-present PDPTE, PDE and PTE with P = 0', () => {
    const f = pagingFixture();
    pae(f);
    poke64(f.bus, PAE_PDPT + 8 * 3, 0); // PDPTE 3 not present
    f.mmu.setControl(PG, PAE_PDPT, Cr4.PAE, 0);
    expect(fault(f, 0xc000_0000, AccessKind.Read, false)).toBe(0);
    expect(fault(f, LIN, AccessKind.Write, true)).toBe(PageFaultError.WR | PageFaultError.US);
    mapPae(f, P | RW, 0);
    expect(fault(f, LIN, AccessKind.Write, false)).toBe(PageFaultError.WR);
  });

  it('reports reserved bits 62:32 of a PDE or PTE with RSVD and P', () => {
    const f = pagingFixture();
    mapPae(f, P | RW, P | RW, 0x0000_0010, 0);
    pae(f);
    expect(fault(f, LIN, AccessKind.Read, false)).toBe(PageFaultError.P | PageFaultError.RSVD);
    mapPae(f, P | RW | US, P | RW | US, 0, 0x0100_0000);
    expect(fault(f, LIN, AccessKind.Write, true)).toBe(
      PageFaultError.P | PageFaultError.RSVD | PageFaultError.WR | PageFaultError.US,
    );
  });

  it('treats XD (bit 63) as reserved while EFER.NXE = 0', () => {
    const f = pagingFixture();
    mapPae(f, P | RW, P | RW, 0, 0x8000_0000);
    pae(f);
    expect(fault(f, LIN, AccessKind.Read, false)).toBe(PageFaultError.P | PageFaultError.RSVD);
  });

  it('reports reserved bits 20:13 of a 2 MiB PDE', () => {
    const f = pagingFixture();
    setPdePae(f.bus, 0x0060_0000, 0x0080_0000 | 0x0010_0000 | P | RW | PS);
    pae(f);
    expect(fault(f, 0x0060_0000, AccessKind.Read, false)).toBe(PageFaultError.P | PageFaultError.RSVD);
  });

  it('faults instruction fetches from XD pages with I/D when EFER.NXE = 1, and allows data reads', () => {
    const f = pagingFixture();
    mapPae(f, P | RW | US, P | RW | US, 0, 0x8000_0000);
    pae(f, Efer.NXE);
    expect(fault(f, LIN, AccessKind.Execute, false)).toBe(PageFaultError.P | PageFaultError.ID);
    expect(fault(f, LIN, AccessKind.Execute, true)).toBe(PageFaultError.P | PageFaultError.ID | PageFaultError.US);
    expect(f.mmu.translate(LIN, AccessKind.Read, true)).toBe(FRAME + 0xabc);
    const entry = f.mmu.tlb[LIN >>> 12]!;
    expect(entry & (TlbFlag.ExecSupervisor | TlbFlag.ExecUser)).toBe(0);
  });

  it('honours XD in the PDE for the whole table', () => {
    const f = pagingFixture();
    mapPae(f, P | RW, P | RW, 0x8000_0000, 0);
    pae(f, Efer.NXE);
    expect(fault(f, LIN, AccessKind.Execute, false)).toBe(PageFaultError.P | PageFaultError.ID);
  });

  it('reports I/D for not-present fetches under PAE with NXE, and not without NXE', () => {
    const f = pagingFixture();
    pae(f, Efer.NXE);
    expect(fault(f, LIN, AccessKind.Execute, false)).toBe(PageFaultError.ID);
    f.mmu.setControl(PG, PAE_PDPT, Cr4.PAE, 0);
    expect(fault(f, LIN, AccessKind.Execute, false)).toBe(0);
  });

  it('combines U/S and R/W across PDE and PTE with CR0.WP', () => {
    const f = pagingFixture();
    mapPae(f, P | US, P | RW | US);
    pae(f, 0, PG | Cr0.WP);
    expect(fault(f, LIN, AccessKind.Write, false)).toBe(PageFaultError.P | PageFaultError.WR);
    expect(fault(f, LIN, AccessKind.Write, true)).toBe(PageFaultError.P | PageFaultError.WR | PageFaultError.US);
    mapPae(f, P | RW, P | RW | US);
    f.mmu.flushAll();
    expect(fault(f, LIN, AccessKind.Read, true)).toBe(PageFaultError.P | PageFaultError.US);
  });

  it('faults with RSVD through a PDPTE register holding reserved bits (a write the CPU did not refuse)', () => {
    const f = pagingFixture();
    setPdptes(f.bus);
    poke64(f.bus, PAE_PDPT, (PAE_PD | 1) | 0x2);
    f.mmu.setControl(PG, PAE_PDPT, Cr4.PAE, 0);
    expect(fault(f, LIN, AccessKind.Read, false)).toBe(PageFaultError.P | PageFaultError.RSVD);
  });

  it('sets D on a 2 MiB PDE for writes, and global with CR4.PGE and G', () => {
    const f = pagingFixture();
    setPdePae(f.bus, 0x0060_0000, 0x0080_0000 | P | RW | PS | G);
    setPdptes(f.bus);
    f.mmu.setControl(PG, PAE_PDPT, Cr4.PAE | Cr4.PGE, 0);
    f.mmu.translate(0x0060_0000, AccessKind.Write, false);
    const pdeAddress = PAE_PD + ((0x0060_0000 >>> 21) & 0x1ff) * 8;
    expect(peek32(f.bus, pdeAddress) & (A | D)).toBe(A | D);
    f.mmu.setControl(PG, PAE_PDPT, Cr4.PAE | Cr4.PGE, 0); // CR3 reload
    expect(f.mmu.tlb[0x600]).not.toBe(0);
  });
});
