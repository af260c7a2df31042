/**
 * Architectural constants: register and segment indices, control-register bits, segment
 * access-rights bits, and model-specific register numbers.
 */
/** General-purpose register indices, in ModRM encoding order (SDM Vol. 2 §2.1.5, Table 2-2). */
export const Reg = {
    /** Accumulator. */
    EAX: 0,
    /** Counter. */
    ECX: 1,
    /** Data. */
    EDX: 2,
    /** Base. */
    EBX: 3,
    /** Stack pointer. */
    ESP: 4,
    /** Frame pointer. */
    EBP: 5,
    /** Source index. */
    ESI: 6,
    /** Destination index. */
    EDI: 7,
};
/** Segment register indices, in ModRM `Sreg` encoding order (SDM Vol. 2 §3.1.1.3). */
export const Seg = {
    /** Extra segment (string destination). */
    ES: 0,
    /** Code segment. */
    CS: 1,
    /** Stack segment. */
    SS: 2,
    /** Data segment. */
    DS: 3,
    /** FS. */
    FS: 4,
    /** GS. */
    GS: 5,
};
/** Segment register names by index. */
export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
/** CR0 bits (SDM Vol. 3A §2.5, "Control Registers"). */
export const Cr0 = {
    /** Protection enable. */
    PE: 1 << 0,
    /** Monitor coprocessor. */
    MP: 1 << 1,
    /** x87 emulation. */
    EM: 1 << 2,
    /** Task switched. */
    TS: 1 << 3,
    /** Extension type (hard-wired to 1 on the P6). */
    ET: 1 << 4,
    /** Numeric error (native #MF reporting). */
    NE: 1 << 5,
    /** Write protect (supervisor writes honour read-only pages). */
    WP: 1 << 16,
    /** Alignment mask. */
    AM: 1 << 18,
    /** Not write-through. */
    NW: 1 << 29,
    /** Cache disable. */
    CD: 1 << 30,
    /** Paging. */
    PG: 1 << 31,
};
/** CR4 bits (SDM Vol. 3A §2.5). */
export const Cr4 = {
    /** Virtual-8086 mode extensions. */
    VME: 1 << 0,
    /** Protected-mode virtual interrupts. */
    PVI: 1 << 1,
    /** Time-stamp disable (RDTSC privileged). */
    TSD: 1 << 2,
    /** Debugging extensions. */
    DE: 1 << 3,
    /** Page size extensions (4 MiB pages). */
    PSE: 1 << 4,
    /** Physical address extension. */
    PAE: 1 << 5,
    /** Machine-check enable. */
    MCE: 1 << 6,
    /** Page global enable. */
    PGE: 1 << 7,
    /** Performance-counter enable (RDPMC at any CPL). */
    PCE: 1 << 8,
    /** OS supports FXSAVE/FXRSTOR. */
    OSFXSR: 1 << 9,
    /** OS supports unmasked SIMD exceptions. */
    OSXMMEXCPT: 1 << 10,
};
/**
 * Segment access rights in the VMX guest-state layout used by the boot-processor contract
 * (SDM Vol. 3C §24.4.1, Table 24-2): the descriptor's access byte in bits 0–7 and its flags
 * nibble (AVL, L, D/B, G) in bits 12–15, plus "unusable" in bit 16.
 */
export const Ar = {
    /** Segment type field (bits 0–3). */
    TYPE: 0xf,
    /** Accessed (type bit 0). */
    ACCESSED: 0x1,
    /** Data: writable; code: readable (type bit 1). */
    RW: 0x2,
    /** Data: expand-down; code: conforming (type bit 2). */
    DC: 0x4,
    /** Code segment (type bit 3). */
    CODE: 0x8,
    /** Descriptor type: 1 = code or data, 0 = system (bit 4). */
    S: 0x10,
    /** Descriptor privilege level (bits 5–6). */
    DPL: 0x60,
    /** Present (bit 7). */
    P: 0x80,
    /** Available to software (bit 12). */
    AVL: 0x1000,
    /** Default operation size / big (bit 14). */
    DB: 0x4000,
    /** Granularity (bit 15). */
    G: 0x8000,
    /** Unusable: a null selector was loaded (bit 16). */
    UNUSABLE: 0x1_0000,
};
/** System descriptor types (SDM Vol. 3A §3.5, Table 3-2). */
export const SysType = {
    /** 16-bit TSS (available). */
    TSS16: 1,
    /** LDT. */
    LDT: 2,
    /** 16-bit TSS (busy). */
    TSS16_BUSY: 3,
    /** 16-bit call gate. */
    CALL16: 4,
    /** Task gate. */
    TASK: 5,
    /** 16-bit interrupt gate. */
    INT16: 6,
    /** 16-bit trap gate. */
    TRAP16: 7,
    /** 32-bit TSS (available). */
    TSS32: 9,
    /** 32-bit TSS (busy). */
    TSS32_BUSY: 11,
    /** 32-bit call gate. */
    CALL32: 12,
    /** 32-bit interrupt gate. */
    INT32: 14,
    /** 32-bit trap gate. */
    TRAP32: 15,
};
/** Model-specific registers the CPU implements (SDM Vol. 4, Table 2-2 and 2-3). */
export const Msr = {
    /** IA32_P5_MC_ADDR. */
    P5_MC_ADDR: 0x0,
    /** IA32_P5_MC_TYPE. */
    P5_MC_TYPE: 0x1,
    /** IA32_TIME_STAMP_COUNTER. */
    TSC: 0x10,
    /** IA32_PLATFORM_ID. */
    PLATFORM_ID: 0x17,
    /** IA32_BIOS_SIGN_ID (microcode revision). */
    BIOS_SIGN_ID: 0x8b,
    /** IA32_SYSENTER_CS. */
    SYSENTER_CS: 0x174,
    /** IA32_SYSENTER_ESP. */
    SYSENTER_ESP: 0x175,
    /** IA32_SYSENTER_EIP. */
    SYSENTER_EIP: 0x176,
};
//# sourceMappingURL=constants.js.map