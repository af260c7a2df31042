/**
 * Architectural constants: register and segment indices, control-register bits, segment
 * access-rights bits, and model-specific register numbers.
 */
/** General-purpose register indices, in ModRM encoding order (SDM Vol. 2 §2.1.5, Table 2-2). */
export declare const Reg: {
    /** Accumulator. */
    readonly EAX: 0;
    /** Counter. */
    readonly ECX: 1;
    /** Data. */
    readonly EDX: 2;
    /** Base. */
    readonly EBX: 3;
    /** Stack pointer. */
    readonly ESP: 4;
    /** Frame pointer. */
    readonly EBP: 5;
    /** Source index. */
    readonly ESI: 6;
    /** Destination index. */
    readonly EDI: 7;
};
/** Segment register indices, in ModRM `Sreg` encoding order (SDM Vol. 2 §3.1.1.3). */
export declare const Seg: {
    /** Extra segment (string destination). */
    readonly ES: 0;
    /** Code segment. */
    readonly CS: 1;
    /** Stack segment. */
    readonly SS: 2;
    /** Data segment. */
    readonly DS: 3;
    /** FS. */
    readonly FS: 4;
    /** GS. */
    readonly GS: 5;
};
/** Segment register names by index. */
export declare const SEG_NAMES: readonly ["es", "cs", "ss", "ds", "fs", "gs"];
/** CR0 bits (SDM Vol. 3A §2.5, "Control Registers"). */
export declare const Cr0: {
    /** Protection enable. */
    readonly PE: number;
    /** Monitor coprocessor. */
    readonly MP: number;
    /** x87 emulation. */
    readonly EM: number;
    /** Task switched. */
    readonly TS: number;
    /** Extension type (hard-wired to 1 on the P6). */
    readonly ET: number;
    /** Numeric error (native #MF reporting). */
    readonly NE: number;
    /** Write protect (supervisor writes honour read-only pages). */
    readonly WP: number;
    /** Alignment mask. */
    readonly AM: number;
    /** Not write-through. */
    readonly NW: number;
    /** Cache disable. */
    readonly CD: number;
    /** Paging. */
    readonly PG: number;
};
/** CR4 bits (SDM Vol. 3A §2.5). */
export declare const Cr4: {
    /** Virtual-8086 mode extensions. */
    readonly VME: number;
    /** Protected-mode virtual interrupts. */
    readonly PVI: number;
    /** Time-stamp disable (RDTSC privileged). */
    readonly TSD: number;
    /** Debugging extensions. */
    readonly DE: number;
    /** Page size extensions (4 MiB pages). */
    readonly PSE: number;
    /** Physical address extension. */
    readonly PAE: number;
    /** Machine-check enable. */
    readonly MCE: number;
    /** Page global enable. */
    readonly PGE: number;
    /** Performance-counter enable (RDPMC at any CPL). */
    readonly PCE: number;
    /** OS supports FXSAVE/FXRSTOR. */
    readonly OSFXSR: number;
    /** OS supports unmasked SIMD exceptions. */
    readonly OSXMMEXCPT: number;
};
/**
 * Segment access rights in the VMX guest-state layout used by the boot-processor contract
 * (SDM Vol. 3C §24.4.1, Table 24-2): the descriptor's access byte in bits 0–7 and its flags
 * nibble (AVL, L, D/B, G) in bits 12–15, plus "unusable" in bit 16.
 */
export declare const Ar: {
    /** Segment type field (bits 0–3). */
    readonly TYPE: 15;
    /** Accessed (type bit 0). */
    readonly ACCESSED: 1;
    /** Data: writable; code: readable (type bit 1). */
    readonly RW: 2;
    /** Data: expand-down; code: conforming (type bit 2). */
    readonly DC: 4;
    /** Code segment (type bit 3). */
    readonly CODE: 8;
    /** Descriptor type: 1 = code or data, 0 = system (bit 4). */
    readonly S: 16;
    /** Descriptor privilege level (bits 5–6). */
    readonly DPL: 96;
    /** Present (bit 7). */
    readonly P: 128;
    /** Available to software (bit 12). */
    readonly AVL: 4096;
    /** Default operation size / big (bit 14). */
    readonly DB: 16384;
    /** Granularity (bit 15). */
    readonly G: 32768;
    /** Unusable: a null selector was loaded (bit 16). */
    readonly UNUSABLE: 65536;
};
/** System descriptor types (SDM Vol. 3A §3.5, Table 3-2). */
export declare const SysType: {
    /** 16-bit TSS (available). */
    readonly TSS16: 1;
    /** LDT. */
    readonly LDT: 2;
    /** 16-bit TSS (busy). */
    readonly TSS16_BUSY: 3;
    /** 16-bit call gate. */
    readonly CALL16: 4;
    /** Task gate. */
    readonly TASK: 5;
    /** 16-bit interrupt gate. */
    readonly INT16: 6;
    /** 16-bit trap gate. */
    readonly TRAP16: 7;
    /** 32-bit TSS (available). */
    readonly TSS32: 9;
    /** 32-bit TSS (busy). */
    readonly TSS32_BUSY: 11;
    /** 32-bit call gate. */
    readonly CALL32: 12;
    /** 32-bit interrupt gate. */
    readonly INT32: 14;
    /** 32-bit trap gate. */
    readonly TRAP32: 15;
};
/** Model-specific registers the CPU implements (SDM Vol. 4, Table 2-2 and 2-3). */
export declare const Msr: {
    /** IA32_P5_MC_ADDR. */
    readonly P5_MC_ADDR: 0;
    /** IA32_P5_MC_TYPE. */
    readonly P5_MC_TYPE: 1;
    /** IA32_TIME_STAMP_COUNTER. */
    readonly TSC: 16;
    /** IA32_PLATFORM_ID. */
    readonly PLATFORM_ID: 23;
    /** IA32_BIOS_SIGN_ID (microcode revision). */
    readonly BIOS_SIGN_ID: 139;
    /** IA32_SYSENTER_CS. */
    readonly SYSENTER_CS: 372;
    /** IA32_SYSENTER_ESP. */
    readonly SYSENTER_ESP: 373;
    /** IA32_SYSENTER_EIP. */
    readonly SYSENTER_EIP: 374;
};
//# sourceMappingURL=constants.d.ts.map