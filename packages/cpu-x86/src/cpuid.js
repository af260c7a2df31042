/**
 * CPUID leaf 1 EDX feature bits (SDM Vol. 2 "CPUID", Table 3-11). Only features the CPU
 * implements are reported.
 */
export const CpuidFeature = {
    /** x87 on chip. */
    FPU: 1 << 0,
    /** Virtual-8086 mode extensions. */
    VME: 1 << 1,
    /** Debugging extensions (CR4.DE). */
    DE: 1 << 2,
    /** 4 MiB pages. */
    PSE: 1 << 3,
    /** Time-stamp counter. */
    TSC: 1 << 4,
    /** RDMSR/WRMSR. */
    MSR: 1 << 5,
    /** Physical address extension. */
    PAE: 1 << 6,
    /** CMPXCHG8B. */
    CX8: 1 << 8,
    /** SYSENTER/SYSEXIT. */
    SEP: 1 << 11,
    /** Global pages. */
    PGE: 1 << 13,
    /** CMOVcc (and FCMOV/FCOMI with the FPU). */
    CMOV: 1 << 15,
    /** FXSAVE/FXRSTOR. */
    FXSR: 1 << 24,
};
/** The leaf-1 EDX the CPU reports for `options` (with or without an x87 unit). */
export function cpuidFeatures(options, hasFpu) {
    let f = CpuidFeature.DE | CpuidFeature.PSE | CpuidFeature.TSC | CpuidFeature.MSR | CpuidFeature.CX8 | CpuidFeature.SEP | CpuidFeature.PGE | CpuidFeature.CMOV;
    if (hasFpu)
        f |= CpuidFeature.FPU | CpuidFeature.FXSR;
    if (options.pae)
        f |= CpuidFeature.PAE;
    if (options.vme)
        f |= CpuidFeature.VME;
    return f;
}
function str4(s, at) {
    let v = 0;
    for (let i = 3; i >= 0; i--)
        v = (v << 8) | (s.charCodeAt(at + i) || 0);
    return v | 0;
}
/**
 * Fills `out` with EAX, EBX, ECX, EDX of CPUID leaf `leaf` (SDM Vol. 2 "CPUID"): a family-6
 * GenuineIntel processor with basic leaves 0–2 and extended leaves 0x80000000–0x80000004.
 * Leaves past the maximum return the highest basic leaf's data, as Intel processors do.
 */
export function cpuidLeaf(options, hasFpu, leaf, out) {
    let l = leaf >>> 0;
    if (l >= 0x8000_0000 ? l > 0x8000_0004 : l > 2)
        l = 2;
    const vendor = 'GenuineIntel';
    switch (l) {
        case 0:
            out[0] = 2;
            out[1] = str4(vendor, 0);
            out[2] = str4(vendor, 8);
            out[3] = str4(vendor, 4);
            return;
        case 1:
            out[0] = (6 << 8) | (options.model << 4) | options.stepping;
            out[1] = 0;
            out[2] = 0;
            out[3] = cpuidFeatures(options, hasFpu);
            return;
        case 2:
            // One iteration; descriptor 0x00 ("null") everywhere: no cache information.
            out[0] = 1;
            out[1] = 0;
            out[2] = 0;
            out[3] = 0;
            return;
        case 0x8000_0000:
            out[0] = 0x8000_0004 | 0;
            out[1] = 0;
            out[2] = 0;
            out[3] = 0;
            return;
        case 0x8000_0001:
            out[0] = 0;
            out[1] = 0;
            out[2] = 0;
            out[3] = 0;
            return;
        default: {
            const brand = options.brand.padEnd(48, '\0');
            const base = (l - 0x8000_0002) * 16;
            for (let i = 0; i < 4; i++)
                out[i] = str4(brand, base + i * 4);
        }
    }
}
//# sourceMappingURL=cpuid.js.map