/**
 * EFLAGS bits (Intel SDM Vol. 1 §3.4.3, Vol. 3A §2.3) and the parity table used by the lazy
 * flags evaluator.
 */
/** EFLAGS bit masks (Intel SDM Vol. 1 §3.4.3 "EFLAGS Register"). */
export const Eflags = {
    /** Carry flag (bit 0). */
    CF: 0x0001,
    /** Always-one reserved bit 1. */
    Reserved1: 0x0002,
    /** Parity flag (bit 2). */
    PF: 0x0004,
    /** Auxiliary (BCD) carry flag (bit 4). */
    AF: 0x0010,
    /** Zero flag (bit 6). */
    ZF: 0x0040,
    /** Sign flag (bit 7). */
    SF: 0x0080,
    /** Trap flag (bit 8). */
    TF: 0x0100,
    /** Interrupt enable flag (bit 9). */
    IF: 0x0200,
    /** Direction flag (bit 10). */
    DF: 0x0400,
    /** Overflow flag (bit 11). */
    OF: 0x0800,
    /** I/O privilege level (bits 12–13). */
    IOPL: 0x3000,
    /** Nested task (bit 14). */
    NT: 0x4000,
    /** Resume flag (bit 16). */
    RF: 0x1_0000,
    /** Virtual-8086 mode (bit 17). */
    VM: 0x2_0000,
    /** Alignment check (bit 18). */
    AC: 0x4_0000,
    /** Virtual interrupt flag (bit 19, VME/PVI). */
    VIF: 0x8_0000,
    /** Virtual interrupt pending (bit 20, VME/PVI). */
    VIP: 0x10_0000,
    /** CPUID available (bit 21: software can toggle it). */
    ID: 0x20_0000,
};
/** The six arithmetic status flags. */
export const ARITH_FLAGS = 0x8d5;
/** The EFLAGS bits an i686 implements (writable by some instruction); the rest read as 0, bit 1 as 1. */
export const EFLAGS_IMPLEMENTED = 0x3f_7fd5;
/** `PARITY[b]` is PF for a result whose low byte is `b` (set when the number of one bits is even). */
export const PARITY = (() => {
    const t = new Uint8Array(256);
    for (let i = 0; i < 256; i++) {
        let n = 0;
        for (let b = i; b !== 0; b >>= 1)
            n += b & 1;
        t[i] = (n & 1) === 0 ? Eflags.PF : 0;
    }
    return t;
})();
/** Lazy flag operation kinds: how CF/OF/AF are derived from the saved operands. */
export const LazyOp = {
    /** Only ZF/SF/PF are lazy (derived from the result). */
    Result: 0,
    /** Addition: result = a + b (+ carry, which is then computed eagerly). */
    Add: 1,
    /** Subtraction: result = a - b (- borrow, which is then computed eagerly). */
    Sub: 2,
};
//# sourceMappingURL=flags.js.map