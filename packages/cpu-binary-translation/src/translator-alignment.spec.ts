/**
 * Word and dword accesses that are not naturally aligned: translated code handles aligned ones
 * with one host load or store and hands every other one to the CPU's slow path, which must give
 * the interpreter's results (within a page and across a page boundary) and raise #AC where the
 * architecture asks for it (CPL 3 with CR0.AM and EFLAGS.AC set).
 */
import { describe, expect, it } from 'vitest';
import { WARMUP, archState, frame, hasNasm, metric, twin } from '../test/support/rig.js';

const AC = 17;
const DATA = 0x20000;

/**
 * Runs `src` (ending in `dd` of the label where #AC is expected) at CPL 3 with paging and CR0.AM
 * under the interpreter and the translator; both must have parked on #AC.
 */
function runUserWithAlignmentChecks(src: string): ReturnType<typeof twin> & { faultAt: number } {
  let image: Uint8Array = new Uint8Array(0);
  const pair = twin((r) => {
    image = r.load(src);
    r.enablePaging({ user: true });
    r.cpu.setControlRegister(0, (r.cpu.cr0 | 0x40000) | 0); // CR0.AM
    r.enterUser(0x10000, 0x70000);
  });
  const faultAt = new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(image.byteLength - 4, true);
  pair.ref.run();
  pair.bt.run();
  for (const r of [pair.ref, pair.bt]) expect(r.parkedVector()).toBe(AC);
  return { ...pair, faultAt };
}

describe.skipIf(!hasNasm)('binary translator: unaligned words and dwords', () => {
  it('loads, stores and read-modify-writes at every misalignment, and across a page boundary, match the interpreter', () => {
    // The body runs once per offset: 0–3 inside the page, then 0xffd–0xfff where the dword
    // (and, at 0xfff, the word) straddles into the next page.
    const src = `
    ${WARMUP}
    mov esi, offsets
    xor ebp, ebp
next:
    mov ebx, [esi]
    add ebx, ${DATA}
    mov eax, [ebx]             ; dword load
    movzx ecx, word [ebx + 1]  ; word load, odd whenever ebx is even
    mov dword [ebx + 8], 0x89abcdef
    mov word [ebx + 13], 0x1357
    add [ebx + 16], eax        ; dword read-modify-write
    xor [ebx + 22], cx         ; word read-modify-write
    add ebp, eax
    add ebp, ecx
    add esi, 4
    cmp esi, offsets_end
    jne next
    hlt
offsets:
    dd 0, 1, 2, 3, 0xfe5, 0xfe6, 0xfe7, 0xfe9, 0xfea, 0xfeb
offsets_end:
`;
    const { bt, ref } = twin((r) => {
      r.load(src);
      for (let i = 0; i < 0x2000; i += 4) r.setU32(DATA + i, Math.imul(i + 7, 0x9e3779b9) >>> 0);
    });
    ref.run();
    bt.run();
    expect(archState(bt)).toEqual(archState(ref));
    expect(bt.bus.ram.subarray(DATA, DATA + 0x2000)).toEqual(ref.bus.ram.subarray(DATA, DATA + 0x2000));
    expect(metric(bt, 'bt.translations')).toBeGreaterThan(0);
  });

  it('at CPL 3 with CR0.AM and EFLAGS.AC, an unaligned dword load in a translated block raises #AC(0) at that instruction; aligned ones do not', () => {
    const src = `
    ${WARMUP}
    pushfd
    or dword [esp], 0x40000    ; EFLAGS.AC
    popfd
    mov ebx, ${DATA}
    mov ecx, 3
again:
    mov eax, [ebx]             ; aligned: no #AC
    add ebx, 4
    dec ecx
    jnz again
    inc ebx
fault:
    mov eax, [ebx]             ; unaligned: #AC
    hlt
    dd fault
`;
    const { bt, ref, faultAt } = runUserWithAlignmentChecks(src);
    for (const r of [ref, bt]) {
      const f = frame(r, true);
      expect(f.error).toBe(0);
      expect(f.eip).toBe(faultAt);
    }
    expect(archState(bt)).toEqual(archState(ref));
    expect(bt.faults.map((f) => f.vector)).toEqual([AC]);
    expect(metric(bt, 'bt.translations')).toBeGreaterThan(0);
  });

  it('a loop translated while EFLAGS.AC was clear raises #AC(0) on its unaligned load once POPF has set AC', () => {
    // The loop is translated (into WebAssembly, whose loads check CPL 3 but not alignment);
    // after AC is set the same block's address turns unaligned and must fault, not load.
    const src = `
    ${WARMUP}
    mov ebx, ${DATA}
    xor edx, edx
outer:
    mov ecx, 3000
again:
fault:
    mov eax, [ebx]
    dec ecx
    jnz again
    test edx, edx
    jnz done
    inc edx
    pushfd
    or dword [esp], 0x40000    ; EFLAGS.AC
    popfd
    inc ebx
    jmp outer
done:
    hlt
    dd fault
`;
    const { bt, ref, faultAt } = runUserWithAlignmentChecks(src);
    for (const r of [ref, bt]) {
      expect(frame(r, true).eip).toBe(faultAt);
    }
    expect(archState(bt)).toEqual(archState(ref));
    expect(metric(bt, 'bt.translations')).toBeGreaterThan(0);
  });
});
