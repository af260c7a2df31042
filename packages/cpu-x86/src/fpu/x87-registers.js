/*
 * x87 FPU register layouts, named after the Intel SDM (Vol. 1, ch. 8, "Programming with the x87
 * FPU") and the P6 family developer's manual.
 */
/** Status word (FSW) bits, SDM Vol. 1 §8.1.3, figure 8-4. */
export const FSW = {
    /** Invalid operation exception flag. */
    IE: 0x0001,
    /** Denormal operand exception flag. */
    DE: 0x0002,
    /** Zero divide exception flag. */
    ZE: 0x0004,
    /** Overflow exception flag. */
    OE: 0x0008,
    /** Underflow exception flag. */
    UE: 0x0010,
    /** Precision (inexact) exception flag. */
    PE: 0x0020,
    /** Stack fault: IE caused by stack overflow (C1 = 1) or underflow (C1 = 0), §8.1.3.1. */
    SF: 0x0040,
    /** Exception summary status: an unmasked exception flag is set, §8.1.3.2. */
    ES: 0x0080,
    /** Condition code C0. */
    C0: 0x0100,
    /** Condition code C1. */
    C1: 0x0200,
    /** Condition code C2. */
    C2: 0x0400,
    /** TOP field (bits 11–13): physical index of ST(0). */
    TOP: 0x3800,
    /** Condition code C3. */
    C3: 0x4000,
    /** FPU busy; mirrors ES on the 387 and later, §8.1.3. */
    B: 0x8000,
};
/** The six exception flags (and the six mask bits of FCW at the same positions). */
export const FSW_EXCEPTIONS = 0x003f;
/** C0, C1, C2 and C3 together. */
export const FSW_CONDITION = 0x4700;
/** Control word (FCW) fields, SDM Vol. 1 §8.1.5, figure 8-6. */
export const FCW = {
    /** Invalid operation mask. */
    IM: 0x0001,
    /** Denormal operand mask. */
    DM: 0x0002,
    /** Zero divide mask. */
    ZM: 0x0004,
    /** Overflow mask. */
    OM: 0x0008,
    /** Underflow mask. */
    UM: 0x0010,
    /** Precision mask. */
    PM: 0x0020,
    /** Precision control (bits 8–9): 00 single, 10 double, 11 double extended, §8.1.5.2. */
    PC: 0x0300,
    /** Rounding control (bits 10–11), §4.8.4. */
    RC: 0x0c00,
    /** Infinity control (bit 12), kept for 287 compatibility and otherwise meaningless, §8.1.5.3. */
    X: 0x1000,
};
/** FCW after FNINIT / power-on: all exceptions masked, 64-bit precision, round to nearest, §8.1.5. */
export const FCW_DEFAULT = 0x037f;
/** Rounding-control values (FCW.RC), SDM Vol. 1 table 4-8. */
export const RoundingControl = {
    /** Round to nearest (even). */
    Nearest: 0,
    /** Round down, toward −∞. */
    Down: 1,
    /** Round up, toward +∞. */
    Up: 2,
    /** Round toward zero (truncate). */
    Zero: 3,
};
/** Tag word values, SDM Vol. 1 §8.1.7, figure 8-7. */
export const Tag = {
    /** A normal finite value. */
    Valid: 0,
    /** ±0. */
    Zero: 1,
    /** NaN, ±∞, denormal, pseudo-denormal or an unsupported encoding. */
    Special: 2,
    /** The register is empty. */
    Empty: 3,
};
/** EFLAGS bits that FCOMI/FUCOMI write (ZF, PF, CF) and clear (OF, SF, AF), SDM Vol. 2A "FCOMI". */
export const EFLAGS_CF = 0x0001;
/** EFLAGS parity flag. */
export const EFLAGS_PF = 0x0004;
/** EFLAGS auxiliary-carry flag. */
export const EFLAGS_AF = 0x0010;
/** EFLAGS zero flag. */
export const EFLAGS_ZF = 0x0040;
/** EFLAGS sign flag. */
export const EFLAGS_SF = 0x0080;
/** EFLAGS overflow flag. */
export const EFLAGS_OF = 0x0800;
//# sourceMappingURL=x87-registers.js.map