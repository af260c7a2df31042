import type { PhysicalBus } from '@popek/core';
import type { CpuMmu } from '../../src/cpu-mmu.js';
/**
 * A paging-off stand-in for `@popek/mmu` (tests only): linear = physical with the A20 mask, all
 * permissions granted, RAM pages cached in the TLB.
 */
export declare class IdentityMmu implements CpuMmu {
    private readonly bus;
    readonly tlb: Int32Array<ArrayBuffer>;
    faultErrorCode: number;
    faultAddress: number;
    constructor(bus: PhysicalBus);
    translate(linear: number, _kind: number, _user: boolean): number;
    setControl(): void;
    invlpg(linear: number): void;
    flushAll(): void;
}
//# sourceMappingURL=identity-mmu.d.ts.map