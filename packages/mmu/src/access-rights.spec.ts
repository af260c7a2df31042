import { describe, expect, it } from 'vitest';
import {
  PD32,
  pagingFixture,
  peek32,
  setPde32,
  setPdePae,
  setPdptes,
  setPte32,
  setPtePae,
  PAE_PDPT,
} from '../test/paging-fixture.js';
import { Cr0, Cr4, Efer, PageEntry, PageFaultError } from './paging-bits.js';
import { AccessKind, TlbFlag, accessFlag } from './tlb-flag.js';

/*
 * Every combination of U/S and R/W in the PDE and PTE, CR0.WP, access kind and privilege, checked
 * against the rules of SDM vol. 3A §4.6 as stated there (written independently of the walker):
 *  - user-mode data reads need U/S = 1 at both levels; user writes also need R/W = 1 at both;
 *  - supervisor reads are always allowed; supervisor writes need R/W = 1 at both levels only when
 *    CR0.WP = 1;
 *  - instruction fetches follow reads (no XD in 32-bit paging; no SMEP).
 * A denied access faults with P = 1, W/R = write, U/S = user, and no I/D (32-bit paging).
 */
const { P, RW, US, A, D } = PageEntry;
const LIN = 0x0040_3000;
const PT = 0x3000;
const KINDS = [AccessKind.Read, AccessKind.Write, AccessKind.Execute] as const;

function allowed32(pdeUs: boolean, pdeRw: boolean, pteUs: boolean, pteRw: boolean, wp: boolean, kind: AccessKind, user: boolean): boolean {
  const userOk = pdeUs && pteUs;
  const writeOk = pdeRw && pteRw;
  if (user) return userOk && (kind !== AccessKind.Write || writeOk);
  return kind !== AccessKind.Write || !wp || writeOk;
}

describe('32-bit paging access rights, every combination', () => {
  for (let bits = 0; bits < 32; bits++) {
    const pdeUs = (bits & 1) !== 0;
    const pdeRw = (bits & 2) !== 0;
    const pteUs = (bits & 4) !== 0;
    const pteRw = (bits & 8) !== 0;
    const wp = (bits & 16) !== 0;
    const name = `PDE ${pdeUs ? 'U' : 'S'}${pdeRw ? 'W' : 'R'}, PTE ${pteUs ? 'U' : 'S'}${pteRw ? 'W' : 'R'}, WP=${wp ? 1 : 0}`;
    it(`grants exactly what §4.6 allows: ${name}`, () => {
      for (const kind of KINDS) {
        for (const user of [false, true]) {
          const f = pagingFixture();
          setPde32(f.bus, LIN, PT | P | (pdeUs ? US : 0) | (pdeRw ? RW : 0));
          setPte32(f.bus, PT, LIN, 0x0050_0000 | P | (pteUs ? US : 0) | (pteRw ? RW : 0));
          f.mmu.setControl(Cr0.PG | Cr0.PE | (wp ? Cr0.WP : 0), PD32, 0, 0);
          const expected = allowed32(pdeUs, pdeRw, pteUs, pteRw, wp, kind, user);
          const result = f.mmu.translate(LIN + 0x10, kind, user);
          const what = `kind ${kind}, ${user ? 'user' : 'supervisor'}`;
          if (expected) {
            expect(result, what).toBe(0x0050_0010);
            // The entry made for the access allows that access (the walk set D for a write).
            expect(f.mmu.tlb[LIN >>> 12]! & accessFlag(kind, user), what).not.toBe(0);
            const pte = peek32(f.bus, PT + ((LIN >>> 12) & 0x3ff) * 4);
            expect(pte & (A | D), what).toBe(kind === AccessKind.Write ? A | D : A);
          } else {
            expect(result, what).toBe(-1);
            const code = PageFaultError.P | (kind === AccessKind.Write ? PageFaultError.WR : 0) | (user ? PageFaultError.US : 0);
            expect(f.mmu.faultErrorCode, what).toBe(code);
          }
        }
      }
    });
  }
});

describe('PAE execute-disable, every combination', () => {
  for (let bits = 0; bits < 8; bits++) {
    const pdeXd = (bits & 1) !== 0;
    const pteXd = (bits & 2) !== 0;
    const nxe = (bits & 4) !== 0;
    it(`XD in PDE ${pdeXd ? 1 : 0}, PTE ${pteXd ? 1 : 0}, NXE=${nxe ? 1 : 0}`, () => {
      for (const user of [false, true]) {
        const f = pagingFixture();
        setPdptes(f.bus);
        setPdePae(f.bus, LIN, 0x1_0000 | P | RW | US, pdeXd ? 0x8000_0000 : 0);
        setPtePae(f.bus, 0x1_0000, LIN, 0x0050_0000 | P | RW | US, pteXd ? 0x8000_0000 : 0);
        f.mmu.setControl(Cr0.PG | Cr0.PE, PAE_PDPT, Cr4.PAE, nxe ? Efer.NXE : 0);
        const result = f.mmu.translate(LIN, AccessKind.Execute, user);
        const userBit = user ? PageFaultError.US : 0;
        if (!nxe && (pdeXd || pteXd)) {
          // Without NXE bit 63 is reserved: every access faults with RSVD, and I/D is not reported.
          expect(result).toBe(-1);
          expect(f.mmu.faultErrorCode).toBe(PageFaultError.P | PageFaultError.RSVD | userBit);
        } else if (pdeXd || pteXd) {
          expect(result).toBe(-1);
          expect(f.mmu.faultErrorCode).toBe(PageFaultError.P | PageFaultError.ID | userBit);
          expect(f.mmu.translate(LIN, AccessKind.Read, user)).toBe(0x0050_0000);
          expect(f.mmu.tlb[LIN >>> 12]! & (TlbFlag.ExecSupervisor | TlbFlag.ExecUser)).toBe(0);
        } else {
          expect(result).toBe(0x0050_0000);
          expect(f.mmu.tlb[LIN >>> 12]! & (TlbFlag.ExecSupervisor | TlbFlag.ExecUser)).toBe(TlbFlag.ExecSupervisor | TlbFlag.ExecUser);
        }
      }
    });
  }
});
