import { describe, expect, it } from 'vitest';
import { Float80Unit, FloatClass, classify } from './float80-unit.js';

/*
 * An independent reference for the unit's core: exact BigInt arithmetic, rounded by a separate
 * (slow, obvious) implementation of IEEE rounding to 24/53/64 bits under the four rounding modes.
 * Operands stay in the normal range, so the reference needs no overflow or underflow rules; the
 * host differential test covers those.
 */

interface Ref {
  se: number;
  sig: bigint;
  inexact: boolean;
  up: boolean;
}

/** Rounds sign · (mag + sticky ε) · 2^exp2 to p bits under rc (0 nearest, 1 down, 2 up, 3 chop). */
function roundRef(sign: number, mag: bigint, exp2: number, sticky: boolean, p: number, rc: number): Ref {
  const bits = mag.toString(2).length;
  let shift = bits - p;
  let kept: bigint;
  let rem = 0n;
  let half = 0n;
  if (shift > 0) {
    kept = mag >> BigInt(shift);
    rem = mag & ((1n << BigInt(shift)) - 1n);
    half = 1n << BigInt(shift - 1);
  } else {
    kept = mag << BigInt(-shift);
  }
  const inexact = rem !== 0n || sticky;
  let inc = false;
  if (inexact) {
    if (rc === 0) inc = rem > half || (rem === half && (sticky || (kept & 1n) === 1n));
    else if (rc === 1) inc = sign === 1;
    else if (rc === 2) inc = sign === 0;
  }
  if (inc) {
    kept += 1n;
    if (kept === 1n << BigInt(p)) {
      kept >>= 1n;
      shift += 1;
    }
  }
  const top = p - 1 + shift + exp2;
  return { se: (sign << 15) | (top + 16383), sig: kept << BigInt(64 - p), inexact, up: inc };
}

function sigOf(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x && x * x <= n && (x + 1n) * (x + 1n) > n) return x;
    x = y;
  }
}

let seed = 0x9e37_79b9;
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

function operand(spread: number): [number, number, number] {
  const shape = rnd() % 4;
  let hi = (rnd() | 0x8000_0000) >>> 0;
  let lo = rnd();
  if (shape === 1) lo = 0;
  if (shape === 2) {
    hi = (hi & 0xffff_ff00) >>> 0;
    lo = 0;
  }
  return [((rnd() & 1) << 15) | (0x3fff + (rnd() % (2 * spread + 1)) - spread), hi, lo];
}

const PCS: [number, number][] = [
  [3, 64],
  [2, 53],
  [0, 24],
];

describe('Float80Unit against a BigInt reference', () => {
  it('classifies encodings as the SDM tables do', () => {
    expect(classify(0, 0, 0)).toBe(FloatClass.Zero);
    expect(classify(0, 0x8000_0000, 0)).toBe(FloatClass.Denormal); // pseudo-denormal
    expect(classify(0x3fff, 0x4000_0000, 0)).toBe(FloatClass.Unsupported); // unnormal
    expect(classify(0x7fff, 0x8000_0000, 0)).toBe(FloatClass.Infinity);
    expect(classify(0x7fff, 0x4000_0000, 0)).toBe(FloatClass.Unsupported); // pseudo-NaN
    expect(classify(0x7fff, 0xc000_0000, 0)).toBe(FloatClass.QNaN);
    expect(classify(0x7fff, 0x8000_0000, 1)).toBe(FloatClass.SNaN);
  });

  for (const op of ['add', 'sub', 'mul', 'div', 'sqrt'] as const) {
    it(`${op} is correctly rounded for every precision and rounding control`, () => {
      const u = new Float80Unit();
      let checked = 0;
      for (const [pc, p] of PCS) {
        for (let rc = 0; rc < 4; rc++) {
          u.cw = 0x037f & ~0x0f00 | (pc << 8) | (rc << 10);
          for (let n = 0; n < 600; n++) {
            const a = operand(op === 'add' || op === 'sub' ? 70 : 200);
            const b = operand(op === 'add' || op === 'sub' ? 70 : 200);
            if (op === 'sqrt') a[0] &= 0x7fff;
            const sa = a[0] >>> 15;
            const sb = b[0] >>> 15;
            const ea = (a[0] & 0x7fff) - 16383 - 63;
            const eb = (b[0] & 0x7fff) - 16383 - 63;
            const ma = sigOf(a[1], a[2]);
            const mb = sigOf(b[1], b[2]);
            let ref: Ref | null;
            u.flags = 0;
            if (op === 'add' || op === 'sub') {
              u.add(a[0], a[1], a[2], b[0], b[1], b[2], op === 'sub');
              const sbb = op === 'sub' ? sb ^ 1 : sb;
              const e = Math.min(ea, eb);
              const va = (sa ? -ma : ma) << BigInt(ea - e);
              const vb = (sbb ? -mb : mb) << BigInt(eb - e);
              const sum = va + vb;
              ref = sum === 0n ? null : roundRef(sum < 0n ? 1 : 0, sum < 0n ? -sum : sum, e, false, p, rc);
            } else if (op === 'mul') {
              u.mul(a[0], a[1], a[2], b[0], b[1], b[2]);
              ref = roundRef(sa ^ sb, ma * mb, ea + eb, false, p, rc);
            } else if (op === 'div') {
              u.div(a[0], a[1], a[2], b[0], b[1], b[2]);
              const num = ma << 130n;
              ref = roundRef(sa ^ sb, num / mb, ea - eb - 130, num % mb !== 0n, p, rc);
            } else {
              u.sqrt(a[0], a[1], a[2]);
              // √(m·2^e): make the exponent even and keep 140 extra bits.
              let m = ma << 140n;
              let e = ea - 140;
              if (e & 1) {
                m <<= 1n;
                e -= 1;
              }
              const r = isqrt(m);
              ref = roundRef(0, r, e / 2, r * r !== m, p, rc);
            }
            if (ref === null) {
              expect(u.hi | u.lo).toBe(0);
              continue;
            }
            const got = `${u.se.toString(16)}:${sigOf(u.hi >>> 0, u.lo >>> 0).toString(16)}`;
            const want = `${ref.se.toString(16)}:${ref.sig.toString(16)}`;
            if (got !== want) throw new Error(`${op} pc=${pc} rc=${rc} a=${a.map((v) => v.toString(16))} b=${b.map((v) => v.toString(16))}: got ${got}, want ${want}`);
            expect((u.flags & 0x20) !== 0).toBe(ref.inexact);
            expect((u.flags & 0x200) !== 0).toBe(ref.up);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThan(6000);
    });
  }

  it('gives exact square roots of perfect squares (no PE) and rounds their neighbours', () => {
    const u = new Float80Unit();
    for (let n = 0; n < 3000; n++) {
      const r = BigInt(rnd() | 0x8000_0000) * 2n ** 32n + BigInt(rnd()) >> BigInt(rnd() % 40);
      const sq = r * r;
      const bits = sq.toString(2).length;
      // Place sq in a 64-bit significand when it fits, else skip (exactness needs ≤ 64 bits).
      if (bits > 64) continue;
      const sig = sq << BigInt(64 - bits);
      const se = 16383 + bits - 1;
      for (const delta of [0n, 1n, -1n]) {
        const s2 = sig + delta;
        if (s2 >> 63n !== 1n) continue;
        u.cw = 0x037f;
        u.flags = 0;
        u.sqrt(se, Number(s2 >> 32n), Number(s2 & 0xffff_ffffn));
        let m = s2 << 140n;
        let e = se - 16383 - 63 - 140;
        if (e & 1) {
          m <<= 1n;
          e -= 1;
        }
        const root = isqrt(m);
        const ref = roundRef(0, root, e / 2, root * root !== m, 64, 0);
        expect(`${u.se.toString(16)}:${sigOf(u.hi >>> 0, u.lo >>> 0).toString(16)}`).toBe(`${ref.se.toString(16)}:${ref.sig.toString(16)}`);
        expect((u.flags & 0x20) !== 0).toBe(ref.inexact);
        if (delta === 0n && (bits & 1) === 1) expect(u.flags & 0x20).toBe(0);
      }
    }
  });

  it('converts float64 and float32 patterns exactly and back with the same bits', () => {
    const u = new Float80Unit();
    const view = new DataView(new ArrayBuffer(8));
    for (let n = 0; n < 5000; n++) {
      const hi = rnd();
      const lo = rnd();
      view.setUint32(0, hi); // big-endian: the high word first
      view.setUint32(4, lo);
      const x = view.getFloat64(0);
      if (Number.isNaN(x)) continue;
      u.flags = 0;
      u.fromF64(hi, lo);
      u.toFloat(u.se, u.hi, u.lo, true);
      expect([u.hi >>> 0, u.lo >>> 0]).toEqual([hi >>> 0, lo >>> 0]);
      expect(u.flags & 0x3d).toBe(0);
      u.fromF32(hi);
      u.toFloat(u.se, u.hi, u.lo, false);
      if ((hi & 0x7f80_0000) !== 0x7f80_0000 || (hi & 0x7f_ffff) === 0) expect(u.hi >>> 0).toBe(hi >>> 0);
    }
  });
});
