import { field, numberField } from '@popek/core';
import { classify, Float80Unit, FloatClass, INDEFINITE_HI, INDEFINITE_SE, ldexp } from './float80-unit.js';
import { EFLAGS_AF, EFLAGS_CF, EFLAGS_OF, EFLAGS_PF, EFLAGS_SF, EFLAGS_ZF, FCW, FCW_DEFAULT, FSW, FSW_CONDITION, FSW_EXCEPTIONS, RoundingControl, Tag, } from './x87-registers.js';
/** What {@link X87.execute} tells the CPU. */
export const X87Result = {
    /** The instruction executed (possibly flagging an FPU exception; see {@link X87.pendingException}). */
    Done: 0,
    /**
     * The encoding is undefined on the P6 family (for example FISTTP, which is SSE3): the CPU raises
     * #UD. No FPU state changed.
     */
    InvalidOpcode: 1,
};
/** Version of the state {@link X87.saveState} returns; the CPU folds it into its own schema. */
export const X87_STATE_VERSION = 1;
const IE = FSW.IE;
const DE = FSW.DE;
const ZE = FSW.ZE;
const PRE_EXCEPTIONS = IE | DE | ZE;
const SIGN = 0x8000;
// The 66-bit constants of FLD1…FLDZ (SDM Vol. 1 §8.3.4): the significand truncated to 64 bits and
// which way the rest goes. "up" says the value lies above the truncation (so round to nearest and
// round up give truncation + 1 ulp), SDM Vol. 2A "FLDL2T…": "rounded per RC" on the P6 family.
// [exponent, significand high, significand low, nearest rounds up]
const CONSTANTS = [
    [0x3fff, 0x8000_0000, 0x0000_0000, false], // FLD1
    [0x4000, 0xd49a_784b, 0xcd1b_8afe, false], // FLDL2T: log2(10), rest 0x49…: nearest = truncation
    [0x3fff, 0xb8aa_3b29, 0x5c17_f0bb, true], // FLDL2E: log2(e)
    [0x4000, 0xc90f_daa2, 0x2168_c234, true], // FLDPI
    [0x3ffd, 0x9a20_9a84, 0xfbcf_f798, true], // FLDLG2: log10(2)
    [0x3ffe, 0xb172_17f7, 0xd1cf_79ab, true], // FLDLN2: ln(2)
    [0x0000, 0x0000_0000, 0x0000_0000, false], // FLDZ
];
/** Which constants are irrational (their truncation is inexact). */
const CONSTANT_INEXACT = [false, true, true, true, true, true, false];
/** π/2 as the x87 holds it for argument reduction: 66 bits of π (…C234 then binary 11), scaled by 2^65. */
const PI66 = (0xc90fdaa22168c234n << 2n) | 3n;
/** π to 128 bits (0xC90F…), for the FPATAN results that are exact multiples of π. */
const PI128 = 0xc90fdaa22168c234c4c6628b80dc1cd1n;
/** [exponent, h, l, g] of k·π/4 to 96 bits with a sticky bit (see Float80Unit.roundAccumulator). */
function piWords(numerator, exp) {
    let v = PI128 * numerator; // numerator·π·2^126
    let e = exp;
    while (v >> 128n !== 0n) {
        v >>= 1n;
        e += 1;
    }
    const g = Number((v >> 32n) & 0xffffffffn) | ((v & 0xffffffffn) !== 0n ? 1 : 0);
    return [e, Number(v >> 96n), Number((v >> 64n) & 0xffffffffn), g >>> 0];
}
const PI_1 = piWords(1n, 1);
const PI_1_2 = piWords(1n, 0);
const PI_1_4 = piWords(1n, -1);
const PI_3_4 = piWords(3n, -1);
/** 2^63, the FSIN/FCOS/FPTAN/FSINCOS operand limit (SDM Vol. 2A "FSIN"). */
const TRIG_LIMIT_EXP = 0x3fff + 63;
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
export class X87 {
    snapshotId;
    /** Snapshot schema name. */
    stateType = '@popek/cpu-x86:X87';
    /** Snapshot schema version ({@link X87_STATE_VERSION}). */
    stateVersion = X87_STATE_VERSION;
    // Physical registers R0–R7 (ST(i) is R[(top + i) & 7]).
    regSe = new Uint16Array(8);
    // Significand words as signed 32-bit integers: values read from here stay small integers in V8
    // and are passed between functions without boxing.
    regHi = new Int32Array(8);
    regLo = new Int32Array(8);
    tags = new Uint8Array(8);
    top = 0;
    cw = FCW_DEFAULT;
    /** FSW without the TOP field. */
    sw = 0;
    fip = 0;
    fcs = 0;
    fdp = 0;
    fds = 0;
    fop = 0;
    u = new Float80Unit();
    // Scratch for FRSTOR/FXRSTOR (read everything before changing state).
    scratchSe = new Uint16Array(8);
    scratchHi = new Uint32Array(8);
    scratchLo = new Uint32Array(8);
    scratchEnv = new Uint32Array(7);
    /** @param snapshotId the id of this FPU within the machine's snapshot (`cpu0.fpu`) */
    constructor(snapshotId = 'fpu') {
        this.snapshotId = snapshotId;
        this.reset();
        this.tags.fill(Tag.Empty);
    }
    /** An unmasked exception is pending (FSW.ES): the CPU raises #MF (CR0.NE = 1) or IRQ 13 before the next waiting FPU instruction or WAIT. */
    get pendingException() {
        return (this.sw & FSW.ES) !== 0;
    }
    /** The status word as FNSTSW stores it (TOP included). */
    get statusWord() {
        return ((this.sw & ~FSW.TOP) | (this.top << 11)) & 0xffff;
    }
    /** The control word as FNSTCW stores it. */
    get controlWord() {
        return this.cw;
    }
    /** The full tag word as FNSTENV stores it (two bits per physical register). */
    get tagWord() {
        let tw = 0;
        for (let i = 7; i >= 0; i--)
            tw = (tw << 2) | this.tags[i];
        return tw;
    }
    /** Power-on / FNINIT state (SDM Vol. 1 §8.1.11 table 8-…): register contents are kept. */
    reset() {
        this.cw = FCW_DEFAULT;
        this.u.cw = FCW_DEFAULT;
        this.sw = 0;
        this.top = 0;
        this.tags.fill(Tag.Empty);
        this.fip = 0;
        this.fcs = 0;
        this.fdp = 0;
        this.fds = 0;
        this.fop = 0;
    }
    /**
     * Reads ST(i) as an 80-bit encoding into `out` ([sign/exponent, significand high, significand
     * low]); returns false if the register is empty. For debuggers and tests.
     */
    readRegister(i, out) {
        const p = (this.top + i) & 7;
        out[0] = this.regSe[p];
        out[1] = this.regHi[p];
        out[2] = this.regLo[p];
        return this.tags[p] !== Tag.Empty;
    }
    // ---------------------------------------------------------------------------------------------
    // Execution
    /**
     * Executes one x87 instruction: `opcode` 0xD8–0xDF and its ModRM byte; for memory forms the
     * segment index (0=ES … 5=GS) and effective offset of the operand, for register forms seg = −1.
     * Records FIP/FCS/FOP (and FDP/FDS for memory operands) for every non-control instruction.
     * Returns {@link X87Result.InvalidOpcode} for encodings the P6 family does not define.
     */
    execute(opcode, modrm, seg, offset, mem, ctx) {
        const op = ((opcode & 7) << 3) | ((modrm >> 3) & 7);
        if (modrm < 0xc0) {
            switch (op) {
                // D8: arithmetic with m32real
                case 0o00:
                case 0o01:
                case 0o02:
                case 0o03:
                case 0o04:
                case 0o05:
                case 0o06:
                case 0o07:
                    this.u.flags = 0;
                    this.u.fromF32(mem.read(seg, offset, 4));
                    this.arithMemory(op & 7);
                    break;
                // D9
                case 0o10: // FLD m32real
                    this.u.flags = 0;
                    this.u.fromF32(mem.read(seg, offset, 4));
                    this.loadConverted();
                    break;
                case 0o11: // reserved
                    return X87Result.InvalidOpcode;
                case 0o12: // FST m32real
                    this.storeFloat(seg, offset, mem, false, false);
                    break;
                case 0o13: // FSTP m32real
                    this.storeFloat(seg, offset, mem, false, true);
                    break;
                case 0o14: // FLDENV
                    this.loadEnvironment(mem, seg, offset, ctx);
                    return X87Result.Done;
                case 0o15: // FLDCW
                    this.setControlWord(mem.read(seg, offset, 2));
                    return X87Result.Done;
                case 0o16: // FNSTENV
                    this.storeEnvironment(mem, seg, offset, ctx);
                    this.cw |= FSW_EXCEPTIONS;
                    return X87Result.Done;
                case 0o17: // FNSTCW
                    mem.write(seg, offset, 2, this.cw);
                    return X87Result.Done;
                // DA: arithmetic with m32int
                case 0o20:
                case 0o21:
                case 0o22:
                case 0o23:
                case 0o24:
                case 0o25:
                case 0o26:
                case 0o27:
                    this.u.flags = 0;
                    this.u.fromInt32(mem.read(seg, offset, 4));
                    this.arithMemory(op & 7);
                    break;
                // DB
                case 0o30: // FILD m32int
                    this.u.flags = 0;
                    this.u.fromInt32(mem.read(seg, offset, 4));
                    this.loadConverted();
                    break;
                case 0o31: // FISTTP m32int: SSE3, #UD on the P6 family
                    return X87Result.InvalidOpcode;
                case 0o32:
                    this.storeInt(seg, offset, mem, 32, false);
                    break;
                case 0o33:
                    this.storeInt(seg, offset, mem, 32, true);
                    break;
                case 0o34:
                case 0o36:
                    return X87Result.InvalidOpcode;
                case 0o35: {
                    // FLD m80real: bit-exact, no exceptions but stack overflow
                    const lo = mem.read(seg, offset, 4);
                    const hi = mem.read(seg, (offset + 4) >>> 0, 4);
                    const se = mem.read(seg, (offset + 8) >>> 0, 2);
                    this.push(se, hi, lo);
                    break;
                }
                case 0o37: // FSTP m80real
                    this.storeExtended(seg, offset, mem);
                    break;
                // DC: arithmetic with m64real
                case 0o40:
                case 0o41:
                case 0o42:
                case 0o43:
                case 0o44:
                case 0o45:
                case 0o46:
                case 0o47: {
                    const lo = mem.read(seg, offset, 4);
                    const hi = mem.read(seg, (offset + 4) >>> 0, 4);
                    this.u.flags = 0;
                    this.u.fromF64(hi, lo);
                    this.arithMemory(op & 7);
                    break;
                }
                // DD
                case 0o50: {
                    // FLD m64real
                    const lo = mem.read(seg, offset, 4);
                    const hi = mem.read(seg, (offset + 4) >>> 0, 4);
                    this.u.flags = 0;
                    this.u.fromF64(hi, lo);
                    this.loadConverted();
                    break;
                }
                case 0o51: // FISTTP m64int: SSE3
                case 0o55:
                    return X87Result.InvalidOpcode;
                case 0o52:
                    this.storeFloat(seg, offset, mem, true, false);
                    break;
                case 0o53:
                    this.storeFloat(seg, offset, mem, true, true);
                    break;
                case 0o54: // FRSTOR
                    this.restoreState(mem, seg, offset, ctx);
                    return X87Result.Done;
                case 0o56: // FNSAVE
                    this.saveStateImage(mem, seg, offset, ctx);
                    return X87Result.Done;
                case 0o57: // FNSTSW m16
                    mem.write(seg, offset, 2, this.statusWord);
                    return X87Result.Done;
                // DE: arithmetic with m16int
                case 0o60:
                case 0o61:
                case 0o62:
                case 0o63:
                case 0o64:
                case 0o65:
                case 0o66:
                case 0o67: {
                    const v = mem.read(seg, offset, 2);
                    this.u.flags = 0;
                    this.u.fromInt32((v << 16) >> 16);
                    this.arithMemory(op & 7);
                    break;
                }
                // DF
                case 0o70: {
                    const v = mem.read(seg, offset, 2);
                    this.u.flags = 0;
                    this.u.fromInt32((v << 16) >> 16);
                    this.loadConverted();
                    break;
                }
                case 0o71: // FISTTP m16int: SSE3
                    return X87Result.InvalidOpcode;
                case 0o72:
                    this.storeInt(seg, offset, mem, 16, false);
                    break;
                case 0o73:
                    this.storeInt(seg, offset, mem, 16, true);
                    break;
                case 0o74: {
                    // FBLD m80bcd
                    const w0 = mem.read(seg, offset, 4);
                    const w1 = mem.read(seg, (offset + 4) >>> 0, 4);
                    const w2 = mem.read(seg, (offset + 8) >>> 0, 2);
                    this.u.flags = 0;
                    this.u.fromBcd(w0, w1, w2);
                    this.push(this.u.se, this.u.hi, this.u.lo);
                    break;
                }
                case 0o75: {
                    // FILD m64int
                    const lo = mem.read(seg, offset, 4);
                    const hi = mem.read(seg, (offset + 4) >>> 0, 4);
                    this.u.flags = 0;
                    this.u.fromInt64(hi, lo);
                    this.push(this.u.se, this.u.hi, this.u.lo);
                    break;
                }
                case 0o76:
                    this.storeBcd(seg, offset, mem);
                    break;
                case 0o77:
                    this.storeInt(seg, offset, mem, 64, true);
                    break;
                default:
                    return X87Result.InvalidOpcode;
            }
            // A non-control instruction with a memory operand: record the pointers.
            this.fop = ((opcode & 7) << 8) | modrm;
            this.fip = ctx.eip;
            this.fcs = ctx.cs & 0xffff;
            this.fdp = offset >>> 0;
            this.fds = (ctx.selectors[seg] ?? 0) & 0xffff;
            return X87Result.Done;
        }
        const i = modrm & 7;
        switch (op) {
            case 0o00:
            case 0o01:
            case 0o04:
            case 0o05:
            case 0o06:
            case 0o07:
                // D8 /r: ST(0) ← ST(0) op ST(i)
                this.arithRegister(op & 7, 0, i, false);
                break;
            case 0o02: // FCOM ST(i)
                this.compareRegister(i, false, 0);
                break;
            case 0o03: // FCOMP ST(i)
                this.compareRegister(i, false, 1);
                break;
            case 0o10: // FLD ST(i)
                this.loadRegister(i);
                break;
            case 0o11: // FXCH ST(i)
            case 0o51: // FXCH4 alias (DD C8+i)
            case 0o71: // FXCH7 alias (DF C8+i)
                this.exchange(i);
                break;
            case 0o12:
                if (i !== 0)
                    return X87Result.InvalidOpcode;
                this.clearC1(); // FNOP
                break;
            case 0o13: // FSTP1 alias (D9 D8+i)
            case 0o72: // FSTP8 alias (DF D0+i)
            case 0o73: // FSTP9 alias (DF D8+i)
                this.storeRegister(i, true);
                break;
            case 0o14:
                if (!this.group14(i))
                    return X87Result.InvalidOpcode;
                break;
            case 0o15:
                if (i === 7)
                    return X87Result.InvalidOpcode;
                this.loadConstant(i);
                break;
            case 0o16:
                this.group16(i);
                break;
            case 0o17:
                this.group17(i);
                break;
            case 0o20:
            case 0o21:
            case 0o22:
            case 0o23:
            case 0o30:
            case 0o31:
            case 0o32:
            case 0o33:
                this.conditionalMove(op, i, ctx);
                break;
            case 0o25:
                if (i !== 1)
                    return X87Result.InvalidOpcode;
                this.compareRegister(1, true, 2); // FUCOMPP
                break;
            case 0o34:
                switch (i) {
                    case 0: // FNENI, FNDISI, FNSETPM: no-ops on the 387 and later
                    case 1:
                    case 4:
                        return X87Result.Done;
                    case 2: // FNCLEX
                        this.sw &= ~(FSW_EXCEPTIONS | FSW.SF | FSW.ES | FSW.B);
                        return X87Result.Done;
                    case 3: // FNINIT
                        this.reset();
                        return X87Result.Done;
                    default:
                        return X87Result.InvalidOpcode;
                }
            case 0o35: // FUCOMI
                this.compareToFlags(i, true, false, ctx);
                break;
            case 0o36: // FCOMI
                this.compareToFlags(i, false, false, ctx);
                break;
            case 0o40:
            case 0o41:
            case 0o44:
            case 0o45:
            case 0o46:
            case 0o47:
                // DC /r: ST(i) ← ST(i) op ST(0), with SUB/SUBR and DIV/DIVR swapped in the encoding
                this.arithRegister(op & 7 & 4 ? (op & 7) ^ 1 : op & 7, i, 0, false);
                break;
            case 0o42: // FCOM2 alias
                this.compareRegister(i, false, 0);
                break;
            case 0o43: // FCOMP3 alias
            case 0o62: // FCOMP5 alias
                this.compareRegister(i, false, 1);
                break;
            case 0o50: // FFREE ST(i)
                this.tags[(this.top + i) & 7] = Tag.Empty;
                break;
            case 0o52: // FST ST(i)
                this.storeRegister(i, false);
                break;
            case 0o53: // FSTP ST(i)
                this.storeRegister(i, true);
                break;
            case 0o54: // FUCOM ST(i)
                this.compareRegister(i, true, 0);
                break;
            case 0o55: // FUCOMP ST(i)
                this.compareRegister(i, true, 1);
                break;
            case 0o60:
            case 0o61:
            case 0o64:
            case 0o65:
            case 0o66:
            case 0o67:
                // DE /r: ST(i) ← ST(i) op ST(0), pop
                this.arithRegister(op & 7 & 4 ? (op & 7) ^ 1 : op & 7, i, 0, true);
                break;
            case 0o63:
                if (i !== 1)
                    return X87Result.InvalidOpcode;
                this.compareRegister(1, false, 2); // FCOMPP
                break;
            case 0o70: // FFREEP ST(i)
                this.tags[(this.top + i) & 7] = Tag.Empty;
                this.pop();
                break;
            case 0o74:
                if (i !== 0)
                    return X87Result.InvalidOpcode;
                ctx.ax = this.statusWord; // FNSTSW AX: a control instruction
                return X87Result.Done;
            case 0o75: // FUCOMIP
                this.compareToFlags(i, true, true, ctx);
                break;
            case 0o76: // FCOMIP
                this.compareToFlags(i, false, true, ctx);
                break;
            default:
                return X87Result.InvalidOpcode;
        }
        this.fop = ((opcode & 7) << 8) | modrm;
        this.fip = ctx.eip;
        this.fcs = ctx.cs & 0xffff;
        return X87Result.Done;
    }
    // ---------------------------------------------------------------------------------------------
    // Status word helpers
    /** Sets exception flags (and SF), and ES/B when one of them is unmasked. */
    raise(flags) {
        this.sw |= flags & (FSW_EXCEPTIONS | FSW.SF);
        if ((flags & ~this.cw & FSW_EXCEPTIONS) !== 0)
            this.sw |= FSW.ES | FSW.B;
    }
    setC1(on) {
        if (on)
            this.sw |= FSW.C1;
        else
            this.sw &= ~FSW.C1;
    }
    clearC1() {
        this.sw &= ~FSW.C1;
    }
    setControlWord(value) {
        // Bit 6 reads as 1 and bits 13–15 as 0 (SDM Vol. 1 figure 8-6: reserved).
        this.cw = (value & 0x1f3f) | 0x0040;
        this.u.cw = this.cw;
        this.updateSummary();
    }
    updateSummary() {
        if ((this.sw & ~this.cw & FSW_EXCEPTIONS) !== 0)
            this.sw |= FSW.ES | FSW.B;
        else
            this.sw &= ~(FSW.ES | FSW.B);
    }
    // ---------------------------------------------------------------------------------------------
    // Register stack
    phys(i) {
        return (this.top + i) & 7;
    }
    isEmpty(i) {
        return this.tags[(this.top + i) & 7] === Tag.Empty;
    }
    writePhys(p, se, hi, lo) {
        this.regSe[p] = se;
        this.regHi[p] = hi;
        this.regLo[p] = lo;
        this.tags[p] = tagOf(se, hi, lo);
    }
    writeST(i, se, hi, lo) {
        this.writePhys((this.top + i) & 7, se, hi, lo);
    }
    writeIndefinite(i) {
        this.writeST(i, INDEFINITE_SE, INDEFINITE_HI, 0);
    }
    pop() {
        this.tags[this.top] = Tag.Empty;
        this.top = (this.top + 1) & 7;
    }
    /** Pushes a value, or handles stack overflow (IE, SF, C1 = 1; masked: push the indefinite). */
    push(se, hi, lo) {
        const p = (this.top - 1) & 7;
        if (this.tags[p] !== Tag.Empty) {
            this.stackOverflow();
            return;
        }
        this.top = p;
        this.writePhys(p, se, hi, lo);
        this.clearC1();
    }
    /**
     * Stack overflow in FXTRACT, FPTAN and FSINCOS (which replace ST(0) and push): the masked
     * response leaves the indefinite in both ST(0) and the new ST(0).
     */
    stackOverflowReplacing() {
        if ((this.cw & FCW.IM) !== 0)
            this.writeIndefinite(0);
        this.stackOverflow();
    }
    stackOverflow() {
        this.raise(IE | FSW.SF);
        this.sw |= FSW.C1;
        if ((this.cw & FCW.IM) !== 0) {
            this.top = (this.top - 1) & 7;
            this.writeIndefinite(0);
        }
    }
    /**
     * Stack underflow (IE, SF, C1 = 0). Masked: ST(dst) receives the indefinite (dst < 0: nothing is
     * written) and the stack pops `pops` times. Unmasked: nothing changes.
     */
    stackUnderflow(dst, pops) {
        this.raise(IE | FSW.SF);
        this.clearC1();
        if ((this.cw & FCW.IM) === 0)
            return;
        if (dst >= 0)
            this.writeIndefinite(dst);
        for (let k = 0; k < pops; k++)
            this.pop();
    }
    /**
     * Commits the unit's result to ST(dst) unless a pre-computation exception (IE, DE, ZE) is
     * unmasked, then pops `pops` times. Sets C1 from the rounding.
     */
    commit(dst, pops) {
        const f = this.u.flags;
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(f & PRE_EXCEPTIONS);
            this.clearC1();
            return;
        }
        this.writeST(dst, this.u.se, this.u.hi, this.u.lo);
        this.raise(f);
        this.setC1((f & FSW.C1) !== 0);
        for (let k = 0; k < pops; k++)
            this.pop();
    }
    // ---------------------------------------------------------------------------------------------
    // Loads and stores
    /** FLD m32/m64/m16int/m32int after conversion: an SNaN raises IE and loads quieted. */
    loadConverted() {
        const u = this.u;
        if (classify(u.se, u.hi, u.lo) === FloatClass.SNaN) {
            u.flags |= IE;
            u.hi |= 0x4000_0000;
        }
        if (!this.isEmpty(7)) {
            this.stackOverflow();
            return;
        }
        if ((u.flags & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(u.flags & PRE_EXCEPTIONS);
            return;
        }
        this.raise(u.flags);
        this.push(u.se, u.hi, u.lo);
    }
    loadRegister(i) {
        if (this.isEmpty(i)) {
            // Pushing an empty register: underflow, masked response pushes the indefinite.
            if (!this.isEmpty(7)) {
                this.stackOverflow();
                return;
            }
            this.raise(IE | FSW.SF);
            this.clearC1();
            if ((this.cw & FCW.IM) !== 0)
                this.push(INDEFINITE_SE, INDEFINITE_HI, 0);
            return;
        }
        const p = this.phys(i);
        this.push(this.regSe[p], this.regHi[p], this.regLo[p]);
    }
    loadConstant(k) {
        const c = CONSTANTS[k];
        let lo = c[2];
        let hi = c[1];
        const rc = (this.cw >> 10) & 3;
        if (CONSTANT_INEXACT[k]) {
            const up = rc === RoundingControl.Nearest ? c[3] : rc === RoundingControl.Up;
            if (up) {
                lo = (lo + 1) >>> 0;
                if (lo === 0)
                    hi = (hi + 1) >>> 0;
            }
        }
        this.push(c[0], hi, lo);
    }
    storeRegister(i, popAfter) {
        if (this.isEmpty(0)) {
            this.stackUnderflow(i, popAfter ? 1 : 0);
            return;
        }
        const p = this.phys(0);
        this.writeST(i, this.regSe[p], this.regHi[p], this.regLo[p]);
        this.clearC1();
        if (popAfter)
            this.pop();
    }
    exchange(i) {
        const e0 = this.isEmpty(0);
        const ei = this.isEmpty(i);
        if (e0 || ei) {
            this.raise(IE | FSW.SF);
            this.clearC1();
            if ((this.cw & FCW.IM) === 0)
                return;
            if (e0)
                this.writeIndefinite(0);
            if (ei)
                this.writeIndefinite(i);
        }
        const a = this.phys(0);
        const b = this.phys(i);
        const se = this.regSe[a];
        const hi = this.regHi[a];
        const lo = this.regLo[a];
        const tag = this.tags[a];
        this.regSe[a] = this.regSe[b];
        this.regHi[a] = this.regHi[b];
        this.regLo[a] = this.regLo[b];
        this.tags[a] = this.tags[b];
        this.regSe[b] = se;
        this.regHi[b] = hi;
        this.regLo[b] = lo;
        this.tags[b] = tag;
        if (!(e0 || ei))
            this.clearC1();
    }
    storeFloat(seg, offset, mem, double, popAfter) {
        const u = this.u;
        u.flags = 0;
        if (this.isEmpty(0)) {
            if ((this.cw & FCW.IM) !== 0) {
                if (double) {
                    mem.probeWrite(seg, offset, 8);
                    mem.write(seg, offset, 4, 0);
                    mem.write(seg, (offset + 4) >>> 0, 4, 0xfff8_0000);
                }
                else
                    mem.write(seg, offset, 4, 0xffc0_0000);
            }
            this.stackUnderflow(-1, popAfter ? 1 : 0);
            return;
        }
        const p = this.phys(0);
        u.toFloat(this.regSe[p], this.regHi[p], this.regLo[p], double);
        const f = u.flags;
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0 || u.suppressed) {
            this.raise(f);
            this.clearC1();
            return;
        }
        if (double) {
            mem.probeWrite(seg, offset, 8);
            mem.write(seg, offset, 4, u.lo);
            mem.write(seg, (offset + 4) >>> 0, 4, u.hi);
        }
        else
            mem.write(seg, offset, 4, u.hi);
        this.raise(f);
        this.setC1((f & FSW.C1) !== 0);
        if (popAfter)
            this.pop();
    }
    storeExtended(seg, offset, mem) {
        if (this.isEmpty(0)) {
            if ((this.cw & FCW.IM) !== 0)
                this.write80(mem, seg, offset, INDEFINITE_SE, INDEFINITE_HI, 0);
            this.stackUnderflow(-1, 1);
            return;
        }
        const p = this.phys(0);
        this.write80(mem, seg, offset, this.regSe[p], this.regHi[p], this.regLo[p]);
        this.clearC1();
        this.pop();
    }
    write80(mem, seg, offset, se, hi, lo) {
        mem.probeWrite(seg, offset, 10);
        mem.write(seg, offset, 4, lo);
        mem.write(seg, (offset + 4) >>> 0, 4, hi);
        mem.write(seg, (offset + 8) >>> 0, 2, se);
    }
    storeInt(seg, offset, mem, bits, popAfter) {
        const u = this.u;
        u.flags = 0;
        if (this.isEmpty(0)) {
            if ((this.cw & FCW.IM) !== 0)
                this.writeInt(mem, seg, offset, bits, bits === 64 ? 0x8000_0000 : 0, bits === 64 ? 0 : bits === 32 ? 0x8000_0000 : 0x8000);
            this.stackUnderflow(-1, popAfter ? 1 : 0);
            return;
        }
        const p = this.phys(0);
        u.toInt(this.regSe[p], this.regHi[p], this.regLo[p], bits, false);
        const f = u.flags;
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(f & PRE_EXCEPTIONS);
            this.clearC1();
            return;
        }
        this.writeInt(mem, seg, offset, bits, u.hi, u.lo);
        this.raise(f);
        this.setC1((f & FSW.C1) !== 0);
        if (popAfter)
            this.pop();
    }
    writeInt(mem, seg, offset, bits, hi, lo) {
        if (bits === 16)
            mem.write(seg, offset, 2, lo & 0xffff);
        else if (bits === 32)
            mem.write(seg, offset, 4, lo);
        else {
            mem.probeWrite(seg, offset, 8);
            mem.write(seg, offset, 4, lo);
            mem.write(seg, (offset + 4) >>> 0, 4, hi);
        }
    }
    storeBcd(seg, offset, mem) {
        const u = this.u;
        u.flags = 0;
        if (this.isEmpty(0)) {
            if ((this.cw & FCW.IM) !== 0)
                this.write80(mem, seg, offset, 0xffff, 0xc000_0000, 0);
            this.stackUnderflow(-1, 1);
            return;
        }
        const p = this.phys(0);
        u.toBcd(this.regSe[p], this.regHi[p], this.regLo[p]);
        const f = u.flags;
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(f & PRE_EXCEPTIONS);
            this.clearC1();
            return;
        }
        this.write80(mem, seg, offset, u.se, u.hi, u.lo);
        this.raise(f);
        this.setC1((f & FSW.C1) !== 0);
        this.pop();
    }
    // ---------------------------------------------------------------------------------------------
    // Arithmetic
    /**
     * D8/DC/DE register forms: ST(dst) ← ST(dst) op ST(src), op in the D8 numbering (0 add, 1 mul,
     * 4 sub, 5 subr, 6 div, 7 divr).
     */
    arithRegister(op, dst, src, popAfter) {
        if (this.isEmpty(dst) || this.isEmpty(src)) {
            this.stackUnderflow(dst, popAfter ? 1 : 0);
            return;
        }
        const d = this.phys(dst);
        const s = this.phys(src);
        this.u.flags = 0;
        this.compute(op, this.regSe[d], this.regHi[d], this.regLo[d], this.regSe[s], this.regHi[s], this.regLo[s]);
        this.commit(dst, popAfter ? 1 : 0);
    }
    /** D8/DA/DC/DE memory forms: the converted operand is in the unit's result fields. */
    arithMemory(op) {
        const u = this.u;
        const mSe = u.se;
        const mHi = u.hi;
        const mLo = u.lo;
        if (op === 2 || op === 3) {
            if (this.isEmpty(0)) {
                this.stackUnderflowCompare(op === 3 ? 1 : 0);
                return;
            }
            const p = this.phys(0);
            const r = u.compare(this.regSe[p], this.regHi[p], this.regLo[p], mSe, mHi, mLo, true);
            this.finishCompare(r, op === 3 ? 1 : 0);
            return;
        }
        if (this.isEmpty(0)) {
            this.stackUnderflow(0, 0);
            return;
        }
        const p = this.phys(0);
        this.compute(op, this.regSe[p], this.regHi[p], this.regLo[p], mSe, mHi, mLo);
        this.commit(0, 0);
    }
    compute(op, aSe, aHi, aLo, bSe, bHi, bLo) {
        const u = this.u;
        switch (op) {
            case 0:
                u.add(aSe, aHi, aLo, bSe, bHi, bLo, false);
                break;
            case 1:
                u.mul(aSe, aHi, aLo, bSe, bHi, bLo);
                break;
            case 4:
                u.add(aSe, aHi, aLo, bSe, bHi, bLo, true);
                break;
            case 5:
                u.add(bSe, bHi, bLo, aSe, aHi, aLo, true);
                break;
            case 6:
                u.div(aSe, aHi, aLo, bSe, bHi, bLo);
                break;
            default:
                u.div(bSe, bHi, bLo, aSe, aHi, aLo);
                break;
        }
    }
    // ---------------------------------------------------------------------------------------------
    // Comparisons
    stackUnderflowCompare(pops) {
        this.raise(IE | FSW.SF);
        this.sw &= ~FSW.C1;
        if ((this.cw & FCW.IM) === 0)
            return;
        this.sw |= FSW.C0 | FSW.C2 | FSW.C3;
        for (let k = 0; k < pops; k++)
            this.pop();
    }
    /** Sets C3/C2/C0 from a comparison result, or leaves them when IE is unmasked; then pops. */
    finishCompare(r, pops) {
        const f = this.u.flags;
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(f & PRE_EXCEPTIONS);
            return;
        }
        this.raise(f);
        this.sw &= ~FSW_CONDITION;
        if (r === 2)
            this.sw |= FSW.C0 | FSW.C2 | FSW.C3;
        else if (r === 0)
            this.sw |= FSW.C3;
        else if (r < 0)
            this.sw |= FSW.C0;
        for (let k = 0; k < pops; k++)
            this.pop();
    }
    compareRegister(i, quiet, pops) {
        if (this.isEmpty(0) || this.isEmpty(i)) {
            this.stackUnderflowCompare(pops);
            return;
        }
        const a = this.phys(0);
        const b = this.phys(i);
        this.u.flags = 0;
        const r = this.u.compare(this.regSe[a], this.regHi[a], this.regLo[a], this.regSe[b], this.regHi[b], this.regLo[b], !quiet);
        this.finishCompare(r, pops);
    }
    compareToFlags(i, quiet, popAfter, ctx) {
        const clear = EFLAGS_ZF | EFLAGS_PF | EFLAGS_CF | EFLAGS_OF | EFLAGS_SF | EFLAGS_AF;
        if (this.isEmpty(0) || this.isEmpty(i)) {
            this.raise(IE | FSW.SF);
            this.clearC1();
            if ((this.cw & FCW.IM) === 0)
                return;
            ctx.eflags = (ctx.eflags & ~clear) | EFLAGS_ZF | EFLAGS_PF | EFLAGS_CF;
            if (popAfter)
                this.pop();
            return;
        }
        const a = this.phys(0);
        const b = this.phys(i);
        this.u.flags = 0;
        const r = this.u.compare(this.regSe[a], this.regHi[a], this.regLo[a], this.regSe[b], this.regHi[b], this.regLo[b], !quiet);
        const f = this.u.flags;
        this.clearC1();
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(f & PRE_EXCEPTIONS);
            return;
        }
        this.raise(f);
        const bits = r === 2 ? EFLAGS_ZF | EFLAGS_PF | EFLAGS_CF : r === 0 ? EFLAGS_ZF : r < 0 ? EFLAGS_CF : 0;
        ctx.eflags = (ctx.eflags & ~clear) | bits;
        if (popAfter)
            this.pop();
    }
    conditionalMove(op, i, ctx) {
        if (this.isEmpty(0) || this.isEmpty(i)) {
            // Stack underflow: masked response loads the indefinite into ST(0) (SDM Vol. 2A "FCMOVcc").
            this.stackUnderflow(0, 0);
            return;
        }
        const fl = ctx.eflags;
        let cond;
        switch (op & 3) {
            case 0:
                cond = (fl & EFLAGS_CF) !== 0; // B
                break;
            case 1:
                cond = (fl & EFLAGS_ZF) !== 0; // E
                break;
            case 2:
                cond = (fl & (EFLAGS_CF | EFLAGS_ZF)) !== 0; // BE
                break;
            default:
                cond = (fl & EFLAGS_PF) !== 0; // U
                break;
        }
        if (op >= 0o30)
            cond = !cond;
        this.clearC1();
        if (cond) {
            const p = this.phys(i);
            this.writeST(0, this.regSe[p], this.regHi[p], this.regLo[p]);
        }
    }
    // ---------------------------------------------------------------------------------------------
    // D9 E0–FF
    /** FCHS, FABS, FTST, FXAM. Returns false for an undefined encoding. */
    group14(i) {
        switch (i) {
            case 0: // FCHS
            case 1: {
                // FABS
                if (this.isEmpty(0)) {
                    this.stackUnderflow(0, 0);
                    return true;
                }
                const p = this.phys(0);
                const se = i === 0 ? this.regSe[p] ^ SIGN : this.regSe[p] & ~SIGN;
                this.regSe[p] = se;
                this.clearC1();
                return true;
            }
            case 4: {
                // FTST
                if (this.isEmpty(0)) {
                    this.stackUnderflowCompare(0);
                    return true;
                }
                const p = this.phys(0);
                this.u.flags = 0;
                const r = this.u.compare(this.regSe[p], this.regHi[p], this.regLo[p], 0, 0, 0, true);
                this.finishCompare(r, 0);
                this.clearC1();
                return true;
            }
            case 5: {
                // FXAM
                const p = this.phys(0);
                const se = this.regSe[p];
                let cc;
                if (this.tags[p] === Tag.Empty)
                    cc = FSW.C3 | FSW.C0;
                else {
                    switch (classify(se, this.regHi[p], this.regLo[p])) {
                        case FloatClass.Zero:
                            cc = FSW.C3;
                            break;
                        case FloatClass.Denormal:
                            cc = FSW.C3 | FSW.C2;
                            break;
                        case FloatClass.Normal:
                            cc = FSW.C2;
                            break;
                        case FloatClass.Infinity:
                            cc = FSW.C2 | FSW.C0;
                            break;
                        case FloatClass.QNaN:
                        case FloatClass.SNaN:
                            cc = FSW.C0;
                            break;
                        default:
                            cc = 0;
                            break;
                    }
                }
                if (se & SIGN)
                    cc |= FSW.C1;
                this.sw = (this.sw & ~FSW_CONDITION) | cc;
                return true;
            }
            default:
                return false;
        }
    }
    /** F2XM1, FYL2X, FPTAN, FPATAN, FXTRACT, FPREM1, FDECSTP, FINCSTP. */
    group16(i) {
        switch (i) {
            case 0:
                this.unaryTranscendental(0);
                return;
            case 1:
                this.binaryTranscendental(0);
                return;
            case 2:
                this.tangent();
                return;
            case 3:
                this.binaryTranscendental(1);
                return;
            case 4:
                this.extract();
                return;
            case 5:
                this.partialRemainder(true);
                return;
            case 6:
                this.top = (this.top - 1) & 7;
                this.clearC1();
                return;
            default:
                this.top = (this.top + 1) & 7;
                this.clearC1();
                return;
        }
    }
    /** FPREM, FYL2XP1, FSQRT, FSINCOS, FRNDINT, FSCALE, FSIN, FCOS. */
    group17(i) {
        switch (i) {
            case 0:
                this.partialRemainder(false);
                return;
            case 1:
                this.binaryTranscendental(2);
                return;
            case 2:
            case 4: {
                if (this.isEmpty(0)) {
                    this.stackUnderflow(0, 0);
                    return;
                }
                const p = this.phys(0);
                this.u.flags = 0;
                if (i === 2)
                    this.u.sqrt(this.regSe[p], this.regHi[p], this.regLo[p]);
                else
                    this.u.roundInt(this.regSe[p], this.regHi[p], this.regLo[p]);
                this.commit(0, 0);
                return;
            }
            case 3:
                this.sineCosine();
                return;
            case 5: {
                if (this.isEmpty(0) || this.isEmpty(1)) {
                    this.stackUnderflow(0, 0);
                    return;
                }
                const a = this.phys(0);
                const b = this.phys(1);
                this.u.flags = 0;
                this.u.scale(this.regSe[a], this.regHi[a], this.regLo[a], this.regSe[b], this.regHi[b], this.regLo[b]);
                this.commit(0, 0);
                return;
            }
            case 6:
                this.unaryTranscendental(1);
                return;
            default:
                this.unaryTranscendental(2);
                return;
        }
    }
    partialRemainder(ieee) {
        if (this.isEmpty(0) || this.isEmpty(1)) {
            this.stackUnderflow(0, 0);
            return;
        }
        const a = this.phys(0);
        const b = this.phys(1);
        this.u.flags = 0;
        const cc = this.u.remainder(this.regSe[a], this.regHi[a], this.regLo[a], this.regSe[b], this.regHi[b], this.regLo[b], ieee);
        const f = this.u.flags;
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(f & PRE_EXCEPTIONS);
            return;
        }
        this.writeST(0, this.u.se, this.u.hi, this.u.lo);
        this.raise(f);
        this.sw = (this.sw & ~FSW_CONDITION) | cc;
    }
    extract() {
        if (this.isEmpty(0)) {
            this.stackUnderflow(0, 0);
            if ((this.cw & FCW.IM) !== 0)
                this.push(INDEFINITE_SE, INDEFINITE_HI, 0);
            return;
        }
        if (!this.isEmpty(7)) {
            this.stackOverflowReplacing();
            return;
        }
        const p = this.phys(0);
        const se = this.regSe[p];
        const hi = this.regHi[p];
        const lo = this.regLo[p];
        const u = this.u;
        u.flags = 0;
        const c = classify(se, hi, lo);
        let eSe;
        let eHi;
        let eLo;
        let sSe;
        let sHi;
        let sLo;
        if (c === FloatClass.Unsupported) {
            u.invalid();
            eSe = sSe = u.se;
            eHi = sHi = u.hi;
            eLo = sLo = u.lo;
        }
        else if (c === FloatClass.QNaN || c === FloatClass.SNaN) {
            u.quietNaN(c, se, hi, lo);
            eSe = sSe = u.se;
            eHi = sHi = u.hi;
            eLo = sLo = u.lo;
        }
        else if (c === FloatClass.Zero) {
            u.flags |= ZE;
            eSe = SIGN | 0x7fff; // −∞
            eHi = 0x8000_0000;
            eLo = 0;
            sSe = se;
            sHi = 0;
            sLo = 0;
        }
        else if (c === FloatClass.Infinity) {
            eSe = 0x7fff;
            eHi = 0x8000_0000;
            eLo = 0;
            sSe = se;
            sHi = hi;
            sLo = lo;
        }
        else {
            if (c === FloatClass.Denormal)
                u.flags |= DE;
            const e = u.extract(se, hi, lo);
            sSe = u.se;
            sHi = u.hi;
            sLo = u.lo;
            u.fromInt32(e);
            eSe = u.se;
            eHi = u.hi;
            eLo = u.lo;
        }
        const f = u.flags;
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(f & PRE_EXCEPTIONS);
            return;
        }
        this.raise(f);
        this.writeST(0, eSe, eHi, eLo);
        this.push(sSe, sHi, sLo);
    }
    // ---------------------------------------------------------------------------------------------
    // Transcendental instructions (float64 precision; see the class comment)
    /**
     * Handles the special operands common to the one-operand transcendentals; returns true when the
     * result is already in the unit (NaN, unsupported).
     */
    specialUnary(c, se, hi, lo) {
        if (c === FloatClass.Unsupported) {
            this.u.invalid();
            return true;
        }
        if (c === FloatClass.QNaN || c === FloatClass.SNaN) {
            this.u.quietNaN(c, se, hi, lo);
            return true;
        }
        if (c === FloatClass.Denormal)
            this.u.flags |= DE;
        return false;
    }
    /** F2XM1 (0), FSIN (1), FCOS (2). */
    unaryTranscendental(kind) {
        if (this.isEmpty(0)) {
            this.stackUnderflow(0, 0);
            return;
        }
        const p = this.phys(0);
        const se = this.regSe[p];
        const hi = this.regHi[p];
        const lo = this.regLo[p];
        const u = this.u;
        u.flags = 0;
        const c = classify(se, hi, lo);
        if (!this.specialUnary(c, se, hi, lo)) {
            if (kind !== 0 && (se & 0x7fff) >= TRIG_LIMIT_EXP && c !== FloatClass.Infinity) {
                // |x| ≥ 2^63: out of range, C2 = 1 and ST(0) unchanged.
                this.sw = (this.sw & ~(FSW.C1 | FSW.C2)) | FSW.C2;
                if (c === FloatClass.Denormal)
                    this.raise(DE);
                return;
            }
            if (c === FloatClass.Infinity) {
                if (kind === 0) {
                    if (se & SIGN)
                        u.set(SIGN | 0x3fff, 0x8000_0000, 0); // 2^−∞ − 1 = −1
                    else
                        u.set(se, hi, lo);
                }
                else
                    u.invalid();
            }
            else if (c === FloatClass.Zero) {
                if (kind === 2)
                    u.set(0x3fff, 0x8000_0000, 0);
                else
                    u.set(se, hi, lo);
            }
            else {
                const exp = (se & 0x7fff) - 0x3fff;
                // F2XM1 is defined for −1 ≤ x ≤ +1 (SDM: outside it the result is undefined); it is
                // computed anyway, which overflows or saturates towards −1 like the formula.
                if (kind !== 2 && exp < -40) {
                    // sin x = x − x³/6 and 2^x − 1 = x·ln2 + (x·ln2)²/2 + …: tiny arguments in 80-bit.
                    if (kind === 1)
                        this.tinyOdd(se, hi, lo, false);
                    else
                        this.tinyExpm1(se, hi, lo);
                }
                else {
                    let r;
                    if (kind === 0) {
                        const x = u.toNumber(se, hi, lo);
                        r = Math.expm1((x + this.lowPart(se, hi, lo, x)) * Math.LN2);
                    }
                    else {
                        this.reduce(se, hi, lo);
                        r = this.reducedSinCos(kind === 2, (se & SIGN) !== 0);
                    }
                    u.fromDoubleDouble(r, 0);
                    this.denormalResult();
                }
            }
        }
        const f = u.flags;
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(f & PRE_EXCEPTIONS);
            return;
        }
        this.writeST(0, u.se, u.hi, u.lo);
        this.raise(f);
        this.sw &= ~(FSW.C1 | FSW.C2);
    }
    /** The part of an 80-bit finite value below its float64 rounding `x`, as a float64. */
    lowPart(se, hi, lo, x) {
        // Exact 64-bit significand minus the rounded one, scaled.
        const exp = (se & 0x7fff) - 0x3fff;
        if ((se & 0x7fff) === 0 || !Number.isFinite(x) || x === 0)
            return 0;
        const h = hi >>> 0;
        const l = lo >>> 0;
        const sig = h * 4294967296 + l; // rounded to 53 bits
        const full = h * 4294967296 - sig + l; // exact difference (small)
        const d = ldexp(full, exp - 63);
        return se & SIGN ? -d : d;
    }
    // Argument reduction for FSIN/FCOS/FSINCOS/FPTAN: |x| = k·π/2 + (redHi + redLo), k mod 4 in quadrant.
    redHi = 0;
    redLo = 0;
    quadrant = 0;
    /**
     * Reduces |x| (finite, below 2^63) modulo π/2 the way the x87 does: with a 66-bit approximation
     * of π (SDM Vol. 1 §8.3.10 "Pi"), exactly (BigInt; only for |x| > π/4). The reduced argument is
     * left as a double-double in redHi/redLo.
     */
    reduce(se, hi, lo) {
        const e = (se & 0x7fff) - 0x3fff;
        const x = this.u.toNumber(se & 0x7fff, hi, lo);
        if (x <= Math.PI / 4) {
            this.redHi = x;
            this.redLo = this.lowPart(se & 0x7fff, hi, lo, x);
            this.quadrant = 0;
            return;
        }
        // x = X·2^(e−63) = X'·2^−65 with X' = X·2^(e+2); π/2 ≈ PI66·2^−65.
        const big = ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) << BigInt(e + 2);
        const k = (big + (PI66 >> 1n)) / PI66;
        const r = big - k * PI66;
        const rh = Number(r);
        const rl = Number(r - BigInt(rh));
        this.redHi = rh * 2 ** -65;
        this.redLo = rl * 2 ** -65;
        this.quadrant = Number(k & 3n);
    }
    /** sin (cos = false) or cos of the reduced argument, with quadrant and sign applied. */
    reducedSinCos(cos, negative) {
        const rh = this.redHi;
        const rl = this.redLo;
        const s = Math.sin(rh) + Math.cos(rh) * rl;
        const c = Math.cos(rh) - Math.sin(rh) * rl;
        const q = (this.quadrant + (cos ? 1 : 0)) & 3;
        let v = q === 0 ? s : q === 1 ? c : q === 2 ? -s : -c;
        if (negative && !cos)
            v = -v;
        return v;
    }
    /**
     * sin x (`away` false: the true value is just below |x|) or tan x (`away` true: just above) for
     * |x| < 2^−40: x rounded as if a tiny amount were subtracted or added, under RC and the x87
     * underflow rules.
     */
    tinyOdd(se, hi, lo, away) {
        this.fullPrecision();
        this.u.roundNearby(se, hi, lo, away ? 1 : -1);
        this.u.cw = this.cw;
        this.u.flags |= FSW.PE;
        if ((this.u.se & 0x7fff) === 0 && (this.cw & FCW.UM) !== 0)
            this.u.flags |= FSW.UE;
    }
    /** 2^x − 1 for |x| < 2^−40, in 80-bit: x · (ln2 · (1 + x·ln2/2)), the last product under the x87 rules. */
    tinyExpm1(se, hi, lo) {
        const u = this.u;
        const keep = u.flags;
        let lSe = 0x3ffe;
        let lHi = 0xb172_17f7;
        let lLo = 0xd1cf_79ac; // ln 2
        if ((se & 0x7fff) > 0x3fff - 100) {
            u.cw = FCW_DEFAULT; // masked, 64-bit, nearest: intermediate steps only
            u.mul(se, hi, lo, lSe, lHi, lLo); // t = x·ln2
            u.add(0x3fff, 0x8000_0000, 0, u.se - 1, u.hi, u.lo, false); // 1 + t/2
            u.mul(u.se, u.hi, u.lo, lSe, lHi, lLo);
            lSe = u.se;
            lHi = u.hi;
            lLo = u.lo;
        }
        u.flags = keep;
        this.fullPrecision();
        u.mul(se, hi, lo, lSe, lHi, lLo);
        u.cw = this.cw;
        u.flags = (u.flags & ~FSW.C1) | FSW.PE;
        if ((u.se & 0x7fff) === 0 && (this.cw & FCW.UM) !== 0)
            u.flags |= FSW.UE;
    }
    /** A transcendental result in the denormal range raises UE with PE (masked) like a rounding would. */
    denormalResult() {
        const u = this.u;
        if ((u.se & 0x7fff) === 0)
            u.flags |= FSW.UE | FSW.PE; // tiny (or rounded to zero) and inexact
    }
    /** FYL2X (0), FPATAN (1), FYL2XP1 (2): ST(1) ← f(ST(1), ST(0)), pop. */
    binaryTranscendental(kind) {
        if (this.isEmpty(0) || this.isEmpty(1)) {
            this.stackUnderflow(1, 1);
            return;
        }
        const a = this.phys(0);
        const b = this.phys(1);
        const xSe = this.regSe[a];
        const xHi = this.regHi[a];
        const xLo = this.regLo[a];
        const ySe = this.regSe[b];
        const yHi = this.regHi[b];
        const yLo = this.regLo[b];
        const u = this.u;
        u.flags = 0;
        const cx = classify(xSe, xHi, xLo);
        const cy = classify(ySe, yHi, yLo);
        if (cx === FloatClass.Unsupported || cy === FloatClass.Unsupported)
            u.invalid();
        else if (cx >= FloatClass.QNaN || cy >= FloatClass.QNaN) {
            // Same NaN rules as the arithmetic: add(NaN, …) propagates without computing.
            u.add(ySe, yHi, yLo, xSe, xHi, xLo, false);
        }
        else {
            if (cx === FloatClass.Denormal || cy === FloatClass.Denormal)
                u.flags |= DE;
            if (kind === 1)
                this.arctangent(ySe, yHi, yLo, xSe, xHi, xLo, cy, cx);
            else
                this.logarithm(kind === 2, ySe, yHi, yLo, xSe, xHi, xLo, cy, cx);
            if ((u.flags & FSW.PE) !== 0)
                this.denormalResult();
        }
        const f = u.flags;
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(f & PRE_EXCEPTIONS);
            return;
        }
        this.writeST(1, u.se, u.hi, u.lo);
        this.raise(f);
        this.setC1((f & FSW.C1) !== 0);
        this.pop();
    }
    logarithm(plusOne, ySe, yHi, yLo, xSe, xHi, xLo, cy, cx) {
        const u = this.u;
        const xNeg = (xSe & SIGN) !== 0;
        // log2 of x (FYL2X) or of 1 + x (FYL2XP1), as a value class first.
        if (!plusOne) {
            if (xNeg && cx !== FloatClass.Zero)
                return u.invalid();
            if (cx === FloatClass.Zero) {
                // log2(0) = −∞: y·(−∞); y = 0 is invalid, finite y raises ZE.
                if (cy === FloatClass.Zero)
                    return u.invalid();
                if (cy !== FloatClass.Infinity)
                    u.flags = (u.flags & ~DE) | ZE; // ZE hides DE, as for FDIV
                return u.set(((ySe & SIGN) ^ SIGN) | 0x7fff, 0x8000_0000, 0);
            }
            if (cx === FloatClass.Infinity) {
                if (cy === FloatClass.Zero)
                    return u.invalid();
                return u.set((ySe & SIGN) | 0x7fff, 0x8000_0000, 0);
            }
            // log2(1) = 0 exactly.
            if ((xSe & 0x7fff) === 0x3fff && xHi >>> 0 === 0x8000_0000 && xLo === 0) {
                if (cy === FloatClass.Infinity)
                    return u.invalid();
                return u.set((ySe & SIGN) ^ (xSe & SIGN), 0, 0);
            }
            if (cy === FloatClass.Infinity) {
                const below1 = (xSe & 0x7fff) < 0x3fff;
                return u.set((ySe & SIGN) ^ (below1 ? SIGN : 0) | 0x7fff, 0x8000_0000, 0);
            }
            if (cy === FloatClass.Zero) {
                const below1 = (xSe & 0x7fff) < 0x3fff;
                return u.set(((ySe & SIGN) ^ (below1 ? SIGN : 0)) & 0xffff, 0, 0);
            }
            // log2(x) = e + log2(m), m in [1, 2): sum in 80-bit, then multiply by y in 80-bit.
            u.extract(xSe, xHi, xLo);
            const e = (xSe & 0x7fff) === 0 ? this.normalExponent(xSe, xHi, xLo) : (xSe & 0x7fff) - 0x3fff;
            const m = u.toNumber(u.se, u.hi, u.lo);
            let l2;
            let l2lo;
            if (e === 0 || e === -1) {
                // Near 1: use log1p for accuracy.
                const xv = u.toNumber(xSe, xHi, xLo);
                const xl = this.lowPart(xSe, xHi, xLo, xv);
                const t = Math.log1p(xv - 1 + xl) * Math.LOG2E;
                l2 = t;
                l2lo = 0;
            }
            else {
                l2 = e;
                l2lo = Math.log2(m);
            }
            this.multiplyLog(ySe, yHi, yLo, l2, l2lo);
            return;
        }
        // FYL2XP1: defined for |x| < 1 − √2/2; computed for x > −1.
        if (cx === FloatClass.Infinity) {
            if (xNeg || cy === FloatClass.Zero)
                return u.invalid();
            return u.set((ySe & SIGN) | 0x7fff, 0x8000_0000, 0);
        }
        if (cx === FloatClass.Zero) {
            if (cy === FloatClass.Infinity)
                return u.invalid();
            return u.set(((ySe ^ xSe) & SIGN) & 0xffff, 0, 0);
        }
        const xv = u.toNumber(xSe, xHi, xLo);
        const xl = this.lowPart(xSe, xHi, xLo, xv);
        if (xv <= -1)
            return u.invalid();
        if (cy === FloatClass.Infinity)
            return u.set(((ySe ^ xSe) & SIGN) | 0x7fff, 0x8000_0000, 0);
        if (cy === FloatClass.Zero)
            return u.set(((ySe ^ xSe) & SIGN) & 0xffff, 0, 0);
        if (Math.abs(xv) < 2 ** -40) {
            // log2(1+x) = x·log2(e)·(1 − x/2 + …): form y·log2(e)·(1 − x/2) first (intermediate steps,
            // masked, no flags), then multiply by the tiny x last so that its rounding, underflow and
            // denormal handling follow the x87 rules once.
            const keep = u.flags;
            u.cw = FCW_DEFAULT;
            u.fromDoubleDouble(Math.LOG2E, 2.0355273740931033e-17);
            u.mul(ySe, yHi, yLo, u.se, u.hi, u.lo);
            let tSe = u.se;
            let tHi = u.hi;
            let tLo = u.lo;
            if ((xSe & 0x7fff) > 0x3fff - 100) {
                u.add(0x3fff, 0x8000_0000, 0, xSe - 1, xHi, xLo, true); // 1 − x/2
                u.mul(tSe, tHi, tLo, u.se, u.hi, u.lo);
                tSe = u.se;
                tHi = u.hi;
                tLo = u.lo;
            }
            u.flags = keep;
            this.fullPrecision();
            u.mul(tSe, tHi, tLo, xSe, xHi, xLo);
            u.cw = this.cw;
            u.flags = (u.flags & ~FSW.C1) | FSW.PE;
            return;
        }
        this.multiplyLog(ySe, yHi, yLo, Math.log1p(xv + xl) * Math.LOG2E, 0);
    }
    /** The unbiased exponent of a denormal after normalisation. */
    normalExponent(se, hi, lo) {
        const e = this.u.extract(se, hi, lo);
        return e;
    }
    /** ST(1) result y × (l2 + l2lo), multiplied in 80-bit so range and rounding follow the x87. */
    multiplyLog(ySe, yHi, yLo, l2, l2lo) {
        const u = this.u;
        const keep = u.flags;
        u.fromDoubleDouble(l2, l2lo);
        const lSe = u.se;
        const lHi = u.hi;
        const lLo = u.lo;
        u.flags = keep;
        this.fullPrecision();
        u.mul(ySe, yHi, yLo, lSe, lHi, lLo);
        this.u.cw = this.cw;
        u.flags |= FSW.PE;
    }
    /** Transcendental instructions ignore FCW.PC: compute their 80-bit steps at 64 bits. */
    fullPrecision() {
        this.u.cw = this.cw | FCW.PC;
    }
    arctangent(ySe, yHi, yLo, xSe, xHi, xLo, cy, cx) {
        const u = this.u;
        const yNeg = (ySe & SIGN) !== 0;
        const xNeg = (xSe & SIGN) !== 0;
        // atan2(y, x) with IEEE special values (SDM Vol. 2A "FPATAN" table 3-…).
        if (cy === FloatClass.Zero && cx === FloatClass.Zero) {
            if (!xNeg)
                return u.set(ySe & SIGN, 0, 0);
            return this.piMultiple(yNeg, PI_1);
        }
        // Exact special cases, with π multiples rounded under RC (SDM Vol. 2A "FPATAN" table).
        if (cy === FloatClass.Infinity) {
            if (cx === FloatClass.Infinity)
                return this.piMultiple(yNeg, xNeg ? PI_3_4 : PI_1_4);
            return this.piMultiple(yNeg, PI_1_2);
        }
        if (cx === FloatClass.Infinity) {
            if (!xNeg)
                return u.set(ySe & SIGN, 0, 0);
            return this.piMultiple(yNeg, PI_1);
        }
        if (cy === FloatClass.Zero) {
            if (!xNeg)
                return u.set(ySe & SIGN, 0, 0);
            return this.piMultiple(yNeg, PI_1);
        }
        if (cx === FloatClass.Zero)
            return this.piMultiple(yNeg, PI_1_2);
        // Scale both to a common exponent so that float64 keeps their ratio.
        const ey = (ySe & 0x7fff) === 0 ? this.normalExponent(ySe, yHi, yLo) : (ySe & 0x7fff) - 0x3fff;
        const ex = (xSe & 0x7fff) === 0 ? this.normalExponent(xSe, xHi, xLo) : (xSe & 0x7fff) - 0x3fff;
        if (ey - ex < -60 && !xNeg) {
            // atan(y/x) ≈ y/x for tiny ratios: divide in 80-bit.
            this.fullPrecision();
            u.div(ySe, yHi, yLo, xSe, xHi, xLo);
            u.cw = this.cw;
            u.flags |= FSW.PE;
            return;
        }
        const shift = Math.max(ey, ex);
        u.extract(ySe, yHi, yLo);
        const ym = u.toNumber(u.se, u.hi, u.lo);
        u.extract(xSe, xHi, xLo);
        const xm = u.toNumber(u.se, u.hi, u.lo);
        const yv = ldexp(ym, ey - shift);
        const xv = ldexp(xm, ex - shift);
        u.fromDoubleDouble(Math.atan2(yv, xv), 0);
        this.denormalResult();
    }
    /** ±(a multiple of π) rounded to 64 bits under RC; PE is raised (π is irrational). */
    piMultiple(negative, c) {
        this.fullPrecision();
        this.u.roundAccumulator(negative ? 1 : 0, c[0], c[1], c[2], c[3]);
        this.u.cw = this.cw;
    }
    tangent() {
        if (this.isEmpty(0)) {
            this.stackUnderflow(0, 0);
            if ((this.cw & FCW.IM) !== 0)
                this.push(INDEFINITE_SE, INDEFINITE_HI, 0);
            return;
        }
        const p = this.phys(0);
        const se = this.regSe[p];
        const hi = this.regHi[p];
        const lo = this.regLo[p];
        const u = this.u;
        u.flags = 0;
        const c = classify(se, hi, lo);
        if (!this.isEmpty(7)) {
            this.stackOverflowReplacing();
            return;
        }
        if (c !== FloatClass.Infinity && c !== FloatClass.Unsupported && c < FloatClass.QNaN && (se & 0x7fff) >= TRIG_LIMIT_EXP) {
            this.sw = (this.sw & ~(FSW.C1 | FSW.C2)) | FSW.C2;
            return;
        }
        let push = true;
        if (this.specialUnary(c, se, hi, lo))
            push = false;
        else if (c === FloatClass.Infinity) {
            u.invalid();
            push = false;
        }
        else if (c === FloatClass.Zero)
            u.set(se, hi, lo);
        else if ((se & 0x7fff) - 0x3fff < -40)
            this.tinyOdd(se, hi, lo, true); // tan x = x + x³/3
        else {
            this.reduce(se, hi, lo);
            const sn = this.reducedSinCos(false, (se & SIGN) !== 0);
            const cs = this.reducedSinCos(true, false);
            u.fromDoubleDouble(sn / cs, 0);
            this.denormalResult();
        }
        const f = u.flags;
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(f & PRE_EXCEPTIONS);
            return;
        }
        this.writeST(0, u.se, u.hi, u.lo);
        this.raise(f);
        this.sw &= ~(FSW.C1 | FSW.C2);
        // A NaN result (propagated or the masked indefinite) is pushed as well.
        if (push)
            this.push(0x3fff, 0x8000_0000, 0);
        else
            this.push(u.se, u.hi, u.lo);
    }
    sineCosine() {
        if (this.isEmpty(0)) {
            this.stackUnderflow(0, 0);
            if ((this.cw & FCW.IM) !== 0)
                this.push(INDEFINITE_SE, INDEFINITE_HI, 0);
            return;
        }
        const p = this.phys(0);
        const se = this.regSe[p];
        const hi = this.regHi[p];
        const lo = this.regLo[p];
        const u = this.u;
        u.flags = 0;
        const c = classify(se, hi, lo);
        if (!this.isEmpty(7)) {
            this.stackOverflowReplacing();
            return;
        }
        if (c !== FloatClass.Infinity && c !== FloatClass.Unsupported && c < FloatClass.QNaN && (se & 0x7fff) >= TRIG_LIMIT_EXP) {
            this.sw = (this.sw & ~(FSW.C1 | FSW.C2)) | FSW.C2;
            return;
        }
        let sSe;
        let sHi;
        let sLo;
        let cSe;
        let cHi;
        let cLo;
        if (this.specialUnary(c, se, hi, lo) || c === FloatClass.Infinity) {
            if (c === FloatClass.Infinity)
                u.invalid();
            sSe = cSe = u.se;
            sHi = cHi = u.hi;
            sLo = cLo = u.lo;
        }
        else if (c === FloatClass.Zero) {
            sSe = se;
            sHi = hi;
            sLo = lo;
            cSe = 0x3fff;
            cHi = 0x8000_0000;
            cLo = 0;
        }
        else {
            this.reduce(se, hi, lo);
            if ((se & 0x7fff) - 0x3fff < -40)
                this.tinyOdd(se, hi, lo, false);
            else {
                u.fromDoubleDouble(this.reducedSinCos(false, (se & SIGN) !== 0), 0);
                this.denormalResult();
            }
            sSe = u.se;
            sHi = u.hi;
            sLo = u.lo;
            u.fromDoubleDouble(this.reducedSinCos(true, false), 0);
            cSe = u.se;
            cHi = u.hi;
            cLo = u.lo;
        }
        const f = u.flags;
        if ((f & ~this.cw & PRE_EXCEPTIONS) !== 0) {
            this.raise(f & PRE_EXCEPTIONS);
            return;
        }
        this.writeST(0, sSe, sHi, sLo);
        this.raise(f);
        this.sw &= ~(FSW.C1 | FSW.C2);
        this.push(cSe, cHi, cLo);
    }
    // ---------------------------------------------------------------------------------------------
    // Environment and state images (SDM Vol. 1 §8.1.10, figures 8-9 to 8-12)
    /** Writes the 14- or 28-byte environment image; returns its size. */
    writeEnvironment(mem, seg, offset, ctx) {
        const sw = this.statusWord;
        const tw = this.tagWord;
        if (ctx.opsize32) {
            mem.probeWrite(seg, offset, 28);
            let ip0;
            let ip1;
            let dp0;
            let dp1;
            if (ctx.protectedMode) {
                ip0 = this.fip;
                ip1 = this.fcs | (this.fop << 16);
                dp0 = this.fdp;
                dp1 = this.fds | 0xffff_0000;
            }
            else {
                const ip = (this.fip + (this.fcs << 4)) >>> 0;
                const dp = (this.fdp + (this.fds << 4)) >>> 0;
                ip0 = (ip & 0xffff) | 0xffff_0000;
                ip1 = ((ip >>> 16) << 12) | this.fop;
                dp0 = (dp & 0xffff) | 0xffff_0000;
                dp1 = (dp >>> 16) << 12;
            }
            const words = this.scratchEnv;
            words[0] = this.cw | 0xffff_0000;
            words[1] = sw | 0xffff_0000;
            words[2] = tw | 0xffff_0000;
            words[3] = ip0;
            words[4] = ip1;
            words[5] = dp0;
            words[6] = dp1;
            for (let k = 0; k < 7; k++)
                mem.write(seg, (offset + 4 * k) >>> 0, 4, words[k] >>> 0);
            return 28;
        }
        mem.probeWrite(seg, offset, 14);
        mem.write(seg, offset, 2, this.cw);
        mem.write(seg, (offset + 2) >>> 0, 2, sw);
        mem.write(seg, (offset + 4) >>> 0, 2, tw);
        if (ctx.protectedMode) {
            mem.write(seg, (offset + 6) >>> 0, 2, this.fip & 0xffff);
            mem.write(seg, (offset + 8) >>> 0, 2, this.fcs);
            mem.write(seg, (offset + 10) >>> 0, 2, this.fdp & 0xffff);
            mem.write(seg, (offset + 12) >>> 0, 2, this.fds);
        }
        else {
            const ip = (this.fip + (this.fcs << 4)) >>> 0;
            const dp = (this.fdp + (this.fds << 4)) >>> 0;
            mem.write(seg, (offset + 6) >>> 0, 2, ip & 0xffff);
            mem.write(seg, (offset + 8) >>> 0, 2, (((ip >>> 16) & 0xf) << 12) | this.fop);
            mem.write(seg, (offset + 10) >>> 0, 2, dp & 0xffff);
            mem.write(seg, (offset + 12) >>> 0, 2, ((dp >>> 16) & 0xf) << 12);
        }
        return 14;
    }
    /** Reads an environment image into scratchEnv as [cw, sw, tw, fip, fcs, fop, fdp, fds]; returns its size. */
    readEnvironment(mem, seg, offset, ctx, out) {
        if (ctx.opsize32) {
            const w = this.scratchEnv;
            for (let k = 0; k < 7; k++)
                w[k] = mem.read(seg, (offset + 4 * k) >>> 0, 4);
            out[0] = w[0] & 0xffff;
            out[1] = w[1] & 0xffff;
            out[2] = w[2] & 0xffff;
            if (ctx.protectedMode) {
                out[3] = w[3];
                out[4] = w[4] & 0xffff;
                out[5] = (w[4] >>> 16) & 0x7ff;
                out[6] = w[5];
                out[7] = w[6] & 0xffff;
            }
            else {
                out[3] = ((w[3] & 0xffff) | (((w[4] >>> 12) & 0xffff) << 16)) >>> 0;
                out[4] = 0;
                out[5] = w[4] & 0x7ff;
                out[6] = ((w[5] & 0xffff) | (((w[6] >>> 12) & 0xffff) << 16)) >>> 0;
                out[7] = 0;
            }
            return 28;
        }
        const r = (k) => mem.read(seg, (offset + 2 * k) >>> 0, 2);
        out[0] = r(0);
        out[1] = r(1);
        out[2] = r(2);
        if (ctx.protectedMode) {
            out[3] = r(3);
            out[4] = r(4);
            out[5] = 0; // the 16-bit protected-mode image has no FOP: it loads as 0
            out[6] = r(5);
            out[7] = r(6);
        }
        else {
            const w4 = r(4);
            const w6 = r(6);
            out[3] = r(3) | ((w4 >>> 12) << 16);
            out[4] = 0;
            out[5] = w4 & 0x7ff;
            out[6] = r(5) | ((w6 >>> 12) << 16);
            out[7] = 0;
        }
        return 14;
    }
    envIn = new Uint32Array(8);
    /** Applies a read environment: registers' tags are recomputed from their contents, empty stays empty. */
    applyEnvironment(e) {
        this.setControlWordRaw(e[0]);
        this.top = (e[1] >> 11) & 7;
        this.sw = e[1] & ~FSW.TOP;
        const tw = e[2];
        for (let k = 0; k < 8; k++) {
            if (((tw >> (2 * k)) & 3) === Tag.Empty)
                this.tags[k] = Tag.Empty;
            else
                this.tags[k] = tagOf(this.regSe[k], this.regHi[k], this.regLo[k]);
        }
        this.fip = e[3];
        this.fcs = e[4];
        this.fop = e[5];
        this.fdp = e[6];
        this.fds = e[7];
        this.updateSummary();
    }
    setControlWordRaw(v) {
        this.cw = (v & 0x1f3f) | 0x0040;
        this.u.cw = this.cw;
    }
    storeEnvironment(mem, seg, offset, ctx) {
        this.writeEnvironment(mem, seg, offset, ctx);
    }
    loadEnvironment(mem, seg, offset, ctx) {
        this.readEnvironment(mem, seg, offset, ctx, this.envIn);
        this.applyEnvironment(this.envIn);
    }
    saveStateImage(mem, seg, offset, ctx) {
        const size = ctx.opsize32 ? 108 : 94;
        mem.probeWrite(seg, offset, size);
        const envSize = this.writeEnvironment(mem, seg, offset, ctx);
        for (let i = 0; i < 8; i++) {
            const p = this.phys(i);
            const at = offset + envSize + 10 * i;
            mem.write(seg, at >>> 0, 4, this.regLo[p]);
            mem.write(seg, (at + 4) >>> 0, 4, this.regHi[p]);
            mem.write(seg, (at + 8) >>> 0, 2, this.regSe[p]);
        }
        this.reset();
    }
    restoreState(mem, seg, offset, ctx) {
        const envSize = this.readEnvironment(mem, seg, offset, ctx, this.envIn);
        const top = (this.envIn[1] >> 11) & 7;
        for (let i = 0; i < 8; i++) {
            const at = offset + envSize + 10 * i;
            this.scratchLo[i] = mem.read(seg, at >>> 0, 4);
            this.scratchHi[i] = mem.read(seg, (at + 4) >>> 0, 4);
            this.scratchSe[i] = mem.read(seg, (at + 8) >>> 0, 2);
        }
        for (let i = 0; i < 8; i++) {
            const p = (top + i) & 7;
            this.regLo[p] = this.scratchLo[i];
            this.regHi[p] = this.scratchHi[i];
            this.regSe[p] = this.scratchSe[i];
        }
        this.applyEnvironment(this.envIn);
    }
    /**
     * FXSAVE: stores the legacy x87 part of the 512-byte FXSAVE area (SDM Vol. 2A "FXSAVE" table
     * 3-…, non-64-bit layout). This CPU has no SSE, so MXCSR is written as its reset value 0x1F80 and
     * MXCSR_MASK as 0 (as processors before MXCSR_MASK existed did); bytes 160–511 (the XMM and
     * reserved areas) are not written. The whole 512 bytes are probed first; the caller checks the
     * 16-byte alignment (#GP).
     */
    fxsave(mem, seg, offset, _ctx) {
        mem.probeWrite(seg, offset, 512);
        let ftw = 0;
        for (let k = 0; k < 8; k++)
            if (this.tags[k] !== Tag.Empty)
                ftw |= 1 << k;
        const at = (k) => (offset + k) >>> 0;
        mem.write(seg, at(0), 2, this.cw);
        mem.write(seg, at(2), 2, this.statusWord);
        mem.write(seg, at(4), 2, ftw);
        mem.write(seg, at(6), 2, this.fop);
        mem.write(seg, at(8), 4, this.fip);
        mem.write(seg, at(12), 4, this.fcs);
        mem.write(seg, at(16), 4, this.fdp);
        mem.write(seg, at(20), 4, this.fds);
        mem.write(seg, at(24), 4, 0x1f80);
        mem.write(seg, at(28), 4, 0);
        for (let i = 0; i < 8; i++) {
            const p = this.phys(i);
            const b = 32 + 16 * i;
            mem.write(seg, at(b), 4, this.regLo[p]);
            mem.write(seg, at(b + 4), 4, this.regHi[p]);
            mem.write(seg, at(b + 8), 4, this.regSe[p]);
            mem.write(seg, at(b + 12), 4, 0);
        }
    }
    /**
     * FXRSTOR: loads the legacy x87 part of the FXSAVE area. The abridged tag marks registers valid
     * or empty; valid registers' full tags come from their contents. MXCSR is ignored (no SSE, so no
     * #GP for its reserved bits). The caller checks the 16-byte alignment.
     */
    fxrstor(mem, seg, offset, _ctx) {
        const at = (k) => (offset + k) >>> 0;
        const e = this.envIn;
        e[0] = mem.read(seg, at(0), 2);
        e[1] = mem.read(seg, at(2), 2);
        const ftw = mem.read(seg, at(4), 1);
        e[5] = mem.read(seg, at(6), 2) & 0x7ff;
        e[3] = mem.read(seg, at(8), 4);
        e[4] = mem.read(seg, at(12), 2);
        e[6] = mem.read(seg, at(16), 4);
        e[7] = mem.read(seg, at(20), 2);
        for (let i = 0; i < 8; i++) {
            const b = 32 + 16 * i;
            this.scratchLo[i] = mem.read(seg, at(b), 4);
            this.scratchHi[i] = mem.read(seg, at(b + 4), 4);
            this.scratchSe[i] = mem.read(seg, at(b + 8), 2);
        }
        const top = (e[1] >> 11) & 7;
        for (let i = 0; i < 8; i++) {
            const p = (top + i) & 7;
            this.regLo[p] = this.scratchLo[i];
            this.regHi[p] = this.scratchHi[i];
            this.regSe[p] = this.scratchSe[i];
        }
        let tw = 0;
        for (let k = 7; k >= 0; k--)
            tw = (tw << 2) | ((ftw >> k) & 1 ? 0 : Tag.Empty);
        e[2] = tw;
        this.applyEnvironment(e);
    }
    // ---------------------------------------------------------------------------------------------
    // Snapshot
    /** The FPU state as a plain value: registers in physical order, words and pointers. */
    saveState() {
        const regs = new Uint32Array(24);
        for (let k = 0; k < 8; k++) {
            regs[3 * k] = this.regSe[k];
            regs[3 * k + 1] = this.regHi[k];
            regs[3 * k + 2] = this.regLo[k];
        }
        return {
            regs,
            cw: this.cw,
            sw: this.statusWord,
            tw: this.tagWord,
            fip: this.fip,
            fcs: this.fcs,
            fdp: this.fdp,
            fds: this.fds,
            fop: this.fop,
        };
    }
    /** Loads a state saved by {@link saveState} (same {@link X87_STATE_VERSION}); rejects malformed input. */
    loadState(state) {
        const regs = field(state, 'regs');
        if (!(regs instanceof Uint32Array) || regs.length !== 24)
            throw new TypeError("snapshot field 'regs' is not 24 32-bit words");
        const num = (k, max) => {
            const v = numberField(state, k);
            if (!Number.isInteger(v) || v < 0 || v > max)
                throw new TypeError(`snapshot field '${k}' is out of range`);
            return v;
        };
        const cw = num('cw', 0xffff);
        const sw = num('sw', 0xffff);
        const tw = num('tw', 0xffff);
        const fip = num('fip', 0xffff_ffff);
        const fcs = num('fcs', 0xffff);
        const fdp = num('fdp', 0xffff_ffff);
        const fds = num('fds', 0xffff);
        const fop = num('fop', 0x7ff);
        for (let k = 0; k < 8; k++) {
            this.regSe[k] = regs[3 * k] & 0xffff;
            this.regHi[k] = regs[3 * k + 1];
            this.regLo[k] = regs[3 * k + 2];
        }
        this.setControlWordRaw(cw);
        this.top = (sw >> 11) & 7;
        this.sw = sw & ~FSW.TOP;
        for (let k = 0; k < 8; k++) {
            this.tags[k] = ((tw >> (2 * k)) & 3) === Tag.Empty ? Tag.Empty : tagOf(this.regSe[k], this.regHi[k], this.regLo[k]);
        }
        this.fip = fip;
        this.fcs = fcs;
        this.fdp = fdp;
        this.fds = fds;
        this.fop = fop;
    }
}
/** The tag of a non-empty register from its contents (SDM Vol. 1 §8.1.7). */
function tagOf(se, hi, lo) {
    switch (classify(se, hi, lo)) {
        case FloatClass.Normal:
            return Tag.Valid;
        case FloatClass.Zero:
            return Tag.Zero;
        default:
            return Tag.Special;
    }
}
//# sourceMappingURL=x87.js.map