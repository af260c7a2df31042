/**
 * Instructions the WebAssembly backend does not compile inline (SHLD, REP strings,
 * PUSHFD, LOOP, …) run in the interpreter from inside the block, which goes on after them when
 * it can: the registers and flags cross over both ways, a transfer leaves the block at the EIP
 * the interpreter chose. Every case against the interpreter.
 */
import { SliceExit } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { WARMUP, archState, hasNasm, makeRig, metric, twin } from '../test/support/rig.js';

const WASM = { backend: 'wasm' as const, hotThreshold: 16 };

describe.skipIf(!hasNasm)('binary translator: instructions the interpreter runs inside a WebAssembly block', () => {
  it('SHLD, PUSHFD and REP MOVSB (with an inline CMPXCHG) in a loop: the block loops on, with the same registers, flags and memory as the interpreter', () => {
    const src = `
    ${WARMUP}
    mov ecx, 3000
    xor ebx, ebx
    xor ebp, ebp
again:
    mov eax, ecx
    add eax, 0x7ffffff0        ; flags for PUSHFD to see (OF, SF, CF vary)
    shld ebx, eax, 5           ; EBX = EBX << 5 | EAX >> 27, flags as a shift
    pushfd
    pop edx
    and edx, 0x8d5
    add ebp, edx
    mov eax, ecx
    and eax, 7
    cmpxchg [0x40000], ebx     ; equal to ECX & 7 or not: ZF, and EAX or memory
    setz dl
    movzx edx, dl
    add ebp, edx
    push ecx
    mov esi, 0x40000
    mov edi, 0x40100
    mov ecx, 5
    rep movsb
    pop ecx
    add ebp, eax
    dec ecx
    jnz again
    hlt
`;
    const { bt, ref } = twin((r) => r.load(src), { bt: WASM });
    ref.run();
    bt.run();
    expect(archState(bt)).toEqual(archState(ref));
    expect(bt.bus.ram.subarray(0x40000, 0x40200)).toEqual(ref.bus.ram.subarray(0x40000, 0x40200));
    expect(metric(bt, 'bt.wasm.blocks')).toBeGreaterThan(0);
    // Three calls an iteration (SHLD and REP MOVSB, and PUSHFD counted as a sensitive
    // instruction; the CMPXCHG is compiled inline), and the loop stays in one block: a few
    // transfers per slice at most, where leaving the block before each of those instructions took
    // several per iteration.
    expect(bt.metrics.value('bt.interpreter_calls')).toBeGreaterThan(2 * 2500);
    expect(bt.metrics.value('bt.monitor_calls', { class: 'sensitive' })).toBeGreaterThan(2500);
    expect(bt.metrics.value('bt.transfers', { kind: 'chained' }) + bt.metrics.value('bt.transfers', { kind: 'lookup' })).toBeLessThan(1000);
  });

  it('LOOP run by the interpreter leaves the block at the EIP it chose, taken or not, in slices of every size', () => {
    const src = `
    ${WARMUP}
    mov dword [0x40000], 7
    mov ebp, 3
round:
    mov edi, 0x41000
    mov ecx, 256
fill:
    mov eax, [0x40000]
    imul eax, eax, 1103515245
    add eax, 12345
    mov [0x40000], eax
    bswap eax
    stosd
    loop fill
    dec ebp
    jnz round
    hlt
`;
    for (const slice of [997, 13, 1]) {
      const bt = makeRig('bt', { bt: { ...WASM, hotThreshold: 1 } });
      const ref = makeRig('interp');
      bt.load(src);
      ref.load(src);
      for (let i = 0; ; i++) {
        const a = bt.cpu.runSlice(slice);
        const b = ref.cpu.runSlice(slice);
        expect(a).toBe(b);
        expect(archState(bt), `slices of ${slice}, after slice ${i}`).toEqual(archState(ref));
        if (b === SliceExit.Halted) break;
      }
      expect(bt.bus.ram.subarray(0x41000, 0x41400)).toEqual(ref.bus.ram.subarray(0x41000, 0x41400));
    }
  });
});
