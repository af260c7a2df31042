import type { ExecutionPolicy } from './execution-policy.js';
import type { X87Unit } from './x87-seam.js';
/** Options of the CPU, bound by a profile (all optional). */
export interface CpuOptions {
    /**
     * The CPU mode's policy over instruction classes and its engine (see DESIGN.md). Default:
     * native semantics with the reference interpreter.
     */
    readonly policy?: ExecutionPolicy;
    /** CPUID family-6 model number (default 5: a Pentium II). */
    readonly model?: number;
    /** CPUID stepping (default 2). */
    readonly stepping?: number;
    /** CPUID brand string (leaves 0x80000002–4), at most 48 characters. */
    readonly brand?: string;
    /** Report and allow PAE (CR4.PAE) — only with an MMU that walks PAE tables (default true). */
    readonly pae?: boolean;
    /** Report and allow VME and PVI (virtual-8086 mode extensions, protected-mode virtual interrupts; default true). */
    readonly vme?: boolean;
    /**
     * The x87 unit: `true` (default) for the built-in `X87`, an object for another implementation,
     * or `false` for none (CPUID then reports no FPU and x87 opcodes raise #NM).
     */
    readonly fpu?: X87Unit | boolean;
}
/** The CPU's options. */
export declare const CpuOptions: import("@popek/core").ServiceId<CpuOptions>;
/** {@link CpuOptions} with defaults applied. */
export interface ResolvedCpuOptions {
    /** The CPU mode's policy, if any. */
    readonly policy: ExecutionPolicy | undefined;
    /** CPUID model. */
    readonly model: number;
    /** CPUID stepping. */
    readonly stepping: number;
    /** CPUID brand string. */
    readonly brand: string;
    /** PAE reported and CR4.PAE allowed. */
    readonly pae: boolean;
    /** VME reported and CR4.VME/PVI allowed. */
    readonly vme: boolean;
    /** The x87 unit, or undefined for none. */
    readonly fpu: X87Unit | undefined;
    /** CR4 bits that may be set. */
    readonly cr4Mask: number;
}
/** Applies the defaults and checks the values. */
export declare function resolveCpuOptions(o: CpuOptions): ResolvedCpuOptions;
//# sourceMappingURL=cpu-options.d.ts.map