import type { ResolvedCpuOptions } from './cpu-options.js';
/**
 * CPUID leaf 1 EDX feature bits (SDM Vol. 2 "CPUID", Table 3-11). Only features the CPU
 * implements are reported.
 */
export declare const CpuidFeature: {
    /** x87 on chip. */
    readonly FPU: number;
    /** Virtual-8086 mode extensions. */
    readonly VME: number;
    /** Debugging extensions (CR4.DE). */
    readonly DE: number;
    /** 4 MiB pages. */
    readonly PSE: number;
    /** Time-stamp counter. */
    readonly TSC: number;
    /** RDMSR/WRMSR. */
    readonly MSR: number;
    /** Physical address extension. */
    readonly PAE: number;
    /** CMPXCHG8B. */
    readonly CX8: number;
    /** SYSENTER/SYSEXIT. */
    readonly SEP: number;
    /** Global pages. */
    readonly PGE: number;
    /** CMOVcc (and FCMOV/FCOMI with the FPU). */
    readonly CMOV: number;
    /** FXSAVE/FXRSTOR. */
    readonly FXSR: number;
};
/** The leaf-1 EDX the CPU reports for `options` (with or without an x87 unit). */
export declare function cpuidFeatures(options: ResolvedCpuOptions, hasFpu: boolean): number;
/**
 * Fills `out` with EAX, EBX, ECX, EDX of CPUID leaf `leaf` (SDM Vol. 2 "CPUID"): a family-6
 * GenuineIntel processor with basic leaves 0–2 and extended leaves 0x80000000–0x80000004.
 * Leaves past the maximum return the highest basic leaf's data, as Intel processors do.
 */
export declare function cpuidLeaf(options: ResolvedCpuOptions, hasFpu: boolean, leaf: number, out: Int32Array): void;
//# sourceMappingURL=cpuid.d.ts.map