/*
 * x87 differential test against the host CPU.
 *
 * Generates one 32-bit Linux program (nasm -f elf32, ld -m elf_i386) holding thousands of small
 * test blocks. Each block fills all eight registers with a known pattern, FNINITs (contents stay),
 * loads a control word and up to eight 80-bit operands, sets EFLAGS, runs one x87 instruction
 * (encoded byte by byte, memory operands as mod=00 r/m=101 absolute disp32), then saves EFLAGS,
 * EAX and the FNSAVE image. Test records travel through stdin/stdout. The same steps run in
 * Popek's X87 and everything is compared: the 108-byte FNSAVE image (control, status and tag
 * words, FIP/FCS/FOP/FDP/FDS, all eight registers including empty ones), the memory operand,
 * EFLAGS and AX. Only what README.md documents is masked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { X87, type X87Context, type X87Memory } from './x87.js';

const REC = 1024;
const R_CW = 0;
const R_EFLAGS_IN = 4;
const R_INSN = 8;
const R_CS = 12;
const R_DS = 16;
const R_SELF = 20;
const R_PREP_FLD = 24;
const R_DEPTH = 28;
const R_STACK = 32; // 8 × 10 bytes, ST(0) first
const R_MEM = 112; // memory operand, 128 bytes
const R_MEM_SIZE = 128;
const R_EFLAGS_OUT = 240;
const R_AX = 244;
const R_SAVE = 256; // FNSAVE image, 108 bytes
const R_FXSAVE = 512; // FXSAVE image, 512 bytes (16-byte aligned)

/** One test: the instruction bytes and the machine state before it. */
interface Case {
  readonly name: string;
  readonly opcode: number;
  readonly modrm: number;
  readonly cw: number;
  /** ST(0) first; each [se, hi, lo]. */
  readonly stack: readonly (readonly [number, number, number])[];
  readonly mem: Uint8Array;
  readonly eflags: number;
  /** 0x66 (operand size: 16-bit FNSTENV/FNSAVE images) or 0. */
  readonly prefix: number;
  /** Compare results with a tolerance (float64-precision instructions). */
  readonly approx?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Deterministic random numbers (xorshift128+ on 32-bit halves, fixed seed)

class Rng {
  private a = (0x1234_5678 ^ Number(process.env['X87_DIFF_SEED'] ?? 0)) >>> 0;
  private b = 0x9abc_def0;
  private c = 0x0fed_cba9;
  private d = 0x8765_4321;
  u32(): number {
    const t = this.a ^ (this.a << 11);
    this.a = this.b;
    this.b = this.c;
    this.c = this.d;
    this.d = (this.d ^ (this.d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.d;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

type F80 = readonly [number, number, number];

function edge80(): F80[] {
  return [
    [0x0000, 0, 0], // +0
    [0x8000, 0, 0], // −0
    [0x3fff, 0x8000_0000, 0], // 1
    [0xbfff, 0x8000_0000, 0], // −1
    [0x7fff, 0x8000_0000, 0], // +∞
    [0xffff, 0x8000_0000, 0], // −∞
    [0x7fff, 0xc000_0000, 0], // QNaN
    [0xffff, 0xc000_0000, 0], // indefinite
    [0x7fff, 0xc123_4567, 0x89ab_cdef], // QNaN payload
    [0x7fff, 0xa000_0000, 1], // SNaN
    [0xffff, 0x8000_0000, 0x1234], // SNaN payload
    [0x0000, 0x0000_0000, 1], // smallest denormal
    [0x8000, 0x4000_0000, 0], // denormal
    [0x0000, 0x8000_0000, 0], // pseudo-denormal
    [0x0001, 0x8000_0000, 0], // smallest normal
    [0x7ffe, 0xffff_ffff, 0xffff_ffff], // largest normal
    [0xfffe, 0xffff_ffff, 0xffff_ffff],
    [0x3fff, 0x4000_0000, 0], // unnormal
    [0x7fff, 0x0000_0000, 0], // pseudo-infinity
    [0x7fff, 0x4000_0000, 1], // pseudo-NaN
    [0x4000, 0, 0], // pseudo-zero
    [0x403e, 0x8000_0000, 0], // 2^63
    [0xc03e, 0x8000_0000, 0], // −2^63
    [0x403d, 0xffff_ffff, 0xffff_fffe], // 2^63 − 2
    [0x401d, 0xffff_ffff, 0], // 2^31 − 1 shifted
    [0x3ffe, 0x8000_0000, 0], // 0.5
    [0x4000, 0xc000_0000, 0], // 3
    [0x43fe, 0x8000_0000, 0], // 2^1023
    [0x3c00, 0x8000_0000, 0], // 2^−1023 (double denormal range)
    [0x3f80, 0x8000_0000, 0], // 2^−127
    [0x407e, 0xffff_ff00, 0], // near float max
  ];
}

function random80(r: Rng, spread: number): F80 {
  const k = r.int(10);
  if (k === 0) return r.pick(edge80());
  const sign = r.int(2) << 15;
  const e = 0x3fff + r.int(2 * spread + 1) - spread;
  let hi = (r.u32() | 0x8000_0000) >>> 0;
  let lo = r.u32();
  if (k === 1) lo = 0; // short significands make exact results likely
  if (k === 2) {
    hi = (hi & 0xffff_f800) >>> 0;
    lo = 0;
  }
  if (k === 3) lo = (lo & 0xffff_f800) >>> 0;
  return [sign | e, hi, lo];
}

function randomInteger80(r: Rng): F80 {
  // Values near integers and halves for FRNDINT/FIST/FBSTP.
  const e = 0x3fff + r.int(66) - 2;
  const sign = r.int(2) << 15;
  const hi = (r.u32() | 0x8000_0000) >>> 0;
  let lo = r.u32();
  const frac = 63 - (e - 0x3fff);
  if (frac > 1 && frac < 32 && r.int(2)) lo = (lo & ~((1 << frac) - 1)) | (r.int(2) << (frac - 1));
  return [sign | e, hi, lo >>> 0];
}

function f32bits(r: Rng): number {
  switch (r.int(8)) {
    case 0:
      return r.pick([0, 0x8000_0000, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0x7fa0_0001, 0xffc1_2345, 0x0000_0001, 0x807f_ffff, 0x0080_0000, 0x7f7f_ffff, 0x3f80_0000]);
    case 1:
      return (r.u32() & 0x807f_ffff) >>> 0; // denormal
    default: {
      const e = 127 + r.int(40) - 20;
      return ((r.int(2) << 31) | (e << 23) | (r.u32() & 0x7f_ffff)) >>> 0;
    }
  }
}

function f64bits(r: Rng): [number, number] {
  switch (r.int(8)) {
    case 0:
      return r.pick<[number, number]>([
        [0, 0],
        [0x8000_0000, 0],
        [0x7ff0_0000, 0],
        [0xfff0_0000, 0],
        [0x7ff8_0000, 0],
        [0x7ff4_0000, 1],
        [0xfff8_1234, 0x5678_9abc],
        [0, 1],
        [0x800f_ffff, 0xffff_ffff],
        [0x0010_0000, 0],
        [0x7fef_ffff, 0xffff_ffff],
        [0x3ff0_0000, 0],
      ]);
    case 1:
      return [(r.u32() & 0x800f_ffff) >>> 0, r.u32()];
    default: {
      const e = 1023 + r.int(80) - 40;
      return [((r.int(2) << 31) | (e << 20) | (r.u32() & 0xf_ffff)) >>> 0, r.u32()];
    }
  }
}

function int32(r: Rng): number {
  return r.int(4) === 0 ? r.pick([0, 1, 0xffff_ffff, 0x8000_0000, 0x7fff_ffff]) : r.u32() >> r.int(32);
}

function controlWord(r: Rng, masked: boolean): number {
  const pc = r.pick([3, 3, 2, 0, 1]);
  const rc = r.int(4);
  const masks = masked ? 0x3f : r.int(4) === 0 ? r.int(64) : 0x3f;
  return (masks | 0x40 | (pc << 8) | (rc << 10)) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Case generation

interface Spec {
  name: string;
  opcode: number;
  /** reg field (memory forms) or full ModRM (register forms, ≥ 0xC0). */
  modrm: number;
  memory?: 'm32' | 'm64' | 'm80' | 'i16' | 'i32' | 'i64' | 'bcd' | 'store' | 'env' | 'cw';
  depth?: number;
  approx?: boolean;
  operands?: 'int' | 'small' | 'trig' | 'log' | 'f2xm1' | 'tiny' | 'storeEdge';
  prefix?: number;
}

function specs(): Spec[] {
  const s: Spec[] = [];
  const arith = ['FADD', 'FMUL', 'FCOM', 'FCOMP', 'FSUB', 'FSUBR', 'FDIV', 'FDIVR'];
  for (let reg = 0; reg < 8; reg++) {
    s.push({ name: `${arith[reg]} m32`, opcode: 0xd8, modrm: reg, memory: 'm32', depth: 1 });
    s.push({ name: `${arith[reg]} m64`, opcode: 0xdc, modrm: reg, memory: 'm64', depth: 1 });
    s.push({ name: `FI${arith[reg]!.slice(1)} m32int`, opcode: 0xda, modrm: reg, memory: 'i32', depth: 1 });
    s.push({ name: `FI${arith[reg]!.slice(1)} m16int`, opcode: 0xde, modrm: reg, memory: 'i16', depth: 1 });
    s.push({ name: `${arith[reg]} ST(0),ST(i)`, opcode: 0xd8, modrm: 0xc0 | (reg << 3) | 1 });
    s.push({ name: `DC /${reg} ST(i),ST(0)`, opcode: 0xdc, modrm: 0xc0 | (reg << 3) | 1 });
    if (reg !== 3) s.push({ name: `DE /${reg} pop`, opcode: 0xde, modrm: 0xc0 | (reg << 3) | (reg === 2 ? 0 : 1) });
  }
  s.push({ name: 'FCOMPP', opcode: 0xde, modrm: 0xd9, depth: 2 });
  s.push({ name: 'FUCOMPP', opcode: 0xda, modrm: 0xe9, depth: 2 });
  s.push({ name: 'FLD m32', opcode: 0xd9, modrm: 0, memory: 'm32' });
  s.push({ name: 'FLD m64', opcode: 0xdd, modrm: 0, memory: 'm64' });
  s.push({ name: 'FLD m80', opcode: 0xdb, modrm: 5, memory: 'm80' });
  s.push({ name: 'FILD m16', opcode: 0xdf, modrm: 0, memory: 'i16' });
  s.push({ name: 'FILD m32', opcode: 0xdb, modrm: 0, memory: 'i32' });
  s.push({ name: 'FILD m64', opcode: 0xdf, modrm: 5, memory: 'i64' });
  s.push({ name: 'FBLD', opcode: 0xdf, modrm: 4, memory: 'bcd' });
  s.push({ name: 'FST m32', opcode: 0xd9, modrm: 2, memory: 'store' });
  s.push({ name: 'FSTP m32', opcode: 0xd9, modrm: 3, memory: 'store' });
  s.push({ name: 'FST m64', opcode: 0xdd, modrm: 2, memory: 'store' });
  s.push({ name: 'FSTP m64', opcode: 0xdd, modrm: 3, memory: 'store' });
  s.push({ name: 'FSTP m80', opcode: 0xdb, modrm: 7, memory: 'store' });
  s.push({ name: 'FIST m16', opcode: 0xdf, modrm: 2, memory: 'store', operands: 'int' });
  s.push({ name: 'FISTP m16', opcode: 0xdf, modrm: 3, memory: 'store', operands: 'int' });
  s.push({ name: 'FIST m32', opcode: 0xdb, modrm: 2, memory: 'store', operands: 'int' });
  s.push({ name: 'FISTP m32', opcode: 0xdb, modrm: 3, memory: 'store', operands: 'int' });
  s.push({ name: 'FISTP m64', opcode: 0xdf, modrm: 7, memory: 'store', operands: 'int' });
  s.push({ name: 'FBSTP', opcode: 0xdf, modrm: 6, memory: 'store', operands: 'int' });
  s.push({ name: 'FNSTENV', opcode: 0xd9, modrm: 6, memory: 'store' });
  s.push({ name: 'FNSTCW', opcode: 0xd9, modrm: 7, memory: 'store' });
  s.push({ name: 'FNSTSW m16', opcode: 0xdd, modrm: 7, memory: 'store' });
  s.push({ name: 'FLDCW', opcode: 0xd9, modrm: 5, memory: 'cw' });
  s.push({ name: 'FLDENV', opcode: 0xd9, modrm: 4, memory: 'env' });
  s.push({ name: 'FRSTOR', opcode: 0xdd, modrm: 4, memory: 'env' });
  s.push({ name: 'o16 FNSTENV', opcode: 0xd9, modrm: 6, memory: 'store', prefix: 0x66 });
  s.push({ name: 'o16 FLDENV', opcode: 0xd9, modrm: 4, memory: 'env', prefix: 0x66 });
  s.push({ name: 'o16 FNSAVE', opcode: 0xdd, modrm: 6, memory: 'store', prefix: 0x66 });
  s.push({ name: 'o16 FRSTOR', opcode: 0xdd, modrm: 4, memory: 'env', prefix: 0x66 });
  // Operands at the edges of the denormal and overflow ranges (tininess, UE/OE masking, C1).
  for (const [name, opcode, modrm] of [
    ['FMUL tiny', 0xd8, 0xc9],
    ['FDIV tiny', 0xd8, 0xf1],
    ['FADD tiny', 0xd8, 0xc1],
    ['FSUB tiny', 0xd8, 0xe1],
    ['FSCALE tiny', 0xd9, 0xfd],
  ] as const) {
    s.push({ name, opcode, modrm, operands: 'tiny', depth: 2 });
  }
  s.push({ name: 'FST m32 edge', opcode: 0xd9, modrm: 2, memory: 'store', operands: 'storeEdge', depth: 1 });
  s.push({ name: 'FST m64 edge', opcode: 0xdd, modrm: 2, memory: 'store', operands: 'storeEdge', depth: 1 });
  s.push({ name: 'FNSTSW AX', opcode: 0xdf, modrm: 0xe0 });
  s.push({ name: 'FNCLEX', opcode: 0xdb, modrm: 0xe2 });
  for (let i = 0; i < 8; i++) {
    s.push({ name: `FLD ST(${i})`, opcode: 0xd9, modrm: 0xc0 | i });
    s.push({ name: `FXCH ST(${i})`, opcode: 0xd9, modrm: 0xc8 | i });
    s.push({ name: `FST ST(${i})`, opcode: 0xdd, modrm: 0xd0 | i });
    s.push({ name: `FSTP ST(${i})`, opcode: 0xdd, modrm: 0xd8 | i });
    s.push({ name: `FUCOM ST(${i})`, opcode: 0xdd, modrm: 0xe0 | i });
    s.push({ name: `FUCOMP ST(${i})`, opcode: 0xdd, modrm: 0xe8 | i });
    s.push({ name: `FFREE ST(${i})`, opcode: 0xdd, modrm: 0xc0 | i });
    s.push({ name: `FFREEP ST(${i})`, opcode: 0xdf, modrm: 0xc0 | i });
    s.push({ name: `FCOMI ST(${i})`, opcode: 0xdb, modrm: 0xf0 | i });
    s.push({ name: `FUCOMI ST(${i})`, opcode: 0xdb, modrm: 0xe8 | i });
    s.push({ name: `FCOMIP ST(${i})`, opcode: 0xdf, modrm: 0xf0 | i });
    s.push({ name: `FUCOMIP ST(${i})`, opcode: 0xdf, modrm: 0xe8 | i });
    for (let cc = 0; cc < 4; cc++) {
      s.push({ name: `FCMOV${['B', 'E', 'BE', 'U'][cc]} ST(${i})`, opcode: 0xda, modrm: 0xc0 | (cc << 3) | i });
      s.push({ name: `FCMOVN${['B', 'E', 'BE', 'U'][cc]} ST(${i})`, opcode: 0xdb, modrm: 0xc0 | (cc << 3) | i });
    }
    // Undocumented aliases the P6 decodes.
    s.push({ name: `FSTP1 ST(${i})`, opcode: 0xd9, modrm: 0xd8 | i });
    s.push({ name: `FXCH4 ST(${i})`, opcode: 0xdd, modrm: 0xc8 | i });
    s.push({ name: `FXCH7 ST(${i})`, opcode: 0xdf, modrm: 0xc8 | i });
    s.push({ name: `FSTP8 ST(${i})`, opcode: 0xdf, modrm: 0xd0 | i });
    s.push({ name: `FSTP9 ST(${i})`, opcode: 0xdf, modrm: 0xd8 | i });
    s.push({ name: `FCOM2 ST(${i})`, opcode: 0xdc, modrm: 0xd0 | i });
    s.push({ name: `FCOMP3 ST(${i})`, opcode: 0xdc, modrm: 0xd8 | i });
    s.push({ name: `FCOMP5 ST(${i})`, opcode: 0xde, modrm: 0xd0 | i });
  }
  const d9: [number, string, Spec['operands']?, boolean?][] = [
    [0xd0, 'FNOP'],
    [0xe0, 'FCHS'],
    [0xe1, 'FABS'],
    [0xe4, 'FTST'],
    [0xe5, 'FXAM'],
    [0xe8, 'FLD1'],
    [0xe9, 'FLDL2T'],
    [0xea, 'FLDL2E'],
    [0xeb, 'FLDPI'],
    [0xec, 'FLDLG2'],
    [0xed, 'FLDLN2'],
    [0xee, 'FLDZ'],
    [0xf0, 'F2XM1', 'f2xm1', true],
    [0xf1, 'FYL2X', 'log', true],
    [0xf2, 'FPTAN', 'trig', true],
    [0xf3, 'FPATAN', undefined, true],
    [0xf4, 'FXTRACT'],
    [0xf5, 'FPREM1'],
    [0xf6, 'FDECSTP'],
    [0xf7, 'FINCSTP'],
    [0xf8, 'FPREM'],
    [0xf9, 'FYL2XP1', 'small', true],
    [0xfa, 'FSQRT'],
    [0xfb, 'FSINCOS', 'trig', true],
    [0xfc, 'FRNDINT', 'int'],
    [0xfd, 'FSCALE'],
    [0xfe, 'FSIN', 'trig', true],
    [0xff, 'FCOS', 'trig', true],
  ];
  for (const [modrm, name, operands, approx] of d9) {
    const spec: Spec = { name, opcode: 0xd9, modrm };
    if (operands) spec.operands = operands;
    if (approx) spec.approx = true;
    s.push(spec);
  }
  return s;
}

function makeCase(r: Rng, spec: Spec): Case {
  const masked = r.int(3) !== 0;
  const cw = spec.name === 'FLDCW' ? 0x037f : controlWord(r, masked);
  let depth = spec.depth ?? r.pick([0, 1, 2, 2, 3, 3, 3, 4, 8]);
  if (r.int(12) !== 0 && depth === 0 && spec.memory !== 'm32' && spec.memory !== 'm64') depth = 2;
  if (spec.memory === 'm32' || spec.memory === 'm64' || spec.memory === 'm80' || spec.memory?.startsWith('i') || spec.memory === 'bcd') {
    if (spec.depth === undefined) depth = r.pick([0, 1, 2, 7, 8]);
  }
  const stack: F80[] = [];
  for (let k = 0; k < depth; k++) {
    let v: F80;
    switch (spec.operands) {
      case 'int':
        v = r.int(4) === 0 ? random80(r, 70) : randomInteger80(r);
        break;
      case 'trig':
        v = r.int(6) === 0 ? random80(r, 70) : random80(r, 4);
        break;
      case 'small':
        v = k === 0 ? random80(r, 30) : random80(r, 10);
        if (k === 0 && (v[0] & 0x7fff) >= 0x3ffd && (v[0] & 0x7fff) < 0x7fff) v = [(v[0] & 0x8000) | 0x3ffb, v[1], v[2]];
        break;
      case 'f2xm1':
        v = k === 0 ? random80(r, 20) : random80(r, 10);
        if (k === 0 && (v[0] & 0x7fff) >= 0x3fff && (v[0] & 0x7fff) < 0x7fff) v = [(v[0] & 0x8000) | 0x3ffe, v[1], v[2]];
        break;
      case 'log':
        v = random80(r, k === 0 ? 200 : 20);
        break;
      case 'tiny': {
        // ST(0) near the bottom of the normal range, ST(1) near 1 (or a small scale for FSCALE).
        const base = random80(r, 3);
        if (spec.name === 'FSCALE tiny' && k === 1) v = [((r.int(2) << 15) | (0x3fff + r.int(7))) >>> 0, 0x8000_0000 | (r.u32() & 0x7000_0000), 0];
        else if (k === 0 || spec.name === 'FADD tiny' || spec.name === 'FSUB tiny') v = [(base[0] & 0x8000) | r.int(70), base[1], r.int(3) === 0 ? base[2] & 0xffff_f000 : base[2]];
        else v = base;
        break;
      }
      case 'storeEdge': {
        const base = random80(r, 1);
        const single = spec.name.includes('m32');
        const edge = r.pick(single ? [0x3fff - 126, 0x3fff - 149, 0x3fff + 127] : [0x3fff - 1022, 0x3fff - 1074, 0x3fff + 1023]);
        v = [(base[0] & 0x8000) | (edge + r.int(9) - 4), base[1], base[2]];
        break;
      }
      default:
        v = r.int(8) === 0 ? random80(r, 16000) : random80(r, spec.name === 'FSCALE' && k === 1 ? 3 : 70);
        if (spec.name === 'FSCALE' && k === 1 && r.int(2)) v = [v[0] & 0x8000 | (0x3fff + r.int(15)), v[1], v[2]];
    }
    stack.push(v);
  }
  // Results near each other exercise cancellation in subtraction and equality in compares.
  if (stack.length >= 2 && r.int(5) === 0) {
    const a = stack[0]!;
    stack[1] = [a[0] ^ (r.int(2) << 15), a[1], (a[2] ^ r.int(4)) >>> 0];
  }
  const mem = new Uint8Array(R_MEM_SIZE);
  for (let k = 0; k < mem.length; k++) mem[k] = r.int(256);
  const view = new DataView(mem.buffer);
  switch (spec.memory) {
    case 'm32':
      view.setUint32(0, f32bits(r), true);
      break;
    case 'm64': {
      const [hi, lo] = f64bits(r);
      view.setUint32(0, lo, true);
      view.setUint32(4, hi, true);
      break;
    }
    case 'm80': {
      const v = r.int(2) ? random80(r, 70) : r.pick(edge80());
      view.setUint32(0, v[2], true);
      view.setUint32(4, v[1], true);
      view.setUint16(8, v[0], true);
      break;
    }
    case 'i16':
      view.setUint16(0, r.int(4) === 0 ? r.pick([0, 1, 0x8000, 0x7fff, 0xffff]) : r.u32() & 0xffff, true);
      break;
    case 'i32':
      view.setUint32(0, int32(r) >>> 0, true);
      break;
    case 'i64':
      view.setUint32(0, int32(r) >>> 0, true);
      view.setUint32(4, r.int(3) === 0 ? r.pick([0, 0xffff_ffff, 0x8000_0000, 0x7fff_ffff]) : r.u32() >> r.int(32), true);
      break;
    case 'bcd': {
      for (let k = 0; k < 9; k++) {
        const valid = r.int(20) !== 0;
        mem[k] = valid ? r.int(10) * 16 + r.int(10) : r.int(256);
      }
      mem[9] = r.int(2) ? 0x80 : r.int(8) === 0 ? r.int(256) : 0;
      break;
    }
    case 'cw':
      view.setUint16(0, r.int(4) === 0 ? r.u32() & 0xffff : controlWord(r, false), true);
      break;
    case 'env': {
      view.setUint32(0, controlWord(r, r.int(2) === 0) | 0xffff_0000, true);
      view.setUint32(4, r.u32() | 0xffff_0000, true);
      view.setUint32(8, r.u32() | 0xffff_0000, true);
      break;
    }
    default:
      break;
  }
  const eflags = (0x202 | (r.int(2) ? 0x1 : 0) | (r.int(2) ? 0x4 : 0) | (r.int(2) ? 0x40 : 0) | (r.int(2) ? 0x10 : 0) | (r.int(2) ? 0x80 : 0) | (r.int(2) ? 0x800 : 0)) >>> 0;
  const memForm = spec.modrm < 0xc0;
  return {
    name: spec.name,
    opcode: spec.opcode,
    modrm: memForm ? (spec.modrm << 3) | 0x05 : spec.modrm,
    cw,
    stack,
    mem,
    eflags,
    prefix: spec.prefix ?? 0,
    approx: spec.approx ?? false,
  };
}

// ---------------------------------------------------------------------------------------------
// The native program

const FILL: F80 = [0x1234, 0x8765_4321, 0x0fed_cba9];

function assembly(cases: readonly Case[]): string {
  const lines: string[] = [
    'bits 32',
    'section .bss',
    'alignb 16',
    `records: resb ${REC * cases.length}`,
    'section .data',
    `fill: dd 0x${FILL[2].toString(16)}, 0x${FILL[1].toString(16)}`,
    `      dw 0x${FILL[0].toString(16)}`,
    'section .text',
    'global _start',
    'prep:',
    '  fninit',
    ...Array.from({ length: 8 }, () => '  fld tword [fill]'),
    '  fninit',
    `  fldcw [esi+${R_CW}]`,
    `  mov ecx, [esi+${R_DEPTH}]`,
    '  test ecx, ecx',
    '  jz .done',
    '  imul edi, ecx, 10',
    `  lea edi, [esi+edi+${R_STACK - 10}]`,
    '.next:',
    '.fld:',
    '  fld tword [edi]',
    '  sub edi, 10',
    '  dec ecx',
    '  jnz .next',
    '.done:',
    '  ret',
    '_start:',
    // read all records from stdin
    '  mov ebp, records',
    `  mov ebx, ${REC * cases.length}`,
    '.rd:',
    '  mov eax, 3',
    '  push ebx',
    '  mov ecx, ebp',
    '  mov edx, ebx',
    '  mov ebx, 0',
    '  int 0x80',
    '  pop ebx',
    '  test eax, eax',
    '  jle .run',
    '  add ebp, eax',
    '  sub ebx, eax',
    '  jnz .rd',
    '.run:',
  ];
  cases.forEach((c, n) => {
    const rec = `records+${n * REC}`;
    lines.push(`  mov esi, ${rec}`, '  call prep', `  push dword [esi+${R_EFLAGS_IN}]`, '  mov eax, 0', '  popfd');
    const prefix = c.prefix ? `0x${c.prefix.toString(16)}, ` : '';
    if (c.modrm < 0xc0) lines.push(`i${n}: db ${prefix}0x${c.opcode.toString(16)}, 0x${c.modrm.toString(16)}`, `  dd ${rec}+${R_MEM}`);
    else lines.push(`i${n}: db 0x${c.opcode.toString(16)}, 0x${c.modrm.toString(16)}`);
    lines.push(
      '  pushfd',
      `  pop dword [esi+${R_EFLAGS_OUT}]`,
      `  mov [esi+${R_AX}], eax`,
      `  fxsave [esi+${R_FXSAVE}]`,
      `  fnsave [esi+${R_SAVE}]`,
      `  mov dword [esi+${R_INSN}], i${n}`,
      `  mov dword [esi+${R_PREP_FLD}], prep.fld`,
      `  mov [esi+${R_SELF}], esi`,
      `  mov word [esi+${R_CS}], cs`,
      `  mov word [esi+${R_DS}], ds`,
    );
  });
  lines.push(
    '  mov ebp, records',
    `  mov ebx, ${REC * cases.length}`,
    '.wr:',
    '  mov eax, 4',
    '  push ebx',
    '  mov ecx, ebp',
    '  mov edx, ebx',
    '  mov ebx, 1',
    '  int 0x80',
    '  pop ebx',
    '  test eax, eax',
    '  jle .exit',
    '  add ebp, eax',
    '  sub ebx, eax',
    '  jnz .wr',
    '.exit:',
    '  mov eax, 1',
    '  xor ebx, ebx',
    '  int 0x80',
  );
  return lines.join('\n') + '\n';
}

function inputRecords(cases: readonly Case[]): Uint8Array {
  const buf = new Uint8Array(REC * cases.length);
  const view = new DataView(buf.buffer);
  cases.forEach((c, n) => {
    const b = n * REC;
    view.setUint16(b + R_CW, c.cw, true);
    view.setUint32(b + R_EFLAGS_IN, c.eflags, true);
    view.setUint32(b + R_DEPTH, c.stack.length, true);
    c.stack.forEach((v, i) => {
      view.setUint32(b + R_STACK + 10 * i, v[2], true);
      view.setUint32(b + R_STACK + 10 * i + 4, v[1], true);
      view.setUint16(b + R_STACK + 10 * i + 8, v[0], true);
    });
    buf.set(c.mem, b + R_MEM);
  });
  return buf;
}

function hostTools(dir: string): string | null {
  for (const tool of ['nasm', 'ld']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  try {
    writeFileSync(join(dir, 'probe.asm'), 'bits 32\nglobal _start\n_start: mov eax, 1\nmov ebx, 7\nint 0x80\n');
    execFileSync('nasm', ['-f', 'elf32', join(dir, 'probe.asm'), '-o', join(dir, 'probe.o')]);
    execFileSync('ld', ['-m', 'elf_i386', join(dir, 'probe.o'), '-o', join(dir, 'probe')]);
    const run = spawnSync(join(dir, 'probe'));
    if (run.status !== 7) return 'this host cannot run 32-bit i386 ELF programs';
  } catch (e) {
    return `the host toolchain failed: ${(e as Error).message}`;
  }
  return null;
}

function runNative(dir: string, cases: readonly Case[]): Uint8Array {
  writeFileSync(join(dir, 'x87.asm'), assembly(cases));
  execFileSync('nasm', ['-f', 'elf32', '-O0', join(dir, 'x87.asm'), '-o', join(dir, 'x87.o')]);
  execFileSync('ld', ['-m', 'elf_i386', join(dir, 'x87.o'), '-o', join(dir, 'x87')]);
  const run = spawnSync(join(dir, 'x87'), [], { input: inputRecords(cases), maxBuffer: REC * cases.length + 4096 });
  if (run.status !== 0) throw new Error(`native x87 program failed: status ${run.status} signal ${run.signal}`);
  return new Uint8Array(run.stdout);
}

// ---------------------------------------------------------------------------------------------
// The emulation

class RecordMemory implements X87Memory {
  constructor(
    readonly bytes: Uint8Array,
    readonly base: number,
  ) {}
  private at(offset: number, n: number): number {
    const i = offset - this.base;
    if (i < 0 || i + n > this.bytes.length) throw new Error(`access outside the record at 0x${offset.toString(16)}`);
    return i;
  }
  read(_seg: number, offset: number, width: 1 | 2 | 4): number {
    const i = this.at(offset, width);
    let v = 0;
    for (let k = width - 1; k >= 0; k--) v = v * 256 + this.bytes[i + k]!;
    return v;
  }
  write(_seg: number, offset: number, width: 1 | 2 | 4, value: number): void {
    const i = this.at(offset, width);
    for (let k = 0; k < width; k++) this.bytes[i + k] = (value >>> (8 * k)) & 0xff;
  }
  probeWrite(_seg: number, offset: number, length: number): void {
    this.at(offset, length);
  }
}

function emulate(c: Case, native: DataView, n: number): { bytes: Uint8Array; eflags: number; ax: number } {
  const b = n * REC;
  const base = native.getUint32(b + R_SELF, true);
  const cs = native.getUint16(b + R_CS, true);
  const ds = native.getUint16(b + R_DS, true);
  const bytes = inputRecords([c]);
  const mem = new RecordMemory(bytes, base);
  const fillMem = new RecordMemory(new Uint8Array(10), 0x1000);
  fillMem.write(3, 0x1000, 4, FILL[2]);
  fillMem.write(3, 0x1004, 4, FILL[1]);
  fillMem.write(3, 0x1008, 2, FILL[0]);
  const ctx: X87Context = { opsize32: true, protectedMode: true, cs, eip: 0, selectors: [ds, cs, ds, ds, 0, 0], eflags: c.eflags, ax: 0 };
  const x = new X87();
  x.execute(0xdb, 0xe3, -1, 0, mem, ctx);
  for (let k = 0; k < 8; k++) x.execute(0xdb, 0x2d, 3, 0x1000, fillMem, ctx);
  x.execute(0xdb, 0xe3, -1, 0, mem, ctx);
  x.execute(0xd9, 0x2d, 3, base + R_CW, mem, ctx);
  ctx.eip = native.getUint32(b + R_PREP_FLD, true);
  for (let i = c.stack.length - 1; i >= 0; i--) x.execute(0xdb, 0x2f, 3, base + R_STACK + 10 * i, mem, ctx);
  ctx.eip = native.getUint32(b + R_INSN, true);
  ctx.opsize32 = c.prefix !== 0x66;
  if (c.modrm < 0xc0) x.execute(c.opcode, c.modrm, 3, base + R_MEM, mem, ctx);
  else x.execute(c.opcode, c.modrm, -1, 0, mem, ctx);
  ctx.opsize32 = true;
  x.fxsave(mem, 3, base + R_FXSAVE, ctx);
  x.execute(0xdd, 0x36, 3, base + R_SAVE, mem, ctx);
  return { bytes, eflags: ctx.eflags, ax: ctx.ax };
}

// ---------------------------------------------------------------------------------------------
// Comparison

const hex = (bytes: Uint8Array, from: number, n: number): string =>
  Array.from(bytes.subarray(from, from + n), (v) => v.toString(16).padStart(2, '0')).join('');

function reg80(view: DataView, at: number): string {
  return `${view.getUint16(at + 8, true).toString(16).padStart(4, '0')}:${view.getUint32(at + 4, true).toString(16).padStart(8, '0')}${view.getUint32(at, true).toString(16).padStart(8, '0')}`;
}

/** Whether two 80-bit values agree within `ulps` units in the last place (same sign and exponent class). */
function close80(a: DataView, b: DataView, at: number, ulps: number): boolean {
  const sa = a.getUint16(at + 8, true);
  const sb = b.getUint16(at + 8, true);
  const va = Number(BigInt(a.getUint32(at + 4, true)) * 2n ** 32n + BigInt(a.getUint32(at, true)));
  const vb = Number(BigInt(b.getUint32(at + 4, true)) * 2n ** 32n + BigInt(b.getUint32(at, true)));
  if (sa === sb) return Math.abs(va - vb) <= ulps * 2 ** 11 * 1.0001 + ulps;
  // Adjacent binades (e.g. 0x3ffe:ffff… vs 0x3fff:8000…).
  if (Math.abs((sa & 0x7fff) - (sb & 0x7fff)) === 1 && (sa & 0x8000) === (sb & 0x8000)) {
    const lowA = (sa & 0x7fff) < (sb & 0x7fff) ? va / 2 : va;
    const lowB = (sa & 0x7fff) < (sb & 0x7fff) ? vb : vb / 2;
    return Math.abs(lowA - lowB) <= ulps * 2 ** 11 * 2;
  }
  return false;
}

/**
 * FLD m32/m64 of a denormal with DE unmasked: the host (AMD) loads the value; Popek follows the
 * Intel SDM (Vol. 1 §8.5.2: with an unmasked DE "TOP and source operands remain unchanged").
 */
function isUnmaskedDenormalLoad(c: Case, hostSw: number): boolean {
  const load = (c.opcode === 0xd9 || c.opcode === 0xdd) && c.modrm === 0x05;
  return load && (c.cw & 2) === 0 && (hostSw & 2) !== 0;
}

function compare(c: Case, native: Uint8Array, n: number, emu: { bytes: Uint8Array; eflags: number; ax: number }): string[] {
  if (isAliasUnderflow(c)) return [];
  if (isUnmaskedDenormalLoad(c, native[n * REC + R_SAVE + 4]! | (native[n * REC + R_SAVE + 5]! << 8))) return [];
  const nv = new DataView(native.buffer, native.byteOffset + n * REC, REC);
  const ev = new DataView(emu.bytes.buffer, emu.bytes.byteOffset, REC);
  const problems: string[] = [];
  const nb = native.subarray(n * REC, (n + 1) * REC);
  const eb = emu.bytes;
  // Memory operand.
  if (hex(nb, R_MEM, R_MEM_SIZE) !== hex(eb, R_MEM, R_MEM_SIZE)) {
    problems.push(`memory: host ${hex(nb, R_MEM, 28)} popek ${hex(eb, R_MEM, 28)}`);
  }
  const s = R_SAVE;
  const cwN = nv.getUint16(s, true);
  const cwE = ev.getUint16(s, true);
  if (cwN !== cwE) problems.push(`FCW host ${cwN.toString(16)} popek ${cwE.toString(16)}`);
  let swMask = 0xffff;
  if (c.approx) swMask &= ~0x0220; // C1 and PE: float64-precision instructions
  // After an unmasked invalid-operation exception in a comparison the host (AMD) still writes
  // "unordered" to C3/C2/C0 (or ZF/PF/CF); the Intel SDM pseudocode, which Popek follows, leaves
  // them unchanged.
  // The same holds for an unmasked denormal-operand exception.
  const hostSw = nv.getUint16(s + 4, true);
  const unmaskedInvalid = (hostSw & ~c.cw & 0x3) !== 0;
  const compareOp = isCompare(c);
  if (compareOp && unmaskedInvalid) swMask &= ~0x4500;
  const swN = nv.getUint16(s + 4, true) & swMask;
  const swE = ev.getUint16(s + 4, true) & swMask;
  if (swN !== swE) problems.push(`FSW host ${swN.toString(16)} popek ${swE.toString(16)}`);
  const twN = nv.getUint16(s + 8, true);
  const twE = ev.getUint16(s + 8, true);
  if (twN !== twE) problems.push(`FTW host ${twN.toString(16)} popek ${twE.toString(16)}`);
  // A preemption between the instruction and FNSAVE makes the host kernel save and restore the
  // FPU with XSAVE/XRSTOR, and an AMD processor saves FIP/FDP/FOP only while an exception is
  // pending: they come back as zero. A real FIP is never zero here (it points into the program).
  // The same can leave FDP alone zeroed. A genuine FIP is never zero here, and a genuine FDP is
  // zero only when no memory operand was used since FNINIT (then Popek's is zero too).
  const pointersLost = nv.getUint32(s + 12, true) === 0 && (nv.getUint32(s + 16, true) & 0x07ff_0000) === 0;
  const dataPointerLost = nv.getUint32(s + 20, true) === 0 && (nv.getUint32(s + 24, true) & 0xffff) === 0;
  const pointerFields: (readonly [string, number])[] = [];
  if (!pointersLost) pointerFields.push(['FIP', 12], ['FCS/FOP', 16]);
  if (!pointersLost && !dataPointerLost) pointerFields.push(['FDP', 20], ['FDS', 24]);
  // A 64-bit host kernel that saves and restores the FPU across a preemption (XSAVE64/XRSTOR64)
  // keeps FIP/FDP as 64-bit offsets and brings the FCS and FDS selectors back as zero. The test
  // program runs with CS=0x23 and DS=0x2b, so a zero selector on the host means it was lost.
  const selectorLost = (off: number): boolean =>
    (off === 16 || off === 24) && (nv.getUint32(s + off, true) & 0xffff) === 0;
  for (const [name, off] of pointerFields) {
    const keep = selectorLost(off) ? 0xffff_0000 : 0xffff_ffff;
    const a = (nv.getUint32(s + off, true) & keep) >>> 0;
    const e = (ev.getUint32(s + off, true) & keep) >>> 0;
    if (a !== e) problems.push(`${name} host ${a.toString(16)} popek ${e.toString(16)}`);
  }
  for (let i = 0; i < 8; i++) {
    const at = s + 28 + 10 * i;
    const same = hex(nb, at, 10) === hex(eb, at, 10);
    if (!same && c.approx) approxStats.inexact++;
    if (!same && !(c.approx && close80(nv, ev, at, 4))) problems.push(`ST(${i}) host ${reg80(nv, at)} popek ${reg80(ev, at)}`);
  }
  // FXSAVE, legacy area (bytes 0–159). Masked: MXCSR_MASK (the host has SSE); FOP, FIP and FDP
  // when no exception is pending, which an AMD processor then does not store.
  {
    const f = R_FXSAVE;
    const pending = (nv.getUint16(f + 2, true) & 0x80) !== 0;
    // FSW (bytes 2–3) and, for approximate cases, the registers are compared, with their masks,
    // in the FNSAVE image above.
    for (let k = 0; k < (c.approx ? 32 : 160); k += 2) {
      if (k === 2 || (k >= 28 && k < 32)) continue;
      if (!pending && k >= 6 && k < 24 && k !== 12 && k !== 14 && k !== 20 && k !== 22) continue;
      // FCS (12) and FDS (20): a zero selector is one the host lost (see selectorLost above).
      if ((k === 12 || k === 20) && nv.getUint16(f + k, true) === 0) continue;
      if ((pointersLost || dataPointerLost) && k >= 6 && k < 24) continue;
      const a = nv.getUint16(f + k, true);
      const e = ev.getUint16(f + k, true);
      if (a !== e) {
        problems.push(`FXSAVE+${k} host ${a.toString(16)} popek ${e.toString(16)}`);
        break;
      }
    }
  }
  const flagMask = compareOp && unmaskedInvalid ? 0 : 0x8d5;
  if ((nv.getUint32(R_EFLAGS_OUT, true) & flagMask) !== (emu.eflags & flagMask)) {
    problems.push(`EFLAGS host ${(nv.getUint32(R_EFLAGS_OUT, true) & flagMask).toString(16)} popek ${(emu.eflags & flagMask).toString(16)}`);
  }
  if ((nv.getUint32(R_AX, true) & 0xffff) !== (emu.ax & 0xffff)) problems.push(`AX host ${nv.getUint32(R_AX, true).toString(16)} popek ${emu.ax.toString(16)}`);
  return problems;
}

/** The comparisons: FCOM, FCOMP, FUCOM, FCOMI, FICOM, FTST, their popping forms and aliases. */
function isCompare(c: Case): boolean {
  const reg = (c.modrm >> 3) & 7;
  if (c.modrm < 0xc0) return (c.opcode === 0xd8 || c.opcode === 0xda || c.opcode === 0xdc || c.opcode === 0xde) && (reg === 2 || reg === 3);
  if (c.opcode === 0xd8 || c.opcode === 0xdc) return reg === 2 || reg === 3;
  if (c.opcode === 0xde) return reg === 2 || c.modrm === 0xd9;
  if (c.opcode === 0xdd) return reg === 4 || reg === 5;
  if (c.opcode === 0xdb || c.opcode === 0xdf) return reg === 5 || reg === 6;
  if (c.opcode === 0xda) return c.modrm === 0xe9;
  return c.opcode === 0xd9 && c.modrm === 0xe4;
}

/**
 * FSTP1 (D9 D8+i, an undocumented alias of FSTP ST(i)) from an empty ST(0): the host (AMD) stores
 * without a stack-underflow exception; Popek treats the alias exactly as FSTP ST(i).
 */
function isAliasUnderflow(c: Case): boolean {
  return c.opcode === 0xd9 && c.modrm >= 0xd8 && c.modrm <= 0xdf && c.stack.length === 0;
}

function describeCase(c: Case): string {
  const st = c.stack.map((v, i) => `ST(${i})=${v[0].toString(16)}:${v[1].toString(16).padStart(8, '0')}${v[2].toString(16).padStart(8, '0')}`).join(' ');
  return `${c.name} [${c.opcode.toString(16)} ${c.modrm.toString(16)}] cw=${c.cw.toString(16)} ${st} mem=${hex(c.mem, 0, 12)} efl=${c.eflags.toString(16)}`;
}

const PER_SPEC = Number(process.env['X87_DIFF_PER_SPEC'] ?? 100);

/** Registers of float64-precision (approx) cases that differ from the host in the last bits. */
const approxStats = { inexact: 0 };

describe('x87 differential against the host CPU', () => {
  const dir = mkdtempSync(join(tmpdir(), 'popek-x87-'));
  const missing = hostTools(dir);
  it.skipIf(missing !== null)(`agrees with the host on every generated case${missing ? ` (skipped: ${missing})` : ''}`, () => {
    try {
      const r = new Rng();
      const cases: Case[] = [];
      for (const spec of specs()) for (let k = 0; k < PER_SPEC; k++) cases.push(makeCase(r, spec));
      const native = runNative(dir, cases);
      expect(native.length).toBe(REC * cases.length);
      const view = new DataView(native.buffer, native.byteOffset, native.byteLength);
      const failures: string[] = [];
      const byName = new Map<string, number>();
      cases.forEach((c, n) => {
        const problems = compare(c, native, n, emulate(c, view, n));
        if (problems.length > 0) {
          byName.set(c.name, (byName.get(c.name) ?? 0) + 1);
          if (failures.length < Number(process.env['X87_DIFF_SHOW'] ?? 40)) failures.push(`${describeCase(c)}\n    ${problems.join('\n    ')}`);
        }
      });
      const summary = [...byName].map(([k, v]) => `${k}: ${v}`).join(', ');
      const approxCases = cases.filter((c) => c.approx).length;
      console.log(
        `x87 differential: ${cases.length} cases, ${cases.length - [...byName.values()].reduce((a, b) => a + b, 0)} agree; ` +
          `${approxCases} are float64-precision transcendentals, ${approxStats.inexact} of their registers within tolerance but not bit-equal`,
      );
      if (failures.length) console.log(`mismatches by instruction: ${summary}\n${failures.join('\n')}`);
      expect(failures).toEqual([]);
    } finally {
      if (!process.env["X87_DIFF_KEEP"]) rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
