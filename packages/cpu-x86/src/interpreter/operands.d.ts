/** Operand helpers shared by the handlers (register and r/m access by operand size). */
import { type X86Cpu } from '../cpu.js';
/** Reads general register `r` at the operand size. */
export declare function regV(c: X86Cpu, r: number): number;
/** Writes general register `r` at the operand size. */
export declare function setRegV(c: X86Cpu, r: number, v: number): void;
/** Reads 8-bit register `r` (AL..BH encoding). */
export declare function reg8(c: X86Cpu, r: number): number;
/** Writes 8-bit register `r`. */
export declare function setReg8(c: X86Cpu, r: number, v: number): void;
/** Reads the r/m operand at the operand size. */
export declare function rmV(c: X86Cpu, m: number): number;
/** Writes the r/m operand at the operand size. */
export declare function setRmV(c: X86Cpu, m: number, v: number): void;
/** Operand size in bytes (2 or 4). */
export declare function osz(c: X86Cpu): number;
/** Reads the r/m operand of `size` bytes. */
export declare function rmN(c: X86Cpu, m: number, size: number): number;
/** Reads register `r` of `size` bytes. */
export declare function regN(c: X86Cpu, r: number, size: number): number;
/** Writes register `r` of `size` bytes. */
export declare function setRegN(c: X86Cpu, r: number, size: number, v: number): void;
//# sourceMappingURL=operands.d.ts.map