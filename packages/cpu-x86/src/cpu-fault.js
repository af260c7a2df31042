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
export class CpuFaultSignal {
    /** A fixed marker, to recognise the signal even across duplicate package copies. */
    popekCpuFault = true;
}
/** The single fault signal object the CPU throws (no allocation per fault). */
export const CPU_FAULT = new CpuFaultSignal();
/** Whether `e` is the CPU's fault signal (anything else thrown through the CPU is a host bug). */
export function isCpuFault(e) {
    return e === CPU_FAULT || (typeof e === 'object' && e !== null && e.popekCpuFault === true);
}
/** Exception vectors (Intel SDM Vol. 3A §6.3.1, Table 6-1). */
export const Vector = {
    /** Divide error. */
    DE: 0,
    /** Debug. */
    DB: 1,
    /** Non-maskable interrupt. */
    NMI: 2,
    /** Breakpoint (INT3). */
    BP: 3,
    /** Overflow (INTO). */
    OF: 4,
    /** BOUND range exceeded. */
    BR: 5,
    /** Invalid opcode. */
    UD: 6,
    /** Device not available (x87). */
    NM: 7,
    /** Double fault. */
    DF: 8,
    /** Invalid TSS. */
    TS: 10,
    /** Segment not present. */
    NP: 11,
    /** Stack-segment fault. */
    SS: 12,
    /** General protection. */
    GP: 13,
    /** Page fault. */
    PF: 14,
    /** x87 floating-point error. */
    MF: 16,
    /** Alignment check. */
    AC: 17,
    /** Machine check. */
    MC: 18,
};
//# sourceMappingURL=cpu-fault.js.map