import { Vector } from '../cpu-fault.js';
import { Eflags, LazyOp } from '../flags.js';
const { CF, PF, AF, ZF, SF, OF } = Eflags;
const ALL = CF | PF | AF | ZF | SF | OF;
/** Mask for an operand size in bytes. */
export function sizeMask(size) {
    return size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
}
/** Sign bit for an operand size in bytes. */
export function sizeSign(size) {
    return size === 4 ? -0x8000_0000 : size === 2 ? 0x8000 : 0x80;
}
/** Normalises `v` to `size` bytes. */
export function norm(v, size) {
    return size === 4 ? v | 0 : v & (size === 2 ? 0xffff : 0xff);
}
/**
 * The eight group-1 operations (ADD OR ADC SBB AND SUB XOR CMP, by ModRM reg / opcode bits 3–5).
 * Returns the result (for CMP, the subtraction result, which callers do not store).
 */
export function alu(c, op, a, b, size) {
    const mask = size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
    const sign = size === 4 ? -0x8000_0000 : size === 2 ? 0x8000 : 0x80;
    let r;
    switch (op) {
        case 0: // ADD
            r = (a + b) & mask;
            c.lazy = ALL;
            c.lzOp = LazyOp.Add;
            break;
        case 1: // OR
            r = (a | b) & mask;
            c.setLogicFlags(r, mask, sign);
            return r;
        case 2: {
            // ADC
            const cin = c.cf();
            r = (a + b + cin) & mask;
            const cout = cin !== 0 ? (r >>> 0) <= (a >>> 0) : (r >>> 0) < (a >>> 0);
            c.flags = (c.flags & ~CF) | (cout ? CF : 0);
            c.lazy = ALL & ~CF;
            c.lzOp = LazyOp.Add;
            break;
        }
        case 3: {
            // SBB
            const cin = c.cf();
            r = (a - b - cin) & mask;
            const cout = cin !== 0 ? (a >>> 0) <= (b >>> 0) : (a >>> 0) < (b >>> 0);
            c.flags = (c.flags & ~CF) | (cout ? CF : 0);
            c.lazy = ALL & ~CF;
            c.lzOp = LazyOp.Sub;
            break;
        }
        case 4: // AND
            r = a & b & mask;
            c.setLogicFlags(r, mask, sign);
            return r;
        case 6: // XOR
            r = (a ^ b) & mask;
            c.setLogicFlags(r, mask, sign);
            return r;
        default: // SUB, CMP
            r = (a - b) & mask;
            c.lazy = ALL;
            c.lzOp = LazyOp.Sub;
            break;
    }
    c.lzA = a;
    c.lzB = b;
    c.lzRes = r;
    c.lzMask = mask;
    c.lzSign = sign;
    return r;
}
/** INC (`dec` false) or DEC: like ADD/SUB 1 but CF is preserved. */
export function incDec(c, a, dec, size) {
    const mask = sizeMask(size);
    const cf = c.cf();
    c.flags = (c.flags & ~CF) | cf;
    const r = (dec ? a - 1 : a + 1) & mask;
    c.lazy = ALL & ~CF;
    c.lzOp = dec ? LazyOp.Sub : LazyOp.Add;
    c.lzA = a;
    c.lzB = 1;
    c.lzRes = r;
    c.lzMask = mask;
    c.lzSign = sizeSign(size);
    return r;
}
/** NEG: 0 − a; CF set unless the operand is 0. */
export function neg(c, a, size) {
    return alu(c, 5, 0, a, size);
}
/** Sets SF/ZF/PF lazily from `r`, leaving CF/OF/AF as given (eager). */
function resultFlags(c, r, size, eager, eagerMask) {
    c.flags = (c.flags & ~eagerMask) | eager;
    c.lazy = PF | ZF | SF;
    c.lzOp = LazyOp.Result;
    c.lzRes = r;
    c.lzMask = sizeMask(size);
    c.lzSign = sizeSign(size);
}
/**
 * The eight group-2 shifts and rotates (ROL ROR RCL RCR SHL SHR SAL SAR) by `count` (already
 * masked to 5 bits). A zero count changes nothing, flags included (SDM Vol. 2 "SAL/SAR/SHL/SHR",
 * "RCL/RCR/ROL/ROR").
 */
export function shift(c, op, v, count, size) {
    if (count === 0)
        return v;
    const bits = size * 8;
    const mask = sizeMask(size);
    const u = v & mask;
    switch (op) {
        case 0: {
            // ROL
            const n = count & (bits - 1);
            const r = n === 0 ? u : ((u << n) | (u >>> (bits - n))) & mask;
            const cf = r & 1;
            const of = (((r >>> (bits - 1)) & 1) ^ cf) !== 0 ? OF : 0;
            c.lazy &= ~(CF | OF);
            c.flags = (c.flags & ~(CF | OF)) | cf | of;
            return norm(r, size);
        }
        case 1: {
            // ROR
            const n = count & (bits - 1);
            const r = n === 0 ? u : ((u >>> n) | (u << (bits - n))) & mask;
            const msb = (r >>> (bits - 1)) & 1;
            const cf = msb;
            const of = (msb ^ ((r >>> (bits - 2)) & 1)) !== 0 ? OF : 0;
            c.lazy &= ~(CF | OF);
            c.flags = (c.flags & ~(CF | OF)) | cf | of;
            return norm(r, size);
        }
        case 2: {
            // RCL: rotate through carry, (bits + 1)-bit rotation
            const n = count % (bits + 1);
            let cf = c.cf();
            let r = u;
            for (let i = 0; i < n; i++) {
                const out = (r >>> (bits - 1)) & 1;
                r = ((r << 1) | cf) & mask;
                cf = out;
            }
            const of = (((r >>> (bits - 1)) & 1) ^ cf) !== 0 ? OF : 0;
            c.lazy &= ~(CF | OF);
            c.flags = (c.flags & ~(CF | OF)) | cf | of;
            return norm(r, size);
        }
        case 3: {
            // RCR
            const n = count % (bits + 1);
            let cf = c.cf();
            const of = (((u >>> (bits - 1)) & 1) ^ cf) !== 0 ? OF : 0;
            let r = u;
            for (let i = 0; i < n; i++) {
                const out = r & 1;
                r = ((r >>> 1) | (cf << (bits - 1))) & mask;
                cf = out;
            }
            c.lazy &= ~(CF | OF);
            c.flags = (c.flags & ~(CF | OF)) | cf | of;
            return norm(r, size);
        }
        case 4:
        case 6: {
            // SHL/SAL
            const r = count >= 32 ? 0 : (u << count) & mask;
            const cf = count <= bits ? (u >>> (bits - count)) & 1 : 0;
            const of = (((r >>> (bits - 1)) & 1) ^ cf) !== 0 ? OF : 0;
            resultFlags(c, norm(r, size), size, cf | of, CF | OF | AF);
            return norm(r, size);
        }
        case 5: {
            // SHR
            const r = (u >>> count) & mask;
            const cf = count <= bits ? (u >>> (count - 1)) & 1 : 0;
            const of = count === 1 && (u & sizeSign(size)) !== 0 ? OF : 0;
            resultFlags(c, norm(r, size), size, cf | of, CF | OF | AF);
            return norm(r, size);
        }
        default: {
            // SAR
            const s = size === 4 ? v | 0 : size === 2 ? (u << 16) >> 16 : (u << 24) >> 24;
            const r = (s >> (count > 31 ? 31 : count)) & mask;
            const cf = (s >> (count - 1 > 31 ? 31 : count - 1)) & 1;
            resultFlags(c, norm(r, size), size, cf, CF | OF | AF);
            return norm(r, size);
        }
    }
}
/** SHLD/SHRD (SDM Vol. 2 "SHLD", "SHRD"): `count` masked to 5 bits; 0 changes nothing. */
export function shiftDouble(c, left, dst, src, count, size) {
    if (count === 0)
        return dst;
    const mask = sizeMask(size);
    const d = dst & mask;
    const s = src & mask;
    let r;
    let cf;
    if (size === 4) {
        if (left) {
            r = (d << count) | (s >>> (32 - count));
            cf = (d >>> (32 - count)) & 1;
        }
        else {
            r = (d >>> count) | (s << (32 - count));
            cf = (d >>> (count - 1)) & 1;
        }
    }
    else {
        // 16-bit: counts above 16 give undefined results; shift the 32-bit concatenation (dst:src,
        // then src again) as the P6 does.
        if (left) {
            const cat = d * 0x10000 + s; // dst:src, 32 bits
            const ext = cat * 0x10000 + s; // dst:src:src, 48 bits
            const sh = Math.floor(ext * 2 ** count);
            r = Math.floor(sh / 2 ** 32) & 0xffff;
            cf = Math.floor(sh / 2 ** 48) & 1;
        }
        else {
            const cat = ((s << 16) | d) >>> 0; // src:dst
            const ext = s * 2 ** 32 + cat; // src:src:dst
            r = Math.floor(ext / 2 ** count) & 0xffff;
            cf = Math.floor(ext / 2 ** (count - 1)) & 1;
        }
    }
    r = norm(r, size);
    const of = ((r ^ d) & sizeSign(size)) !== 0 ? OF : 0;
    resultFlags(c, r, size, cf | of, CF | OF | AF);
    return r;
}
/** 32 × 32 → 64 unsigned multiply; writes the halves to `out[0]` (low) and `out[1]` (high). */
export function mulU32(a, b, out) {
    const aL = a & 0xffff;
    const aH = a >>> 16;
    const bL = b & 0xffff;
    const bH = b >>> 16;
    const ll = aL * bL;
    const lh = aL * bH;
    const hl = aH * bL;
    const hh = aH * bH;
    const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
    out[0] = ((mid & 0xffff) << 16) | (ll & 0xffff);
    out[1] = hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 0x10000);
}
/** 32 × 32 → 64 signed multiply (halves in `out`). */
export function mulS32(a, b, out) {
    mulU32(a, b, out);
    let hi = out[1];
    if (a < 0)
        hi -= b;
    if (b < 0)
        hi -= a;
    out[1] = hi;
}
const tmp = new Int32Array(2);
/** Sets the MUL/IMUL flags: CF = OF = `overflow`; SF/ZF/PF from the low result, AF 0. */
export function mulFlags(c, lo, size, overflow) {
    resultFlags(c, lo, size, overflow ? CF | OF : 0, CF | OF | AF);
}
/** IMUL with a truncated result (two- and three-operand forms). */
export function imulTrunc(c, a, b, size) {
    if (size === 4) {
        mulS32(a | 0, b | 0, tmp);
        const lo = tmp[0];
        mulFlags(c, lo, 4, tmp[1] !== lo >> 31);
        return lo;
    }
    const p = (((a << 16) >> 16) * ((b << 16) >> 16)) | 0;
    const lo = p & 0xffff;
    mulFlags(c, lo, 2, p !== (lo << 16) >> 16);
    return lo;
}
/** MUL/IMUL (group 3 /4 /5) with AL/AX/EAX. */
export function mulAcc(c, v, size, signed) {
    const R = c.regs;
    if (size === 1) {
        const a = c.r8[0];
        const p = signed ? ((a << 24) >> 24) * ((v << 24) >> 24) : a * v;
        c.r16[0] = p;
        const ovf = signed ? p !== (p << 24) >> 24 : p > 0xff;
        mulFlags(c, p & 0xff, 1, ovf);
    }
    else if (size === 2) {
        const a = c.r16[0];
        const p = signed ? ((a << 16) >> 16) * ((v << 16) >> 16) : a * v;
        c.r16[0] = p;
        c.r16[4] = p >> 16;
        const ovf = signed ? p !== (p << 16) >> 16 : p > 0xffff;
        mulFlags(c, p & 0xffff, 2, ovf);
    }
    else {
        if (signed)
            mulS32(R[0], v | 0, tmp);
        else
            mulU32(R[0], v | 0, tmp);
        R[0] = tmp[0];
        R[2] = tmp[1];
        const ovf = signed ? tmp[1] !== tmp[0] >> 31 : tmp[1] !== 0;
        mulFlags(c, tmp[0], 4, ovf);
    }
}
/**
 * Unsigned 64 / 32 division of `hi:lo` (both uint32, `hi` < `d`) by `d`, exact in doubles;
 * quotient to out[0], remainder to out[1] (as uint32 doubles in a Float64Array).
 */
export function divU64(hi, lo, d, out) {
    const r1 = hi * 65536 + (lo >>> 16);
    const q1 = Math.floor(r1 / d);
    const rem1 = r1 - q1 * d;
    const r2 = rem1 * 65536 + (lo & 0xffff);
    const q2 = Math.floor(r2 / d);
    out[0] = q1 * 65536 + q2;
    out[1] = r2 - q2 * d;
}
const dtmp = new Float64Array(2);
/** DIV/IDIV (group 3 /6 /7): #DE on a zero divisor or a quotient that does not fit. */
export function divAcc(c, v, size, signed) {
    if (size === 1) {
        const n = c.r16[0];
        if (!signed) {
            if (v === 0)
                c.raise(Vector.DE);
            const q = Math.floor(n / v);
            if (q > 0xff)
                c.raise(Vector.DE);
            c.r8[0] = q;
            c.r8[1] = n % v;
        }
        else {
            const sn = (n << 16) >> 16;
            const sd = (v << 24) >> 24;
            if (sd === 0)
                c.raise(Vector.DE);
            const q = Math.trunc(sn / sd);
            if (q > 127 || q < -128)
                c.raise(Vector.DE);
            c.r8[0] = q;
            c.r8[1] = sn - q * sd;
        }
        return;
    }
    if (size === 2) {
        const n = ((c.r16[4] << 16) | c.r16[0]) >>> 0;
        if (!signed) {
            if (v === 0)
                c.raise(Vector.DE);
            const q = Math.floor(n / v);
            if (q > 0xffff)
                c.raise(Vector.DE);
            c.r16[0] = q;
            c.r16[4] = n % v;
        }
        else {
            const sn = n | 0;
            const sd = (v << 16) >> 16;
            if (sd === 0)
                c.raise(Vector.DE);
            const q = Math.trunc(sn / sd);
            if (q > 32767 || q < -32768)
                c.raise(Vector.DE);
            c.r16[0] = q;
            c.r16[4] = sn - q * sd;
        }
        return;
    }
    const R = c.regs;
    let hi = R[2] >>> 0;
    let lo = R[0] >>> 0;
    if (!signed) {
        const d = v >>> 0;
        if (d === 0 || hi >= d)
            c.raise(Vector.DE);
        divU64(hi, lo, d, dtmp);
        R[0] = dtmp[0];
        R[2] = dtmp[1];
        return;
    }
    const sd = v | 0;
    if (sd === 0)
        c.raise(Vector.DE);
    const negN = (hi & 0x8000_0000) !== 0;
    if (negN) {
        lo = -lo >>> 0;
        hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    const d = Math.abs(sd);
    if (hi >= d)
        c.raise(Vector.DE);
    divU64(hi, lo, d, dtmp);
    let q = dtmp[0];
    let r = dtmp[1];
    if (negN !== sd < 0)
        q = -q;
    if (negN)
        r = -r;
    if (q > 0x7fff_ffff || q < -0x8000_0000)
        c.raise(Vector.DE);
    R[0] = q;
    R[2] = r;
}
//# sourceMappingURL=alu.js.map