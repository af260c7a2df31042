import { decodeState, encodeState } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { X87, X87Result, type X87Context, type X87Memory } from './x87.js';

/** Flat little-endian memory; segment bases are ignored. A fault is a thrown marker object. */
class FlatMemory implements X87Memory {
  readonly bytes = new Uint8Array(0x10000);
  /** Offsets at or above this fault (as a page fault would). */
  faultAt = Infinity;
  reads = 0;
  private check(offset: number, n: number): void {
    if (offset + n > this.faultAt || offset + n > this.bytes.length) throw { fault: 'PF', offset };
  }
  read(_seg: number, offset: number, width: 1 | 2 | 4): number {
    this.check(offset, width);
    this.reads++;
    let v = 0;
    for (let k = width - 1; k >= 0; k--) v = v * 256 + this.bytes[offset + k]!;
    return v;
  }
  write(_seg: number, offset: number, width: 1 | 2 | 4, value: number): void {
    this.check(offset, width);
    for (let k = 0; k < width; k++) this.bytes[offset + k] = (value >>> (8 * k)) & 0xff;
  }
  probeWrite(_seg: number, offset: number, length: number): void {
    this.check(offset, length);
  }
  set80(at: number, se: number, hi: number, lo: number): void {
    this.write(3, at, 4, lo);
    this.write(3, at + 4, 4, hi);
    this.write(3, at + 8, 2, se);
  }
  get80(at: number): string {
    return `${this.read(3, at + 8, 2).toString(16).padStart(4, '0')}:${this.read(3, at + 4, 4).toString(16).padStart(8, '0')}${this.read(3, at, 4).toString(16).padStart(8, '0')}`;
  }
  setF64(at: number, x: number): void {
    const v = new DataView(new ArrayBuffer(8));
    v.setFloat64(0, x, true);
    this.write(3, at, 4, v.getUint32(0, true));
    this.write(3, at + 4, 4, v.getUint32(4, true));
  }
  getF64(at: number): number {
    const v = new DataView(new ArrayBuffer(8));
    v.setUint32(0, this.read(3, at, 4), true);
    v.setUint32(4, this.read(3, at + 4, 4), true);
    return v.getFloat64(0, true);
  }
}

function context(): X87Context {
  return { opsize32: true, protectedMode: true, cs: 0x23, eip: 0x1000, selectors: [0x2b, 0x23, 0x2b, 0x2b, 0, 0], eflags: 0x202, ax: 0 };
}

/** Drives an X87 the way compiled code does: instruction mnemonics mapped to opcode/ModRM. */
class Fpu {
  readonly x = new X87();
  readonly mem = new FlatMemory();
  readonly ctx: { -readonly [K in keyof X87Context]: X87Context[K] } = context();
  constructor() {
    this.run(0xdb, 0xe3); // FNINIT
  }
  /** Register form (or no operand). */
  run(opcode: number, modrm: number): X87Result {
    return this.x.execute(opcode, modrm, -1, 0, this.mem, this.ctx);
  }
  /** Memory form: reg field and absolute offset (DS). */
  runMem(opcode: number, reg: number, offset: number): X87Result {
    return this.x.execute(opcode, (reg << 3) | 5, 3, offset, this.mem, this.ctx);
  }
  fld80(se: number, hi: number, lo: number): void {
    this.mem.set80(0x100, se, hi, lo);
    this.runMem(0xdb, 5, 0x100);
  }
  fldF64(x: number): void {
    this.mem.setF64(0x110, x);
    this.runMem(0xdd, 0, 0x110);
  }
  fldcw(cw: number): void {
    this.mem.write(3, 0x120, 2, cw);
    this.runMem(0xd9, 5, 0x120);
  }
  /** FSTP m80 of ST(0) as "se:hihhhhhhlolololo". */
  fstp80(): string {
    this.runMem(0xdb, 7, 0x200);
    return this.mem.get80(0x200);
  }
  st(i: number): string {
    const out = new Uint32Array(3);
    this.x.readRegister(i, out);
    return `${out[0]!.toString(16).padStart(4, '0')}:${out[1]!.toString(16).padStart(8, '0')}${out[2]!.toString(16).padStart(8, '0')}`;
  }
  get sw(): number {
    return this.x.statusWord;
  }
}

const ONE: [number, number, number] = [0x3fff, 0x8000_0000, 0];
const THREE: [number, number, number] = [0x4000, 0xc000_0000, 0];

describe('X87 loads and stores', () => {
  it('round-trips every 80-bit encoding bit-exactly through FLD m80 / FSTP m80', () => {
    const f = new Fpu();
    const patterns: [number, number, number][] = [
      [0x7fff, 0xc123_4567, 0x89ab_cdef], // QNaN payload
      [0xffff, 0x8000_0000, 0x0000_0001], // SNaN: FLD m80 does not quiet it
      [0x0000, 0x8000_0000, 0x0000_0001], // pseudo-denormal
      [0x1234, 0x4000_0000, 0x0000_0000], // unnormal
      [0x7fff, 0x0000_0000, 0x0000_0000], // pseudo-infinity
      [0x8000, 0x0000_0000, 0x0000_0000], // −0
      [0x0000, 0x0000_0000, 0x0000_0001], // smallest denormal
      [0x7ffe, 0xffff_ffff, 0xffff_ffff], // largest normal
    ];
    for (const [se, hi, lo] of patterns) {
      f.fld80(se, hi, lo);
      expect(f.fstp80()).toBe(`${se.toString(16).padStart(4, '0')}:${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}`);
    }
    expect(f.sw & 0x3f).toBe(0);
  });

  it('converts FILD/FISTP m64 over the full signed 64-bit range without loss', () => {
    const f = new Fpu();
    const values = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 0x0123_4567_89ab_cdefn, -0x7edc_ba98_7654_3211n, 2n ** 53n + 1n];
    for (const v of values) {
      const u = BigInt.asUintN(64, v);
      f.mem.write(3, 0x300, 4, Number(u & 0xffff_ffffn));
      f.mem.write(3, 0x304, 4, Number(u >> 32n));
      f.runMem(0xdf, 5, 0x300); // FILD m64
      f.runMem(0xdf, 7, 0x310); // FISTP m64
      const back = BigInt.asIntN(64, (BigInt(f.mem.read(3, 0x314, 4)) << 32n) | BigInt(f.mem.read(3, 0x310, 4)));
      expect(back).toBe(v);
    }
    expect(f.sw & 0x3f).toBe(0);
  });

  it('stores the integer indefinite and raises IE for an out-of-range FIST', () => {
    const f = new Fpu();
    f.fldF64(40000);
    f.runMem(0xdf, 3, 0x300); // FISTP m16
    expect(f.mem.read(3, 0x300, 2)).toBe(0x8000);
    expect(f.sw & 1).toBe(1);
  });

  it('rounds FIST under every rounding control and reports round-up in C1', () => {
    const expected = [
      [2, 2, 3, 2], // 2.5: nearest-even, down, up, chop
      [-2, -3, -2, -2], // −2.5
      [4, 3, 4, 3], // 3.5
    ];
    [2.5, -2.5, 3.5].forEach((x, row) => {
      for (let rc = 0; rc < 4; rc++) {
        const f = new Fpu();
        f.fldcw(0x037f | (rc << 10));
        f.fldF64(x);
        f.runMem(0xdb, 3, 0x300); // FISTP m32
        expect(f.mem.read(3, 0x300, 4) | 0).toBe(expected[row]![rc]);
        expect(f.sw & 0x20).toBe(0x20); // PE
        expect((f.sw & 0x200) !== 0).toBe(Math.abs(expected[row]![rc]!) > Math.abs(x));
      }
    });
  });

  it('packs and unpacks BCD exactly and stores the BCD indefinite beyond 18 digits', () => {
    const f = new Fpu();
    // −123456789012345678
    const bcd = [0x78, 0x56, 0x34, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x80];
    bcd.forEach((b, k) => f.mem.write(3, 0x400 + k, 1, b));
    f.runMem(0xdf, 4, 0x400); // FBLD
    f.runMem(0xdf, 6, 0x410); // FBSTP
    expect(Array.from(f.mem.bytes.subarray(0x410, 0x41a))).toEqual(bcd);
    f.fldF64(1e18);
    f.runMem(0xdf, 6, 0x420);
    expect(Array.from(f.mem.bytes.subarray(0x420, 0x42a))).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
    expect(f.sw & 1).toBe(1);
  });

  it('rounds FST m64 to double precision under RC, whatever PC says', () => {
    const f = new Fpu();
    f.fld80(...ONE);
    f.fld80(...THREE);
    f.run(0xde, 0xf9); // FDIVP: 1/3
    f.runMem(0xdd, 2, 0x500); // FST m64
    expect(f.mem.getF64(0x500)).toBe(1 / 3);
    f.fldcw(0x087f); // round up, single-precision PC (which stores ignore)
    f.runMem(0xdd, 2, 0x500);
    expect(f.mem.getF64(0x500)).toBeGreaterThan(1 / 3);
  });
});

describe('X87 arithmetic', () => {
  it('divides in true 80-bit precision, honouring PC and RC', () => {
    const cases: [number, string][] = [
      [0x037f, '3ffd:aaaaaaaaaaaaaaab'], // extended, nearest
      [0x0f7f, '3ffd:aaaaaaaaaaaaaaaa'], // extended, chop
      [0x027f, '3ffd:aaaaaaaaaaaaa800'], // double, nearest
      [0x007f, '3ffd:aaaaab0000000000'], // single, nearest
      [0x0b7f, '3ffd:aaaaaaaaaaaaaaab'], // extended, up
      [0x077f, '3ffd:aaaaaaaaaaaaaaaa'], // extended, down
    ];
    for (const [cw, want] of cases) {
      const f = new Fpu();
      f.fldcw(cw);
      f.fld80(...THREE);
      f.fld80(...ONE);
      f.run(0xd8, 0xf1); // FDIV ST(0), ST(1): 1/3
      expect(f.st(0)).toBe(want);
      expect(f.sw & 0x20).toBe(0x20);
    }
  });

  it('computes a correctly rounded square root', () => {
    const f = new Fpu();
    f.fldF64(2);
    f.run(0xd9, 0xfa); // FSQRT
    expect(f.st(0)).toBe('3fff:b504f333f9de6484');
    f.fldF64(0.25);
    f.run(0xd9, 0xfa);
    expect(f.st(0)).toBe('3ffe:8000000000000000');
    expect(f.sw & 0x20).toBe(0x20); // from the first, inexact root
  });

  it('adds exactly when the 64-bit result is exact and sets PE only when it is not', () => {
    const f = new Fpu();
    f.fld80(0x403e, 0xffff_ffff, 0xffff_fffe); // 2^64 − 2
    f.fld80(...ONE);
    f.run(0xde, 0xc1); // FADDP: 2^64 − 1, exact
    expect(f.st(0)).toBe('403e:ffffffffffffffff');
    expect(f.sw & 0x20).toBe(0);
    f.fld80(...ONE);
    f.run(0xde, 0xc1); // 2^64: exact after carry
    expect(f.st(0)).toBe('403f:8000000000000000');
    f.fld80(0x3fff - 64, 0x8000_0000, 0); // 2^−64
    f.run(0xde, 0xc1);
    expect(f.st(0)).toBe('403f:8000000000000000');
    expect(f.sw & 0x20).toBe(0x20);
  });

  it('raises ZE for a division by zero: masked gives ∞, unmasked leaves the operands and pends #MF', () => {
    const f = new Fpu();
    f.fld80(0, 0, 0);
    f.fld80(...ONE);
    f.run(0xd8, 0xf1);
    expect(f.st(0)).toBe('7fff:8000000000000000');
    expect(f.sw & 4).toBe(4);
    expect(f.x.pendingException).toBe(false);

    const g = new Fpu();
    g.fldcw(0x037b); // ZM = 0
    g.fld80(0, 0, 0);
    g.fld80(...ONE);
    g.run(0xd8, 0xf1);
    expect(g.st(0)).toBe('3fff:8000000000000000');
    expect(g.x.pendingException).toBe(true);
    expect(g.sw & 0x8084).toBe(0x8084); // B, ES, ZE
    g.run(0xdb, 0xe2); // FNCLEX
    expect(g.x.pendingException).toBe(false);
  });

  it('delivers the exponent-wrapped result for an unmasked overflow', () => {
    const f = new Fpu();
    f.fldcw(0x0377); // OM = 0
    f.fld80(0x7ffe, 0x8000_0000, 0);
    f.fld80(0x7ffe, 0x8000_0000, 0);
    f.run(0xd8, 0xc9); // FMUL: 2^32767 · 2^32767
    expect(f.st(0)).toBe(`${(0x7ffe + 0x7ffe - 0x3fff - 0x6000).toString(16)}:8000000000000000`);
    expect(f.sw & 0x88).toBe(0x88);
  });

  it('produces a denormal with UE and PE for a masked inexact underflow', () => {
    const f = new Fpu();
    f.fld80(0x0001, 0xc000_0000, 1); // smallest normal × 1.5 (+ 1 ulp)
    f.fld80(0x3ffe, 0x8000_0000, 0); // 0.5
    f.run(0xd8, 0xc9);
    expect(f.st(0)).toBe('0000:6000000000000000');
    expect(f.sw & 0x30).toBe(0x30);
  });

  it('computes FPREM quotient bits in C0/C3/C1 and FPREM1 rounds the quotient', () => {
    const f = new Fpu();
    f.fldF64(3);
    f.fldF64(17); // 17 = 5·3 + 2
    f.run(0xd9, 0xf8); // FPREM
    expect(f.st(0)).toBe('4000:8000000000000000'); // 2
    expect(f.sw & 0x4700).toBe(0x0300); // Q = 5 = 101b: C0 = Q2 = 1, C3 = Q1 = 0, C1 = Q0 = 1
    const g = new Fpu();
    g.fldF64(3);
    g.fldF64(17);
    g.run(0xd9, 0xf5); // FPREM1: 17 = 6·3 − 1
    expect(g.st(0)).toBe('bfff:8000000000000000'); // −1
    expect(g.sw & 0x4700).toBe(0x4100); // Q = 6 = 110b: C0 = 1, C3 = 1, C1 = 0
  });

  it('loads the constants rounded per RC (FLDPI)', () => {
    const f = new Fpu();
    f.run(0xd9, 0xeb);
    expect(f.st(0)).toBe('4000:c90fdaa22168c235');
    f.fldcw(0x077f); // down
    f.run(0xd9, 0xeb);
    expect(f.st(0)).toBe('4000:c90fdaa22168c234');
  });

  it('evaluates the transcendentals to float64 accuracy', () => {
    const f = new Fpu();
    f.fldF64(0.5);
    f.run(0xd9, 0xfe); // FSIN
    f.runMem(0xdd, 3, 0x500);
    expect(f.mem.getF64(0x500)).toBeCloseTo(Math.sin(0.5), 15);
    f.fldF64(1);
    f.fldF64(8);
    f.run(0xd9, 0xf1); // FYL2X: 1·log2(8)
    f.runMem(0xdd, 3, 0x500);
    expect(f.mem.getF64(0x500)).toBe(3);
    f.fldF64(1e10);
    f.run(0xd9, 0xff); // FCOS: in range (below 2^63), reduced with the x87's 66-bit π
    expect(f.sw & 0x400).toBe(0);
    f.runMem(0xdd, 2, 0x500);
    expect(f.mem.getF64(0x500)).toBeCloseTo(Math.cos(1e10), 8);
    f.fld80(0x403f, 0x8000_0000, 0); // 2^64: out of range
    f.run(0xd9, 0xfe);
    expect(f.sw & 0x400).toBe(0x400);
    expect(f.st(0)).toBe('403f:8000000000000000');
  });
});

describe('X87 stack and exceptions', () => {
  it('pushes the indefinite on masked stack overflow with IE, SF and C1 = 1', () => {
    const f = new Fpu();
    for (let k = 0; k < 8; k++) f.fld80(...ONE);
    expect(f.sw & 0x7f).toBe(0);
    f.fld80(...THREE);
    expect(f.sw & 0x0241).toBe(0x0241);
    expect(f.st(0)).toBe('ffff:c000000000000000');
  });

  it('leaves the stack alone on unmasked stack underflow and flags the pending exception', () => {
    const f = new Fpu();
    f.fldcw(0x037e);
    f.run(0xd8, 0xc1); // FADD ST(0), ST(1) on an empty stack
    expect(f.sw & 0x02c1).toBe(0x00c1); // ES, SF, IE, C1 = 0
    expect(f.x.tagWord).toBe(0xffff);
    expect(f.x.pendingException).toBe(true);
  });

  it('recomputes ES when FLDCW unmasks an already-raised exception', () => {
    const f = new Fpu();
    f.fldF64(1);
    f.fldF64(0);
    f.run(0xde, 0xf9); // 1/0, masked
    expect(f.x.pendingException).toBe(false);
    f.fldcw(0x037b);
    expect(f.x.pendingException).toBe(true);
    f.fldcw(0x037f);
    expect(f.x.pendingException).toBe(false);
  });

  it('writes EFLAGS for FCOMI, AX for FNSTSW AX, and reads EFLAGS for FCMOVcc', () => {
    const f = new Fpu();
    f.fldF64(2);
    f.fldF64(1);
    f.ctx.eflags = 0x8d5 | 0x202;
    f.run(0xdb, 0xf1); // FCOMI ST(0), ST(1): 1 < 2
    expect(f.ctx.eflags & 0x8d5).toBe(0x001);
    expect(f.ctx.eflags & 0x202).toBe(0x202);
    f.run(0xdf, 0xe0); // FNSTSW AX
    expect(f.ctx.ax).toBe(f.sw);
    f.run(0xda, 0xc1); // FCMOVB: CF = 1, so ST(0) ← ST(1)
    expect(f.st(0)).toBe('4000:8000000000000000');
    f.ctx.eflags = 0x202;
    f.fldF64(5);
    f.run(0xda, 0xc1); // CF = 0: no move
    expect(f.st(0)).toBe('4001:a000000000000000');
  });

  it('reports the P6-undefined encodings (FISTTP, reserved slots) as invalid opcodes without changing state', () => {
    const f = new Fpu();
    f.fldF64(1.5);
    const before = encodeState(f.x.saveState());
    for (const [op, modrm] of [
      [0xdf, 0x0d], // FISTTP m16
      [0xdb, 0x0d], // FISTTP m32
      [0xdd, 0x0d], // FISTTP m64
      [0xd9, 0x0d], // D9 /1
      [0xdb, 0x25], // DB /4
      [0xdd, 0x2d], // DD /5
      [0xd9, 0xd1],
      [0xd9, 0xef],
      [0xda, 0xe8],
      [0xdb, 0xe5],
      [0xde, 0xd8],
      [0xdf, 0xe1],
      [0xdf, 0xf8],
    ]) {
      expect(f.x.execute(op!, modrm!, modrm! < 0xc0 ? 3 : -1, 0x600, f.mem, f.ctx)).toBe(X87Result.InvalidOpcode);
    }
    expect(encodeState(f.x.saveState())).toEqual(before);
  });

  it('executes the undocumented P6 aliases (FSTP1, FXCH4, FCOMP5, FFREEP)', () => {
    const f = new Fpu();
    f.fldF64(1);
    f.fldF64(2);
    f.run(0xdd, 0xc9); // FXCH4 ST(1)
    expect(f.st(0)).toBe('3fff:8000000000000000');
    f.run(0xd9, 0xd9); // FSTP1 ST(1)
    expect(f.st(0)).toBe('3fff:8000000000000000');
    expect(f.x.tagWord).toBe(0x3fff);
    f.run(0xdf, 0xc0); // FFREEP ST(0)
    expect(f.x.tagWord).toBe(0xffff);
  });
});

describe('X87 instruction and data pointers, environment and state images', () => {
  it('records FIP/FCS/FOP/FDP/FDS for non-control instructions only', () => {
    const f = new Fpu();
    f.ctx.eip = 0x4321;
    f.fldF64(1.25); // DD 05 at 0x4321, operand 0x110
    f.ctx.eip = 0x5555;
    f.fldcw(0x037f); // control: no update
    f.runMem(0xd9, 6, 0x700); // FNSTENV
    expect(f.mem.read(3, 0x700 + 12, 4)).toBe(0x4321);
    expect(f.mem.read(3, 0x700 + 16, 4)).toBe(0x23 | (0x505 << 16));
    expect(f.mem.read(3, 0x700 + 20, 4)).toBe(0x110);
    expect(f.mem.read(3, 0x700 + 24, 2)).toBe(0x2b);
    // FNSTENV masks all exceptions afterwards.
    expect(f.x.controlWord & 0x3f).toBe(0x3f);
  });

  it('saves real-mode 16-bit images with 20-bit linear pointers', () => {
    const f = new Fpu();
    f.ctx.protectedMode = false;
    f.ctx.opsize32 = false;
    f.ctx.cs = 0x1234;
    f.ctx.eip = 0x0010;
    f.ctx.selectors = [0, 0x1234, 0, 0x2000, 0, 0];
    f.fldF64(1); // FDP = 0x110, DS = 0x2000
    f.runMem(0xd9, 6, 0x700); // FNSTENV (14 bytes)
    expect(f.mem.read(3, 0x706, 2)).toBe(0x2350); // IP 15..0 of 0x12350
    expect(f.mem.read(3, 0x708, 2)).toBe((0x1 << 12) | 0x505);
    expect(f.mem.read(3, 0x70a, 2)).toBe(0x0110); // DP 15..0 of 0x20110
    expect(f.mem.read(3, 0x70c, 2)).toBe(0x2 << 12);
  });

  for (const [label, opsize32, protectedMode] of [
    ['32-bit protected', true, true],
    ['32-bit real', true, false],
    ['16-bit protected', false, true],
    ['16-bit real', false, false],
  ] as const) {
    it(`round-trips FNSAVE/FRSTOR in the ${label} format`, () => {
      const f = new Fpu();
      f.ctx.opsize32 = opsize32;
      f.ctx.protectedMode = protectedMode;
      f.fldcw(0x0a72); // some exceptions unmasked, RC up, PC double
      f.fld80(0x7fff, 0xc000_0000, 5);
      f.fld80(0x0000, 0x8000_0000, 1);
      f.fldF64(-0);
      f.fldF64(0.1);
      f.run(0xd9, 0xe8 + 3); // FLDPI
      const before = f.x.saveState();
      f.runMem(0xdd, 6, 0x800); // FNSAVE, then FNINIT
      expect(f.x.tagWord).toBe(0xffff);
      f.runMem(0xdd, 4, 0x800); // FRSTOR
      const after = f.x.saveState() as Record<string, unknown>;
      const want = before as Record<string, unknown>;
      expect(after['regs']).toEqual(want['regs']);
      expect(after['cw']).toBe(want['cw']);
      expect(after['sw']).toBe(want['sw']);
      expect(after['tw']).toBe(want['tw']);
      if (opsize32) expect(after['fop']).toBe(want['fop']);
    });
  }

  it('round-trips FXSAVE/FXRSTOR with the abridged tag word, MXCSR reset value and MXCSR_MASK 0', () => {
    const f = new Fpu();
    f.fldF64(3);
    f.fldF64(0);
    f.fld80(0x7fff, 0x8000_0000, 0);
    const before = encodeState(f.x.saveState());
    f.mem.bytes.fill(0xee, 0x1000, 0x1200);
    f.x.fxsave(f.mem, 3, 0x1000, f.ctx);
    expect(f.mem.read(3, 0x1004, 1)).toBe(0xe0); // R5, R6, R7 valid
    expect(f.mem.read(3, 0x1018, 4)).toBe(0x1f80);
    expect(f.mem.read(3, 0x101c, 4)).toBe(0);
    expect(f.mem.read(3, 0x10a0, 4)).toBe(0xeeee_eeee); // XMM area untouched
    f.run(0xdb, 0xe3);
    f.x.fxrstor(f.mem, 3, 0x1000, f.ctx);
    expect(encodeState(f.x.saveState())).toEqual(before);
  });

  it('leaves the FPU unchanged when a store faults part-way (probeWrite first)', () => {
    const f = new Fpu();
    f.fldF64(1.5);
    const before = encodeState(f.x.saveState());
    f.mem.faultAt = 0x904;
    expect(() => f.runMem(0xdd, 3, 0x900)).toThrow(); // FSTP m64 across the fault
    expect(encodeState(f.x.saveState())).toEqual(before);
    expect(f.mem.bytes[0x900]).toBe(0);
    expect(() => f.runMem(0xdc, 0, 0x900)).toThrow(); // FADD m64 read fault
    expect(encodeState(f.x.saveState())).toEqual(before);
    expect(() => f.runMem(0xdd, 6, 0x8f0)).toThrow(); // FNSAVE
    expect(encodeState(f.x.saveState())).toEqual(before);
  });
});

describe('X87 snapshot', () => {
  it('round-trips: save, construct fresh, load, save gives an identical encoding', () => {
    const a = new Fpu();
    a.fldcw(0x0b62);
    a.fld80(0x0000, 0x8000_0000, 7);
    a.fldF64(Math.E);
    a.run(0xd9, 0xfa);
    a.run(0xd8, 0xf1);
    const saved = a.x.saveState();
    const b = new X87();
    b.loadState(decodeState(encodeState(saved)));
    expect(encodeState(b.saveState())).toEqual(encodeState(saved));
    // And the restored FPU behaves the same.
    const mem = new FlatMemory();
    const ctx = context();
    a.x.execute(0xd9, 0xfa, -1, 0, mem, ctx);
    b.execute(0xd9, 0xfa, -1, 0, mem, ctx);
    expect(encodeState(b.saveState())).toEqual(encodeState(a.x.saveState()));
  });

  it('rejects malformed state instead of loading it', () => {
    const x = new X87();
    expect(() => x.loadState({ regs: new Uint32Array(3) })).toThrow(TypeError);
    const good = x.saveState() as Record<string, unknown>;
    expect(() => x.loadState({ ...(good as object), fop: 0x1000 } as never)).toThrow(/out of range/);
  });
});

describe('X87 against a hostile guest', () => {
  it('never throws a host exception for any encoding, operand or state image', () => {
    let seed = 0x2545_f491;
    const rnd = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const f = new Fpu();
    for (let k = 0; k < 0x1000; k++) f.mem.bytes[k] = rnd() & 0xff;
    for (let n = 0; n < 60_000; n++) {
      const opcode = 0xd8 + (rnd() & 7);
      const modrm = rnd() & 0xff;
      f.ctx.eflags = rnd();
      f.ctx.opsize32 = (n & 1) === 0;
      f.ctx.protectedMode = (n & 2) === 0;
      if ((n & 255) === 0) {
        for (let k = 0; k < 0x200; k++) f.mem.bytes[k] = rnd() & 0xff;
        f.x.fxrstor(f.mem, 3, 0, f.ctx);
      }
      const r = f.x.execute(opcode, modrm, modrm < 0xc0 ? 3 : -1, rnd() & 0x3ff, f.mem, f.ctx);
      expect(r === X87Result.Done || r === X87Result.InvalidOpcode).toBe(true);
    }
    // The state stays a valid, restorable value.
    const y = new X87();
    y.loadState(f.x.saveState());
    expect(encodeState(y.saveState())).toEqual(encodeState(f.x.saveState()));
  });
});
