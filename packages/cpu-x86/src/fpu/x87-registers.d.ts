/** Status word (FSW) bits, SDM Vol. 1 §8.1.3, figure 8-4. */
export declare const FSW: {
    /** Invalid operation exception flag. */
    readonly IE: 1;
    /** Denormal operand exception flag. */
    readonly DE: 2;
    /** Zero divide exception flag. */
    readonly ZE: 4;
    /** Overflow exception flag. */
    readonly OE: 8;
    /** Underflow exception flag. */
    readonly UE: 16;
    /** Precision (inexact) exception flag. */
    readonly PE: 32;
    /** Stack fault: IE caused by stack overflow (C1 = 1) or underflow (C1 = 0), §8.1.3.1. */
    readonly SF: 64;
    /** Exception summary status: an unmasked exception flag is set, §8.1.3.2. */
    readonly ES: 128;
    /** Condition code C0. */
    readonly C0: 256;
    /** Condition code C1. */
    readonly C1: 512;
    /** Condition code C2. */
    readonly C2: 1024;
    /** TOP field (bits 11–13): physical index of ST(0). */
    readonly TOP: 14336;
    /** Condition code C3. */
    readonly C3: 16384;
    /** FPU busy; mirrors ES on the 387 and later, §8.1.3. */
    readonly B: 32768;
};
/** The six exception flags (and the six mask bits of FCW at the same positions). */
export declare const FSW_EXCEPTIONS = 63;
/** C0, C1, C2 and C3 together. */
export declare const FSW_CONDITION = 18176;
/** Control word (FCW) fields, SDM Vol. 1 §8.1.5, figure 8-6. */
export declare const FCW: {
    /** Invalid operation mask. */
    readonly IM: 1;
    /** Denormal operand mask. */
    readonly DM: 2;
    /** Zero divide mask. */
    readonly ZM: 4;
    /** Overflow mask. */
    readonly OM: 8;
    /** Underflow mask. */
    readonly UM: 16;
    /** Precision mask. */
    readonly PM: 32;
    /** Precision control (bits 8–9): 00 single, 10 double, 11 double extended, §8.1.5.2. */
    readonly PC: 768;
    /** Rounding control (bits 10–11), §4.8.4. */
    readonly RC: 3072;
    /** Infinity control (bit 12), kept for 287 compatibility and otherwise meaningless, §8.1.5.3. */
    readonly X: 4096;
};
/** FCW after FNINIT / power-on: all exceptions masked, 64-bit precision, round to nearest, §8.1.5. */
export declare const FCW_DEFAULT = 895;
/** Rounding-control values (FCW.RC), SDM Vol. 1 table 4-8. */
export declare const RoundingControl: {
    /** Round to nearest (even). */
    readonly Nearest: 0;
    /** Round down, toward −∞. */
    readonly Down: 1;
    /** Round up, toward +∞. */
    readonly Up: 2;
    /** Round toward zero (truncate). */
    readonly Zero: 3;
};
/** Tag word values, SDM Vol. 1 §8.1.7, figure 8-7. */
export declare const Tag: {
    /** A normal finite value. */
    readonly Valid: 0;
    /** ±0. */
    readonly Zero: 1;
    /** NaN, ±∞, denormal, pseudo-denormal or an unsupported encoding. */
    readonly Special: 2;
    /** The register is empty. */
    readonly Empty: 3;
};
/** EFLAGS bits that FCOMI/FUCOMI write (ZF, PF, CF) and clear (OF, SF, AF), SDM Vol. 2A "FCOMI". */
export declare const EFLAGS_CF = 1;
/** EFLAGS parity flag. */
export declare const EFLAGS_PF = 4;
/** EFLAGS auxiliary-carry flag. */
export declare const EFLAGS_AF = 16;
/** EFLAGS zero flag. */
export declare const EFLAGS_ZF = 64;
/** EFLAGS sign flag. */
export declare const EFLAGS_SF = 128;
/** EFLAGS overflow flag. */
export declare const EFLAGS_OF = 2048;
//# sourceMappingURL=x87-registers.d.ts.map