/** Operand helpers shared by the handlers (register and r/m access by operand size). */
import { REG8_OFFSET, type X86Cpu } from '../cpu.js';

/** Reads general register `r` at the operand size. */
export function regV(c: X86Cpu, r: number): number {
  return c.os32 ? c.regs[r]! : c.r16[r << 1]!;
}

/** Writes general register `r` at the operand size. */
export function setRegV(c: X86Cpu, r: number, v: number): void {
  if (c.os32) c.regs[r] = v;
  else c.r16[r << 1] = v;
}

/** Reads 8-bit register `r` (AL..BH encoding). */
export function reg8(c: X86Cpu, r: number): number {
  return c.r8[REG8_OFFSET[r]!]!;
}

/** Writes 8-bit register `r`. */
export function setReg8(c: X86Cpu, r: number, v: number): void {
  c.r8[REG8_OFFSET[r]!] = v;
}

/** Reads the r/m operand at the operand size. */
export function rmV(c: X86Cpu, m: number): number {
  return c.os32 ? c.rm32(m) : c.rm16(m);
}

/** Writes the r/m operand at the operand size. */
export function setRmV(c: X86Cpu, m: number, v: number): void {
  if (c.os32) c.setRm32(m, v);
  else c.setRm16(m, v);
}

/** Operand size in bytes (2 or 4). */
export function osz(c: X86Cpu): number {
  return c.os32 ? 4 : 2;
}

/** Reads the r/m operand of `size` bytes. */
export function rmN(c: X86Cpu, m: number, size: number): number {
  return size === 4 ? c.rm32(m) : size === 2 ? c.rm16(m) : c.rm8(m);
}

/** Reads register `r` of `size` bytes. */
export function regN(c: X86Cpu, r: number, size: number): number {
  return size === 4 ? c.regs[r]! : size === 2 ? c.r16[r << 1]! : c.r8[REG8_OFFSET[r]!]!;
}

/** Writes register `r` of `size` bytes. */
export function setRegN(c: X86Cpu, r: number, size: number, v: number): void {
  if (size === 4) c.regs[r] = v;
  else if (size === 2) c.r16[r << 1] = v;
  else c.r8[REG8_OFFSET[r]!] = v;
}
