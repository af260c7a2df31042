/**
 * ROL and ROR by constants in translated code. The WebAssembly backend leaves out the CF and OF
 * a rotate writes when the register-only instructions after it, in the same block, overwrite both
 * before anything reads them; anything that could see them in between (a reader, a memory
 * access that may fault, a call to the interpreter, the end of the block) keeps them. These tests
 * hold both halves: the registers, the flags, memory and exception frames match the interpreter
 * after every kind of follower, and the compiler leaves the flags out exactly where it may.
 */
import { describe, expect, it } from 'vitest';
import { WARMUP, archState, compileWasmBlock, flagFollowers, frame, hasNasm, metric, twin, walkIntoUnmappedPage } from '../test/support/rig.js';

const DATA = 0x20000;

/** What follows the rotate: flag writers (some after register moves), readers, and memory accesses. */
const FOLLOWERS = [
  ...flagFollowers(DATA),
  'bswap eax\n    and eax, 0xff',
  'rol eax, 3\n    or eax, 1',
  'inc eax\n    xor eax, ebx',
  'inc eax',
  'shl eax, 1',
  'jo .skip\n    inc edi\n.skip:',
  `mov ecx, [${DATA + 0x100}]\n    sub eax, ecx`,
  'pushfd\n    pop edx\n    add eax, edx',
];

describe.skipIf(!hasNasm)('binary translator: ROL and ROR by a constant', () => {
  const cases = ['rol', 'ror'].flatMap((op) => [1, 7, 31].flatMap((n) => FOLLOWERS.map((f) => [op, n, f] as const)));
  it.each(cases)('%s by %i, then "%s", matches the interpreter', (op, count, follower) => {
    const src = `
    ${WARMUP}
    xor ecx, ecx
    xor edi, edi
    xor esi, esi
again:
    mov eax, 0x9e3779b9
    add eax, ecx
    mov ebx, 0x1234
    mov edx, 0x80000001
    add ebx, edx               ; CF = 0, OF = 0 before the rotate
    cmp eax, 0x40000000        ; CF and OF from a compare on some iterations
    ${op} eax, ${count}
    ${follower}
    sbb ebp, ebp               ; -CF of the last flag writer
    add edi, ebp
    seto dl
    movzx edx, dl
    add edi, edx
    add edi, eax
    add esi, ebx
    add ecx, 0x01234567
    cmp ecx, 0x01234567 * 3000
    jne again
    hlt
`;
    const { bt, ref } = twin((r) => r.load(src));
    ref.run();
    bt.run();
    expect(archState(bt)).toEqual(archState(ref));
    expect(bt.bus.ram.subarray(DATA, DATA + 0x2000)).toEqual(ref.bus.ram.subarray(DATA, DATA + 0x2000));
    expect(metric(bt, 'bt.translations')).toBeGreaterThan(0);
  });

  it('pushes the rotate’s CF and OF in the frame of a page fault taken by the load right after it', () => {
    // The loop loads from a present page until its last iteration, which loads from a
    // not-present one: the fault comes inside the translated block, between the rotate and the
    // ADD that would have overwritten its flags.
    const src = `
    ${WARMUP}
    mov ecx, 3000
walk:
    mov esi, 0x503000
    mov edx, 0x505000
    cmp ecx, 1
    cmove esi, edx
    mov ebx, 1
    cmp ebx, 2                 ; CF = 1, OF = 0
    mov ebx, 0x80000000
    ror ebx, 1                 ; CF = 0, OF = 1
fault:
    mov edi, [esi]
    add edi, ebx
    dec ecx
    mov edx, walk
    jmp edx                    ; every iteration enters the block at walk
`;
    const { bt, ref } = walkIntoUnmappedPage(src);
    for (const r of [ref, bt]) expect(frame(r, true).eflags & 0x801).toBe(0x800);
  });
});

describe.skipIf(!hasNasm)('WebAssembly block compiler: rotate flags left out', () => {
  /** Compiles the block at the start of `source` and returns how many rotates it left the flags of out. */
  const deadRotates = (source: string): number => {
    const compiled = compileWasmBlock(source);
    expect(compiled).toBeDefined();
    return compiled!.deadRotateFlags;
  };

  it.each([
    ['ror eax, 16\n add ecx, eax\n ret', 1],
    ['rol eax, 7\n mov edx, eax\n lea esi, [edx + 4]\n xor edx, esi\n ret', 1],
    ['ror ebx, 12\n ror eax, 8\n add eax, ebx\n ret', 2],
    ['rol eax, 1\n inc eax\n cmp eax, ebx\n ret', 1],
  ])('leaves them out when register instructions overwrite CF and OF unread: %s', (source, n) => {
    expect(deadRotates(source)).toBe(n);
  });

  it.each([
    ['ror eax, 16\n jc $+4\n add eax, ebx\n ret', 'a branch reads CF'],
    ['ror eax, 16\n adc eax, ebx\n ret', 'ADC reads CF'],
    ['ror eax, 16\n inc eax\n ret', 'INC keeps CF, and the block ends'],
    ['ror eax, 16\n mov edx, [esi]\n add eax, edx\n ret', 'a load in between may fault'],
    ['ror eax, 16\n mov [esi], eax\n add eax, edx\n ret', 'a store in between may fault'],
    ['ror eax, 16\n pushfd\n add eax, edx\n ret', 'PUSHFD reads them'],
    ['ror eax, 16\n ret', 'the block ends'],
  ])('keeps them when something may see them: %s (%s)', (source) => {
    expect(deadRotates(source)).toBe(0);
  });
});
