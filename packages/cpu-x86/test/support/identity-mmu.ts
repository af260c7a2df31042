import type { PhysicalBus } from '@popek/core';
import type { CpuMmu } from '../../src/cpu-mmu.js';

/**
 * A paging-off stand-in for `@popek/mmu` (tests only): linear = physical with the A20 mask, all
 * permissions granted, RAM pages cached in the TLB.
 */
export class IdentityMmu implements CpuMmu {
  readonly tlb = new Int32Array(1 << 20);
  faultErrorCode = 0;
  faultAddress = 0;
  constructor(private readonly bus: PhysicalBus) {}
  translate(linear: number, _kind: number, _user: boolean): number {
    const gpa = (linear & this.bus.a20Mask) >>> 0;
    const h = this.bus.ramPageOffset(gpa >>> 12, true);
    if (h >= 0) this.tlb[linear >>> 12] = h | 0x3f;
    return gpa;
  }
  setControl(): void {
    this.tlb.fill(0);
  }
  invlpg(linear: number): void {
    this.tlb[linear >>> 12] = 0;
  }
  flushAll(): void {
    this.tlb.fill(0);
  }
}
