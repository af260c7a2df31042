/**
 * Shifts by CL in translated code, against the interpreter: SHL, SHR and SAR by every count (0,
 * and counts of 32 and more, which the CPU masks) followed by an instruction that writes the
 * flags, reads the carry or branches on it, must leave the registers, the flags and memory as
 * the interpreter does.
 */
import { describe, expect, it } from 'vitest';
import { WARMUP, archState, flagFollowers, hasNasm, metric, twin } from '../test/support/rig.js';

const DATA = 0x20000;

/** What follows the shift: flag writers, with register moves between, and readers of its flags. */
const FOLLOWERS = flagFollowers(DATA);

describe.skipIf(!hasNasm)('binary translator: shifts by CL', () => {
  const cases = ['shl', 'shr', 'sar'].flatMap((op) => FOLLOWERS.map((f) => [op, f] as const));
  it.each(cases)('%s by every count from 0 to 33, then "%s", matches the interpreter', (op, follower) => {
    const src = `
    ${WARMUP}
    xor ecx, ecx
    xor edi, edi
    xor esi, esi
again:
    mov eax, 0x9e3779b9
    mov ebx, 0x1234
    mov edx, 0x80000001
    add ebx, edx               ; CF = 0 before the shift
    ${op} eax, cl
    ${follower}
    sbb ebp, ebp               ; -CF of the last flag writer
    add edi, ebp
    seto dl
    add edi, edx
    add edi, eax
    add esi, ebx
    inc ecx
    cmp ecx, 34
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
});

describe.skipIf(!hasNasm)('binary translator: a shift of a register by a CL of zero', () => {
  it('leaves the block after the shift with the earlier flags, without a bail-out to the interpreter', () => {
    const src = `
    ${WARMUP}
    mov ecx, 4000
    xor edi, edi
    xor esi, esi
again:
    mov ebx, ecx
    and ebx, 1                 ; CL-to-be: 0 on even iterations
    mov eax, ecx
    cmp eax, 3000              ; CF = ecx < 3000, kept by a zero-count shift
    xchg ebx, ecx
    shl eax, cl
    xchg ebx, ecx
    adc edi, eax               ; reads CF: the compare's or the shift's
    setz dl
    movzx edx, dl
    add esi, edx
    dec ecx
    jnz again
    hlt
`;
    const { bt, ref } = twin((r) => r.load(src), { bt: { backend: 'wasm', hotThreshold: 16 } });
    ref.run();
    bt.run();
    expect(archState(bt)).toEqual(archState(ref));
    expect(metric(bt, 'bt.wasm.blocks')).toBeGreaterThan(0);
    // Before, each of the 2,000 zero counts left the block through a bail-out.
    expect(metric(bt, 'bt.wasm.bailouts')).toBeLessThan(100);
  });
});
