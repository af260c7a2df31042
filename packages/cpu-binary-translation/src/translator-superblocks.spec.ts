/**
 * Superblock formation from visit counts: a block whose conditional branch went mostly one way
 * while it was cold is compiled along the hot side, so the hot path of a loop stays inside one
 * translated function and only the cold side leaves it.
 */
import { describe, expect, it } from 'vitest';
import { WARMUP, archState, hasNasm, metric, twin } from '../test/support/rig.js';

describe.skipIf(!hasNasm)('binary translator: blocks follow the hot side of a branch', () => {
  it('a loop whose forward branch is taken 7 times in 8 runs its hot path without leaving the block, with the interpreter result', () => {
    const src = `
    ${WARMUP}
    mov ecx, 20000
    xor eax, eax
    xor ebx, ebx
top:
    test ecx, 7
    jnz hot                    ; taken 7 times in 8
    inc eax
    jmp join
hot:
    add ebx, ecx
join:
    dec ecx
    jnz top
    hlt
`;
    const { bt, ref } = twin((r) => r.load(src), { bt: { hotThreshold: 64 } });
    ref.run();
    bt.run();
    expect(archState(bt)).toEqual(archState(ref));
    // Following the fall-through, each of the 17 500 iterations that take the branch would leave
    // the block at the JNZ; along the hot side only the 2 500 others leave it (to the INC and back).
    const transfers = metric(bt, 'bt.transfers', { kind: 'chained' }) + metric(bt, 'bt.transfers', { kind: 'lookup' });
    expect(transfers).toBeLessThan(8000);
  });
});
