/**
 * Seeded random programs (integer instructions of every operand size over registers and memory,
 * flag producers and consumers, short branches, calls within the page) run under the translator
 * and the interpreter: registers, flags, retired count and the data they wrote must agree.
 */
import { SliceExit } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { DATA, randomProgram } from '../test/support/random-program.js';
import { archState, hasNasm, twin } from '../test/support/rig.js';

const PROGRAMS = 160;

describe.skipIf(!hasNasm)('binary translator: random programs agree with the interpreter', () => {
  it(`${PROGRAMS} loops whose back edge is a RET (every iteration through the block cache)`, () => {
    const mismatches: number[] = [];
    for (let seed = 1; seed <= PROGRAMS; seed++) {
      const src = randomProgram(seed, 'ret');
      const { bt, ref } = twin((r) => {
        r.load(src);
        for (let i = 0; i < 0x100; i += 4) r.setU32(DATA + i, Math.imul(i + 1, 0x9e3779b9) >>> 0);
      });
      expect(ref.run(1_000_000)).toBe(SliceExit.Halted);
      expect(bt.run(1_000_000)).toBe(SliceExit.Halted);
      const same =
        JSON.stringify(archState(bt)) === JSON.stringify(archState(ref)) &&
        bt.bus.ram.subarray(DATA, DATA + 0x108).every((b, i) => b === ref.bus.ram[DATA + i]);
      if (!same) mismatches.push(seed);
    }
    expect(mismatches).toEqual([]);
  }, 60_000);
});
