/**
 * Guest time under the binary translator: interrupts are taken within a block's bound of being
 * raised, deterministically, and slices end on exactly the instruction the interpreter ends them
 * on, with the same registers.
 */
import { SliceExit } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { WARMUP, archState, hasNasm, makeRig, regs, type ArchState, type Engine, type Rig, type RigOptions } from '../test/support/rig.js';

const VECTOR = 0x20;
const HANDLER = 0x18000;
const RECORD = 0x20000;

/** The handler records EAX and the count, then halts (IF stays clear: an interrupt gate). */
const HANDLER_SRC = `
    mov [${RECORD}], eax
    inc dword [${RECORD + 4}]
    hlt
    jmp $ - 1
`;

/**
 * A rig that runs `loop` with interrupts enabled after the warm-up and raises {@link VECTOR} on
 * the `nth` write to port 0x81 (the handler records EAX and halts).
 */
function rigRaisingOnOut(engine: Engine, loop: string, nth: number, options: RigOptions = {}): Rig {
  const r = makeRig(engine, options);
  r.load(`${WARMUP}\n    sti\n${loop}`);
  r.load(HANDLER_SRC, HANDLER);
  r.setGate(VECTOR, HANDLER);
  let outs = 0;
  r.bus.mapPorts(0x81, 1, {
    read: () => 0xff,
    write: () => {
      if (++outs === nth) r.pic.pending.push(VECTOR);
    },
  });
  return r;
}

const TIGHT = `
l:  inc eax
    jmp l
`;

// 47 INCs and a JMP: one full-size (48-instruction) block looping on itself.
const LONG = `
l:  times 47 inc eax
    jmp l
`;

describe.skipIf(!hasNasm)('binary translator: interrupt latency', () => {
  it.each([
    ['a two-instruction loop', TIGHT],
    ['a loop of 48-instruction blocks', LONG],
  ])('an interrupt raised between slices in %s is taken at the first boundary of the next slice, the same on every run and as under the interpreter', (_name, loop) => {
    const run = (engine: Engine, slice: number): { eax: number; state: ReturnType<typeof archState> } => {
      const r = makeRig(engine);
      r.load(`${WARMUP}\n    sti\n${loop}`);
      r.load(HANDLER_SRC, HANDLER);
      r.setGate(VECTOR, HANDLER);
      expect(r.cpu.runSlice(slice)).toBe(SliceExit.Budget);
      expect(r.cpu.retired()).toBe(slice);
      const eaxAtRaise = regs(r).eax;
      r.pic.pending.push(VECTOR);
      // Within one block of being raised (here: at once, the slice starts on a boundary).
      expect(r.cpu.runSlice(48)).toBe(SliceExit.Halted);
      expect(r.u32(RECORD + 4)).toBe(1);
      expect(r.u32(RECORD)).toBe(eaxAtRaise);
      return { eax: r.u32(RECORD), state: archState(r) };
    };
    for (const slice of [10_000, 10_001, 12_345]) {
      const first = run('bt', slice);
      expect(run('bt', slice)).toEqual(first);
      expect(first).toEqual(run('interp', slice));
    }
  });

  it('an interrupt a device raises in the middle of a slice (on an OUT) is taken right after that instruction, as under the interpreter', () => {
    const loop = `
l:  inc eax
    test eax, 0xff
    jnz l
    out 0x81, al
    jmp l
`;
    const run = (engine: Engine): ReturnType<typeof archState> => {
      const r = rigRaisingOnOut(engine, loop, 3);
      expect(r.run(100_000)).toBe(SliceExit.Halted);
      expect(r.u32(RECORD)).toBe(0x300);
      return archState(r);
    };
    expect(run('bt')).toEqual(run('interp'));
  });

  it('cold blocks interpreted back to back: slices end on the same instruction as under the interpreter, and an interrupt raised on an OUT in the middle of the run is taken right after it', () => {
    // Blocks that never turn hot, each jumping to the next.
    const chain = `
l:  inc eax
    jmp c1
c1: add ebx, eax
    jmp c2
c2: test eax, 0x3f
    jnz c3
    out 0x81, al
c3: xor edx, ebx
    jmp l
`;
    const run = (engine: Engine, slice: number): ArchState[] => {
      const r = rigRaisingOnOut(engine, chain, 5, { bt: { hotThreshold: 1_000_000 } });
      const states: ArchState[] = [];
      for (let i = 0; i < 10_000; i++) {
        const exit = r.cpu.runSlice(slice);
        states.push(archState(r));
        if (exit === SliceExit.Halted) break;
      }
      expect(r.u32(RECORD + 4)).toBe(1);
      expect(r.u32(RECORD)).toBe(5 * 0x40);
      return states;
    };
    for (const slice of [7, 64, 1000]) {
      const bt = run('bt', slice);
      expect(bt).toEqual(run('interp', slice));
      expect(run('bt', slice)).toEqual(bt);
    }
  });
});

/**
 * A deterministic workload: fills 256 dwords from an LCG, insertion-sorts them through a
 * comparison routine (CALL/RET), checksums them with ADC/ROL/XOR, copies them with REP MOVSD,
 * and repeats, mixing translated forms with ones the interpreter executes (IMUL, ROL, BSWAP,
 * XADD, MOVSB, SETcc, CMOVcc).
 */
const WORKLOAD = `
    ${WARMUP}
    mov dword [seed], 12345
    mov ebp, 6                 ; rounds
round:
    ; fill
    mov edi, array
    mov ecx, 256
fill:
    mov eax, [seed]
    imul eax, eax, 1103515245
    add eax, 12345
    mov [seed], eax
    bswap eax
    stosd
    loop fill
    ; insertion sort
    mov esi, 1
outer:
    cmp esi, 256
    jae sorted
    mov eax, [array + esi * 4]
    mov edi, esi
inner:
    test edi, edi
    jz place
    mov ebx, [array + edi * 4 - 4]
    push eax
    push ebx
    call compare               ; returns CF = (ebx > eax) unsigned
    pop ebx
    pop eax
    jnc place
    mov [array + edi * 4], ebx
    dec edi
    jmp inner
place:
    mov [array + edi * 4], eax
    inc esi
    jmp outer
sorted:
    ; checksum
    xor edx, edx
    xor ebx, ebx
    mov ecx, 256
    mov esi, array
sum:
    lodsd
    add edx, eax
    adc ebx, 0
    rol edx, 3
    xadd ebx, edx
    setc al
    movzx eax, al
    cmp eax, 0
    cmovne edx, ebx
    loop sum
    mov [result + ebp * 4], edx
    ; copy
    mov esi, array
    mov edi, copy
    mov ecx, 256
    rep movsd
    mov esi, copy
    mov edi, array + 1024 + 64
    mov ecx, 37
    rep movsb
    dec ebp
    jnz round
    hlt

compare:
    mov eax, [esp + 8]
    mov ebx, [esp + 4]
    cmp eax, ebx
    ret
`;

/** The workload's data lives away from its code (pages that mix both are left to the interpreter). */
const DATA = `
seed    equ 0x40000
result  equ 0x40010
array   equ 0x41000
copy    equ 0x43000
`;

describe.skipIf(!hasNasm)('binary translator: slices end on the same instruction as under the interpreter', () => {
  const compareBySlices = (sizes: readonly number[], hotThreshold = 1): { slices: number; bt: Rig } => {
    const bt = makeRig('bt', { bt: { hotThreshold } });
    const ref = makeRig('interp');
    bt.load(DATA + WORKLOAD);
    ref.load(DATA + WORKLOAD);
    let slices = 0;
    for (let i = 0; ; i++) {
      const n = sizes[i % sizes.length]!;
      const a = bt.cpu.runSlice(n);
      const b = ref.cpu.runSlice(n);
      slices++;
      expect(a).toBe(b);
      // Compared after every slice: retired count, EIP, registers, flags.
      expect(archState(bt), `after slice ${i}`).toEqual(archState(ref));
      if (b === SliceExit.Halted) break;
      expect(b === SliceExit.Budget || b === SliceExit.Requested).toBe(true);
    }
    expect(bt.bus.ram.subarray(0x40000, 0x44000)).toEqual(ref.bus.ram.subarray(0x40000, 0x44000));
    return { slices, bt };
  };

  it('slices of 997 instructions', () => {
    const { slices, bt } = compareBySlices([997]);
    expect(slices).toBeGreaterThan(100);
    // The workload ran translated, not just interpreted.
    expect(bt.metrics.value('bt.translations')).toBeGreaterThan(20);
    expect(bt.metrics.value('bt.interpreted_instructions')).toBeLessThan(bt.cpu.retired() / 2);
  });

  it('slices of 997 instructions with a hot threshold above 1 (cold blocks interpreted first)', () => {
    const { bt } = compareBySlices([997], 2);
    expect(bt.metrics.value('bt.translations')).toBeGreaterThan(20);
  });

  it('slices of irregular sizes, below and above a block (1, 7, 47, 48, 49, 997, 3)', () => {
    const { slices } = compareBySlices([1, 7, 47, 48, 49, 997, 3]);
    expect(slices).toBeGreaterThan(300);
  });
});
