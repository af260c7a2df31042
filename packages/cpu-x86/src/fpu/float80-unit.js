import { FCW, FSW, RoundingControl } from './x87-registers.js';
/**
 * What an 80-bit register encoding holds (SDM Vol. 1 §4.2.2 table 4-3 and §8.2.2 table 8-3).
 * Pseudo-denormals (exponent 0, integer bit 1) count as denormals; pseudo-NaNs, pseudo-infinities,
 * unnormals and pseudo-zeros (integer bit 0 with a non-zero exponent) are unsupported.
 */
export const FloatClass = {
    /** ±0. */
    Zero: 0,
    /** A denormal or pseudo-denormal. */
    Denormal: 1,
    /** A normal finite value. */
    Normal: 2,
    /** ±∞. */
    Infinity: 3,
    /** A quiet NaN. */
    QNaN: 4,
    /** A signalling NaN. */
    SNaN: 5,
    /** An encoding the 387 and later reject (invalid operation). */
    Unsupported: 6,
};
const C = FloatClass;
const SIGN = 0x8000;
const EXP_MAX = 0x7fff;
/** Exponent bias of the double extended-precision format, SDM Vol. 1 table 4-3. */
export const EXT_BIAS = 16383;
/** The exponent bias adjustment for unmasked overflow/underflow results, SDM Vol. 1 §8.5.4, §8.5.5. */
export const EXT_WRAP = 0x6000;
/** Biased exponent of 1.0 in the extended format. */
const ONE_EXP = EXT_BIAS;
/** The QNaN floating-point indefinite, SDM Vol. 1 table 4-3: sign 1, exponent all ones, significand 0xC000…0. */
export const INDEFINITE_SE = 0xffff;
/** High significand word of the real indefinite. */
export const INDEFINITE_HI = 0xc000_0000;
/** Classifies an 80-bit encoding (sign/exponent word, significand high and low words). */
export function classify(se, hi, lo) {
    const e = se & EXP_MAX;
    if (e === 0)
        return (hi | lo) === 0 ? C.Zero : C.Denormal;
    if (e === EXP_MAX) {
        if ((hi & 0x8000_0000) === 0)
            return C.Unsupported;
        if ((hi & 0x7fff_ffff) === 0 && lo === 0)
            return C.Infinity;
        return (hi & 0x4000_0000) !== 0 ? C.QNaN : C.SNaN;
    }
    return (hi & 0x8000_0000) !== 0 ? C.Normal : C.Unsupported;
}
/** Whether a class is a NaN. */
export function isNaNClass(c) {
    return c === C.QNaN || c === C.SNaN;
}
// Scratch views for exact float64 <-> bits conversion, shared by every unit (no per-call allocation).
const f64 = new Float64Array(1);
const f64w = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const W_LO = LITTLE ? 0 : 1;
const W_HI = LITTLE ? 1 : 0;
/** 2^−16, for splitting 16-bit carries off exactly. */
const INV_2_16 = 1 / 65536;
/** 10^18 as two 32-bit words: the exclusive upper bound of an 18-digit packed BCD magnitude. */
const BCD_LIMIT_HI = 0x0de0_b6b3;
const BCD_LIMIT_LO = 0xa764_0000;
/**
 * The x87 arithmetic unit: IEEE 754 operations on 80-bit double extended-precision values with the
 * x87's rules for special operands, exception flags, precision control and rounding control.
 *
 * Add, subtract, multiply, divide, square root, remainder, scale, round-to-integer and every
 * conversion are exact and correctly rounded in true 80-bit arithmetic (64-bit significands held as
 * two 32-bit words, extra precision in a third guard word with a sticky bit), honouring FCW.PC and
 * FCW.RC. Only the transcendental helpers of {@link X87} compute in float64.
 *
 * The unit is allocation-free: inputs are passed as numbers, outputs are left in public fields
 * ({@link se}, {@link hi}, {@link lo}) and exception flags are OR-ed into {@link flags} (FSW bit
 * positions, with {@link FSW.C1} meaning "the significand was rounded up"). The caller clears
 * `flags` before an instruction and decides, from the masks, whether to commit the result.
 */
export class Float80Unit {
    /** The control word in force (masks, PC, RC). */
    cw = 0x037f;
    /** Result: sign and biased exponent. */
    se = 0;
    /**
     * Result: significand bits 63–32, as a signed 32-bit integer (so that passing it around never
     * boxes a number; read it with `>>> 0` for the unsigned value).
     */
    hi = 0;
    /** Result: significand bits 31–0, as a signed 32-bit integer. */
    lo = 0;
    /** Accumulated exception flags (FSW.IE…PE) and FSW.C1 for a rounded-up result. */
    flags = 0;
    /**
     * Set by a rounding whose masked response is "no result": an unmasked overflow or underflow on
     * a store to memory, SDM Vol. 1 §8.5.4–8.5.5. Cleared by every rounding.
     */
    suppressed = false;
    // The accumulator being rounded: sign, unbiased exponent of bit 63 of rh:rl, 96 bits rh:rl:rg
    // (rg holds bits below the significand, with everything lower jammed into its bit 0).
    rs = 0;
    re = 0;
    rh = 0;
    rl = 0;
    rg = 0;
    inexact = false;
    roundedUp = false;
    // Unpacked operands: sign, unbiased exponent of the integer bit, normalised significand.
    as = 0;
    ae = 0;
    ah = 0;
    al = 0;
    bs = 0;
    be = 0;
    bh = 0;
    bl = 0;
    /**
     * Precision of the significand selected by FCW.PC (SDM Vol. 1 table 8-2). The reserved value 01
     * acts as 64 bits, as on the reference host.
     */
    precision() {
        const pc = (this.cw >> 8) & 3;
        return pc === 2 ? 53 : pc === 0 ? 24 : 64;
    }
    // ---------------------------------------------------------------------------------------------
    // Results
    /** Sets the result to the real indefinite (and raises IE). */
    invalid() {
        this.flags = (this.flags & ~FSW.DE) | FSW.IE;
        this.se = INDEFINITE_SE;
        this.hi = INDEFINITE_HI | 0;
        this.lo = 0;
    }
    /** Sets the result to an encoding as is. */
    set(se, hi, lo) {
        this.se = se;
        this.hi = hi | 0;
        this.lo = lo | 0;
    }
    setInfinity(sign) {
        this.se = (sign << 15) | EXP_MAX;
        this.hi = 0x8000_0000 | 0;
        this.lo = 0;
    }
    setZero(sign) {
        this.se = sign << 15;
        this.hi = 0;
        this.lo = 0;
    }
    /**
     * The x87 NaN rules (SDM Vol. 1 table 4-7, x87 column): an SNaN raises IE and is quieted; a QNaN
     * operand wins over an SNaN; between two NaNs of the same kind the larger significand wins.
     */
    propagateNaN(ca, aSe, aHi, aLo, cb, bSe, bHi, bLo) {
        // A NaN operand hides the denormal-operand exception of the other operand.
        this.flags &= ~FSW.DE;
        if (ca === C.SNaN || cb === C.SNaN)
            this.flags |= FSW.IE;
        let pickA;
        const aNaN = ca === C.QNaN || ca === C.SNaN;
        const bNaN = cb === C.QNaN || cb === C.SNaN;
        if (aNaN && bNaN) {
            if (ca !== cb)
                pickA = ca === C.QNaN;
            else {
                const ah = (aHi & 0x3fff_ffff) >>> 0;
                const bh = (bHi & 0x3fff_ffff) >>> 0;
                pickA = ah > bh || (ah === bh && (aLo >>> 0 > bLo >>> 0 || (aLo >>> 0 === bLo >>> 0 && (aSe & SIGN) === 0)));
            }
        }
        else
            pickA = aNaN;
        if (pickA)
            this.set(aSe, (aHi | 0x4000_0000) >>> 0, aLo);
        else
            this.set(bSe, (bHi | 0x4000_0000) >>> 0, bLo);
    }
    /** Quiets a NaN operand of a one-operand operation (IE for an SNaN). */
    quietNaN(c, se, hi, lo) {
        if (c === C.SNaN)
            this.flags |= FSW.IE;
        this.set(se, (hi | 0x4000_0000) >>> 0, lo);
    }
    // ---------------------------------------------------------------------------------------------
    // Unpacking and rounding
    // Scratch for unpacking.
    us = 0;
    ue = 0;
    uh = 0;
    ul = 0;
    /** Unpacks a finite non-zero encoding into us/ue/uh/ul (normalised significand). */
    unpack(se, hi, lo) {
        this.us = se >>> 15;
        let e = se & EXP_MAX;
        if (e === 0)
            e = 1;
        e -= EXT_BIAS;
        if ((hi & 0x8000_0000) === 0) {
            if (hi !== 0) {
                const k = Math.clz32(hi);
                hi = ((hi << k) | (lo >>> (32 - k))) >>> 0;
                lo = (lo << k) >>> 0;
                e -= k;
            }
            else {
                const k = Math.clz32(lo);
                hi = (lo << k) >>> 0;
                lo = 0;
                e -= 32 + k;
            }
        }
        this.ue = e;
        this.uh = hi >>> 0;
        this.ul = lo >>> 0;
    }
    unpackA(se, hi, lo) {
        this.unpack(se, hi, lo);
        this.as = this.us;
        this.ae = this.ue;
        this.ah = this.uh;
        this.al = this.ul;
    }
    unpackB(se, hi, lo) {
        this.unpack(se, hi, lo);
        this.bs = this.us;
        this.be = this.ue;
        this.bh = this.uh;
        this.bl = this.ul;
    }
    /** Shifts rh:rl:rg right by n bits, jamming the lost bits into bit 0 of rg. */
    shiftRightJam(n) {
        if (n <= 0)
            return;
        let h = this.rh;
        let l = this.rl;
        let g = this.rg;
        if (n >= 96) {
            g = (h | l | g) !== 0 ? 1 : 0;
            h = 0;
            l = 0;
        }
        else {
            let sticky = 0;
            while (n >= 32) {
                sticky |= g;
                g = l;
                l = h;
                h = 0;
                n -= 32;
            }
            if (n > 0) {
                sticky |= g << (32 - n);
                g = (g >>> n) | (l << (32 - n));
                l = (l >>> n) | (h << (32 - n));
                h = h >>> n;
            }
            if (sticky !== 0)
                g |= 1;
        }
        this.rh = h >>> 0;
        this.rl = l >>> 0;
        this.rg = g >>> 0;
    }
    /** Normalises rh:rl:rg so that bit 63 of rh:rl is set (the accumulator must be non-zero). */
    normalize() {
        while (this.rh === 0) {
            this.rh = this.rl;
            this.rl = this.rg;
            this.rg = 0;
            this.re -= 32;
        }
        const k = Math.clz32(this.rh);
        if (k > 0) {
            this.rh = ((this.rh << k) | (this.rl >>> (32 - k))) >>> 0;
            this.rl = ((this.rl << k) | (this.rg >>> (32 - k))) >>> 0;
            this.rg = (this.rg << k) >>> 0;
            this.re -= k;
        }
    }
    /**
     * Rounds rh:rl:rg at a bit position: shifts right by `shr` (jamming), rounds into rh:rl under
     * the rounding control, then shifts left by `shl`. Returns 1 if the significand carried out of
     * bit 63 (then rh:rl is 2^63 and the exponent must grow by one), else 0.
     */
    roundAt(shr, shl, rc) {
        this.shiftRightJam(shr);
        const g = this.rg;
        let inc = 0;
        if (g !== 0) {
            this.inexact = true;
            if (rc === RoundingControl.Nearest)
                inc = g > 0x8000_0000 || (g === 0x8000_0000 && (this.rl & 1) !== 0) ? 1 : 0;
            else if (rc === RoundingControl.Down)
                inc = this.rs;
            else if (rc === RoundingControl.Up)
                inc = this.rs ^ 1;
        }
        let carry = 0;
        if (inc !== 0) {
            this.roundedUp = true;
            const l = this.rl + 1;
            this.rl = l >>> 0;
            if (l > 0xffff_ffff) {
                const h = this.rh + 1;
                this.rh = h >>> 0;
                if (h > 0xffff_ffff)
                    carry = 1;
            }
        }
        this.rg = 0;
        if (shl > 0) {
            if (shl < 32) {
                carry |= this.rh >>> (32 - shl);
                this.rh = ((this.rh << shl) | (this.rl >>> (32 - shl))) >>> 0;
                this.rl = (this.rl << shl) >>> 0;
            }
            else {
                carry |= this.rh !== 0 ? 1 : 0;
                carry |= shl > 32 ? this.rl >>> (64 - shl) : 0;
                this.rh = shl === 32 ? this.rl : (this.rl << (shl - 32)) >>> 0;
                this.rl = 0;
            }
        }
        if (carry !== 0) {
            this.rh = 0x8000_0000;
            this.rl = 0;
            return 1;
        }
        return 0;
    }
    /**
     * Rounds the accumulator to `p` significand bits and the exponent range [1, eMax] of a format
     * with the given bias, and leaves it in se/hi/lo with the integer bit explicit at bit 63 and the
     * biased exponent in se's low 15 bits (0 for a denormal). Applies the x87 masked and unmasked
     * responses to overflow and underflow (SDM Vol. 1 §4.9.1.4–4.9.1.6, §8.5.4–8.5.6): `wrap` says
     * whether the destination is a register, which receives the exponent-wrapped result when the
     * exception is unmasked; for memory destinations an unmasked overflow or underflow sets
     * {@link suppressed}. Tininess is detected after rounding, as Intel processors do.
     */
    roundPack(p, bias, eMax, wrap) {
        this.suppressed = false;
        const sign = this.rs;
        if ((this.rh | this.rl | this.rg) === 0) {
            this.setZero(sign);
            return;
        }
        const rc = (this.cw >> 10) & 3;
        const e = this.re + bias;
        const h0 = this.rh;
        const l0 = this.rl;
        const g0 = this.rg;
        this.inexact = false;
        this.roundedUp = false;
        const e1 = e + this.roundAt(64 - p, 64 - p, rc);
        if (e1 < 1) {
            if ((this.cw & FCW.UM) === 0 && (!wrap || e1 + EXT_WRAP >= 1)) {
                this.flags |= FSW.UE;
                if (!wrap) {
                    this.suppressed = true;
                    return;
                }
                this.finish(sign, e1 + EXT_WRAP);
                return;
            }
            if ((this.cw & FCW.UM) === 0) {
                // Unmasked but beyond the reach of the exponent wrap (FSCALE): ±0 whatever the rounding
                // control, as the reference host does.
                this.flags |= FSW.UE | FSW.PE;
                this.setZero(sign);
                return;
            }
            // Masked: denormalise.
            this.rh = h0;
            this.rl = l0;
            this.rg = g0;
            this.inexact = false;
            this.roundedUp = false;
            this.roundAt(64 - p + (1 - e), 64 - p, rc);
            if (this.inexact)
                this.flags |= FSW.UE;
            this.finish(sign, (this.rh & 0x8000_0000) !== 0 ? 1 : 0);
            return;
        }
        if (e1 > eMax) {
            if ((this.cw & FCW.OM) === 0 && (!wrap || e1 - EXT_WRAP <= eMax)) {
                this.flags |= FSW.OE;
                if (!wrap) {
                    this.suppressed = true;
                    return;
                }
                this.finish(sign, e1 - EXT_WRAP);
                return;
            }
            // Masked: the rounding-dependent response. Unmasked but beyond the reach of the exponent
            // wrap (FSCALE): ∞ whatever the rounding control, as the reference host does.
            this.flags |= FSW.OE | FSW.PE;
            const toInfinity = (this.cw & FCW.OM) === 0 || rc === RoundingControl.Nearest || (rc === RoundingControl.Up && sign === 0) || (rc === RoundingControl.Down && sign === 1);
            if (toInfinity) {
                this.flags |= FSW.C1;
                this.se = (sign << 15) | (eMax + 1);
                this.hi = 0x8000_0000 | 0;
                this.lo = 0;
            }
            else {
                this.se = (sign << 15) | eMax;
                this.hi = (p >= 32 ? 0xffff_ffff : 0xffff_ffff << (32 - p)) | 0;
                this.lo = p > 32 ? 0xffff_ffff << (64 - p) : 0;
                if (p === 64)
                    this.lo = -1;
            }
            return;
        }
        this.finish(sign, e1);
    }
    finish(sign, e) {
        if (this.inexact)
            this.flags |= FSW.PE;
        if (this.roundedUp)
            this.flags |= FSW.C1;
        this.se = (sign << 15) | (e & EXP_MAX);
        this.hi = this.rh | 0;
        this.lo = this.rl | 0;
    }
    /** Rounds the accumulator to the destination register under FCW.PC (arithmetic results). */
    roundToRegister() {
        this.roundPack(this.precision(), EXT_BIAS, 0x7ffe, true);
    }
    /** Rounds the accumulator to 64 bits (operations that FCW.PC does not affect). */
    roundToExtended() {
        this.roundPack(64, EXT_BIAS, 0x7ffe, true);
    }
    /**
     * Rounds sign · 1.f · 2^exp — a 96-bit significand h:l:g whose bit 95 (h bit 31) is the integer
     * bit, g holding lower bits with a sticky bit 0 — to the 64-bit extended format under RC,
     * with the x87 rules for a register destination (PE, C1, masked and unmasked UE/OE). For results
     * computed outside the unit (transcendental constants and tiny arguments).
     */
    roundAccumulator(sign, exp, h, l, g) {
        this.rs = sign;
        this.re = exp;
        this.rh = h >>> 0;
        this.rl = l >>> 0;
        this.rg = g >>> 0;
        this.roundToExtended();
    }
    /**
     * Rounds x ± δ, for a finite non-zero x and a positive δ far below x's last place (`direction`
     * −1: just toward zero, +1: just away from zero), to 64 bits under RC: sin x and tan x for tiny
     * x. Pseudo-denormals and denormals are normalised first, so the x87 underflow rules apply.
     */
    roundNearby(se, hi, lo, direction) {
        this.unpackA(se, hi, lo);
        this.rs = this.as;
        this.re = this.ae;
        if (direction > 0) {
            this.rh = this.ah;
            this.rl = this.al;
            this.rg = 1;
        }
        else {
            // (sig − 1 ulp) + 0.999… ulp
            let l = this.al - 1;
            let h = this.ah;
            if (l < 0) {
                l = 0xffff_ffff;
                h -= 1;
            }
            this.rh = h >>> 0;
            this.rl = l >>> 0;
            this.rg = 0xffff_ffff;
            this.normalize();
        }
        this.roundToExtended();
    }
    /** Loads an unpacked operand A into the accumulator. */
    accFromA() {
        this.rs = this.as;
        this.re = this.ae;
        this.rh = this.ah;
        this.rl = this.al;
        this.rg = 0;
    }
    // ---------------------------------------------------------------------------------------------
    // Arithmetic
    /**
     * a + b, or a − b when `subtract` (FADD/FSUB and their reversed and integer forms: the caller
     * orders the operands). Result rounded under PC and RC.
     */
    add(aSe, aHi, aLo, bSe, bHi, bLo, subtract) {
        const ca = classify(aSe, aHi, aLo);
        const cb = classify(bSe, bHi, bLo);
        if (ca === C.Unsupported || cb === C.Unsupported)
            return this.invalid();
        if (ca >= C.QNaN || cb >= C.QNaN)
            return this.propagateNaN(ca, aSe, aHi, aLo, cb, bSe, bHi, bLo);
        if (subtract)
            bSe ^= SIGN;
        if (ca === C.Denormal || cb === C.Denormal)
            this.flags |= FSW.DE;
        if (ca === C.Infinity || cb === C.Infinity) {
            if (ca === C.Infinity && cb === C.Infinity && ((aSe ^ bSe) & SIGN) !== 0)
                return this.invalid();
            return this.setInfinity((ca === C.Infinity ? aSe : bSe) >>> 15);
        }
        if (ca === C.Zero && cb === C.Zero) {
            const same = ((aSe ^ bSe) & SIGN) === 0;
            const rc = (this.cw >> 10) & 3;
            return this.setZero(same ? aSe >>> 15 : rc === RoundingControl.Down ? 1 : 0);
        }
        if (cb === C.Zero) {
            this.unpackA(aSe, aHi, aLo);
            this.accFromA();
            return this.roundToRegister();
        }
        if (ca === C.Zero) {
            this.unpackA(bSe, bHi, bLo);
            this.accFromA();
            return this.roundToRegister();
        }
        this.unpackA(aSe, aHi, aLo);
        this.unpackB(bSe, bHi, bLo);
        this.addUnpacked();
        if ((this.rh | this.rl | this.rg) === 0) {
            const rc = (this.cw >> 10) & 3;
            return this.setZero(rc === RoundingControl.Down ? 1 : 0);
        }
        this.roundToRegister();
    }
    /** Adds the unpacked operands A and B (both finite, non-zero) into the accumulator, exactly up to the sticky bit. */
    addUnpacked() {
        // Make A the operand with the larger magnitude.
        if (this.be > this.ae || (this.be === this.ae && (this.bh > this.ah || (this.bh === this.ah && this.bl > this.al)))) {
            let t = this.as;
            this.as = this.bs;
            this.bs = t;
            t = this.ae;
            this.ae = this.be;
            this.be = t;
            t = this.ah;
            this.ah = this.bh;
            this.bh = t;
            t = this.al;
            this.al = this.bl;
            this.bl = t;
        }
        // Align B into the accumulator.
        this.rh = this.bh;
        this.rl = this.bl;
        this.rg = 0;
        this.shiftRightJam(this.ae - this.be);
        const bh = this.rh;
        const bl = this.rl;
        const bg = this.rg;
        this.rs = this.as;
        this.re = this.ae;
        if (this.as === this.bs) {
            const l = this.al + bl;
            const h = this.ah + bh + (l > 0xffff_ffff ? 1 : 0);
            this.rh = h >>> 0;
            this.rl = l >>> 0;
            this.rg = bg;
            if (h > 0xffff_ffff) {
                this.shiftRightJam(1);
                this.rh = (this.rh | 0x8000_0000) >>> 0;
                this.re += 1;
            }
        }
        else {
            const g = 0 - bg;
            const borrowG = g < 0 ? 1 : 0;
            const l = this.al - bl - borrowG;
            const borrowL = l < 0 ? 1 : 0;
            const h = this.ah - bh - borrowL;
            this.rh = h >>> 0;
            this.rl = l >>> 0;
            this.rg = g >>> 0;
            if ((this.rh | this.rl | this.rg) !== 0)
                this.normalize();
        }
    }
    /** a × b under PC and RC. */
    mul(aSe, aHi, aLo, bSe, bHi, bLo) {
        const ca = classify(aSe, aHi, aLo);
        const cb = classify(bSe, bHi, bLo);
        if (ca === C.Unsupported || cb === C.Unsupported)
            return this.invalid();
        if (ca >= C.QNaN || cb >= C.QNaN)
            return this.propagateNaN(ca, aSe, aHi, aLo, cb, bSe, bHi, bLo);
        const sign = ((aSe ^ bSe) & SIGN) >>> 15;
        if (ca === C.Infinity || cb === C.Infinity) {
            if (ca === C.Zero || cb === C.Zero)
                return this.invalid();
            if (ca === C.Denormal || cb === C.Denormal)
                this.flags |= FSW.DE;
            return this.setInfinity(sign);
        }
        if (ca === C.Denormal || cb === C.Denormal)
            this.flags |= FSW.DE;
        if (ca === C.Zero || cb === C.Zero)
            return this.setZero(sign);
        this.unpackA(aSe, aHi, aLo);
        this.unpackB(bSe, bHi, bLo);
        this.mulUnpacked();
        this.rs = sign;
        this.roundToRegister();
    }
    /** Multiplies the unpacked significands of A and B into the accumulator (exponent and significand). */
    mulUnpacked() {
        this.mul128();
        let p3 = this.p3;
        let p2 = this.p2;
        let p1 = this.p1;
        const p0 = this.p0;
        let e = this.ae + this.be + 1;
        if ((p3 & 0x8000_0000) === 0) {
            p3 = ((p3 << 1) | (p2 >>> 31)) >>> 0;
            p2 = ((p2 << 1) | (p1 >>> 31)) >>> 0;
            p1 = ((p1 << 1) | (p0 >>> 31)) >>> 0;
            e -= 1;
            this.rg = (p1 | ((p0 << 1) !== 0 ? 1 : 0)) >>> 0;
        }
        else
            this.rg = (p1 | (p0 !== 0 ? 1 : 0)) >>> 0;
        this.rh = p3;
        this.rl = p2;
        this.re = e;
    }
    // The 128-bit product of mul128, most significant word first.
    p3 = 0;
    p2 = 0;
    p1 = 0;
    p0 = 0;
    /**
     * The exact 128-bit product of ah:al and bh:bl (16-bit limbs; column sums stay below 2^35).
     * Operands come from fields, not arguments, so that no 32-bit unsigned value is boxed.
     */
    mul128() {
        const al = this.al;
        const ah = this.ah;
        const bl = this.bl;
        const bh = this.bh;
        const a0 = al & 0xffff;
        const a1 = al >>> 16;
        const a2 = ah & 0xffff;
        const a3 = ah >>> 16;
        const b0 = bl & 0xffff;
        const b1 = bl >>> 16;
        const b2 = bh & 0xffff;
        const b3 = bh >>> 16;
        // Column sums stay below 2^35; carries are split off with exact power-of-two scaling.
        const K = 1 / 65536;
        let t = a0 * b0;
        let c = Math.floor(t * K);
        const d0 = t - c * 65536;
        t = c + a0 * b1 + a1 * b0;
        c = Math.floor(t * K);
        const d1 = t - c * 65536;
        t = c + a0 * b2 + a1 * b1 + a2 * b0;
        c = Math.floor(t * K);
        const d2 = t - c * 65536;
        t = c + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
        c = Math.floor(t * K);
        const d3 = t - c * 65536;
        t = c + a1 * b3 + a2 * b2 + a3 * b1;
        c = Math.floor(t * K);
        const d4 = t - c * 65536;
        t = c + a2 * b3 + a3 * b2;
        c = Math.floor(t * K);
        const d5 = t - c * 65536;
        t = c + a3 * b3;
        const d7 = Math.floor(t * K);
        const d6 = t - d7 * 65536;
        this.p3 = ((d7 << 16) | d6) >>> 0;
        this.p2 = ((d5 << 16) | d4) >>> 0;
        this.p1 = ((d3 << 16) | d2) >>> 0;
        this.p0 = ((d1 << 16) | d0) >>> 0;
    }
    /** a ÷ b under PC and RC (ZE for a finite non-zero dividend and a zero divisor). */
    div(aSe, aHi, aLo, bSe, bHi, bLo) {
        const ca = classify(aSe, aHi, aLo);
        const cb = classify(bSe, bHi, bLo);
        if (ca === C.Unsupported || cb === C.Unsupported)
            return this.invalid();
        if (ca >= C.QNaN || cb >= C.QNaN)
            return this.propagateNaN(ca, aSe, aHi, aLo, cb, bSe, bHi, bLo);
        const sign = ((aSe ^ bSe) & SIGN) >>> 15;
        if (ca === C.Infinity) {
            if (cb === C.Infinity)
                return this.invalid();
            if (cb === C.Denormal)
                this.flags |= FSW.DE;
            return this.setInfinity(sign);
        }
        if (cb === C.Infinity) {
            if (ca === C.Denormal)
                this.flags |= FSW.DE;
            return this.setZero(sign);
        }
        if (cb === C.Zero) {
            if (ca === C.Zero)
                return this.invalid();
            // ZE takes priority over a denormal dividend, even one converted from memory (no DE), as
            // on the reference host.
            this.flags = (this.flags & ~FSW.DE) | FSW.ZE;
            return this.setInfinity(sign);
        }
        if (ca === C.Denormal || cb === C.Denormal)
            this.flags |= FSW.DE;
        if (ca === C.Zero)
            return this.setZero(sign);
        this.unpackA(aSe, aHi, aLo);
        this.unpackB(bSe, bHi, bLo);
        this.divUnpacked();
        this.rs = sign;
        this.roundToRegister();
    }
    // Dividend limbs for the long division (base 2^16), reused.
    du = new Float64Array(10);
    dq = new Float64Array(6);
    /**
     * Divides the unpacked significand of A by B's into the accumulator: Q = ⌊A·2^80 / B⌋ (80–81
     * bits) by long division in base 2^16 (Knuth, TAOCP vol. 2, §4.3.1, algorithm D), and a sticky
     * bit for a non-zero remainder.
     */
    divUnpacked() {
        const R = 65536;
        const u = this.du;
        const q = this.dq;
        const v0 = this.bl & 0xffff;
        const v1 = this.bl >>> 16;
        const v2 = this.bh & 0xffff;
        const v3 = this.bh >>> 16; // ≥ 2^15: B is normalised
        u[0] = 0;
        u[1] = 0;
        u[2] = 0;
        u[3] = 0;
        u[4] = 0;
        u[5] = this.al & 0xffff;
        u[6] = this.al >>> 16;
        u[7] = this.ah & 0xffff;
        u[8] = this.ah >>> 16;
        u[9] = 0;
        for (let j = 5; j >= 0; j--) {
            const num = u[j + 4] * R + u[j + 3];
            let qhat = Math.floor(num / v3);
            let rhat = num - qhat * v3;
            while (qhat >= R || qhat * v2 > rhat * R + u[j + 2]) {
                qhat--;
                rhat += v3;
                if (rhat >= R)
                    break;
            }
            // u[j..j+4] −= qhat · v
            let p = qhat * v0;
            let carry = Math.floor(p * INV_2_16);
            let t = u[j] - (p - carry * R);
            let borrow = t < 0 ? 1 : 0;
            u[j] = t + borrow * R;
            p = qhat * v1 + carry;
            carry = Math.floor(p * INV_2_16);
            t = u[j + 1] - (p - carry * R) - borrow;
            borrow = t < 0 ? 1 : 0;
            u[j + 1] = t + borrow * R;
            p = qhat * v2 + carry;
            carry = Math.floor(p * INV_2_16);
            t = u[j + 2] - (p - carry * R) - borrow;
            borrow = t < 0 ? 1 : 0;
            u[j + 2] = t + borrow * R;
            p = qhat * v3 + carry;
            carry = Math.floor(p * INV_2_16);
            t = u[j + 3] - (p - carry * R) - borrow;
            borrow = t < 0 ? 1 : 0;
            u[j + 3] = t + borrow * R;
            t = u[j + 4] - carry - borrow;
            if (t < 0) {
                // qhat was one too large (rare): add the divisor back.
                qhat--;
                let c = 0;
                let s2 = u[j] + v0;
                c = s2 >= R ? 1 : 0;
                u[j] = s2 - c * R;
                s2 = u[j + 1] + v1 + c;
                c = s2 >= R ? 1 : 0;
                u[j + 1] = s2 - c * R;
                s2 = u[j + 2] + v2 + c;
                c = s2 >= R ? 1 : 0;
                u[j + 2] = s2 - c * R;
                s2 = u[j + 3] + v3 + c;
                c = s2 >= R ? 1 : 0;
                u[j + 3] = s2 - c * R;
                t += c;
            }
            u[j + 4] = t;
            q[j] = qhat;
        }
        const sticky = u[0] + u[1] + u[2] + u[3] !== 0 ? 1 : 0;
        const w2 = q[5] * R + q[4];
        const w1 = (q[3] * R + q[2]) >>> 0;
        const w0 = (q[1] * R + q[0]) >>> 0;
        const sh = q[5] !== 0 ? 15 : 16;
        this.rh = ((w2 << sh) | (w1 >>> (32 - sh))) >>> 0;
        this.rl = ((w1 << sh) | (w0 >>> (32 - sh))) >>> 0;
        this.rg = ((w0 << sh) | sticky) >>> 0;
        this.re = this.ae - this.be - (q[5] !== 0 ? 0 : 1);
    }
    /**
     * M − Y² for M = m3:m2:m1:0 and Y = yh:yl: leaves |M − Y²| in p3…p0 and returns whether it is
     * negative.
     */
    sqrtRemainder(m3, m2, m1, yh, yl) {
        this.ah = this.bh = yh;
        this.al = this.bl = yl;
        this.mul128();
        let d = 0 - this.p0;
        let borrow = d < 0 ? 1 : 0;
        const r0 = d >>> 0;
        d = m1 - this.p1 - borrow;
        borrow = d < 0 ? 1 : 0;
        const r1 = d >>> 0;
        d = m2 - this.p2 - borrow;
        borrow = d < 0 ? 1 : 0;
        const r2 = d >>> 0;
        d = m3 - this.p3 - borrow;
        borrow = d < 0 ? 1 : 0;
        const r3 = d >>> 0;
        if (borrow === 0) {
            this.p3 = r3;
            this.p2 = r2;
            this.p1 = r1;
            this.p0 = r0;
            return false;
        }
        // Negate the 128-bit two's complement.
        let n = (~r0 >>> 0) + 1;
        this.p0 = n >>> 0;
        let c = n > 0xffff_ffff ? 1 : 0;
        n = (~r1 >>> 0) + c;
        this.p1 = n >>> 0;
        c = n > 0xffff_ffff ? 1 : 0;
        n = (~r2 >>> 0) + c;
        this.p2 = n >>> 0;
        c = n > 0xffff_ffff ? 1 : 0;
        this.p3 = ((~r3 >>> 0) + c) >>> 0;
        return true;
    }
    /** √a under PC and RC (IE for a negative non-zero operand; √−0 = −0). */
    sqrt(aSe, aHi, aLo) {
        const ca = classify(aSe, aHi, aLo);
        if (ca === C.Unsupported)
            return this.invalid();
        if (ca >= C.QNaN)
            return this.quietNaN(ca, aSe, aHi, aLo);
        if (ca === C.Zero)
            return this.set(aSe, aHi, aLo);
        if ((aSe & SIGN) !== 0)
            return this.invalid();
        if (ca === C.Infinity)
            return this.set(aSe, aHi, aLo);
        if (ca === C.Denormal)
            this.flags |= FSW.DE;
        this.unpackA(aSe, aHi, aLo);
        // √(S·2^(e−63)) = √M · 2^((e−126−j)/2) with M = S·2^(63+j), j = e mod 2, so that the root
        // Y = ⌊√M⌋ lies in [2^63, 2^64). Y comes from a float64 estimate, one Newton correction and an
        // exact check of M − Y² (which also gives the guard and sticky bits).
        const e = this.ae;
        const j = e & 1;
        let m3;
        let m2;
        let m1;
        if (j === 0) {
            m3 = this.ah >>> 1;
            m2 = ((this.ah << 31) | (this.al >>> 1)) >>> 0;
            m1 = (this.al << 31) >>> 0;
        }
        else {
            m3 = this.ah;
            m2 = this.al;
            m1 = 0;
        }
        let y = Math.sqrt((this.ah * 4294967296 + this.al) * (j === 0 ? 2 ** 63 : 2 ** 64));
        if (y >= 2 ** 64)
            y = 2 ** 64 - 2048;
        let yh = Math.floor(y / 4294967296);
        let yl = y - yh * 4294967296;
        // Newton step on the exact remainder: Y ← Y + (M − Y²) / 2Y.
        let neg = this.sqrtRemainder(m3, m2, m1, yh, yl);
        const remApprox = this.p3 * 2 ** 96 + this.p2 * 2 ** 64 + this.p1 * 2 ** 32 + this.p0;
        const step = Math.floor(((neg ? -remApprox : remApprox) / (2 * y)));
        if (step !== 0) {
            const l = yl + step; // |step| < 2^20: one carry or borrow at most
            yh += Math.floor(l / 4294967296);
            yl = ((l % 4294967296) + 4294967296) % 4294967296;
            if (yh >= 4294967296) {
                yh = 0xffff_ffff;
                yl = 0xffff_ffff;
            }
        }
        // Exact fix-up: 0 ≤ M − Y² ≤ 2Y.
        for (;;) {
            neg = this.sqrtRemainder(m3, m2, m1, yh, yl);
            if (neg) {
                if (yl === 0) {
                    yl = 0xffff_ffff;
                    yh -= 1;
                }
                else
                    yl -= 1;
                continue;
            }
            // remainder > 2Y?  (2Y < 2^65, as t2:t1:t0)
            const t2 = yh >>> 31;
            const t1 = ((yh << 1) | (yl >>> 31)) >>> 0;
            const t0 = (yl << 1) >>> 0;
            const p2 = this.p2;
            const p1 = this.p1;
            const over = this.p3 !== 0 || p2 > t2 || (p2 === t2 && (p1 > t1 || (p1 === t1 && this.p0 > t0)));
            if (over && !(yh === 0xffff_ffff && yl === 0xffff_ffff)) {
                if (yl === 0xffff_ffff) {
                    yl = 0;
                    yh += 1;
                }
                else
                    yl += 1;
                continue;
            }
            break;
        }
        // Guard bit: the root's fraction is above ½ exactly when M − Y² > Y (it is never exactly ½).
        const rem2 = this.p2;
        const rem1 = this.p1;
        const rem0 = this.p0;
        const aboveHalf = rem2 !== 0 || rem1 > yh || (rem1 === yh && rem0 > yl);
        const nonZero = (rem2 | rem1 | rem0) !== 0;
        this.rh = yh >>> 0;
        this.rl = yl >>> 0;
        this.rg = aboveHalf ? 0x8000_0001 : nonZero ? 1 : 0;
        this.re = 63 + (e - 126 - j) / 2;
        this.rs = 0;
        this.roundToRegister();
    }
    /**
     * FPREM (`ieee` false: quotient truncated) or FPREM1 (`ieee` true: quotient rounded to nearest
     * even) of a by b, SDM Vol. 2A "FPREM"/"FPREM1". Leaves the remainder in se/hi/lo and returns the
     * condition bits to set: C2 for an incomplete reduction, otherwise C0 = Q2, C3 = Q1, C1 = Q0.
     * A reduction is complete when the exponent difference is below 64; otherwise the partial
     * remainder is reduced by 2^(d − N) with N = 32 + (d mod 32) — the choice is implementation
     * specific (SDM: "between 32 and 63").
     */
    remainder(aSe, aHi, aLo, bSe, bHi, bLo, ieee) {
        const ca = classify(aSe, aHi, aLo);
        const cb = classify(bSe, bHi, bLo);
        if (ca === C.Unsupported || cb === C.Unsupported) {
            this.invalid();
            return 0;
        }
        if (ca >= C.QNaN || cb >= C.QNaN) {
            this.propagateNaN(ca, aSe, aHi, aLo, cb, bSe, bHi, bLo);
            return 0;
        }
        if (ca === C.Infinity || cb === C.Zero) {
            this.invalid();
            return 0;
        }
        if (ca === C.Denormal || cb === C.Denormal)
            this.flags |= FSW.DE;
        if (ca === C.Zero || cb === C.Infinity) {
            this.set(aSe, aHi, aLo);
            if (ca === C.Denormal) {
                // A denormal dividend is returned normalised (it goes through the rounding path).
                this.unpackA(aSe, aHi, aLo);
                this.accFromA();
                this.roundToExtended();
            }
            return 0;
        }
        this.unpackA(aSe, aHi, aLo);
        this.unpackB(bSe, bHi, bLo);
        const sign = this.as;
        let d = this.ae - this.be;
        let partial = false;
        let scale = 0;
        if (d >= 64) {
            partial = true;
            const n = 32 + (d & 31);
            scale = d - n;
            d = n;
        }
        const bh = this.bh;
        const bl = this.bl;
        let r2 = 0;
        let r1 = this.ah;
        let r0 = this.al;
        let q = 0; // low bits of the quotient
        let remExp = this.be + scale; // exponent of bit 63 of the remainder
        if (d < 0) {
            // |a| < |b|: quotient 0. FPREM1 may still round the quotient up to 1 when d = -1.
            if (ieee && d === -1 && (r1 > bh || (r1 === bh && r0 > bl))) {
                // remainder = b − a (aligned at a's exponent: 2B − A)
                const dh = bh * 2 + (bl >>> 31);
                const dl = (bl << 1) >>> 0;
                const l = dl - r0;
                this.rl = l >>> 0;
                this.rh = (dh - r1 - (l < 0 ? 1 : 0)) >>> 0;
                this.rg = 0;
                this.rs = sign ^ 1;
                this.re = this.ae;
                this.normalize();
                this.roundToExtended();
                return FSW.C1;
            }
            this.accFromA();
            this.roundToExtended();
            return 0;
        }
        for (let i = 0; i <= d; i++) {
            let bit = 0;
            if (r2 !== 0 || r1 > bh || (r1 === bh && r0 >= bl)) {
                const l = r0 - bl;
                r0 = l >>> 0;
                r1 = (r1 - bh - (l < 0 ? 1 : 0)) >>> 0;
                r2 = 0;
                bit = 1;
            }
            q = ((q << 1) | bit) & 7;
            if (i < d) {
                r2 = r1 >>> 31;
                r1 = ((r1 << 1) | (r0 >>> 31)) >>> 0;
                r0 = (r0 << 1) >>> 0;
            }
        }
        let rsign = sign;
        if (ieee && !partial) {
            // Round the quotient to nearest even: compare 2r with B.
            const twoH = r1 * 2 + (r0 >>> 31);
            const twoL = (r0 << 1) >>> 0;
            const cmp = twoH > bh ? 1 : twoH < bh ? -1 : twoL > bl ? 1 : twoL < bl ? -1 : 0;
            if (cmp > 0 || (cmp === 0 && (q & 1) !== 0)) {
                const l = bl - r0;
                r0 = l >>> 0;
                r1 = (bh - r1 - (l < 0 ? 1 : 0)) >>> 0;
                q = (q + 1) & 7;
                rsign ^= 1;
            }
        }
        let cc = 0;
        if (partial)
            cc = FSW.C2;
        else {
            if (q & 4)
                cc |= FSW.C0;
            if (q & 2)
                cc |= FSW.C3;
            if (q & 1)
                cc |= FSW.C1;
        }
        if ((r1 | r0) === 0) {
            this.setZero(sign);
            return cc;
        }
        this.rs = rsign;
        this.rh = r1;
        this.rl = r0;
        this.rg = 0;
        this.re = remExp;
        this.normalize();
        this.roundToExtended();
        return cc;
    }
    /** FSCALE: a × 2^trunc(b), SDM Vol. 2A "FSCALE" table 3-… (not affected by PC). */
    scale(aSe, aHi, aLo, bSe, bHi, bLo) {
        const ca = classify(aSe, aHi, aLo);
        const cb = classify(bSe, bHi, bLo);
        if (ca === C.Unsupported || cb === C.Unsupported)
            return this.invalid();
        if (ca >= C.QNaN || cb >= C.QNaN)
            return this.propagateNaN(ca, aSe, aHi, aLo, cb, bSe, bHi, bLo);
        if (ca === C.Denormal || cb === C.Denormal)
            this.flags |= FSW.DE;
        const bneg = (bSe & SIGN) !== 0;
        if (cb === C.Infinity) {
            if (ca === C.Zero)
                return bneg ? this.set(aSe, aHi, aLo) : this.invalid();
            if (ca === C.Infinity)
                return bneg ? this.invalid() : this.set(aSe, aHi, aLo);
            return bneg ? this.setZero(aSe >>> 15) : this.setInfinity(aSe >>> 15);
        }
        if (ca === C.Zero || ca === C.Infinity)
            return this.set(aSe, aHi, aLo);
        // trunc(b), clamped: anything beyond ±2^17 over- or underflows every finite a.
        let n = 0;
        if (cb !== C.Zero) {
            this.unpackB(bSe, bHi, bLo);
            if (this.be >= 17)
                n = 1 << 17;
            else if (this.be >= 0)
                n = this.bh >>> (31 - this.be);
            if (bneg)
                n = -n;
        }
        this.unpackA(aSe, aHi, aLo);
        this.accFromA();
        this.re += n;
        this.roundToExtended();
    }
    /** FRNDINT: rounds to an integer under RC (PC does not apply). */
    roundInt(aSe, aHi, aLo) {
        const ca = classify(aSe, aHi, aLo);
        if (ca === C.Unsupported)
            return this.invalid();
        if (ca >= C.QNaN)
            return this.quietNaN(ca, aSe, aHi, aLo);
        if (ca === C.Zero || ca === C.Infinity)
            return this.set(aSe, aHi, aLo);
        if (ca === C.Denormal)
            this.flags |= FSW.DE;
        this.unpackA(aSe, aHi, aLo);
        if (this.ae >= 63)
            return this.set(aSe, aHi, aLo);
        this.accFromA();
        this.inexact = false;
        this.roundedUp = false;
        const sh = 63 - this.ae;
        const rc = (this.cw >> 10) & 3;
        // Round at the binary point: shift right by sh, round, and renormalise.
        this.shiftRightJam(sh);
        const g = this.rg;
        let inc = 0;
        if (g !== 0) {
            this.inexact = true;
            if (rc === RoundingControl.Nearest)
                inc = g > 0x8000_0000 || (g === 0x8000_0000 && (this.rl & 1) !== 0) ? 1 : 0;
            else if (rc === RoundingControl.Down)
                inc = this.rs;
            else if (rc === RoundingControl.Up)
                inc = this.rs ^ 1;
        }
        this.rg = 0;
        if (inc) {
            this.roundedUp = true;
            const l = this.rl + 1;
            this.rl = l >>> 0;
            if (l > 0xffff_ffff)
                this.rh = (this.rh + 1) >>> 0;
        }
        if (this.inexact)
            this.flags |= FSW.PE;
        if (this.roundedUp)
            this.flags |= FSW.C1;
        if ((this.rh | this.rl) === 0)
            return this.setZero(this.rs);
        this.re = 63;
        this.normalize();
        this.se = (this.rs << 15) | (this.re + EXT_BIAS);
        this.hi = this.rh | 0;
        this.lo = this.rl | 0;
    }
    /**
     * FXTRACT on a finite non-zero a: leaves the significand (exponent 0, a's sign) in se/hi/lo and
     * returns the unbiased exponent (of the normalised value, also for denormals).
     */
    extract(aSe, aHi, aLo) {
        this.unpackA(aSe, aHi, aLo);
        this.se = (aSe & SIGN) | ONE_EXP;
        this.hi = this.ah | 0;
        this.lo = this.al | 0;
        return this.ae;
    }
    // ---------------------------------------------------------------------------------------------
    // Comparison
    /**
     * Compares a with b: −1 (a < b), 0 (equal), 1 (a > b) or 2 (unordered). Raises IE for an
     * unsupported operand, for an SNaN, and for any NaN when `signalling`; DE for a denormal.
     */
    compare(aSe, aHi, aLo, bSe, bHi, bLo, signalling) {
        const ca = classify(aSe, aHi, aLo);
        const cb = classify(bSe, bHi, bLo);
        if (ca === C.Unsupported || cb === C.Unsupported) {
            this.flags = (this.flags & ~FSW.DE) | FSW.IE;
            return 2;
        }
        if (ca >= C.QNaN || cb >= C.QNaN) {
            this.flags &= ~FSW.DE;
            if (signalling || ca === C.SNaN || cb === C.SNaN)
                this.flags |= FSW.IE;
            return 2;
        }
        if (ca === C.Denormal || cb === C.Denormal)
            this.flags |= FSW.DE;
        if (ca === C.Zero && cb === C.Zero)
            return 0;
        const sa = ca === C.Zero ? 0 : aSe >>> 15;
        const sb = cb === C.Zero ? 0 : bSe >>> 15;
        if (ca === C.Zero)
            return sb ? 1 : -1;
        if (cb === C.Zero)
            return sa ? -1 : 1;
        if (sa !== sb)
            return sa ? -1 : 1;
        let mag;
        if (ca === C.Infinity || cb === C.Infinity)
            mag = ca === cb ? 0 : ca === C.Infinity ? 1 : -1;
        else {
            this.unpackA(aSe, aHi, aLo);
            this.unpackB(bSe, bHi, bLo);
            mag =
                this.ae !== this.be
                    ? this.ae > this.be
                        ? 1
                        : -1
                    : this.ah !== this.bh
                        ? this.ah > this.bh
                            ? 1
                            : -1
                        : this.al !== this.bl
                            ? this.al > this.bl
                                ? 1
                                : -1
                            : 0;
        }
        return sa ? -mag : mag;
    }
    // ---------------------------------------------------------------------------------------------
    // Conversions from memory formats (exact)
    /** Converts a float32 bit pattern exactly (an SNaN stays signalling; DE for a denormal). */
    fromF32(bits) {
        const sign = (bits >>> 31) << 15;
        const e = (bits >>> 23) & 0xff;
        const f = bits & 0x7f_ffff;
        if (e === 0xff)
            return this.set(sign | EXP_MAX, (0x8000_0000 | (f << 8)) >>> 0, 0);
        if (e === 0) {
            if (f === 0)
                return this.set(sign, 0, 0);
            this.flags |= FSW.DE;
            const k = Math.clz32(f) - 8; // shift to bring the leading bit to bit 23
            return this.set(sign | (EXT_BIAS - 126 - k), (f << (8 + k)) >>> 0, 0);
        }
        this.set(sign | (e - 127 + EXT_BIAS), (0x8000_0000 | (f << 8)) >>> 0, 0);
    }
    /** Converts a float64 bit pattern (high and low words) exactly (SNaN stays signalling; DE for a denormal). */
    fromF64(whi, wlo) {
        const sign = (whi >>> 31) << 15;
        const e = (whi >>> 20) & 0x7ff;
        const fh = whi & 0xf_ffff;
        if (e === 0x7ff)
            return this.set(sign | EXP_MAX, (0x8000_0000 | (fh << 11) | (wlo >>> 21)) >>> 0, (wlo << 11) >>> 0);
        if (e === 0) {
            if ((fh | wlo) === 0)
                return this.set(sign, 0, 0);
            this.flags |= FSW.DE;
            // Value = f · 2^-1074; normalise the 52-bit fraction so that its top bit lands on bit 63.
            let hi = ((fh << 11) | (wlo >>> 21)) >>> 0;
            let lo = (wlo << 11) >>> 0;
            let e80 = EXT_BIAS - 1022;
            if (hi === 0) {
                hi = lo;
                lo = 0;
                e80 -= 32;
            }
            const k = Math.clz32(hi);
            hi = ((hi << k) | (k ? lo >>> (32 - k) : 0)) >>> 0;
            lo = (lo << k) >>> 0;
            return this.set(sign | (e80 - k), hi, lo);
        }
        this.set(sign | (e - 1023 + EXT_BIAS), (0x8000_0000 | (fh << 11) | (wlo >>> 21)) >>> 0, (wlo << 11) >>> 0);
    }
    /** Converts a signed 64-bit integer given as two's-complement words exactly. */
    fromInt64(whi, wlo) {
        let sign = 0;
        let hi = whi >>> 0;
        let lo = wlo >>> 0;
        if ((hi & 0x8000_0000) !== 0) {
            sign = SIGN;
            lo = (~lo + 1) >>> 0;
            hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
        }
        if ((hi | lo) === 0)
            return this.set(0, 0, 0);
        let e = EXT_BIAS + 63;
        if (hi === 0) {
            hi = lo;
            lo = 0;
            e -= 32;
        }
        const k = Math.clz32(hi);
        hi = ((hi << k) | (k ? lo >>> (32 - k) : 0)) >>> 0;
        lo = (lo << k) >>> 0;
        this.set(sign | (e - k), hi, lo);
    }
    /** Converts a signed 32-bit integer exactly. */
    fromInt32(v) {
        v |= 0;
        this.fromInt64(v < 0 ? 0xffff_ffff : 0, v >>> 0);
    }
    /**
     * FBLD: converts 80-bit packed BCD (low word, middle word, top 16 bits: digit pairs then sign
     * byte) exactly. Invalid digits (A–F) are weighted as their nibble value, as the hardware's
     * multiply-add does; the SDM calls the result undefined.
     */
    fromBcd(w0, w1, w2) {
        let hi = 0;
        let lo = 0;
        for (let i = 17; i >= 0; i--) {
            const word = i < 8 ? w0 : i < 16 ? w1 : w2;
            const digit = (word >>> ((i & 7) * 4)) & 15;
            // (hi:lo) = (hi:lo)·10 + digit
            const l = lo * 10 + digit;
            const carry = Math.floor(l / 0x1_0000_0000);
            lo = l >>> 0;
            hi = (hi * 10 + carry) >>> 0;
        }
        const neg = (w2 & 0x8000) !== 0;
        if ((hi | lo) === 0)
            return this.set(neg ? SIGN : 0, 0, 0);
        this.fromInt64(hi, lo);
        if (neg)
            this.se |= SIGN;
    }
    // ---------------------------------------------------------------------------------------------
    // Conversions to memory formats (rounded)
    /**
     * Rounds a register value to float32 or float64 (`double`) for FST/FSTP: leaves the bit pattern
     * in {@link hi} (float32, or float64 high word) and {@link lo} (float64 low word). Raises IE for
     * an SNaN (quieted) or unsupported operand (indefinite), OE/UE/PE per the masks; {@link suppressed}
     * reports an unmasked overflow/underflow (nothing is stored).
     */
    toFloat(se, hi, lo, double) {
        this.suppressed = false;
        const c = classify(se, hi, lo);
        const sign = se >>> 15;
        if (c === C.Unsupported) {
            this.flags |= FSW.IE;
            if (double)
                this.packF64(1, 0x7ff, 0x8_0000, 0);
            else
                this.hi = 0xffc0_0000 | 0;
            return;
        }
        if (c === C.QNaN || c === C.SNaN) {
            if (c === C.SNaN)
                this.flags |= FSW.IE;
            const h = (hi | 0x4000_0000) >>> 0;
            if (double)
                this.packF64(sign, 0x7ff, (h >>> 11) & 0xf_ffff, ((h << 21) | (lo >>> 11)) >>> 0);
            else
                this.hi = ((sign << 31) | 0x7f80_0000 | ((h >>> 8) & 0x7f_ffff)) | 0;
            return;
        }
        if (c === C.Infinity) {
            if (double)
                this.packF64(sign, 0x7ff, 0, 0);
            else
                this.hi = ((sign << 31) | 0x7f80_0000) | 0;
            return;
        }
        if (c === C.Zero) {
            if (double)
                this.packF64(sign, 0, 0, 0);
            else
                this.hi = (sign << 31) | 0;
            return;
        }
        // Stores do not raise DE for a denormal source (matches the reference host).
        this.unpackA(se, hi, lo);
        this.accFromA();
        if (double) {
            this.roundPack(53, 1023, 0x7fe, false);
            if (this.suppressed)
                return;
            const e = this.se & EXP_MAX;
            this.packF64(sign, e, (this.hi >>> 11) & 0xf_ffff, ((this.hi << 21) | (this.lo >>> 11)) >>> 0);
        }
        else {
            this.roundPack(24, 127, 0xfe, false);
            if (this.suppressed)
                return;
            const e = this.se & EXP_MAX;
            this.hi = ((sign << 31) | (e << 23) | ((this.hi >>> 8) & 0x7f_ffff)) | 0;
        }
    }
    packF64(sign, e, fh, fl) {
        this.hi = ((sign << 31) | (e << 20) | fh) | 0;
        this.lo = fl | 0;
    }
    /**
     * Rounds a register value to a signed integer of `bits` (16, 32 or 64) under RC, or truncating
     * when `truncate` (FISTTP). Leaves the two's-complement result in {@link hi}:{@link lo}; invalid
     * operands and out-of-range values raise IE and give the integer indefinite (only the sign bit set).
     */
    toInt(se, hi, lo, bits, truncate) {
        const c = classify(se, hi, lo);
        if (c !== C.Zero && c !== C.Normal && c !== C.Denormal)
            return this.intIndefinite(bits);
        if (c === C.Zero)
            return this.set(0, 0, 0);
        if (!this.roundToInteger(se, hi, lo, truncate))
            return this.intIndefinite(bits);
        // Range check on the magnitude rh:rl.
        const neg = this.rs === 1;
        let ok;
        if (bits === 64)
            ok = this.rh < 0x8000_0000 || (neg && this.rh === 0x8000_0000 && this.rl === 0);
        else {
            const limit = bits === 32 ? 0x8000_0000 : 0x8000;
            ok = this.rh === 0 && (this.rl < limit || (neg && this.rl === limit));
        }
        if (!ok)
            return this.intIndefinite(bits);
        if (this.inexact)
            this.flags |= FSW.PE;
        if (this.roundedUp)
            this.flags |= FSW.C1;
        let h = this.rh;
        let l = this.rl;
        if (neg) {
            l = (~l + 1) >>> 0;
            h = (~h + (l === 0 ? 1 : 0)) >>> 0;
        }
        this.hi = h | 0;
        this.lo = l | 0;
    }
    intIndefinite(bits) {
        this.flags |= FSW.IE;
        if (bits === 64)
            this.set(0, 0x8000_0000, 0);
        else
            this.set(0, 0, bits === 32 ? 0x8000_0000 : 0x8000);
    }
    /**
     * Rounds a finite non-zero value to an integer magnitude in rh:rl (sign in rs), setting
     * inexact/roundedUp. Returns false when the magnitude does not fit in 64 bits.
     */
    roundToInteger(se, hi, lo, truncate) {
        this.unpackA(se, hi, lo);
        this.accFromA();
        this.inexact = false;
        this.roundedUp = false;
        if (this.ae > 63)
            return false;
        const rc = truncate ? RoundingControl.Zero : (this.cw >> 10) & 3;
        if (this.ae === 63)
            return true;
        this.roundAt(63 - this.ae, 0, rc);
        return true;
    }
    /**
     * FBSTP: rounds to an integer under RC and packs 18 BCD digits and the sign into {@link lo}
     * (digits 0–7), {@link hi} (digits 8–15) and {@link se} (digits 16–17 and the sign byte). An
     * invalid operand or a magnitude of 10^18 or more raises IE and gives the packed BCD indefinite.
     */
    toBcd(se, hi, lo) {
        const c = classify(se, hi, lo);
        const neg = (se & SIGN) !== 0;
        if (c === C.Zero)
            return this.set(neg ? 0x8000 : 0, 0, 0);
        if (c !== C.Normal && c !== C.Denormal)
            return this.bcdIndefinite();
        if (!this.roundToInteger(se, hi, lo, false))
            return this.bcdIndefinite();
        let h = this.rh;
        let l = this.rl;
        if (h > BCD_LIMIT_HI || (h === BCD_LIMIT_HI && l >= BCD_LIMIT_LO))
            return this.bcdIndefinite();
        if (this.inexact)
            this.flags |= FSW.PE;
        if (this.roundedUp)
            this.flags |= FSW.C1;
        let w0 = 0;
        let w1 = 0;
        let w2 = 0;
        for (let i = 0; i < 18; i++) {
            // (h:l) / 10
            const qh = Math.floor(h / 10);
            const rh = h - qh * 10;
            const t = rh * 0x1_0000_0000 + l;
            const ql = Math.floor(t / 10);
            const digit = t - ql * 10;
            h = qh;
            l = ql >>> 0;
            if (i < 8)
                w0 |= digit << (i * 4);
            else if (i < 16)
                w1 |= digit << ((i - 8) * 4);
            else
                w2 |= digit << ((i - 16) * 4);
        }
        this.lo = w0 | 0;
        this.hi = w1 | 0;
        this.se = (w2 | (neg ? 0x8000 : 0)) >>> 0;
    }
    bcdIndefinite() {
        this.flags |= FSW.IE;
        // SDM Vol. 1 table 4-4: sign byte 0xFF, then 0xFF, 0xC0 and zeros.
        this.set(0xffff, 0xc000_0000, 0);
    }
    // ---------------------------------------------------------------------------------------------
    // float64 bridges (transcendental functions)
    /**
     * Converts a finite register value to the nearest float64 (round to nearest; values beyond the
     * float64 range saturate to ±∞ or ±0). For the transcendental functions only.
     */
    toNumber(se, hi, lo) {
        const c = classify(se, hi, lo);
        const neg = (se & SIGN) !== 0;
        if (c === C.Zero)
            return neg ? -0 : 0;
        if (c === C.Infinity)
            return neg ? -Infinity : Infinity;
        if (c !== C.Normal && c !== C.Denormal)
            return NaN;
        this.unpackA(se, hi, lo);
        // 64-bit significand as an exactly representable high part plus a small low part.
        const v = this.ah * 4294967296 + ((this.al & 0xffff_f800) >>> 0) + (this.al & 0x7ff);
        const r = ldexp(v, this.ae - 63);
        return neg ? -r : r;
    }
    /** Sets the result to a float64 value exactly (every float64 is representable). */
    fromNumber(x) {
        const keep = this.flags & FSW.DE;
        f64[0] = x;
        this.fromF64(f64w[W_HI], f64w[W_LO]);
        this.flags = (this.flags & ~FSW.DE) | keep;
    }
    /**
     * Sets the result to hiPart + loPart (a double-double), rounded to 64 bits under RC; PE is
     * raised. For transcendental results computed with extra precision.
     */
    fromDoubleDouble(hiPart, loPart) {
        this.fromNumber(hiPart);
        if (loPart === 0 || !Number.isFinite(hiPart) || hiPart === 0) {
            this.flags |= FSW.PE;
            return;
        }
        const aSe = this.se;
        const aHi = this.hi;
        const aLo = this.lo;
        this.fromNumber(loPart);
        const saveCw = this.cw;
        this.cw |= 0x0300; // full precision for the final sum
        this.add(aSe, aHi, aLo, this.se, this.hi, this.lo, false);
        this.cw = saveCw;
        this.flags |= FSW.PE;
    }
}
/** x · 2^n for any integer n, without intermediate overflow or premature underflow. */
export function ldexp(x, n) {
    while (n > 1000) {
        x *= 2 ** 1000;
        n -= 1000;
        if (!Number.isFinite(x))
            return x;
    }
    while (n < -1000) {
        // Scale in two steps near the bottom so that the final step rounds once.
        if (n < -2000) {
            x *= 2 ** -1000;
            n += 1000;
        }
        else {
            x *= 2 ** -600;
            n += 600;
        }
        if (x === 0)
            return x;
    }
    return x * 2 ** n;
}
//# sourceMappingURL=float80-unit.js.map