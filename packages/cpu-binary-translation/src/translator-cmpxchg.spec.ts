/**
 * CMPXCHG in translated code. The WebAssembly backend compiles it inline (registers and memory,
 * byte, word and dword, with or without a segment prefix such as the DS prefix Linux patches in
 * for LOCK on one processor); the registers, flags, memory and exception frames must be those
 * the interpreter leaves.
 */
import { describe, expect, it } from 'vitest';
import { WARMUP, archState, hasNasm, metric, twin, writeIntoReadOnlyPage } from '../test/support/rig.js';

const DATA = 0x40000;

/** CMPXCHG forms, each run where it matches the accumulator on some iterations and not on others. */
const FORMS = [
  `cmpxchg [${DATA}], ebx`,
  `ds cmpxchg [${DATA} + esi], edx`,
  `cmpxchg [${DATA} + 2], bx`,
  `cmpxchg [${DATA} + 5], bl`,
  `cmpxchg [${DATA} + 6], bh`,
  'cmpxchg edi, ebx',
  'cmpxchg eax, ebx',
  'cmpxchg di, bx',
  'cmpxchg dh, bl',
  'cmpxchg al, ah',
];

describe.skipIf(!hasNasm)('binary translator: CMPXCHG', () => {
  it.each(FORMS)('%s, equal or not, matches the interpreter without calling it', (form) => {
    const src = `
    ${WARMUP}
    mov ecx, 3000
    xor ebp, ebp
    xor esi, esi
    mov edi, 3
again:
    mov eax, ecx
    and eax, 3                 ; the accumulator: 0–3
    mov ebx, ecx
    shl ebx, 7
    mov edx, ecx
    ${form}
    setz dl
    movzx edx, dl
    add ebp, edx
    adc ebp, eax               ; CF of the compare
    add ebp, edi
    mov esi, ecx
    and esi, 1
    mov edi, ecx
    and edi, 7
    dec ecx
    jnz again
    hlt
`;
    const { bt, ref } = twin((r) => {
      r.load(src);
      for (let i = 0; i < 16; i++) r.bus.ram[DATA + i] = i & 3;
    });
    ref.run();
    bt.run();
    expect(archState(bt)).toEqual(archState(ref));
    expect(bt.bus.ram.subarray(DATA, DATA + 0x100)).toEqual(ref.bus.ram.subarray(DATA, DATA + 0x100));
    expect(metric(bt, 'bt.translations')).toBeGreaterThan(0);
    // Not one call an iteration: at most the bail-out of a first access that missed the TLB.
    if (metric(bt, 'bt.wasm.blocks') > 0) expect(metric(bt, 'bt.interpreter_calls')).toBeLessThanOrEqual(metric(bt, 'bt.wasm.bailouts'));
  });

  it('into a read-only page: #PF with the write bit, nothing changed, as the interpreter does, also when the values differ', () => {
    for (const accumulator of [0x11111111, 0x22222222]) {
      const body = `mov eax, ${accumulator}
    mov ebx, 0x33333333
    cmpxchg [esi], ebx`;
      writeIntoReadOnlyPage(body, DATA, 0x11111111);
    }
  });
});
