/**
 * The CPU's fault signal. When an instruction raises an exception (a segment-limit violation,
 * a page fault, #UD, ...), the CPU records the vector and error code on itself and throws the
 * one preallocated {@link CPU_FAULT} object; the run loop catches it at the instruction boundary
 * and delivers the exception through the IDT. Code the CPU calls while executing an instruction
 * (the x87 unit through `X87Memory`, device handlers reached by IN/OUT) must let it propagate
 * untouched: catching it would lose the exception.
 *
 * Faults are rare; the fast paths never throw.
 */
export declare class CpuFaultSignal {
    /** A fixed marker, to recognise the signal even across duplicate package copies. */
    readonly popekCpuFault = true;
}
/** The single fault signal object the CPU throws (no allocation per fault). */
export declare const CPU_FAULT: CpuFaultSignal;
/** Whether `e` is the CPU's fault signal (anything else thrown through the CPU is a host bug). */
export declare function isCpuFault(e: unknown): e is CpuFaultSignal;
/** Exception vectors (Intel SDM Vol. 3A §6.3.1, Table 6-1). */
export declare const Vector: {
    /** Divide error. */
    readonly DE: 0;
    /** Debug. */
    readonly DB: 1;
    /** Non-maskable interrupt. */
    readonly NMI: 2;
    /** Breakpoint (INT3). */
    readonly BP: 3;
    /** Overflow (INTO). */
    readonly OF: 4;
    /** BOUND range exceeded. */
    readonly BR: 5;
    /** Invalid opcode. */
    readonly UD: 6;
    /** Device not available (x87). */
    readonly NM: 7;
    /** Double fault. */
    readonly DF: 8;
    /** Invalid TSS. */
    readonly TS: 10;
    /** Segment not present. */
    readonly NP: 11;
    /** Stack-segment fault. */
    readonly SS: 12;
    /** General protection. */
    readonly GP: 13;
    /** Page fault. */
    readonly PF: 14;
    /** x87 floating-point error. */
    readonly MF: 16;
    /** Alignment check. */
    readonly AC: 17;
    /** Machine check. */
    readonly MC: 18;
};
//# sourceMappingURL=cpu-fault.d.ts.map