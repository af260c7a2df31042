import type { Snapshotable, StateValue } from '@popek/core';
/**
 * Memory as the FPU sees it; the CPU implements it. Each call applies segmentation and paging and
 * may throw the CPU's fault signal (an exception object), which the FPU lets propagate. Every
 * instruction reads all of its inputs before it changes any state, and calls
 * {@link X87Memory.probeWrite} before a store made of several writes, so a fault leaves the FPU
 * as it was.
 */
export interface X87Memory {
    /** Reads an unsigned value of `width` bytes at `seg:offset` (segment index 0=ES … 5=GS). */
    read(seg: number, offset: number, width: 1 | 2 | 4): number;
    /** Writes the low `width` bytes of `value` at `seg:offset` (`value` may be a negative 32-bit integer). */
    write(seg: number, offset: number, width: 1 | 2 | 4, value: number): void;
    /** Faults now, as a write of `length` bytes at `seg:offset` would, without writing. */
    probeWrite(seg: number, offset: number, length: number): void;
}
/**
 * What the FPU needs from the CPU around one instruction. The CPU may reuse one object for every
 * instruction (the FPU keeps no reference) and may implement `eflags` and `ax` as accessors.
 */
export interface X87Context {
    /** 32-bit operand size (selects the 28/108-byte or 14/94-byte FSTENV/FSAVE images). */
    opsize32: boolean;
    /** Protected mode (CR0.PE = 1 and not virtual-8086): selects the environment image layout. */
    protectedMode: boolean;
    /** CS selector of this instruction (FCS). */
    cs: number;
    /** Offset in CS of this instruction, prefixes included (FIP). */
    eip: number;
    /**
     * The segment selectors, indexed like the `seg` argument (0=ES, 1=CS, 2=SS, 3=DS, 4=FS, 5=GS):
     * FDS is the selector of the memory operand's segment. (Addition to the brief's interface.)
     */
    readonly selectors: ArrayLike<number>;
    /**
     * EFLAGS. FCMOVcc reads CF, ZF and PF; FCOMI/FCOMIP/FUCOMI/FUCOMIP write ZF, PF and CF and clear
     * OF, SF and AF, leaving the other bits. (Addition to the brief's interface.)
     */
    eflags: number;
    /** FNSTSW AX writes the status word here; the CPU stores it in AX. (Addition to the brief's interface.) */
    ax: number;
}
/** What {@link X87.execute} tells the CPU. */
export declare const X87Result: {
    /** The instruction executed (possibly flagging an FPU exception; see {@link X87.pendingException}). */
    readonly Done: 0;
    /**
     * The encoding is undefined on the P6 family (for example FISTTP, which is SSE3): the CPU raises
     * #UD. No FPU state changed.
     */
    readonly InvalidOpcode: 1;
};
/** One of the {@link X87Result} values. */
export type X87Result = (typeof X87Result)[keyof typeof X87Result];
/** Version of the state {@link X87.saveState} returns; the CPU folds it into its own schema. */
export declare const X87_STATE_VERSION = 1;
/**
 * The x87 FPU of a P6-family processor: eight 80-bit registers, control/status/tag words, the
 * last-instruction and last-operand pointers, and every D8–DF instruction.
 *
 * Values are held as exact 80-bit encodings, so FLD m80 / FSTP m80 round-trip every bit pattern
 * (NaN payloads, pseudo-denormals, unsupported encodings). Add, subtract, multiply, divide,
 * square root, FPREM/FPREM1, FSCALE, FRNDINT, FXTRACT, comparisons and all conversions (float,
 * integer, BCD) are exact 80-bit arithmetic, correctly rounded under FCW.PC and FCW.RC with the
 * P6's flags and masked/unmasked responses. **Precision is float64 rather than 80-bit only in the
 * transcendental instructions** F2XM1, FYL2X, FYL2XP1, FPTAN, FPATAN, FSIN, FCOS and FSINCOS: they
 * evaluate in float64 (with the 64-bit operand split into two doubles where that helps), so
 * their results carry about 53 correct bits, PE is always raised for an inexact result, and C1
 * (round-up) is not meaningful for them. See README.md in this directory.
 *
 * The CPU owns everything around the FPU: CR0.EM/TS (#NM), raising #MF or IRQ 13 when
 * {@link pendingException} is set before a waiting instruction, WAIT/FWAIT, the FXSAVE/FXRSTOR
 * 16-byte alignment check, and mapping {@link X87Result.InvalidOpcode} to #UD.
 */
export declare class X87 implements Snapshotable {
    readonly snapshotId: string;
    /** Snapshot schema name. */
    readonly stateType = "@popek/cpu-x86:X87";
    /** Snapshot schema version ({@link X87_STATE_VERSION}). */
    readonly stateVersion = 1;
    private readonly regSe;
    private readonly regHi;
    private readonly regLo;
    private readonly tags;
    private top;
    private cw;
    /** FSW without the TOP field. */
    private sw;
    private fip;
    private fcs;
    private fdp;
    private fds;
    private fop;
    private readonly u;
    private readonly scratchSe;
    private readonly scratchHi;
    private readonly scratchLo;
    private readonly scratchEnv;
    /** @param snapshotId the id of this FPU within the machine's snapshot (`cpu0.fpu`) */
    constructor(snapshotId?: string);
    /** An unmasked exception is pending (FSW.ES): the CPU raises #MF (CR0.NE = 1) or IRQ 13 before the next waiting FPU instruction or WAIT. */
    get pendingException(): boolean;
    /** The status word as FNSTSW stores it (TOP included). */
    get statusWord(): number;
    /** The control word as FNSTCW stores it. */
    get controlWord(): number;
    /** The full tag word as FNSTENV stores it (two bits per physical register). */
    get tagWord(): number;
    /** Power-on / FNINIT state (SDM Vol. 1 §8.1.11 table 8-…): register contents are kept. */
    reset(): void;
    /**
     * Reads ST(i) as an 80-bit encoding into `out` ([sign/exponent, significand high, significand
     * low]); returns false if the register is empty. For debuggers and tests.
     */
    readRegister(i: number, out: Uint32Array): boolean;
    /**
     * Executes one x87 instruction: `opcode` 0xD8–0xDF and its ModRM byte; for memory forms the
     * segment index (0=ES … 5=GS) and effective offset of the operand, for register forms seg = −1.
     * Records FIP/FCS/FOP (and FDP/FDS for memory operands) for every non-control instruction.
     * Returns {@link X87Result.InvalidOpcode} for encodings the P6 family does not define.
     */
    execute(opcode: number, modrm: number, seg: number, offset: number, mem: X87Memory, ctx: X87Context): X87Result;
    /** Sets exception flags (and SF), and ES/B when one of them is unmasked. */
    private raise;
    private setC1;
    private clearC1;
    private setControlWord;
    private updateSummary;
    private phys;
    private isEmpty;
    private writePhys;
    private writeST;
    private writeIndefinite;
    private pop;
    /** Pushes a value, or handles stack overflow (IE, SF, C1 = 1; masked: push the indefinite). */
    private push;
    /**
     * Stack overflow in FXTRACT, FPTAN and FSINCOS (which replace ST(0) and push): the masked
     * response leaves the indefinite in both ST(0) and the new ST(0).
     */
    private stackOverflowReplacing;
    private stackOverflow;
    /**
     * Stack underflow (IE, SF, C1 = 0). Masked: ST(dst) receives the indefinite (dst < 0: nothing is
     * written) and the stack pops `pops` times. Unmasked: nothing changes.
     */
    private stackUnderflow;
    /**
     * Commits the unit's result to ST(dst) unless a pre-computation exception (IE, DE, ZE) is
     * unmasked, then pops `pops` times. Sets C1 from the rounding.
     */
    private commit;
    /** FLD m32/m64/m16int/m32int after conversion: an SNaN raises IE and loads quieted. */
    private loadConverted;
    private loadRegister;
    private loadConstant;
    private storeRegister;
    private exchange;
    private storeFloat;
    private storeExtended;
    private write80;
    private storeInt;
    private writeInt;
    private storeBcd;
    /**
     * D8/DC/DE register forms: ST(dst) ← ST(dst) op ST(src), op in the D8 numbering (0 add, 1 mul,
     * 4 sub, 5 subr, 6 div, 7 divr).
     */
    private arithRegister;
    /** D8/DA/DC/DE memory forms: the converted operand is in the unit's result fields. */
    private arithMemory;
    private compute;
    private stackUnderflowCompare;
    /** Sets C3/C2/C0 from a comparison result, or leaves them when IE is unmasked; then pops. */
    private finishCompare;
    private compareRegister;
    private compareToFlags;
    private conditionalMove;
    /** FCHS, FABS, FTST, FXAM. Returns false for an undefined encoding. */
    private group14;
    /** F2XM1, FYL2X, FPTAN, FPATAN, FXTRACT, FPREM1, FDECSTP, FINCSTP. */
    private group16;
    /** FPREM, FYL2XP1, FSQRT, FSINCOS, FRNDINT, FSCALE, FSIN, FCOS. */
    private group17;
    private partialRemainder;
    private extract;
    /**
     * Handles the special operands common to the one-operand transcendentals; returns true when the
     * result is already in the unit (NaN, unsupported).
     */
    private specialUnary;
    /** F2XM1 (0), FSIN (1), FCOS (2). */
    private unaryTranscendental;
    /** The part of an 80-bit finite value below its float64 rounding `x`, as a float64. */
    private lowPart;
    private redHi;
    private redLo;
    private quadrant;
    /**
     * Reduces |x| (finite, below 2^63) modulo π/2 the way the x87 does: with a 66-bit approximation
     * of π (SDM Vol. 1 §8.3.10 "Pi"), exactly (BigInt; only for |x| > π/4). The reduced argument is
     * left as a double-double in redHi/redLo.
     */
    private reduce;
    /** sin (cos = false) or cos of the reduced argument, with quadrant and sign applied. */
    private reducedSinCos;
    /**
     * sin x (`away` false: the true value is just below |x|) or tan x (`away` true: just above) for
     * |x| < 2^−40: x rounded as if a tiny amount were subtracted or added, under RC and the x87
     * underflow rules.
     */
    private tinyOdd;
    /** 2^x − 1 for |x| < 2^−40, in 80-bit: x · (ln2 · (1 + x·ln2/2)), the last product under the x87 rules. */
    private tinyExpm1;
    /** A transcendental result in the denormal range raises UE with PE (masked) like a rounding would. */
    private denormalResult;
    /** FYL2X (0), FPATAN (1), FYL2XP1 (2): ST(1) ← f(ST(1), ST(0)), pop. */
    private binaryTranscendental;
    private logarithm;
    /** The unbiased exponent of a denormal after normalisation. */
    private normalExponent;
    /** ST(1) result y × (l2 + l2lo), multiplied in 80-bit so range and rounding follow the x87. */
    private multiplyLog;
    /** Transcendental instructions ignore FCW.PC: compute their 80-bit steps at 64 bits. */
    private fullPrecision;
    private arctangent;
    /** ±(a multiple of π) rounded to 64 bits under RC; PE is raised (π is irrational). */
    private piMultiple;
    private tangent;
    private sineCosine;
    /** Writes the 14- or 28-byte environment image; returns its size. */
    private writeEnvironment;
    /** Reads an environment image into scratchEnv as [cw, sw, tw, fip, fcs, fop, fdp, fds]; returns its size. */
    private readEnvironment;
    private readonly envIn;
    /** Applies a read environment: registers' tags are recomputed from their contents, empty stays empty. */
    private applyEnvironment;
    private setControlWordRaw;
    private storeEnvironment;
    private loadEnvironment;
    private saveStateImage;
    private restoreState;
    /**
     * FXSAVE: stores the legacy x87 part of the 512-byte FXSAVE area (SDM Vol. 2A "FXSAVE" table
     * 3-…, non-64-bit layout). This CPU has no SSE, so MXCSR is written as its reset value 0x1F80 and
     * MXCSR_MASK as 0 (as processors before MXCSR_MASK existed did); bytes 160–511 (the XMM and
     * reserved areas) are not written. The whole 512 bytes are probed first; the caller checks the
     * 16-byte alignment (#GP).
     */
    fxsave(mem: X87Memory, seg: number, offset: number, _ctx: X87Context): void;
    /**
     * FXRSTOR: loads the legacy x87 part of the FXSAVE area. The abridged tag marks registers valid
     * or empty; valid registers' full tags come from their contents. MXCSR is ignored (no SSE, so no
     * #GP for its reserved bits). The caller checks the 16-byte alignment.
     */
    fxrstor(mem: X87Memory, seg: number, offset: number, _ctx: X87Context): void;
    /** The FPU state as a plain value: registers in physical order, words and pointers. */
    saveState(): StateValue;
    /** Loads a state saved by {@link saveState} (same {@link X87_STATE_VERSION}); rejects malformed input. */
    loadState(state: StateValue): void;
}
//# sourceMappingURL=x87.d.ts.map