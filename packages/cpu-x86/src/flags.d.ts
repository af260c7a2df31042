/**
 * EFLAGS bits (Intel SDM Vol. 1 §3.4.3, Vol. 3A §2.3) and the parity table used by the lazy
 * flags evaluator.
 */
/** EFLAGS bit masks (Intel SDM Vol. 1 §3.4.3 "EFLAGS Register"). */
export declare const Eflags: {
    /** Carry flag (bit 0). */
    readonly CF: 1;
    /** Always-one reserved bit 1. */
    readonly Reserved1: 2;
    /** Parity flag (bit 2). */
    readonly PF: 4;
    /** Auxiliary (BCD) carry flag (bit 4). */
    readonly AF: 16;
    /** Zero flag (bit 6). */
    readonly ZF: 64;
    /** Sign flag (bit 7). */
    readonly SF: 128;
    /** Trap flag (bit 8). */
    readonly TF: 256;
    /** Interrupt enable flag (bit 9). */
    readonly IF: 512;
    /** Direction flag (bit 10). */
    readonly DF: 1024;
    /** Overflow flag (bit 11). */
    readonly OF: 2048;
    /** I/O privilege level (bits 12–13). */
    readonly IOPL: 12288;
    /** Nested task (bit 14). */
    readonly NT: 16384;
    /** Resume flag (bit 16). */
    readonly RF: 65536;
    /** Virtual-8086 mode (bit 17). */
    readonly VM: 131072;
    /** Alignment check (bit 18). */
    readonly AC: 262144;
    /** Virtual interrupt flag (bit 19, VME/PVI). */
    readonly VIF: 524288;
    /** Virtual interrupt pending (bit 20, VME/PVI). */
    readonly VIP: 1048576;
    /** CPUID available (bit 21: software can toggle it). */
    readonly ID: 2097152;
};
/** The six arithmetic status flags. */
export declare const ARITH_FLAGS = 2261;
/** The EFLAGS bits an i686 implements (writable by some instruction); the rest read as 0, bit 1 as 1. */
export declare const EFLAGS_IMPLEMENTED = 4161493;
/** `PARITY[b]` is PF for a result whose low byte is `b` (set when the number of one bits is even). */
export declare const PARITY: Uint8Array;
/** Lazy flag operation kinds: how CF/OF/AF are derived from the saved operands. */
export declare const LazyOp: {
    /** Only ZF/SF/PF are lazy (derived from the result). */
    readonly Result: 0;
    /** Addition: result = a + b (+ carry, which is then computed eagerly). */
    readonly Add: 1;
    /** Subtraction: result = a - b (- borrow, which is then computed eagerly). */
    readonly Sub: 2;
};
//# sourceMappingURL=flags.d.ts.map