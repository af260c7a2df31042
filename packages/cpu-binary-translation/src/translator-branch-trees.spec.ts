/**
 * Blocks that take both sides of a branch. When the engine saw both sides of a conditional
 * branch reached often while they were cold, the WebAssembly backend compiles both into the
 * block (the rarer inside an `if`), so a loop whose branch goes either way stays in one
 * function instead of leaving it on every other iteration. These tests hold the registers, the
 * flags, memory, page-fault frames and the instructions retired to the interpreter's, and check
 * that the transfers between blocks really go away and that a block's size stays bounded.
 */
import { describe, expect, it } from 'vitest';
import { CODE, WARMUP, archState, compileWasmBlock, hasNasm, metric, regs, twin, walkIntoUnmappedPage } from '../test/support/rig.js';
import { MAX_TREE_INSTRUCTIONS, type CompiledWasm } from './wasm-block-compiler.js';

const DATA = 0x20000;

/** Transfers between blocks (chained and looked up). */
function transfers(rig: Parameters<typeof metric>[0]): number {
  return metric(rig, 'bt.transfers', { kind: 'chained' }) + metric(rig, 'bt.transfers', { kind: 'lookup' });
}

describe.skipIf(!hasNasm)('binary translator: both sides of a branch in one block', () => {
  it('runs a loop whose branches go either way at random without leaving the block, with the interpreter result', () => {
    // A xorshift generator picks the way of two nested branches on each iteration; the sides
    // read the flags of the compare before the branch, load, store, produce flags that the join
    // reads (ADC, SETcc) and rejoin before the loop edge.
    const src = `
    ${WARMUP}
    mov ecx, 6000
    mov eax, 0x2545f491
    xor ebx, ebx
    xor edi, edi
    mov esi, ${DATA}
top:
    mov edx, eax
    shl edx, 13
    xor eax, edx
    mov edx, eax
    shr edx, 17
    xor eax, edx
    mov edx, eax
    shl edx, 5
    xor eax, edx
    cmp eax, 0x80000000
    jb .even                   ; about half the time
    adc ebx, [esi + 4]         ; both sides read the compare's CF first
    mov [esi + 8], eax
    test eax, 0x200
    jnz .odd2
    sub edi, eax
    jmp .join
.odd2:
    add edi, ecx
    cmp edi, ebx
    jmp .join
.even:
    sbb edx, edx
    add edi, edx
    inc dword [esi]
    xor ebx, eax
    add ebx, 0x7fffffff
.join:
    adc edi, 0
    seto dl
    movzx edx, dl
    add edi, edx
    dec ecx
    jnz top
    hlt
`;
    // The WebAssembly backend's block shapes (the JavaScript backend follows one side).
    const { bt, ref } = twin((r) => r.load(src), { bt: { hotThreshold: 64, backend: 'wasm' } });
    ref.run();
    bt.run();
    expect(archState(bt)).toEqual(archState(ref));
    expect(bt.bus.ram.subarray(DATA, DATA + 16)).toEqual(ref.bus.ram.subarray(DATA, DATA + 16));
    // Along one side only, half the 6 000 iterations would leave the block at the first branch.
    expect(metric(bt, 'bt.translations')).toBeGreaterThan(0);
    expect(transfers(bt)).toBeLessThan(600);
  });

  it('ends a slice on the same instruction as the interpreter inside either side', () => {
    // Budgets that end slices at every offset of the loop: the guest time each slice ends at,
    // and so the state after each one, must not depend on which side a block compiled first.
    const src = `
    ${WARMUP}
    mov ecx, 4000
    xor eax, eax
    xor ebx, ebx
top:
    lea eax, [eax * 4 + eax + 7]
    test eax, 0x40
    jnz .right
    add ebx, 3
    rol ebx, 5
    jmp .join
.right:
    sub ebx, eax
    inc ebx
    inc ebx
    inc ebx
.join:
    dec ecx
    jnz top
    hlt
`;
    const { bt, ref } = twin((r) => r.load(src), { bt: { hotThreshold: 64 } });
    for (let slice = 1; !ref.cpu.halted; slice = (slice % 23) + 1) {
      ref.cpu.runSlice(slice);
      bt.cpu.runSlice(slice);
      expect(bt.cpu.retiredCount).toBe(ref.cpu.retiredCount);
      expect(regs(bt)).toEqual(regs(ref));
    }
    expect(archState(bt)).toEqual(archState(ref));
  });

  it('takes a page fault in the side compiled inside the branch with the interpreter’s frame', () => {
    // The rarer side (one iteration in four) loads through ESI, which points at a not-present
    // page on the last iteration only.
    const src = `
    ${WARMUP}
    mov ecx, 3000
    xor edi, edi
    mov eax, 1
walk:
    mov esi, 0x503000
    mov edx, 0x505000
    cmp ecx, 4
    cmove esi, edx
    add eax, eax
    adc eax, 0
    test cl, 3
    jnz .common
    cmp edi, 5                 ; CF = 1 on the first time round, then 0
    add edi, [esi]             ; faults on the last iteration
    jmp .join
.common:
    add edi, ecx
.join:
    dec ecx
    mov edx, walk
    jmp edx
`;
    walkIntoUnmappedPage(src);
  });
});

describe.skipIf(!hasNasm)('WebAssembly block compiler: branch trees', () => {
  const ORG = CODE;
  /** Compiles the block at the start of `source` with the visit counts `visits`. */
  const compile = (source: string, visits: (eip: number) => number): CompiledWasm => {
    const compiled = compileWasmBlock(source, visits);
    expect(compiled).toBeDefined();
    return compiled!;
  };
  const diamond = 'test eax, 1\n jz .b\n add ebx, 1\n jmp .j\n.b:\n sub ebx, 1\n.j:\n xor ecx, ebx\n ret';

  it('compiles both sides when both were reached about as often', () => {
    const c = compile(diamond, () => 100);
    // TEST, JZ, ADD, JMP, XOR, RET on one path and TEST, JZ, SUB, XOR, RET on the other.
    expect(c.count).toBe(6);
    expect(c.instructions).toBe(9);
    // No exit to either side: only the two RETs leave.
    expect(c.exits.map((e) => e.kind)).toEqual([1, 1]);
  });

  it('follows one side when the other was rarely reached', () => {
    const c = compile(diamond, (eip) => (eip === ORG + 7 ? 1000 : 10));
    expect(c.instructions).toBe(c.count);
    expect(c.exits.some((e) => e.kind === 0)).toBe(true);
  });

  it('compiles no more than its bound of instructions over all paths', () => {
    // Twenty branches in a row, each either way: a full tree would hold millions of paths.
    const body = Array.from({ length: 20 }, (_, i) => `test eax, ${1 << i}\n jz .s${i}\n add ebx, ${i}\n.s${i}:\n inc ecx`).join('\n');
    const c = compile(`${body}\n ret`, () => 100);
    expect(c.instructions).toBeGreaterThan(c.count);
    expect(c.instructions).toBeLessThanOrEqual(MAX_TREE_INSTRUCTIONS);
  });
});
