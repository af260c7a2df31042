/**
 * What an 80-bit register encoding holds (SDM Vol. 1 §4.2.2 table 4-3 and §8.2.2 table 8-3).
 * Pseudo-denormals (exponent 0, integer bit 1) count as denormals; pseudo-NaNs, pseudo-infinities,
 * unnormals and pseudo-zeros (integer bit 0 with a non-zero exponent) are unsupported.
 */
export declare const FloatClass: {
    /** ±0. */
    readonly Zero: 0;
    /** A denormal or pseudo-denormal. */
    readonly Denormal: 1;
    /** A normal finite value. */
    readonly Normal: 2;
    /** ±∞. */
    readonly Infinity: 3;
    /** A quiet NaN. */
    readonly QNaN: 4;
    /** A signalling NaN. */
    readonly SNaN: 5;
    /** An encoding the 387 and later reject (invalid operation). */
    readonly Unsupported: 6;
};
/** One of the {@link FloatClass} values. */
export type FloatClass = (typeof FloatClass)[keyof typeof FloatClass];
/** Exponent bias of the double extended-precision format, SDM Vol. 1 table 4-3. */
export declare const EXT_BIAS = 16383;
/** The exponent bias adjustment for unmasked overflow/underflow results, SDM Vol. 1 §8.5.4, §8.5.5. */
export declare const EXT_WRAP = 24576;
/** The QNaN floating-point indefinite, SDM Vol. 1 table 4-3: sign 1, exponent all ones, significand 0xC000…0. */
export declare const INDEFINITE_SE = 65535;
/** High significand word of the real indefinite. */
export declare const INDEFINITE_HI = 3221225472;
/** Classifies an 80-bit encoding (sign/exponent word, significand high and low words). */
export declare function classify(se: number, hi: number, lo: number): FloatClass;
/** Whether a class is a NaN. */
export declare function isNaNClass(c: FloatClass): boolean;
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
export declare class Float80Unit {
    /** The control word in force (masks, PC, RC). */
    cw: number;
    /** Result: sign and biased exponent. */
    se: number;
    /**
     * Result: significand bits 63–32, as a signed 32-bit integer (so that passing it around never
     * boxes a number; read it with `>>> 0` for the unsigned value).
     */
    hi: number;
    /** Result: significand bits 31–0, as a signed 32-bit integer. */
    lo: number;
    /** Accumulated exception flags (FSW.IE…PE) and FSW.C1 for a rounded-up result. */
    flags: number;
    /**
     * Set by a rounding whose masked response is "no result": an unmasked overflow or underflow on
     * a store to memory, SDM Vol. 1 §8.5.4–8.5.5. Cleared by every rounding.
     */
    suppressed: boolean;
    private rs;
    private re;
    private rh;
    private rl;
    private rg;
    private inexact;
    private roundedUp;
    private as;
    private ae;
    private ah;
    private al;
    private bs;
    private be;
    private bh;
    private bl;
    /**
     * Precision of the significand selected by FCW.PC (SDM Vol. 1 table 8-2). The reserved value 01
     * acts as 64 bits, as on the reference host.
     */
    precision(): number;
    /** Sets the result to the real indefinite (and raises IE). */
    invalid(): void;
    /** Sets the result to an encoding as is. */
    set(se: number, hi: number, lo: number): void;
    private setInfinity;
    private setZero;
    /**
     * The x87 NaN rules (SDM Vol. 1 table 4-7, x87 column): an SNaN raises IE and is quieted; a QNaN
     * operand wins over an SNaN; between two NaNs of the same kind the larger significand wins.
     */
    private propagateNaN;
    /** Quiets a NaN operand of a one-operand operation (IE for an SNaN). */
    quietNaN(c: number, se: number, hi: number, lo: number): void;
    private us;
    private ue;
    private uh;
    private ul;
    /** Unpacks a finite non-zero encoding into us/ue/uh/ul (normalised significand). */
    private unpack;
    private unpackA;
    private unpackB;
    /** Shifts rh:rl:rg right by n bits, jamming the lost bits into bit 0 of rg. */
    private shiftRightJam;
    /** Normalises rh:rl:rg so that bit 63 of rh:rl is set (the accumulator must be non-zero). */
    private normalize;
    /**
     * Rounds rh:rl:rg at a bit position: shifts right by `shr` (jamming), rounds into rh:rl under
     * the rounding control, then shifts left by `shl`. Returns 1 if the significand carried out of
     * bit 63 (then rh:rl is 2^63 and the exponent must grow by one), else 0.
     */
    private roundAt;
    /**
     * Rounds the accumulator to `p` significand bits and the exponent range [1, eMax] of a format
     * with the given bias, and leaves it in se/hi/lo with the integer bit explicit at bit 63 and the
     * biased exponent in se's low 15 bits (0 for a denormal). Applies the x87 masked and unmasked
     * responses to overflow and underflow (SDM Vol. 1 §4.9.1.4–4.9.1.6, §8.5.4–8.5.6): `wrap` says
     * whether the destination is a register, which receives the exponent-wrapped result when the
     * exception is unmasked; for memory destinations an unmasked overflow or underflow sets
     * {@link suppressed}. Tininess is detected after rounding, as Intel processors do.
     */
    private roundPack;
    private finish;
    /** Rounds the accumulator to the destination register under FCW.PC (arithmetic results). */
    private roundToRegister;
    /** Rounds the accumulator to 64 bits (operations that FCW.PC does not affect). */
    private roundToExtended;
    /**
     * Rounds sign · 1.f · 2^exp — a 96-bit significand h:l:g whose bit 95 (h bit 31) is the integer
     * bit, g holding lower bits with a sticky bit 0 — to the 64-bit extended format under RC,
     * with the x87 rules for a register destination (PE, C1, masked and unmasked UE/OE). For results
     * computed outside the unit (transcendental constants and tiny arguments).
     */
    roundAccumulator(sign: number, exp: number, h: number, l: number, g: number): void;
    /**
     * Rounds x ± δ, for a finite non-zero x and a positive δ far below x's last place (`direction`
     * −1: just toward zero, +1: just away from zero), to 64 bits under RC: sin x and tan x for tiny
     * x. Pseudo-denormals and denormals are normalised first, so the x87 underflow rules apply.
     */
    roundNearby(se: number, hi: number, lo: number, direction: number): void;
    /** Loads an unpacked operand A into the accumulator. */
    private accFromA;
    /**
     * a + b, or a − b when `subtract` (FADD/FSUB and their reversed and integer forms: the caller
     * orders the operands). Result rounded under PC and RC.
     */
    add(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, subtract: boolean): void;
    /** Adds the unpacked operands A and B (both finite, non-zero) into the accumulator, exactly up to the sticky bit. */
    private addUnpacked;
    /** a × b under PC and RC. */
    mul(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number): void;
    /** Multiplies the unpacked significands of A and B into the accumulator (exponent and significand). */
    private mulUnpacked;
    private p3;
    private p2;
    private p1;
    private p0;
    /**
     * The exact 128-bit product of ah:al and bh:bl (16-bit limbs; column sums stay below 2^35).
     * Operands come from fields, not arguments, so that no 32-bit unsigned value is boxed.
     */
    private mul128;
    /** a ÷ b under PC and RC (ZE for a finite non-zero dividend and a zero divisor). */
    div(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number): void;
    private readonly du;
    private readonly dq;
    /**
     * Divides the unpacked significand of A by B's into the accumulator: Q = ⌊A·2^80 / B⌋ (80–81
     * bits) by long division in base 2^16 (Knuth, TAOCP vol. 2, §4.3.1, algorithm D), and a sticky
     * bit for a non-zero remainder.
     */
    private divUnpacked;
    /**
     * M − Y² for M = m3:m2:m1:0 and Y = yh:yl: leaves |M − Y²| in p3…p0 and returns whether it is
     * negative.
     */
    private sqrtRemainder;
    /** √a under PC and RC (IE for a negative non-zero operand; √−0 = −0). */
    sqrt(aSe: number, aHi: number, aLo: number): void;
    /**
     * FPREM (`ieee` false: quotient truncated) or FPREM1 (`ieee` true: quotient rounded to nearest
     * even) of a by b, SDM Vol. 2A "FPREM"/"FPREM1". Leaves the remainder in se/hi/lo and returns the
     * condition bits to set: C2 for an incomplete reduction, otherwise C0 = Q2, C3 = Q1, C1 = Q0.
     * A reduction is complete when the exponent difference is below 64; otherwise the partial
     * remainder is reduced by 2^(d − N) with N = 32 + (d mod 32) — the choice is implementation
     * specific (SDM: "between 32 and 63").
     */
    remainder(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, ieee: boolean): number;
    /** FSCALE: a × 2^trunc(b), SDM Vol. 2A "FSCALE" table 3-… (not affected by PC). */
    scale(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number): void;
    /** FRNDINT: rounds to an integer under RC (PC does not apply). */
    roundInt(aSe: number, aHi: number, aLo: number): void;
    /**
     * FXTRACT on a finite non-zero a: leaves the significand (exponent 0, a's sign) in se/hi/lo and
     * returns the unbiased exponent (of the normalised value, also for denormals).
     */
    extract(aSe: number, aHi: number, aLo: number): number;
    /**
     * Compares a with b: −1 (a < b), 0 (equal), 1 (a > b) or 2 (unordered). Raises IE for an
     * unsupported operand, for an SNaN, and for any NaN when `signalling`; DE for a denormal.
     */
    compare(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number, signalling: boolean): number;
    /** Converts a float32 bit pattern exactly (an SNaN stays signalling; DE for a denormal). */
    fromF32(bits: number): void;
    /** Converts a float64 bit pattern (high and low words) exactly (SNaN stays signalling; DE for a denormal). */
    fromF64(whi: number, wlo: number): void;
    /** Converts a signed 64-bit integer given as two's-complement words exactly. */
    fromInt64(whi: number, wlo: number): void;
    /** Converts a signed 32-bit integer exactly. */
    fromInt32(v: number): void;
    /**
     * FBLD: converts 80-bit packed BCD (low word, middle word, top 16 bits: digit pairs then sign
     * byte) exactly. Invalid digits (A–F) are weighted as their nibble value, as the hardware's
     * multiply-add does; the SDM calls the result undefined.
     */
    fromBcd(w0: number, w1: number, w2: number): void;
    /**
     * Rounds a register value to float32 or float64 (`double`) for FST/FSTP: leaves the bit pattern
     * in {@link hi} (float32, or float64 high word) and {@link lo} (float64 low word). Raises IE for
     * an SNaN (quieted) or unsupported operand (indefinite), OE/UE/PE per the masks; {@link suppressed}
     * reports an unmasked overflow/underflow (nothing is stored).
     */
    toFloat(se: number, hi: number, lo: number, double: boolean): void;
    private packF64;
    /**
     * Rounds a register value to a signed integer of `bits` (16, 32 or 64) under RC, or truncating
     * when `truncate` (FISTTP). Leaves the two's-complement result in {@link hi}:{@link lo}; invalid
     * operands and out-of-range values raise IE and give the integer indefinite (only the sign bit set).
     */
    toInt(se: number, hi: number, lo: number, bits: number, truncate: boolean): void;
    private intIndefinite;
    /**
     * Rounds a finite non-zero value to an integer magnitude in rh:rl (sign in rs), setting
     * inexact/roundedUp. Returns false when the magnitude does not fit in 64 bits.
     */
    private roundToInteger;
    /**
     * FBSTP: rounds to an integer under RC and packs 18 BCD digits and the sign into {@link lo}
     * (digits 0–7), {@link hi} (digits 8–15) and {@link se} (digits 16–17 and the sign byte). An
     * invalid operand or a magnitude of 10^18 or more raises IE and gives the packed BCD indefinite.
     */
    toBcd(se: number, hi: number, lo: number): void;
    private bcdIndefinite;
    /**
     * Converts a finite register value to the nearest float64 (round to nearest; values beyond the
     * float64 range saturate to ±∞ or ±0). For the transcendental functions only.
     */
    toNumber(se: number, hi: number, lo: number): number;
    /** Sets the result to a float64 value exactly (every float64 is representable). */
    fromNumber(x: number): void;
    /**
     * Sets the result to hiPart + loPart (a double-double), rounded to 64 bits under RC; PE is
     * raised. For transcendental results computed with extra precision.
     */
    fromDoubleDouble(hiPart: number, loPart: number): void;
}
/** x · 2^n for any integer n, without intermediate overflow or premature underflow. */
export declare function ldexp(x: number, n: number): number;
//# sourceMappingURL=float80-unit.d.ts.map