/**
 * Instructions that cross the end of their page. The WebAssembly backend ends a block with such
 * an instruction, compiled inline on the bytes the next page held when the block was compiled:
 * the block first checks that the TLB still maps the next page, executable, to that RAM (else it
 * leaves, and the interpreter fetches the instruction afresh: a fault, a new mapping), and a write
 * to the next page drops the block as a write to its own page does. Every case against the
 * interpreter.
 */
import { SliceExit } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { CODE, WARMUP, archState, frame, hasNasm, makeRig, metric, twin, type Rig } from '../test/support/rig.js';

const WASM = { backend: 'wasm' as const, hotThreshold: 16 };

/** Offset in the code page of the instruction that crosses into the next page. */
const CROSS = 0xffe;

/** `add eax, 0x01020304` (05 04 03 02 01): its last three bytes are on the next page. */
const CROSSING_ADD = 0x05;

describe.skipIf(!hasNasm)('binary translator: an instruction that crosses the page end', () => {
  it.each([
    [
      'after other instructions of the block',
      `
    jmp again
    times ${CROSS - 4} - ($ - $$) nop
again:
    inc edx
    lea esi, [edx + ecx]
    add eax, 0x01020304
    add ebp, esi
    xor ebp, eax
    dec ecx
    jnz again
    hlt
`,
    ],
    [
      'as the first instruction of a block',
      `
    jmp again
    times ${CROSS} - ($ - $$) nop
again:
    add eax, 0x01020304
    inc edx
    lea esi, [edx + ecx]
    add ebp, esi
    xor ebp, eax
    dec ecx
    jnz again
    hlt
`,
    ],
  ])('runs inside a translated block %s, with the state of the interpreter', (_name, loop) => {
    const src = `
    ${WARMUP}
    mov ecx, 3000
    xor eax, eax
    xor edx, edx
    xor ebp, ebp
${loop}`;
    let code: Uint8Array = new Uint8Array(0);
    const { bt, ref } = twin((r) => (code = r.load(src)), { bt: WASM });
    expect(code[CROSS]).toBe(CROSSING_ADD);
    expect(ref.run()).toBe(SliceExit.Halted);
    expect(bt.run()).toBe(SliceExit.Halted);
    expect(archState(bt)).toEqual(archState(ref));
    expect(metric(bt, 'bt.wasm.blocks')).toBeGreaterThan(0);
    // The crossing ADD runs inside the block: neither the block nor the engine hands it to the
    // interpreter after the warm-up (each of the 3,000 iterations did, before the block ran it).
    expect(metric(bt, 'bt.interpreter_calls')).toBeLessThan(10);
    expect(bt.interpretedSinceMark()).toBeLessThan(300);
  });

  it('compiles a block that starts with the crossing instruction though a CR3 write empties the TLB before each visit', () => {
    // Every iteration reloads CR3 and then jumps to the crossing ADD: when the block starting
    // there is compiled, the TLB holds nothing of the next page.
    const run = (engine: 'bt' | 'interp'): Rig => {
      const rig = makeRig(engine, engine === 'bt' ? { bt: WASM } : {});
      rig.enablePaging({ wp: true });
      const code = rig.load(`
    ${WARMUP}
    mov ecx, 3000
    xor eax, eax
    xor edx, edx
again:
    mov ebx, cr3
    mov cr3, ebx
    jmp cross
    times ${CROSS} - ($ - $$) nop
cross:
    add eax, 0x01020304
    inc edx
    dec ecx
    jnz again
    hlt
`);
      expect(code[CROSS]).toBe(CROSSING_ADD);
      expect(rig.run(200_000)).toBe(SliceExit.Halted);
      return rig;
    };
    const ref = run('interp');
    const bt = run('bt');
    expect(archState(bt)).toEqual(archState(ref));
    // Not left to the interpreter: the ADD was interpreted on the few visits before the block was
    // compiled, not on each of the 3,000.
    expect(bt.interpretedSinceMark()).toBeLessThan(300);
  });

  it('raises #PF with the address in the next page once that page is unmapped, as the interpreter does', () => {
    // 2,900 iterations run with both pages mapped (the block translated with the crossing ADD in
    // it); then the loop clears the next page's PTE, INVLPG, and the ADD's fetch faults there.
    const run = (engine: 'bt' | 'interp'): Rig => {
      const rig = makeRig(engine, engine === 'bt' ? { bt: WASM } : {});
      const pt = rig.enablePaging({ wp: true });
      const pte = pt.pteAddress(CODE + 0x1000);
      const code = rig.load(`
    ${WARMUP}
    mov ecx, 3000
    xor eax, eax
    jmp again
    times ${CROSS - 0x30} - ($ - $$) nop
again:
    cmp ecx, 100
    jne .keep
    mov dword [${pte}], 0
    invlpg [${CODE + 0x1000}]
.keep:
    inc edx
    times ${CROSS} - ($ - $$) nop
    add eax, 0x01020304
    dec ecx
    jnz again
    hlt
`);
      expect(code[CROSS]).toBe(CROSSING_ADD);
      rig.run(200_000);
      return rig;
    };
    const ref = run('interp');
    const bt = run('bt');
    expect(ref.parkedVector()).toBe(14);
    expect(bt.parkedVector()).toBe(14);
    expect(archState(bt)).toEqual(archState(ref));
    expect(bt.cpu.cr2 >>> 0).toBe(CODE + 0x1000);
    expect(frame(bt, true)).toEqual(frame(ref, true));
    expect(frame(bt, true).eip).toBe(CODE + CROSS);
    // The fault came from the block: the engine interpreted next to nothing since the warm-up.
    expect(bt.faults.map((f) => [f.vector, f.eip])).toEqual([[14, CODE + CROSS]]);
    expect(bt.faults[0]!.interpretedSinceMark).toBeLessThan(300);
  });

  it('follows a rewrite of its bytes in the next page that changes its length', () => {
    // `add edx, eax` (01 C2) has its ModRM on the next page; at ECX = 1000 the loop stores 83
    // there, making it `add [ebx + 0x90909090], eax` (01 83 90 90 90 90: the four NOPs after it
    // become its displacement), six bytes instead of two. EBX + 0x90909090 wraps to 0x8000.
    const src = `
    ${WARMUP}
    mov ecx, 3000
    xor edx, edx
    mov ebx, 0x6f6fef70
    jmp again
    times ${CROSS - 0x30} - ($ - $$) nop
again:
    cmp ecx, 1000
    jne .keep
    mov byte [${CODE + 0x1000}], 0x83
.keep:
    mov eax, ecx
    times ${CROSS + 1} - ($ - $$) nop
    db 0x01, 0xc2
    nop
    nop
    nop
    nop
    dec ecx
    jnz again
    hlt
`;
    let code: Uint8Array = new Uint8Array(0);
    const { bt, ref } = twin((r) => (code = r.load(src)), { bt: WASM });
    expect(code[CROSS + 1]).toBe(0x01);
    expect(ref.run()).toBe(SliceExit.Halted);
    expect(bt.run()).toBe(SliceExit.Halted);
    expect(archState(bt)).toEqual(archState(ref));
    // 3000 + … + 1001 in EDX, then 1000 + … + 1 added at 0x8000.
    expect(ref.cpu.regs[2]! >>> 0).toBe((2000 * 4001) / 2);
    expect(ref.u32(0x8000)).toBe((1000 * 1001) / 2);
    expect(bt.u32(0x8000)).toBe(ref.u32(0x8000));
    // The store to the next page dropped the block that ran the two-byte ADD; its successor runs
    // the six-byte one.
    expect(metric(bt, 'bt.blocks_invalidated')).toBeGreaterThan(0);
    expect(metric(bt, 'bt.interpreter_calls')).toBeLessThan(100);
  });
});
