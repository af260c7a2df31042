/**
 * String instructions without REP (MOVS, CMPS, STOS, LODS, SCAS) compiled into blocks: every
 * size, both directions, a segment override, a page fault on either operand, and the loop shape
 * Linux's i386 `strcmp` uses (LODSB; SCASB; JNE; TEST; JNE).
 */
import { SliceExit } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { PTE, WARMUP, archState, frame, hasNasm, makeRig, regs, twin, type Rig } from '../test/support/rig.js';

const SRC = 0x40000;
const DST = 0x48000;

/** Fills the source and destination areas with different recognisable bytes. */
function fill(r: Rig): void {
  for (let i = 0; i < 0x2000; i += 4) {
    r.setU32(SRC + i, Math.imul(i + 1, 0x9e3779b9) >>> 0);
    r.setU32(DST + i, Math.imul(i + 7, 0x85ebca6b) >>> 0);
  }
}

/** Runs `src` under bt and the interpreter (data areas filled); both must halt in the same state. */
function runAgreeing(src: string): { bt: Rig; ref: Rig } {
  const { bt, ref } = twin((r) => {
    r.load(src);
    fill(r);
  });
  expect(ref.run(1_000_000)).toBe(SliceExit.Halted);
  expect(bt.run(1_000_000)).toBe(SliceExit.Halted);
  expect(archState(bt)).toEqual(archState(ref));
  expect(bt.bus.ram.subarray(DST, DST + 0x2000)).toEqual(ref.bus.ram.subarray(DST, DST + 0x2000));
  return { bt, ref };
}

describe.skipIf(!hasNasm)('binary translator: string instructions without REP', () => {
  it.each(['cld', 'std'])('every form and size agrees with the interpreter, and runs translated (%s)', (direction) => {
    const body = ['movsb', 'movsw', 'movsd', 'cmpsb', 'cmpsw', 'cmpsd', 'stosb', 'stosw', 'stosd', 'lodsb', 'lodsw', 'lodsd', 'scasb', 'scasw', 'scasd']
      .map((op) => `${op}\n    pushfd\n    pop edx\n    xor ebx, edx`)
      .join('\n    ');
    const src = `
    ${WARMUP}
    ${direction}
    mov esi, ${SRC + 0x1000}
    mov edi, ${DST + 0x1000}
    mov eax, 0x5a5a1234
    xor ebx, ebx
    mov ecx, 40
top:
    ${body}
    add eax, esi
    dec ecx
    jnz top
    cld
    hlt
`;
    const { bt } = runAgreeing(src);
    // The loop ran in translated code: the string instructions did not go to the interpreter.
    expect(bt.metrics.value('bt.interpreter_calls')).toBeLessThan(40);
    expect(bt.metrics.value('bt.translations')).toBeGreaterThan(0);
  });

  it('LODS and MOVS honour an FS override (the segmented access path, FS not being tracked as flat)', () => {
    const src = `
    ${WARMUP}
    mov ax, 0x10
    mov fs, ax
    mov esi, ${SRC}
    mov edi, ${DST}
    mov ecx, 50
    cld
top:
    fs lodsd
    fs movsb
    add ebx, eax
    dec ecx
    jnz top
    hlt
`;
    runAgreeing(src);
  });

  it('the strcmp loop (LODSB; SCASB; JNE; TEST; JNE) finds the first difference as the interpreter does', () => {
    const src = `
    ${WARMUP}
    mov edx, 200
again:
    mov esi, ${SRC}
    mov edi, ${DST}
    cld
.l:
    lodsb
    scasb
    jne .differ
    test al, al
    jne .l
    xor eax, eax
    jmp .done
.differ:
    sbb eax, eax
    or al, 1
.done:
    add ebp, eax
    add ebp, esi
    dec edx
    jnz again
    hlt
`;
    const { bt, ref } = twin((r) => {
      r.load(src);
      const text = 'the quick brown fox jumps over the lazy dog';
      for (let i = 0; i < text.length; i++) {
        r.bus.ram[SRC + i] = text.charCodeAt(i);
        r.bus.ram[DST + i] = text.charCodeAt(i);
      }
      r.bus.ram[DST + 30] = 0x7a; // the strings differ at byte 30
    });
    expect(ref.run(1_000_000)).toBe(SliceExit.Halted);
    expect(bt.run(1_000_000)).toBe(SliceExit.Halted);
    expect(regs(ref).esi).toBe(SRC + 31);
    expect(archState(bt)).toEqual(archState(ref));
  });

  it.each([
    ['LODSD whose source is not present', 'lodsd', 0x504fc0, 0x503000, 0x505000, 0],
    ['MOVSD whose destination is not present (a write fault; ESI unchanged too)', 'movsd', 0x503000, 0x504fc0, 0x505000, 2],
    ['STOSB into a read-only page', 'stosb', 0x503000, 0x506fc0, 0x507000, 3],
    ['CMPSB whose second operand (ES:EDI) is not present', 'cmpsb', 0x503000, 0x504fc0, 0x505000, 0],
  ])('%s: #PF at the instruction, ESI and EDI as before it', (_name, op, esi0, edi0, cr2, error) => {
    // Each iteration moves ESI and EDI on by 4 whatever the instruction did; the 17th reaches the
    // bad page.
    const src = `
    ${WARMUP}
    mov esi, ${esi0}
    mov edi, ${edi0}
    mov ecx, 100
    cld
top:
    mov edx, esi
    mov ebp, edi
fault:
    ${op}
    lea esi, [edx + 4]
    lea edi, [ebp + 4]
    dec ecx
    jnz top
    hlt
`;
    const make = (engine: 'bt' | 'interp'): Rig => {
      const r = makeRig(engine);
      const image = r.load(`${src}\nalign 4\ndd fault\n`);
      const pt = r.enablePaging({ wp: true });
      pt.mapRange(0x500000, 0x500000, 5, PTE.W);
      pt.unmap(0x505000);
      pt.map(0x506000, 0x506000, PTE.W);
      pt.map(0x507000, 0x507000, 0); // read-only
      expect(r.run(200_000)).toBe(SliceExit.Halted);
      expect(r.parkedVector()).toBe(14);
      const f = frame(r, true);
      expect(f.error).toBe(error);
      expect(f.eip).toBe(new DataView(image.buffer, image.byteOffset).getUint32(image.byteLength - 4, true));
      expect(r.cpu.cr2 >>> 0).toBe(cr2);
      expect(regs(r).esi >>> 0).toBe(esi0 + 64);
      expect(regs(r).edi >>> 0).toBe(edi0 + 64);
      return r;
    };
    const bt = make('bt');
    const ref = make('interp');
    expect(archState(bt)).toEqual(archState(ref));
    expect(frame(bt, true)).toEqual(frame(ref, true));
    expect(bt.metrics.value('bt.translations')).toBeGreaterThan(0);
  });
});
