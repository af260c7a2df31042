/**
 * MUL and IMUL of EAX by a dword (F7 /4, F7 /5) in translated code, against the interpreter:
 * EDX:EAX, and the flags the instruction leaves (CF and OF when the high half carries
 * information, the others from the low half) as later instructions read them.
 */
import { describe, expect, it } from 'vitest';
import { WARMUP, archState, hasNasm, metric, twin } from '../test/support/rig.js';

const DATA = 0x20000;

/** Operand pairs: small, overflowing, negative, zero. */
const VALUES = [
  [3, 5],
  [0x10000, 0x10000],
  [0xffffffff, 2],
  [0x80000000, 0xffffffff],
  [-7, 9],
  [0, 0x12345678],
  [0x7fffffff, 0x7fffffff],
  [-1, -1],
];

describe.skipIf(!hasNasm)('binary translator: MUL and IMUL of EAX', () => {
  const cases = ['mul', 'imul'].flatMap((op) => ['ebx', `dword [${DATA}]`].map((src) => [op, src] as const));
  it.each(cases)('%s %s over operands that fit and overflow matches the interpreter, flags included', (op, src) => {
    const table = VALUES.map(([a, b]) => `dd ${a! | 0}, ${b! | 0}`).join('\n    ');
    const code = `
    ${WARMUP}
    xor edi, edi
    xor ebp, ebp
    mov ecx, ${VALUES.length * 300}
again:
    mov esi, ecx
    and esi, ${VALUES.length - 1}
    mov eax, [pairs + esi * 8]
    mov ebx, [pairs + esi * 8 + 4]
    mov [${DATA}], ebx
    ${op} ${src}
    pushfd
    pop esi
    and esi, 0x8c1             ; OF SF ZF CF (AF and PF are left as the interpreter leaves them)
    add edi, esi
    adc ebp, edx               ; CF of the ADD, then EDX
    xor ebp, eax
    seto bl
    movzx ebx, bl
    add edi, ebx
    dec ecx
    jnz again
    hlt
pairs:
    ${table}
`;
    const { bt, ref } = twin((r) => r.load(code), { bt: { backend: 'wasm', hotThreshold: 16 } });
    ref.run();
    bt.run();
    expect(archState(bt)).toEqual(archState(ref));
    expect(metric(bt, 'bt.wasm.blocks')).toBeGreaterThan(0);
  });
});
