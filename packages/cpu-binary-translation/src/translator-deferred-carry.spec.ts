/**
 * INC and DEC keep CF. A WebAssembly block that starts with one has no producer of the flags yet,
 * so the CF it keeps is the one the previous block left: the block evaluates it only where
 * something reads it (a branch, ADC, PUSHFD, the mailbox at a loop edge or before the
 * interpreter, the exit). These tests enter such blocks with CF set on some iterations and clear
 * on others, and compare every reader, and the frame of a fault, with the interpreter.
 */
import { describe, expect, it } from 'vitest';
import { WARMUP, archState, frame, hasNasm, metric, regs, twin, walkIntoUnmappedPage, type Rig } from '../test/support/rig.js';

const WASM = { backend: 'wasm' as const, hotThreshold: 16 };

const DATA = 0x20000;

/**
 * The loop's way into the block at `head`: CF set on odd iterations (ECX counts them), then an
 * indirect jump, so that the block starts with no producer of the flags.
 */
const ENTER_WITH_CF = `
    mov eax, ecx
    and eax, 1
    neg eax                    ; CF = 1 on odd iterations
    mov edx, head
    jmp edx`;

/** Runs `src` on a bt rig (WebAssembly blocks) and an interpreter rig; both must end in the same state. */
function matchInterpreter(src: string): { bt: Rig; ref: Rig } {
  const { bt, ref } = twin((r) => r.load(src), { bt: WASM });
  ref.run();
  bt.run();
  expect(archState(bt)).toEqual(archState(ref));
  expect(metric(bt, 'bt.wasm.blocks')).toBeGreaterThan(0);
  return { bt, ref };
}

/** What follows the INC or DEC at the head of the block: readers of CF, or what stands between it and one. */
const FOLLOWERS = [
  'jc .set\n    add edi, 3\n.set:',
  'jbe .below\n    add edi, 5\n.below:',
  'adc edi, 0x100',
  'sbb edi, 7',
  'setc dl\n    add edi, edx',
  'pushfd\n    pop edx\n    and edx, 0x8d5\n    add edi, edx',
  'rcl eax, 1\n    add edi, eax',
  'cmc',
  'inc eax\n    dec ebx',
  `mov edx, [${DATA}]\n    add edx, 1\n    mov [${DATA}], edx`,
  'lahf\n    movzx edx, ah\n    add edi, edx',
  'xor eax, ebx',
  '',
];

describe.skipIf(!hasNasm)('binary translator: INC and DEC at the head of a block keep the incoming CF', () => {
  const cases = ['inc', 'dec'].flatMap((op) => FOLLOWERS.map((f) => [op, f] as const));
  it.each(cases)('%s, then "%s", matches the interpreter', (op, follower) => {
    const src = `
    ${WARMUP}
    xor ecx, ecx
    xor edi, edi
    xor esi, esi
again:
    mov ebx, ecx
    ${ENTER_WITH_CF}
head:
    ${op} esi
    ${follower}
    sbb ebp, ebp               ; -CF of the last writer
    add edi, ebp
    add edi, esi
    add ecx, 1
    cmp ecx, 3000
    jne again
    hlt
`;
    const { bt, ref } = matchInterpreter(src);
    expect(bt.bus.ram.subarray(DATA, DATA + 16)).toEqual(ref.bus.ram.subarray(DATA, DATA + 16));
  });

  it('carries the incoming CF round a loop whose only flag writers are INC and DEC', () => {
    const src = `
    ${WARMUP}
    xor ecx, ecx
    xor edi, edi
again:
    mov ebx, 5
    ${ENTER_WITH_CF}
head:
    inc esi
    dec ebx
    jnz head                   ; the loop edge leaves the flags in the mailbox; CF stays the incoming one
    adc edi, 0x10
    add ecx, 1
    cmp ecx, 3000
    jne again
    hlt
`;
    const { ref } = matchInterpreter(src);
    expect(regs(ref).edi).toBe(1500 * 0x11 + 1500 * 0x10);
  });

  it('keeps the incoming CF for the interpreter when an instruction it runs follows the INC', () => {
    const src = `
    ${WARMUP}
    xor ecx, ecx
    xor edi, edi
again:
    ${ENTER_WITH_CF}
head:
    inc esi
    shld eax, ebx, 0           ; a count of 0 changes nothing: the interpreter runs it
    adc edi, 0x10
    add ecx, 1
    cmp ecx, 3000
    jne again
    hlt
`;
    const { bt } = matchInterpreter(src);
    expect(regs(bt).edi).toBe(3000 * 0x10 + 1500);
  });

  it('pushes the incoming CF in the frame of a page fault taken by a load right after the INC', () => {
    // The loop loads from a present page until its last iteration, which loads from a
    // not-present one: the fault comes inside the block, after the INC, before any flag writer.
    const src = `
    ${WARMUP}
    mov ecx, 3000
walk:
    mov esi, 0x503000
    mov edx, 0x505000
    cmp ecx, 1
    cmove esi, edx
    mov ebx, 1
    cmp ebx, 2                 ; CF = 1
    mov edx, fault
    jmp edx                    ; the block at fault starts with no producer of the flags
fault:
    inc ebx
    mov edi, [esi]
    add edi, ebx
    dec ecx
    mov edx, walk
    jmp edx
`;
    const { bt, ref } = walkIntoUnmappedPage(src, { bt: WASM });
    for (const r of [ref, bt]) expect(frame(r, true).eflags & 0x1).toBe(1);
    expect(metric(bt, 'bt.wasm.blocks')).toBeGreaterThan(0);
  });

  it('runs a guest the same with and without translation when CF flips between blocks', () => {
    // A longer mix: blocks that start with DEC, others that start with ADC, all fed by a carry
    // that changes every iteration.
    const src = `
    ${WARMUP}
    mov ecx, 4000
    xor edi, edi
    mov esi, 0x12345
top:
    mov eax, esi
    shr eax, 3
    add esi, esi               ; CF = the bit shifted out
    mov edx, one
    jmp edx
one:
    dec eax
    jnc .no
    add edi, eax
.no:
    mov edx, two
    jmp edx
two:
    inc eax
    adc edi, eax
    xor esi, edi
    dec ecx
    jnz top
    hlt
`;
    matchInterpreter(src);
  });
});
