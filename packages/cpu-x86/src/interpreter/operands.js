/** Operand helpers shared by the handlers (register and r/m access by operand size). */
import { REG8_OFFSET } from '../cpu.js';
/** Reads general register `r` at the operand size. */
export function regV(c, r) {
    return c.os32 ? c.regs[r] : c.r16[r << 1];
}
/** Writes general register `r` at the operand size. */
export function setRegV(c, r, v) {
    if (c.os32)
        c.regs[r] = v;
    else
        c.r16[r << 1] = v;
}
/** Reads 8-bit register `r` (AL..BH encoding). */
export function reg8(c, r) {
    return c.r8[REG8_OFFSET[r]];
}
/** Writes 8-bit register `r`. */
export function setReg8(c, r, v) {
    c.r8[REG8_OFFSET[r]] = v;
}
/** Reads the r/m operand at the operand size. */
export function rmV(c, m) {
    return c.os32 ? c.rm32(m) : c.rm16(m);
}
/** Writes the r/m operand at the operand size. */
export function setRmV(c, m, v) {
    if (c.os32)
        c.setRm32(m, v);
    else
        c.setRm16(m, v);
}
/** Operand size in bytes (2 or 4). */
export function osz(c) {
    return c.os32 ? 4 : 2;
}
/** Reads the r/m operand of `size` bytes. */
export function rmN(c, m, size) {
    return size === 4 ? c.rm32(m) : size === 2 ? c.rm16(m) : c.rm8(m);
}
/** Reads register `r` of `size` bytes. */
export function regN(c, r, size) {
    return size === 4 ? c.regs[r] : size === 2 ? c.r16[r << 1] : c.r8[REG8_OFFSET[r]];
}
/** Writes register `r` of `size` bytes. */
export function setRegN(c, r, size, v) {
    if (size === 4)
        c.regs[r] = v;
    else if (size === 2)
        c.r16[r << 1] = v;
    else
        c.r8[REG8_OFFSET[r]] = v;
}
//# sourceMappingURL=operands.js.map