import { decodeState, encodeState } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { SliceExit } from '@popek/core';
import { assemble } from '../test/support/nasm.js';
import { flatProtected, makeCpu } from '../test/support/machine.js';

function load(t: ReturnType<typeof makeCpu>, at: number, src: string): void {
  t.bus.ram.set(assemble(`bits 32\norg ${at}\n${src}`), at);
}

describe('X86Cpu', () => {
  it('runs a counting loop in flat protected mode and halts', () => {
    const t = makeCpu();
    load(t, 0x1000, `
      xor eax, eax
      mov ecx, 10
    l: add eax, ecx
      loop l
      hlt`);
    flatProtected(t.cpu, 0x1000);
    expect(t.cpu.runSlice(1000)).toBe(SliceExit.Halted);
    expect(t.cpu.regs[0]).toBe(55);
    expect(t.cpu.retired()).toBe(2 + 20 + 1);
  });

  it('starts at F000:FFF0 in real mode after reset', () => {
    const t = makeCpu();
    expect(t.cpu.segSel[1]).toBe(0xf000);
    expect(t.cpu.eip).toBe(0xfff0);
    expect(t.cpu.protectedMode).toBe(false);
  });

  it('round-trips its state through a snapshot', () => {
    const t = makeCpu();
    load(t, 0x1000, `mov eax, 0x12345678\n mov ebx, eax\n add ebx, 0x80000000\n hlt`);
    flatProtected(t.cpu, 0x1000);
    t.cpu.runSlice(3);
    const a = encodeState(t.cpu.saveState());
    const u = makeCpu();
    u.cpu.loadState(decodeState(a));
    expect(encodeState(u.cpu.saveState())).toEqual(a);
    expect(u.cpu.regs[3]).toBe(t.cpu.regs[3]);
    expect(u.cpu.cf()).toBe(t.cpu.cf());
  });

  it('retires a REP MOVSD/STOSD once per 4096 iterations, whether or not the TLB already maps the pages', () => {
    // Deterministic guest time counts retirements, so the chunking of a long REP string must not
    // depend on the TLB (nor on which pages an engine write-traces).
    const t = makeCpu();
    load(t, 0x1000, `
      mov esi, 0x100000
      mov edi, 0x200000
      mov ecx, 10000
      rep movsd
      mov edi, 0x300000
      mov ecx, 10000
      rep stosd
      hlt`);
    const counts: number[] = [];
    flatProtected(t.cpu, 0x1000); // flushes the TLB
    for (const warm of [false, true]) {
      t.cpu.eip = 0x1000;
      t.cpu.halted = false;
      const before = t.cpu.retired();
      expect(t.cpu.runSlice(1000), warm ? 'warm TLB' : 'cold TLB').toBe(SliceExit.Halted);
      counts.push(t.cpu.retired() - before);
    }
    // 3 + 3 MOVs, ceil(10000 / 4096) = 3 retirements of each REP, HLT.
    expect(counts).toEqual([12, 12]);
    expect(t.cpu.regs[1]).toBe(0);
    expect(t.cpu.regs[7]).toBe(0x300000 + 40000);
  });

  it.each([
    ['bytes, moved up by 3 over themselves', 1, 0x20ff0, 0x20ff3, 3000],
    ['words, moved down by 6 over themselves (the copy repeats the first ones)', 2, 0x21ffe, 0x21ff8, 1500],
    ['dwords, moved up by 5 bytes over themselves', 4, 0x23ffc, 0x24001, 1000],
    ['dwords, moved up across pages without overlap', 4, 0x24ffc, 0x28000, 4000],
    ['dwords, moved down across pages without overlap', 4, 0x2fffc, 0x27002, 2000],
  ])('REP MOVS with DF = 1 (%s) copies element by element from the highest down, whether or not the TLB maps the pages', (_name, size, si, di, count) => {
    const op = size === 1 ? 'movsb' : size === 2 ? 'movsw' : 'movsd';
    const base = 0x20000;
    const span = 0x10000;
    const pattern = Uint8Array.from({ length: span }, (_, i) => (i * 37 + (i >> 8)) & 0xff);
    // The model: one element at a time, the element read whole before it is written.
    const want = pattern.slice();
    for (let i = 0, s = si - base, d = di - base; i < count; i++, s -= size, d -= size) want.set(want.slice(s, s + size), d);
    const t = makeCpu();
    load(t, 0x1000, `
      std
      rep ${op}
      cld
      hlt`);
    flatProtected(t.cpu, 0x1000); // flushes the TLB
    for (const warm of [false, true]) {
      t.bus.ram.set(pattern, base);
      t.cpu.eip = 0x1000;
      t.cpu.halted = false;
      t.cpu.regs[6] = si;
      t.cpu.regs[7] = di;
      t.cpu.regs[1] = count;
      expect(t.cpu.runSlice(1000), warm ? 'warm TLB' : 'cold TLB').toBe(SliceExit.Halted);
      expect(t.bus.ram.subarray(base, base + span), warm ? 'warm TLB' : 'cold TLB').toEqual(want);
      expect([t.cpu.regs[6], t.cpu.regs[7], t.cpu.regs[1]]).toEqual([si - count * size, di - count * size, 0]);
    }
  });

  it('saves the same state after HLT whether the slice ended on the HLT or went on', () => {
    const halted = (slice: number): Uint8Array => {
      const t = makeCpu();
      load(t, 0x1000, `mov eax, 1\n hlt`);
      flatProtected(t.cpu, 0x1000);
      expect(t.cpu.runSlice(slice)).toBe(SliceExit.Halted);
      expect(t.cpu.runSlice(5)).toBe(SliceExit.Halted);
      return encodeState(t.cpu.saveState());
    };
    expect(halted(2)).toEqual(halted(100));
  });
});
