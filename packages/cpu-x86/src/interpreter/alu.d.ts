/**
 * Arithmetic primitives with exact EFLAGS (SDM Vol. 2, each instruction's "Flags Affected").
 * Operands are normalised to their size: bytes and words as unsigned masked values, dwords as
 * int32. Results are returned in the same form.
 */
import type { X86Cpu } from '../cpu.js';
/** Mask for an operand size in bytes. */
export declare function sizeMask(size: number): number;
/** Sign bit for an operand size in bytes. */
export declare function sizeSign(size: number): number;
/** Normalises `v` to `size` bytes. */
export declare function norm(v: number, size: number): number;
/**
 * The eight group-1 operations (ADD OR ADC SBB AND SUB XOR CMP, by ModRM reg / opcode bits 3–5).
 * Returns the result (for CMP, the subtraction result, which callers do not store).
 */
export declare function alu(c: X86Cpu, op: number, a: number, b: number, size: number): number;
/** INC (`dec` false) or DEC: like ADD/SUB 1 but CF is preserved. */
export declare function incDec(c: X86Cpu, a: number, dec: boolean, size: number): number;
/** NEG: 0 − a; CF set unless the operand is 0. */
export declare function neg(c: X86Cpu, a: number, size: number): number;
/**
 * The eight group-2 shifts and rotates (ROL ROR RCL RCR SHL SHR SAL SAR) by `count` (already
 * masked to 5 bits). A zero count changes nothing, flags included (SDM Vol. 2 "SAL/SAR/SHL/SHR",
 * "RCL/RCR/ROL/ROR").
 */
export declare function shift(c: X86Cpu, op: number, v: number, count: number, size: number): number;
/** SHLD/SHRD (SDM Vol. 2 "SHLD", "SHRD"): `count` masked to 5 bits; 0 changes nothing. */
export declare function shiftDouble(c: X86Cpu, left: boolean, dst: number, src: number, count: number, size: number): number;
/** 32 × 32 → 64 unsigned multiply; writes the halves to `out[0]` (low) and `out[1]` (high). */
export declare function mulU32(a: number, b: number, out: Int32Array): void;
/** 32 × 32 → 64 signed multiply (halves in `out`). */
export declare function mulS32(a: number, b: number, out: Int32Array): void;
/** Sets the MUL/IMUL flags: CF = OF = `overflow`; SF/ZF/PF from the low result, AF 0. */
export declare function mulFlags(c: X86Cpu, lo: number, size: number, overflow: boolean): void;
/** IMUL with a truncated result (two- and three-operand forms). */
export declare function imulTrunc(c: X86Cpu, a: number, b: number, size: number): number;
/** MUL/IMUL (group 3 /4 /5) with AL/AX/EAX. */
export declare function mulAcc(c: X86Cpu, v: number, size: number, signed: boolean): void;
/**
 * Unsigned 64 / 32 division of `hi:lo` (both uint32, `hi` < `d`) by `d`, exact in doubles;
 * quotient to out[0], remainder to out[1] (as uint32 doubles in a Float64Array).
 */
export declare function divU64(hi: number, lo: number, d: number, out: Float64Array): void;
/** DIV/IDIV (group 3 /6 /7): #DE on a zero divisor or a quotient that does not fit. */
export declare function divAcc(c: X86Cpu, v: number, size: number, signed: boolean): void;
//# sourceMappingURL=alu.d.ts.map