/**
 * A paging-off stand-in for `@popek/mmu` (tests only): linear = physical with the A20 mask, all
 * permissions granted, RAM pages cached in the TLB.
 */
export class IdentityMmu {
    bus;
    tlb = new Int32Array(1 << 20);
    faultErrorCode = 0;
    faultAddress = 0;
    constructor(bus) {
        this.bus = bus;
    }
    translate(linear, _kind, _user) {
        const gpa = (linear & this.bus.a20Mask) >>> 0;
        const h = this.bus.ramPageOffset(gpa >>> 12, true);
        if (h >= 0)
            this.tlb[linear >>> 12] = h | 0x3f;
        return gpa;
    }
    setControl() {
        this.tlb.fill(0);
    }
    invlpg(linear) {
        this.tlb[linear >>> 12] = 0;
    }
    flushAll() {
        this.tlb.fill(0);
    }
}
//# sourceMappingURL=identity-mmu.js.map