/**
 * Handlers for the integer ISA: arithmetic and logic, shifts, multiply and divide, BCD, moves,
 * stack, near control transfer, string instructions, bit operations, and the 0F integer
 * extensions. System instructions live in ops-system.ts.
 */
import { AccessKind } from '@popek/mmu';
import { REG8_OFFSET, type X86Cpu } from '../cpu.js';
import { Seg } from '../constants.js';
import { Vector } from '../cpu-fault.js';
import { Eflags, LazyOp } from '../flags.js';
import { alu, divAcc, imulTrunc, incDec, mulAcc, neg, norm, shift, shiftDouble, sizeMask } from './alu.js';
import { osz, reg8, regN, regV, rmN, rmV, setRegN, setRegV } from './operands.js';

const { CF, PF, AF, ZF, SF, OF, DF } = Eflags;

// ---------------------------------------------------------------- ALU (00–3F, 80–83, 84/85, A8/A9)

/** ALU Eb,Gb (00 08 10 18 20 28 30 38). */
export function aluEbGb(c: X86Cpu): void {
  const m = c.fetch8();
  const op = (c.opcode >> 3) & 7;
  const g = c.r8[REG8_OFFSET[(m >> 3) & 7]!]!;
  if (m >= 0xc0) {
    const i = REG8_OFFSET[m & 7]!;
    const r = alu(c, op, c.r8[i]!, g, 1);
    if (op !== 7) c.r8[i] = r;
  } else if (op === 7) alu(c, 7, c.rm8(m), g, 1);
  else c.rmwStore(1, alu(c, op, c.rmwLoad(m, 1), g, 1));
}

/** ALU Ev,Gv (01 09 ...). */
export function aluEvGv(c: X86Cpu): void {
  const m = c.fetch8();
  const op = (c.opcode >> 3) & 7;
  const g = (m >> 3) & 7;
  if (c.os32) {
    const b = c.regs[g]!;
    if (m >= 0xc0) {
      const r = alu(c, op, c.regs[m & 7]!, b, 4);
      if (op !== 7) c.regs[m & 7] = r;
    } else if (op === 7) alu(c, 7, c.rm32(m), b, 4);
    else c.rmwStore(4, alu(c, op, c.rmwLoad(m, 4), b, 4));
  } else {
    const b = c.r16[g << 1]!;
    if (m >= 0xc0) {
      const r = alu(c, op, c.r16[(m & 7) << 1]!, b, 2);
      if (op !== 7) c.r16[(m & 7) << 1] = r;
    } else if (op === 7) alu(c, 7, c.rm16(m), b, 2);
    else c.rmwStore(2, alu(c, op, c.rmwLoad(m, 2), b, 2));
  }
}

/** ALU Gb,Eb (02 0A ...). */
export function aluGbEb(c: X86Cpu): void {
  const m = c.fetch8();
  const op = (c.opcode >> 3) & 7;
  const v = c.rm8(m);
  const i = REG8_OFFSET[(m >> 3) & 7]!;
  const r = alu(c, op, c.r8[i]!, v, 1);
  if (op !== 7) c.r8[i] = r;
}

/** ALU Gv,Ev (03 0B ...). */
export function aluGvEv(c: X86Cpu): void {
  const m = c.fetch8();
  const op = (c.opcode >> 3) & 7;
  const g = (m >> 3) & 7;
  if (c.os32) {
    const v = c.rm32(m);
    const r = alu(c, op, c.regs[g]!, v, 4);
    if (op !== 7) c.regs[g] = r;
  } else {
    const v = c.rm16(m);
    const r = alu(c, op, c.r16[g << 1]!, v, 2);
    if (op !== 7) c.r16[g << 1] = r;
  }
}

/** ALU AL,Ib (04 0C ...). */
export function aluAlIb(c: X86Cpu): void {
  const op = (c.opcode >> 3) & 7;
  const r = alu(c, op, c.r8[0]!, c.fetch8(), 1);
  if (op !== 7) c.r8[0] = r;
}

/** ALU eAX,Iz (05 0D ...). */
export function aluAxIz(c: X86Cpu): void {
  const op = (c.opcode >> 3) & 7;
  if (c.os32) {
    const r = alu(c, op, c.regs[0]!, c.fetch32(), 4);
    if (op !== 7) c.regs[0] = r;
  } else {
    const r = alu(c, op, c.r16[0]!, c.fetch16(), 2);
    if (op !== 7) c.r16[0] = r;
  }
}

/** Group 1 (80, 81, 82, 83): ALU r/m with an immediate. */
export function group1(c: X86Cpu): void {
  const m = c.fetch8();
  const op = (m >> 3) & 7;
  const o = c.opcode;
  const size = o === 0x81 || o === 0x83 ? (c.os32 ? 4 : 2) : 1;
  if (m >= 0xc0) {
    const r = m & 7;
    const a = regN(c, r, size);
    const b = o === 0x81 ? (size === 4 ? c.fetch32() : c.fetch16()) : o === 0x83 ? norm(c.fetch8s(), size) : c.fetch8();
    const res = alu(c, op, a, b, size);
    if (op !== 7) setRegN(c, r, size, res);
    return;
  }
  if (op === 7) {
    const off = c.ea(m);
    const b = o === 0x81 ? (size === 4 ? c.fetch32() : c.fetch16()) : o === 0x83 ? norm(c.fetch8s(), size) : c.fetch8();
    alu(c, 7, c.rdN(c.eaSeg, off, size), b, size);
    return;
  }
  // The immediate follows the displacement: decode the address first, then fetch it.
  const off = c.ea(m);
  const b = o === 0x81 ? (size === 4 ? c.fetch32() : c.fetch16()) : o === 0x83 ? norm(c.fetch8s(), size) : c.fetch8();
  const a = rmwAt(c, off, size);
  c.rmwStore(size, alu(c, op, a, b, size));
}

/** Read-modify-write load at an already decoded offset (segment in `c.eaSeg`). */
export function rmwAt(c: X86Cpu, off: number, size: number): number {
  const seg = c.eaSeg;
  const o = off >>> 0;
  if (o < c.segLo[seg]! || o + size - 1 > c.segWHi[seg]!) c.segFault(seg);
  const lin = (c.segBase[seg]! + o) | 0;
  c.rmwLin = lin;
  const e = c.tlb[lin >>> 12]!;
  const po = lin & 0xfff;
  if ((e & c.wrFlag) !== 0 && (e & c.rdFlag) !== 0 && po <= 4096 - size) {
    const h = (e & ~0xfff) | po;
    c.rmwHost = h;
    const ram = c.ram;
    if (size === 1) return ram[h]!;
    if (size === 2) return ram[h]! | (ram[h + 1]! << 8);
    return ram[h]! | (ram[h + 1]! << 8) | (ram[h + 2]! << 16) | (ram[h + 3]! << 24);
  }
  c.rmwHost = -1;
  c.probeWriteLin(lin, size, c.user);
  return c.readSlow(lin, size, c.user);
}

/** TEST Eb,Gb (84). */
export function testEbGb(c: X86Cpu): void {
  const m = c.fetch8();
  alu(c, 4, c.rm8(m), reg8(c, (m >> 3) & 7), 1);
}

/** TEST Ev,Gv (85). */
export function testEvGv(c: X86Cpu): void {
  const m = c.fetch8();
  const s = osz(c);
  alu(c, 4, rmV(c, m), regV(c, (m >> 3) & 7), s);
}

/** TEST AL,Ib (A8). */
export function testAlIb(c: X86Cpu): void {
  alu(c, 4, c.r8[0]!, c.fetch8(), 1);
}

/** TEST eAX,Iz (A9). */
export function testAxIz(c: X86Cpu): void {
  if (c.os32) alu(c, 4, c.regs[0]!, c.fetch32(), 4);
  else alu(c, 4, c.r16[0]!, c.fetch16(), 2);
}

/** INC r (40–47). */
export function incReg(c: X86Cpu): void {
  const r = c.opcode & 7;
  if (c.os32) c.regs[r] = incDec(c, c.regs[r]!, false, 4);
  else c.r16[r << 1] = incDec(c, c.r16[r << 1]!, false, 2);
}

/** DEC r (48–4F). */
export function decReg(c: X86Cpu): void {
  const r = c.opcode & 7;
  if (c.os32) c.regs[r] = incDec(c, c.regs[r]!, true, 4);
  else c.r16[r << 1] = incDec(c, c.r16[r << 1]!, true, 2);
}

/** Group 4 (FE): INC/DEC Eb. */
export function group4(c: X86Cpu): void {
  const m = c.fetch8();
  const op = (m >> 3) & 7;
  if (op > 1) c.ud();
  if (m >= 0xc0) {
    const i = REG8_OFFSET[m & 7]!;
    c.r8[i] = incDec(c, c.r8[i]!, op === 1, 1);
  } else c.rmwStore(1, incDec(c, c.rmwLoad(m, 1), op === 1, 1));
}

/** Group 3 (F6, F7): TEST, NOT, NEG, MUL, IMUL, DIV, IDIV. */
export function group3(c: X86Cpu): void {
  const m = c.fetch8();
  const op = (m >> 3) & 7;
  const size = c.opcode === 0xf6 ? 1 : c.os32 ? 4 : 2;
  switch (op) {
    case 0:
    case 1: {
      if (m >= 0xc0) {
        const b = size === 4 ? c.fetch32() : size === 2 ? c.fetch16() : c.fetch8();
        alu(c, 4, regN(c, m & 7, size), b, size);
        return;
      }
      const off = c.ea(m);
      const b = size === 4 ? c.fetch32() : size === 2 ? c.fetch16() : c.fetch8();
      alu(c, 4, c.rdN(c.eaSeg, off, size), b, size);
      return;
    }
    case 2:
      if (m >= 0xc0) setRegN(c, m & 7, size, norm(~regN(c, m & 7, size), size));
      else c.rmwStore(size, ~c.rmwLoad(m, size));
      return;
    case 3:
      if (m >= 0xc0) setRegN(c, m & 7, size, neg(c, regN(c, m & 7, size), size));
      else c.rmwStore(size, neg(c, c.rmwLoad(m, size), size));
      return;
    case 4:
    case 5:
      mulAcc(c, rmN(c, m, size), size, op === 5);
      return;
    default:
      divAcc(c, rmN(c, m, size), size, op === 7);
  }
}

/** IMUL Gv,Ev (0F AF). */
export function imulGvEv(c: X86Cpu): void {
  const m = c.fetch8();
  const s = osz(c);
  const g = (m >> 3) & 7;
  setRegV(c, g, imulTrunc(c, regV(c, g), rmV(c, m), s));
}

/** IMUL Gv,Ev,Iz (69) and IMUL Gv,Ev,Ib (6B). */
export function imulGvEvI(c: X86Cpu): void {
  const m = c.fetch8();
  const s = osz(c);
  const a = rmV(c, m);
  const b = c.opcode === 0x69 ? c.fetchZ() : c.fetch8s();
  setRegV(c, (m >> 3) & 7, imulTrunc(c, a, b, s));
}

/** Group 2 (C0 C1 D0 D1 D2 D3): rotates and shifts. */
export function group2(c: X86Cpu): void {
  const m = c.fetch8();
  const o = c.opcode;
  const op = (m >> 3) & 7;
  const size = (o & 1) === 0 ? 1 : c.os32 ? 4 : 2;
  if (m >= 0xc0) {
    const count = o <= 0xc1 ? c.fetch8() & 31 : o <= 0xd1 ? 1 : c.r8[4]! & 31;
    const r = m & 7;
    setRegN(c, r, size, shift(c, op, regN(c, r, size), count, size));
    return;
  }
  const off = c.ea(m);
  const count = o <= 0xc1 ? c.fetch8() & 31 : o <= 0xd1 ? 1 : c.r8[4]! & 31;
  const v = rmwAt(c, off, size);
  c.rmwStore(size, shift(c, op, v, count, size));
}

/** SHLD/SHRD Ev,Gv,Ib|CL (0F A4 A5 AC AD). */
export function shld(c: X86Cpu): void {
  const m = c.fetch8();
  const o = c.opcode & 0xff;
  const left = o < 0xa8;
  const s = osz(c);
  const src = regV(c, (m >> 3) & 7);
  if (m >= 0xc0) {
    const count = (o & 1) === 0 ? c.fetch8() & 31 : c.r8[4]! & 31;
    setRegV(c, m & 7, shiftDouble(c, left, regV(c, m & 7), src, count, s));
    return;
  }
  const off = c.ea(m);
  const count = (o & 1) === 0 ? c.fetch8() & 31 : c.r8[4]! & 31;
  const v = rmwAt(c, off, s);
  c.rmwStore(s, shiftDouble(c, left, v, src, count, s));
}

// ---------------------------------------------------------------- BCD (27 2F 37 3F D4 D5)

/** DAA (27) — SDM Vol. 2 "DAA". */
export function daa(c: X86Cpu): void {
  const oldAl = c.r8[0]!;
  const oldCf = c.cf();
  let al = oldAl;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || c.af()) {
    al = (al + 6) & 0xff;
    cf = oldCf | (oldAl + 6 > 0xff ? 1 : 0);
    af = AF;
  }
  if (oldAl > 0x99 || oldCf !== 0) {
    al = (al + 0x60) & 0xff;
    cf = 1;
  }
  c.r8[0] = al;
  bcdFlags(c, al, cf | af);
}

/** DAS (2F) — SDM Vol. 2 "DAS". */
export function das(c: X86Cpu): void {
  const oldAl = c.r8[0]!;
  const oldCf = c.cf();
  let al = oldAl;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || c.af()) {
    cf = oldCf | (al < 6 ? 1 : 0);
    al = (al - 6) & 0xff;
    af = AF;
  }
  if (oldAl > 0x99 || oldCf !== 0) {
    al = (al - 0x60) & 0xff;
    cf = 1;
  }
  c.r8[0] = al;
  bcdFlags(c, al, cf | af);
}

function bcdFlags(c: X86Cpu, al: number, cfaf: number): void {
  c.flags = (c.flags & ~(CF | AF | OF)) | cfaf;
  c.lazy = PF | ZF | SF;
  c.lzOp = LazyOp.Result;
  c.lzRes = al;
  c.lzMask = 0xff;
  c.lzSign = 0x80;
}

/** AAA (37) and AAS (3F) — SDM Vol. 2 "AAA", "AAS". */
export function aaaAas(c: X86Cpu): void {
  const sub = c.opcode === 0x3f;
  let f = 0;
  if ((c.r8[0]! & 0xf) > 9 || c.af()) {
    if (sub) {
      c.r16[0] = (c.r16[0]! - 6) & 0xffff;
      c.r8[1] = c.r8[1]! - 1;
    } else {
      c.r16[0] = (c.r16[0]! + 0x106) & 0xffff;
    }
    f = AF | CF;
  }
  c.r8[0] = c.r8[0]! & 0xf;
  c.materialize();
  c.flags = (c.flags & ~(CF | AF)) | f;
}

/** AAM Ib (D4) — #DE when the immediate is 0. */
export function aam(c: X86Cpu): void {
  const base = c.fetch8();
  if (base === 0) c.raise(Vector.DE);
  const al = c.r8[0]!;
  c.r8[1] = Math.floor(al / base);
  c.r8[0] = al % base;
  bcdFlags(c, c.r8[0]!, 0);
}

/** AAD Ib (D5). */
export function aad(c: X86Cpu): void {
  const base = c.fetch8();
  const al = (c.r8[0]! + c.r8[1]! * base) & 0xff;
  c.r16[0] = al;
  bcdFlags(c, al, 0);
}

/** SALC (D6, undocumented): AL = CF ? FF : 00. */
export function salc(c: X86Cpu): void {
  c.r8[0] = c.cf() !== 0 ? 0xff : 0;
}

// ---------------------------------------------------------------- moves

/** MOV Eb,Gb (88). */
export function movEbGb(c: X86Cpu): void {
  const m = c.fetch8();
  c.setRm8(m, c.r8[REG8_OFFSET[(m >> 3) & 7]!]!);
}

/** MOV Ev,Gv (89). */
export function movEvGv(c: X86Cpu): void {
  const m = c.fetch8();
  if (c.os32) c.setRm32(m, c.regs[(m >> 3) & 7]!);
  else c.setRm16(m, c.r16[((m >> 3) & 7) << 1]!);
}

/** MOV Gb,Eb (8A). */
export function movGbEb(c: X86Cpu): void {
  const m = c.fetch8();
  c.r8[REG8_OFFSET[(m >> 3) & 7]!] = c.rm8(m);
}

/** MOV Gv,Ev (8B). */
export function movGvEv(c: X86Cpu): void {
  const m = c.fetch8();
  if (c.os32) c.regs[(m >> 3) & 7] = c.rm32(m);
  else c.r16[((m >> 3) & 7) << 1] = c.rm16(m);
}

/** LEA Gv,M (8D). */
export function lea(c: X86Cpu): void {
  const m = c.fetch8();
  if (m >= 0xc0) c.ud();
  setRegV(c, (m >> 3) & 7, c.ea(m));
}

/** MOV r8,Ib (B0–B7). */
export function movR8Ib(c: X86Cpu): void {
  c.r8[REG8_OFFSET[c.opcode & 7]!] = c.fetch8();
}

/** MOV r,Iv (B8–BF). */
export function movRIv(c: X86Cpu): void {
  if (c.os32) c.regs[c.opcode & 7] = c.fetch32();
  else c.r16[(c.opcode & 7) << 1] = c.fetch16();
}

/** MOV Eb,Ib (C6 /0). */
export function movEbIb(c: X86Cpu): void {
  const m = c.fetch8();
  if (((m >> 3) & 7) !== 0) c.ud();
  if (m >= 0xc0) c.r8[REG8_OFFSET[m & 7]!] = c.fetch8();
  else {
    const off = c.ea(m);
    c.wr8(c.eaSeg, off, c.fetch8());
  }
}

/** MOV Ev,Iz (C7 /0). */
export function movEvIz(c: X86Cpu): void {
  const m = c.fetch8();
  if (((m >> 3) & 7) !== 0) c.ud();
  if (m >= 0xc0) setRegV(c, m & 7, c.fetchZ());
  else {
    const off = c.ea(m);
    if (c.os32) c.wr32(c.eaSeg, off, c.fetch32());
    else c.wr16(c.eaSeg, off, c.fetch16());
  }
}

/** MOV AL/eAX,moffs and moffs,AL/eAX (A0–A3). */
export function movMoffs(c: X86Cpu): void {
  const off = c.as32 ? c.fetch32() >>> 0 : c.fetch16();
  const seg = c.segOvr >= 0 ? c.segOvr : Seg.DS;
  switch (c.opcode) {
    case 0xa0:
      c.r8[0] = c.rd8(seg, off);
      break;
    case 0xa1:
      if (c.os32) c.regs[0] = c.rd32(seg, off);
      else c.r16[0] = c.rd16(seg, off);
      break;
    case 0xa2:
      c.wr8(seg, off, c.r8[0]!);
      break;
    default:
      if (c.os32) c.wr32(seg, off, c.regs[0]!);
      else c.wr16(seg, off, c.r16[0]!);
  }
}

/** XCHG Eb,Gb (86) — always locked on memory. */
export function xchgEbGb(c: X86Cpu): void {
  const m = c.fetch8();
  const gi = REG8_OFFSET[(m >> 3) & 7]!;
  if (m >= 0xc0) {
    const ri = REG8_OFFSET[m & 7]!;
    const t = c.r8[ri]!;
    c.r8[ri] = c.r8[gi]!;
    c.r8[gi] = t;
  } else {
    const v = c.rmwLoad(m, 1);
    c.rmwStore(1, c.r8[gi]!);
    c.r8[gi] = v;
  }
}

/** XCHG Ev,Gv (87). */
export function xchgEvGv(c: X86Cpu): void {
  const m = c.fetch8();
  const g = (m >> 3) & 7;
  const s = osz(c);
  if (m >= 0xc0) {
    const t = regV(c, m & 7);
    setRegV(c, m & 7, regV(c, g));
    setRegV(c, g, t);
  } else {
    const v = c.rmwLoad(m, s);
    c.rmwStore(s, regV(c, g));
    setRegV(c, g, v);
  }
}

/** XCHG r,eAX (91–97). */
export function xchgAx(c: X86Cpu): void {
  const r = c.opcode & 7;
  const t = regV(c, r);
  setRegV(c, r, regV(c, 0));
  setRegV(c, 0, t);
}

/** NOP (90); F3 90 is PAUSE. */
export function nop(_c: X86Cpu): void {}

/** Multi-byte NOP / hint space (0F 18–1F): decodes its ModRM and does nothing. */
export function nopEv(c: X86Cpu): void {
  const m = c.fetch8();
  if (m < 0xc0) c.ea(m);
}

/** CBW/CWDE (98). */
export function cbw(c: X86Cpu): void {
  if (c.os32) c.regs[0] = (c.r16[0]! << 16) >> 16;
  else c.r16[0] = (c.r8[0]! << 24) >> 24;
}

/** CWD/CDQ (99). */
export function cwd(c: X86Cpu): void {
  if (c.os32) c.regs[2] = c.regs[0]! >> 31;
  else c.r16[4] = (c.r16[0]! << 16) >> 31;
}

/** MOVZX Gv,Eb / Gv,Ew (0F B6 B7). */
export function movzx(c: X86Cpu): void {
  const m = c.fetch8();
  const v = (c.opcode & 1) === 0 ? c.rm8(m) : c.rm16(m);
  setRegV(c, (m >> 3) & 7, v);
}

/** MOVSX Gv,Eb / Gv,Ew (0F BE BF). */
export function movsx(c: X86Cpu): void {
  const m = c.fetch8();
  const v = (c.opcode & 1) === 0 ? (c.rm8(m) << 24) >> 24 : (c.rm16(m) << 16) >> 16;
  setRegV(c, (m >> 3) & 7, v);
}

/** BSWAP r32 (0F C8–CF); with a 16-bit operand size the result is undefined (P6: zero). */
export function bswap(c: X86Cpu): void {
  const r = c.opcode & 7;
  const v = c.regs[r]!;
  if (c.os32) c.regs[r] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  else c.r16[r << 1] = 0;
}

/** XLAT (D7): AL = [seg:eBX + AL]. */
export function xlat(c: X86Cpu): void {
  const seg = c.segOvr >= 0 ? c.segOvr : Seg.DS;
  const base = c.as32 ? c.regs[3]! >>> 0 : c.r16[6]!;
  const off = c.as32 ? (base + c.r8[0]!) >>> 0 : (base + c.r8[0]!) & 0xffff;
  c.r8[0] = c.rd8(seg, off);
}

/** CMOVcc Gv,Ev (0F 40–4F): the source is always read (and may fault). */
export function cmov(c: X86Cpu): void {
  const m = c.fetch8();
  const v = rmV(c, m);
  if (c.cond(c.opcode & 15)) setRegV(c, (m >> 3) & 7, v);
}

/** SETcc Eb (0F 90–9F). */
export function setcc(c: X86Cpu): void {
  const m = c.fetch8();
  c.setRm8(m, c.cond(c.opcode & 15) ? 1 : 0);
}

// ---------------------------------------------------------------- flags

/** CMC (F5). */
export function cmc(c: X86Cpu): void {
  const cf = c.cf();
  c.lazy &= ~CF;
  c.flags = (c.flags & ~CF) | (cf ^ 1);
}

/** CLC (F8) / STC (F9). */
export function clcStc(c: X86Cpu): void {
  c.lazy &= ~CF;
  c.flags = (c.flags & ~CF) | (c.opcode & 1);
}

/** CLD (FC) / STD (FD). */
export function cldStd(c: X86Cpu): void {
  c.flags = (c.flags & ~DF) | ((c.opcode & 1) !== 0 ? DF : 0);
}

/** SAHF (9E): loads SF ZF AF PF CF from AH. */
export function sahf(c: X86Cpu): void {
  c.materialize();
  const mask = SF | ZF | AF | PF | CF;
  c.flags = (c.flags & ~mask) | (c.r8[1]! & mask);
}

/** LAHF (9F). */
export function lahf(c: X86Cpu): void {
  c.r8[1] = c.getEflags() & 0xff;
}

// ---------------------------------------------------------------- stack

/** PUSH r (50–57); PUSH ESP pushes the value before the decrement. */
export function pushReg(c: X86Cpu): void {
  c.pushV(regV(c, c.opcode & 7));
}

/** POP r (58–5F). */
export function popReg(c: X86Cpu): void {
  const v = c.popV();
  setRegV(c, c.opcode & 7, v);
}

/** PUSH Iz (68). */
export function pushIz(c: X86Cpu): void {
  c.pushV(c.fetchZ());
}

/** PUSH Ib sign-extended (6A). */
export function pushIb(c: X86Cpu): void {
  c.pushV(c.fetch8s());
}

/** POP Ev (8F /0): ESP is incremented before the destination address is computed. */
export function popEv(c: X86Cpu): void {
  const m = c.fetch8();
  if (((m >> 3) & 7) !== 0) c.ud();
  const s = osz(c);
  const sp = c.sp();
  const v = c.rdN(Seg.SS, sp, s);
  if (m >= 0xc0) {
    c.setSp(c.spAdd(s));
    setRegV(c, m & 7, v);
    return;
  }
  const saved = c.regs[4]!;
  c.setSp(c.spAdd(s));
  try {
    const off = c.ea(m);
    c.wrN(c.eaSeg, off, s, v);
  } catch (e) {
    c.regs[4] = saved;
    throw e;
  }
}

/** PUSHA/PUSHAD (60). */
export function pusha(c: X86Cpu): void {
  const s = osz(c);
  const sp0 = c.sp();
  // Check the whole frame first so a fault leaves ESP unchanged.
  let sp = sp0;
  const spv = regV(c, 4);
  for (let r = 0; r < 8; r++) {
    sp = c.ssB ? (sp - s) >>> 0 : (sp - s) & 0xffff;
    c.wrN(Seg.SS, sp, s, r === 4 ? spv : regV(c, r));
  }
  c.setSp(sp);
}

/** POPA/POPAD (61): the saved ESP is discarded. */
export function popa(c: X86Cpu): void {
  const s = osz(c);
  let sp = c.sp();
  const vals = popaTmp;
  for (let r = 7; r >= 0; r--) {
    vals[r] = c.rdN(Seg.SS, sp, s);
    sp = c.ssB ? (sp + s) >>> 0 : (sp + s) & 0xffff;
  }
  for (let r = 0; r < 8; r++) if (r !== 4) setRegV(c, r, vals[r]!);
  c.setSp(sp);
}
const popaTmp = new Int32Array(8);

/** ENTER Iw,Ib (C8) — SDM Vol. 2 "ENTER". */
export function enter(c: X86Cpu): void {
  const size = c.fetch16();
  const level = c.fetch8() & 31;
  const s = osz(c);
  const ssB = c.ssB;
  const wrap = (v: number): number => (ssB ? v >>> 0 : v & 0xffff);
  let sp = c.sp();
  const ebp = ssB ? c.regs[5]! >>> 0 : c.r16[10]!;
  sp = wrap(sp - s);
  c.wrN(Seg.SS, sp, s, regV(c, 5));
  const frame = sp;
  let bp = ebp;
  if (level > 0) {
    for (let i = 1; i < level; i++) {
      bp = wrap(bp - s);
      const v = c.rdN(Seg.SS, bp, s);
      sp = wrap(sp - s);
      c.wrN(Seg.SS, sp, s, v);
    }
    sp = wrap(sp - s);
    c.wrN(Seg.SS, sp, s, frame);
  }
  const newSp = wrap(sp - size);
  // The final stack pointer must be writable (SDM: #SS if it is outside the segment).
  c.probeWrite(Seg.SS, newSp, 1);
  if (s === 4) c.regs[5] = frame;
  else c.r16[10] = frame;
  c.setSp(newSp);
}

/** LEAVE (C9). */
export function leave(c: X86Cpu): void {
  const bp = c.ssB ? c.regs[5]! >>> 0 : c.r16[10]!;
  const s = osz(c);
  const v = c.rdN(Seg.SS, bp, s);
  c.setSp(c.ssB ? (bp + s) >>> 0 : (bp + s) & 0xffff);
  setRegV(c, 5, v);
}

// ---------------------------------------------------------------- near control transfer

/** Sets the new IP after a near branch: truncated to 16 bits with a 16-bit operand size, checked against CS. */
export function branchTo(c: X86Cpu, target: number): void {
  const t = c.os32 ? target | 0 : target & 0xffff;
  if ((t >>> 0) > c.segLimit[Seg.CS]!) c.gp(0);
  c.ip = t;
}

const ALL_ARITH = CF | PF | AF | ZF | SF | OF;

/**
 * A condition after a compare or subtraction whose flags are still lazy (the common case before a
 * branch): evaluated from the operands without materialising flags. Falls back to `cond`.
 */
function branchCond(c: X86Cpu, cc: number): boolean {
  if (c.lazy === ALL_ARITH && c.lzOp === LazyOp.Sub && c.lzMask === -1) {
    const a = c.lzA;
    const b = c.lzB;
    let r: boolean;
    switch (cc >> 1) {
      case 1: // B / NB
        r = (a >>> 0) < (b >>> 0);
        break;
      case 2: // Z / NZ
        r = a === b;
        break;
      case 3: // BE / NBE
        r = (a >>> 0) <= (b >>> 0);
        break;
      case 6: // L / NL
        r = a < b;
        break;
      case 7: // LE / NLE
        r = a <= b;
        break;
      default:
        return c.cond(cc);
    }
    return (cc & 1) === 0 ? r : !r;
  }
  return c.cond(cc);
}

/** Jcc rel8 (70–7F). */
export function jccRel8(c: X86Cpu): void {
  const d = c.fetch8s();
  if (branchCond(c, c.opcode & 15)) branchTo(c, c.ip + d);
}

/** Jcc rel16/32 (0F 80–8F). */
export function jccRelZ(c: X86Cpu): void {
  const d = c.os32 ? c.fetch32() : (c.fetch16() << 16) >> 16;
  if (branchCond(c, c.opcode & 15)) branchTo(c, c.ip + d);
}

/** JMP rel8 (EB). */
export function jmpRel8(c: X86Cpu): void {
  const d = c.fetch8s();
  branchTo(c, c.ip + d);
}

/** JMP rel16/32 (E9). */
export function jmpRelZ(c: X86Cpu): void {
  const d = c.os32 ? c.fetch32() : (c.fetch16() << 16) >> 16;
  branchTo(c, c.ip + d);
}

/** CALL rel16/32 (E8). */
export function callRel(c: X86Cpu): void {
  const d = c.os32 ? c.fetch32() : (c.fetch16() << 16) >> 16;
  const ret = c.ip;
  const t = c.os32 ? (ret + d) | 0 : (ret + d) & 0xffff;
  if ((t >>> 0) > c.segLimit[Seg.CS]!) c.gp(0);
  c.pushV(ret);
  c.ip = t;
}

/** RET (C3) and RET Iw (C2). */
export function retNear(c: X86Cpu): void {
  const n = c.opcode === 0xc2 ? c.fetch16() : 0;
  const s = osz(c);
  const sp = c.sp();
  const t = c.rdN(Seg.SS, sp, s);
  const tt = c.os32 ? t : t & 0xffff;
  if ((tt >>> 0) > c.segLimit[Seg.CS]!) c.gp(0);
  c.setSp(c.spAdd(s + n));
  c.ip = tt;
}

/** LOOPNE/LOOPE/LOOP/JeCXZ (E0–E3): the counter is eCX by address size. */
export function loop(c: X86Cpu): void {
  const d = c.fetch8s();
  const o = c.opcode;
  let cnt: number;
  if (o === 0xe3) {
    cnt = c.as32 ? c.regs[1]! : c.r16[2]!;
    if (cnt === 0) branchTo(c, c.ip + d);
    return;
  }
  if (c.as32) cnt = c.regs[1] = c.regs[1]! - 1;
  else cnt = c.r16[2] = c.r16[2]! - 1;
  let take = cnt !== 0;
  if (o === 0xe0) take = take && !c.zf();
  else if (o === 0xe1) take = take && c.zf();
  if (take) branchTo(c, c.ip + d);
}

/** Group 5 (FF): INC, DEC, CALL Ev, CALLF Mp, JMP Ev, JMPF Mp, PUSH Ev. */
export function group5(c: X86Cpu, far: (c: X86Cpu, call: boolean, sel: number, off: number) => void): void {
  const m = c.fetch8();
  const op = (m >> 3) & 7;
  const s = osz(c);
  switch (op) {
    case 0:
    case 1:
      if (m >= 0xc0) setRegV(c, m & 7, incDec(c, regV(c, m & 7), op === 1, s));
      else c.rmwStore(s, incDec(c, c.rmwLoad(m, s), op === 1, s));
      return;
    case 2: {
      const t = rmV(c, m);
      const tt = c.os32 ? t : t & 0xffff;
      if ((tt >>> 0) > c.segLimit[Seg.CS]!) c.gp(0);
      c.pushV(c.ip);
      c.ip = tt;
      return;
    }
    case 4: {
      const t = rmV(c, m);
      branchTo(c, t);
      return;
    }
    case 3:
    case 5: {
      if (m >= 0xc0) c.ud();
      const off = c.ea(m);
      const seg = c.eaSeg;
      const o = c.rdN(seg, off, s);
      const sel = c.rd16(seg, c.as32 ? (off + s) >>> 0 : (off + s) & 0xffff);
      far(c, op === 3, sel, s === 4 ? o : o & 0xffff);
      return;
    }
    case 6:
      c.pushV(rmV(c, m));
      return;
    default:
      c.ud();
  }
}

// ---------------------------------------------------------------- bit operations (0F A3 AB B3 BB BA, BC BD)

/** BT/BTS/BTR/BTC Ev,Gv (0F A3 AB B3 BB): the bit offset is signed and may address outside the operand. */
export function btEvGv(c: X86Cpu): void {
  const m = c.fetch8();
  const o = c.opcode & 0xff;
  const op = o === 0xa3 ? 0 : o === 0xab ? 1 : o === 0xb3 ? 2 : 3;
  const s = osz(c);
  const bitsReg = regV(c, (m >> 3) & 7);
  if (m >= 0xc0) {
    const r = m & 7;
    const bit = bitsReg & (s * 8 - 1);
    setRegV(c, r, btApply(c, op, regV(c, r), bit, s));
    return;
  }
  const off = c.ea(m);
  // Signed bit offset: the operand address moves by (offset >> 3..5) operand units.
  const sb = s === 4 ? bitsReg | 0 : (bitsReg << 16) >> 16;
  const unit = Math.floor(sb / (s * 8));
  const addr = c.as32 ? (off + unit * s) >>> 0 : (off + unit * s) & 0xffff;
  const bit = sb - unit * s * 8;
  if (op === 0) {
    btApply(c, 0, c.rdN(c.eaSeg, addr, s), bit, s);
    return;
  }
  const v = rmwAt(c, addr, s);
  c.rmwStore(s, btApply(c, op, v, bit, s));
}

/** Group 8 (0F BA): BT/BTS/BTR/BTC Ev,Ib. */
export function group8(c: X86Cpu): void {
  const m = c.fetch8();
  const op = ((m >> 3) & 7) - 4;
  if (op < 0) c.ud();
  const s = osz(c);
  if (m >= 0xc0) {
    const bit = c.fetch8() & (s * 8 - 1);
    setRegV(c, m & 7, btApply(c, op, regV(c, m & 7), bit, s));
    return;
  }
  const off = c.ea(m);
  const bit = c.fetch8() & (s * 8 - 1);
  if (op === 0) {
    btApply(c, 0, c.rdN(c.eaSeg, off, s), bit, s);
    return;
  }
  const v = rmwAt(c, off, s);
  c.rmwStore(s, btApply(c, op, v, bit, s));
}

function btApply(c: X86Cpu, op: number, v: number, bit: number, size: number): number {
  const cf = (v >>> bit) & 1;
  c.lazy &= ~CF;
  c.flags = (c.flags & ~CF) | cf;
  const b = 1 << bit;
  let r = v;
  if (op === 1) r = v | b;
  else if (op === 2) r = v & ~b;
  else if (op === 3) r = v ^ b;
  return norm(r, size);
}

/** BSF/BSR Gv,Ev (0F BC BD): ZF set and the destination unchanged when the source is 0. */
export function bsfBsr(c: X86Cpu): void {
  const m = c.fetch8();
  const s = osz(c);
  const v = rmV(c, m) & sizeMask(s);
  c.materialize();
  if (v === 0) {
    c.flags |= ZF;
    return;
  }
  c.flags &= ~ZF;
  let idx: number;
  if ((c.opcode & 1) === 0) idx = 31 - Math.clz32(v & -v);
  else idx = 31 - Math.clz32(v);
  setRegV(c, (m >> 3) & 7, idx);
}

// ---------------------------------------------------------------- XADD, CMPXCHG, CMPXCHG8B

/** XADD Eb,Gb / Ev,Gv (0F C0 C1). */
export function xadd(c: X86Cpu): void {
  const m = c.fetch8();
  const s = (c.opcode & 1) === 0 ? 1 : osz(c);
  const g = (m >> 3) & 7;
  const src = regN(c, g, s);
  if (m >= 0xc0) {
    const dst = regN(c, m & 7, s);
    const sum = alu(c, 0, dst, src, s);
    setRegN(c, g, s, dst);
    setRegN(c, m & 7, s, sum);
    return;
  }
  const dst = c.rmwLoad(m, s);
  const sum = alu(c, 0, norm(dst, s), src, s);
  c.rmwStore(s, sum);
  setRegN(c, g, s, norm(dst, s));
}

/** CMPXCHG Eb,Gb / Ev,Gv (0F B0 B1): the destination is written in either case (SDM). */
export function cmpxchg(c: X86Cpu): void {
  const m = c.fetch8();
  const s = (c.opcode & 1) === 0 ? 1 : osz(c);
  const src = regN(c, (m >> 3) & 7, s);
  const acc = regN(c, 0, s);
  if (m >= 0xc0) {
    const dst = regN(c, m & 7, s);
    alu(c, 7, acc, dst, s);
    if (acc === dst) setRegN(c, m & 7, s, src);
    else setRegN(c, 0, s, dst);
    return;
  }
  const dst = norm(c.rmwLoad(m, s), s);
  alu(c, 7, acc, dst, s);
  if (acc === dst) c.rmwStore(s, src);
  else {
    c.rmwStore(s, dst);
    setRegN(c, 0, s, dst);
  }
}

/** Group 9 (0F C7 /1): CMPXCHG8B Mq. */
export function cmpxchg8b(c: X86Cpu): void {
  const m = c.fetch8();
  if (((m >> 3) & 7) !== 1 || m >= 0xc0) c.ud();
  const off = c.ea(m);
  const seg = c.eaSeg;
  c.probeWrite(seg, off, 8);
  const lo = c.rd32(seg, off);
  const hi = c.rd32(seg, c.as32 ? (off + 4) >>> 0 : (off + 4) & 0xffff);
  c.materialize();
  const R = c.regs;
  if (lo === R[0] && hi === R[2]) {
    c.wr32(seg, off, R[3]!);
    c.wr32(seg, c.as32 ? (off + 4) >>> 0 : (off + 4) & 0xffff, R[1]!);
    c.flags |= ZF;
  } else {
    c.wr32(seg, off, lo);
    c.wr32(seg, c.as32 ? (off + 4) >>> 0 : (off + 4) & 0xffff, hi);
    R[0] = lo;
    R[2] = hi;
    c.flags &= ~ZF;
  }
}

// ---------------------------------------------------------------- BOUND

/** BOUND Gv,Ma (62): #BR when the index is outside [lower, upper]. */
export function bound(c: X86Cpu): void {
  const m = c.fetch8();
  if (m >= 0xc0) c.ud();
  const s = osz(c);
  const off = c.ea(m);
  const seg = c.eaSeg;
  let lo = c.rdN(seg, off, s);
  let hi = c.rdN(seg, c.as32 ? (off + s) >>> 0 : (off + s) & 0xffff, s);
  let idx = regV(c, (m >> 3) & 7);
  if (s === 2) {
    lo = (lo << 16) >> 16;
    hi = (hi << 16) >> 16;
    idx = (idx << 16) >> 16;
  }
  if (idx < lo || idx > hi) c.raise(Vector.BR);
}

// ---------------------------------------------------------------- string instructions

/** Index-register step for the string instructions (negative with DF). */
function step(c: X86Cpu, size: number): number {
  return (c.flags & DF) !== 0 ? -size : size;
}

/**
 * Iterations of a REP string instruction per retirement: the instruction retires (and interrupts
 * are checked) after every chunk. The chunk is the same on the fast and the general path, so the
 * retired count — and with it deterministic guest time — does not depend on which pages the TLB
 * happens to hold or which of them an engine write-traces.
 */
const STRING_CHUNK = 4096;

/**
 * The TLB entry of linear address `lin` when it allows an access with `flag` (the CPU's `rdFlag`
 * or `wrFlag`, of access `kind`), filled through the MMU as the access itself would fill it when
 * the TLB does not hold it yet; 0 where the access must take the general path (a page fault to
 * raise, a page that is not RAM or is write-traced, fast paths closed). Callers check the
 * element's segment bounds first, as the access does before it translates. The string fast paths
 * use it so that a long copy or fill through pages the TLB has not seen yet (after a CR3 write, or
 * with paging off, where entries are filled on first use) stays on the fast path.
 */
function stringEntry(c: X86Cpu, lin: number, flag: number, kind: AccessKind): number {
  const e = c.tlb[lin >>> 12]!;
  if ((e & flag) !== 0) return e;
  if (flag === 0) return 0;
  // A translation may refill TLB entries: the fetch window is re-validated, as after any.
  c.fetchLen = 0;
  if (c.mmu.translate(lin >>> 0, kind, c.user) < 0) return 0;
  const filled = c.tlb[lin >>> 12]!;
  return (filled & flag) !== 0 ? filled : 0;
}

/**
 * REP STOS fast path (32-bit addresses, DF = 0): whole runs inside one page whose TLB entry
 * allows the write, within the ES limit, go straight to RAM, at most `limit` iterations. Returns
 * the count left (the general loop handles page crossings, faults and the slow path).
 */
function stosFast(c: X86Cpu, v: number, s: number, count: number, limit: number): number {
  const R = c.regs;
  const ram = c.ram;
  let n = count;
  const stop = count > limit ? count - limit : 0;
  while (n > stop) {
    const di = R[7]! >>> 0;
    if (di < c.segLo[Seg.ES]! || di + s - 1 > c.segWHi[Seg.ES]!) break;
    const lin = (c.segBase[Seg.ES]! + di) | 0;
    const e = stringEntry(c, lin, c.wrFlag, AccessKind.Write);
    if (e === 0) break;
    const po = lin & 0xfff;
    let k = Math.floor((4096 - po) / s);
    if (k > n - stop) k = n - stop;
    // (The run's first element is within ES, checked above.)
    if (k === 0 || di + k * s - 1 > c.segWHi[Seg.ES]!) break;
    const h = (e & ~0xfff) | po;
    if (s === 1) ram.fill(v & 0xff, h, h + k);
    else if (s === 2) for (let i = 0; i < k; i++) {
      ram[h + 2 * i] = v;
      ram[h + 2 * i + 1] = v >> 8;
    }
    else for (let i = 0; i < k; i++) {
      const o = h + 4 * i;
      ram[o] = v;
      ram[o + 1] = v >> 8;
      ram[o + 2] = v >> 16;
      ram[o + 3] = v >> 24;
    }
    n -= k;
    R[7] = di + k * s;
    R[1] = n;
  }
  return n;
}

/**
 * Whether the element a REP MOVS fast path copies next (`s` bytes from `src`:`si`, linear `sl`,
 * to ES:`di`, linear `dl`) is within its segments' bounds and its pages are in the TLB for the
 * read and the write (filled as {@link stringEntry} fills them: the bounds first, then the source,
 * as each element reads it before it writes).
 */
function movsElementMapped(c: X86Cpu, src: number, s: number, si: number, di: number, sl: number, dl: number): boolean {
  if (si < c.segLo[src]! || si + s - 1 > c.segRHi[src]! || di < c.segLo[Seg.ES]! || di + s - 1 > c.segWHi[Seg.ES]!) return false;
  if (stringEntry(c, sl, c.rdFlag, AccessKind.Read) === 0 || stringEntry(c, dl, c.wrFlag, AccessKind.Write) === 0) return false;
  // The destination's translation may have refilled the source's entry.
  return (c.tlb[sl >>> 12]! & c.rdFlag) !== 0 && (c.tlb[dl >>> 12]! & c.wrFlag) !== 0;
}

/** REP MOVS fast path (32-bit addresses, DF = 0), as {@link stosFast}. */
function movsFast(c: X86Cpu, src: number, s: number, count: number, limit: number): number {
  const R = c.regs;
  const ram = c.ram;
  let n = count;
  const stop = count > limit ? count - limit : 0;
  while (n > stop) {
    const si = R[6]! >>> 0;
    const di = R[7]! >>> 0;
    const sl = (c.segBase[src]! + si) | 0;
    const dl = (c.segBase[Seg.ES]! + di) | 0;
    if (!movsElementMapped(c, src, s, si, di, sl, dl)) break;
    const se = c.tlb[sl >>> 12]!;
    const de = c.tlb[dl >>> 12]!;
    const sp = sl & 0xfff;
    const dp = dl & 0xfff;
    let k = Math.floor((4096 - (sp > dp ? sp : dp)) / s);
    if (k > n - stop) k = n - stop;
    // (The run's first element is within its segments, checked above.)
    if (k === 0 || si + k * s - 1 > c.segRHi[src]! || di + k * s - 1 > c.segWHi[Seg.ES]!) break;
    const hs = (se & ~0xfff) | sp;
    const hd = (de & ~0xfff) | dp;
    const bytes = k * s;
    // Element-by-element forward semantics differ from a block copy when the destination starts
    // inside the source run: leave that case to the general loop.
    if (hd > hs && hd < hs + bytes) break;
    ram.copyWithin(hd, hs, hs + bytes);
    n -= k;
    R[6] = si + bytes;
    R[7] = di + bytes;
    R[1] = n;
  }
  return n;
}

/**
 * REP MOVS fast path with DF = 1 (32-bit addresses), as {@link movsFast}: elements are copied
 * from the highest down, so a run whose destination lies above its source (overlapping or not)
 * is a block move; one whose destination starts below its source and overlaps it is left to the
 * general loop. (Linux's decompressor moves the compressed kernel up this way, several MiB.)
 */
function movsBackFast(c: X86Cpu, src: number, s: number, count: number, limit: number): number {
  const R = c.regs;
  const ram = c.ram;
  let n = count;
  const stop = count > limit ? count - limit : 0;
  while (n > stop) {
    const si = R[6]! >>> 0;
    const di = R[7]! >>> 0;
    const sl = (c.segBase[src]! + si) | 0;
    const dl = (c.segBase[Seg.ES]! + di) | 0;
    if (!movsElementMapped(c, src, s, si, di, sl, dl)) break;
    const se = c.tlb[sl >>> 12]!;
    const de = c.tlb[dl >>> 12]!;
    const sp = sl & 0xfff;
    const dp = dl & 0xfff;
    // The run goes down from the element at each offset to its page's start.
    if (sp + s > 4096 || dp + s > 4096) break;
    let k = Math.floor((sp < dp ? sp : dp) / s) + 1;
    if (k > n - stop) k = n - stop;
    const down = (k - 1) * s;
    // (The run's highest element is within its segments, checked above.)
    if (si < down || di < down || si - down < c.segLo[src]! || di - down < c.segLo[Seg.ES]!) break;
    const hs = (se & ~0xfff) | (sp - down);
    const hd = (de & ~0xfff) | (dp - down);
    const bytes = k * s;
    if (hd < hs && hd + bytes > hs) break;
    ram.copyWithin(hd, hs, hs + bytes);
    n -= k;
    R[6] = si - bytes;
    R[7] = di - bytes;
    R[1] = n;
  }
  return n;
}

/** MOVS (A4 A5). */
export function movs(c: X86Cpu): void {
  const s = c.opcode === 0xa4 ? 1 : osz(c);
  const src = c.segOvr >= 0 ? c.segOvr : Seg.DS;
  const d = step(c, s);
  const R = c.regs;
  const r16 = c.r16;
  if (c.as32) {
    if (c.rep === 0) {
      c.wrN(Seg.ES, R[7]! >>> 0, s, c.rdN(src, R[6]! >>> 0, s));
      R[6] = R[6]! + d;
      R[7] = R[7]! + d;
      return;
    }
    const count = R[1]! >>> 0;
    let n = d > 0 ? movsFast(c, src, s, count, STRING_CHUNK) : movsBackFast(c, src, s, count, STRING_CHUNK);
    let k = count - n;
    while (n !== 0 && k < STRING_CHUNK) {
      c.wrN(Seg.ES, R[7]! >>> 0, s, c.rdN(src, R[6]! >>> 0, s));
      R[6] = R[6]! + d;
      R[7] = R[7]! + d;
      R[1] = --n;
      k++;
    }
    if (n !== 0) c.ip = c.eip;
  } else {
    if (c.rep === 0) {
      c.wrN(Seg.ES, r16[14]!, s, c.rdN(src, r16[12]!, s));
      r16[12] = r16[12]! + d;
      r16[14] = r16[14]! + d;
      return;
    }
    let n = r16[2]!;
    let k = 0;
    while (n !== 0 && k < STRING_CHUNK) {
      c.wrN(Seg.ES, r16[14]!, s, c.rdN(src, r16[12]!, s));
      r16[12] = r16[12]! + d;
      r16[14] = r16[14]! + d;
      r16[2] = --n;
      k++;
    }
    if (n !== 0) c.ip = c.eip;
  }
}

/** STOS (AA AB). */
export function stos(c: X86Cpu): void {
  const s = c.opcode === 0xaa ? 1 : osz(c);
  const v = regN(c, 0, s);
  const d = step(c, s);
  const R = c.regs;
  if (c.as32) {
    if (c.rep === 0) {
      c.wrN(Seg.ES, R[7]! >>> 0, s, v);
      R[7] = R[7]! + d;
      return;
    }
    const count = R[1]! >>> 0;
    let n = d > 0 ? stosFast(c, v, s, count, STRING_CHUNK) : count;
    let k = count - n;
    while (n !== 0 && k < STRING_CHUNK) {
      c.wrN(Seg.ES, R[7]! >>> 0, s, v);
      R[7] = R[7]! + d;
      R[1] = --n;
      k++;
    }
    if (n !== 0) c.ip = c.eip;
  } else {
    const r16 = c.r16;
    if (c.rep === 0) {
      c.wrN(Seg.ES, r16[14]!, s, v);
      r16[14] = r16[14]! + d;
      return;
    }
    let n = r16[2]!;
    let k = 0;
    while (n !== 0 && k < STRING_CHUNK) {
      c.wrN(Seg.ES, r16[14]!, s, v);
      r16[14] = r16[14]! + d;
      r16[2] = --n;
      k++;
    }
    if (n !== 0) c.ip = c.eip;
  }
}

/** LODS (AC AD). */
export function lods(c: X86Cpu): void {
  const s = c.opcode === 0xac ? 1 : osz(c);
  const src = c.segOvr >= 0 ? c.segOvr : Seg.DS;
  const d = step(c, s);
  const a32 = c.as32;
  let n = c.rep === 0 ? 1 : a32 ? c.regs[1]! >>> 0 : c.r16[2]!;
  let k = 0;
  while (n !== 0 && k < STRING_CHUNK) {
    const si = a32 ? c.regs[6]! >>> 0 : c.r16[12]!;
    setRegN(c, 0, s, c.rdN(src, si, s));
    if (a32) c.regs[6] = si + d;
    else c.r16[12] = si + d;
    n--;
    if (c.rep !== 0) {
      if (a32) c.regs[1] = n;
      else c.r16[2] = n;
    }
    k++;
  }
  if (n !== 0) c.ip = c.eip;
}

/** CMPS (A6 A7) and SCAS (AE AF), with REPE/REPNE termination on ZF. */
export function cmpsScas(c: X86Cpu): void {
  const o = c.opcode;
  const scas = o >= 0xae;
  const s = (o & 1) === 0 ? 1 : osz(c);
  const src = c.segOvr >= 0 ? c.segOvr : Seg.DS;
  const d = step(c, s);
  const a32 = c.as32;
  const rep = c.rep;
  let n = rep === 0 ? 1 : a32 ? c.regs[1]! >>> 0 : c.r16[2]!;
  let k = 0;
  while (n !== 0 && k < STRING_CHUNK) {
    const di = a32 ? c.regs[7]! >>> 0 : c.r16[14]!;
    let a: number;
    if (scas) a = regN(c, 0, s);
    else {
      const si = a32 ? c.regs[6]! >>> 0 : c.r16[12]!;
      a = c.rdN(src, si, s);
    }
    const b = c.rdN(Seg.ES, di, s);
    alu(c, 7, norm(a, s), norm(b, s), s);
    if (!scas) {
      if (a32) c.regs[6] = c.regs[6]! + d;
      else c.r16[12] = c.r16[12]! + d;
    }
    if (a32) c.regs[7] = di + d;
    else c.r16[14] = di + d;
    n--;
    if (rep !== 0) {
      if (a32) c.regs[1] = n;
      else c.r16[2] = n;
      const zf = (c.lzRes & c.lzMask) === 0;
      if (rep === 2 ? !zf : zf) return;
    }
    k++;
  }
  if (n !== 0) c.ip = c.eip;
}

