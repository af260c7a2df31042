/**
 * Hard cases of the binary translator, each run against the reference interpreter: code that
 * rewrites itself (in the running block, in another block of the page, through a second virtual
 * alias, by DMA from outside the CPU), snapshot restore and RESET, indirect transfers, and
 * privileged instructions inside translated kernel code.
 */
import { SliceExit } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { CODE, GDT, IDT, KSTACK, WARMUP, archState, hasNasm, makeRig, metric, regs, twin, type Rig } from '../test/support/rig.js';

const writeInvalidations = (r: Rig): number => metric(r, 'bt.invalidations', { cause: 'write' });

describe.skipIf(!hasNasm)('binary translator: code modification', () => {
  // The loop stores a fresh immediate into `mov ecx, imm32` (at `patch`) a few instructions
  // later in the same straight-line block, ten times; every iteration must execute the value
  // just stored, never the one the block was translated with.
  const sameBlock = (store: string, setup = ''): string => `
    ${WARMUP}
    ${setup}
    xor edx, edx
    xor esi, esi
    xor ebp, ebp
again:
    lea eax, [esi*4 + 0x100]
    ${store}
    add edx, 1
    nop
patch:
    mov ecx, 0x11111111
    add ebp, ecx
    ; Padding: re-tracing the page after the patch flushes the TLB, and the engine interprets
    ; a chunk of instructions (256) until its blocks are found again; two padding loops of 300
    ; instructions each absorb that, whichever of them it falls on, so that the next
    ; iteration's store runs in a translated block again.
    mov ecx, 150
pad:
    dec ecx
    jnz pad
    mov ecx, 150
pad2:
    dec ecx
    jnz pad2
    inc esi
    cmp esi, 10
    jne again
    hlt
`;
  // sum over i < 10 of (4i + 0x100)
  const expected = 4 * 45 + 10 * 0x100;

  it.each([
    ['an inline dword store', 'mov [patch + 1], eax'],
    ['an inline store through a register', 'mov ebx, patch + 1\n    mov [ebx], eax'],
    ['an inline word store pair', 'mov [patch + 1], ax\n    shr eax, 16\n    mov [patch + 3], ax'],
    ['a read-modify-write (AND then OR)', 'and dword [patch + 1], 0\n    or [patch + 1], eax'],
    ['STOSD (executed by the interpreter inside the block)', 'mov edi, patch + 1\n    stosd'],
    ['XCHG with memory (interpreter fallback)', 'xchg [patch + 1], eax'],
    ['PUSH with the stack pointer inside the code', 'mov ebx, esp\n    mov esp, patch + 5\n    push eax\n    mov esp, ebx'],
    ['a store through FS (the checked segment path)', 'mov [fs:patch + 1], eax'],
  ])('a store patching an immediate later in the same block executes the new value: %s', (_name, store) => {
    const { bt, ref } = twin((r) => r.load(sameBlock(store)));
    expect(bt.run()).toBe(SliceExit.Halted);
    expect(ref.run()).toBe(SliceExit.Halted);
    expect(regs(ref).ebp).toBe(expected);
    expect(regs(bt).ebp).toBe(expected);
    expect(archState(bt)).toEqual(archState(ref));
    expect(metric(bt, 'bt.translations')).toBeGreaterThan(0);
    expect(writeInvalidations(bt)).toBeGreaterThanOrEqual(10);
  });

  it('a store that rewrites the very next instruction (an opcode, not an immediate) takes effect at once', () => {
    // Odd iterations turn `add ebp, ecx` (01 CD) into `sub ebp, ecx` (29 CD), even ones back;
    // every partial sum is kept, so a stale translation in any iteration shows.
    const src = `
    ${WARMUP}
    xor esi, esi
    xor ebp, ebp
again:
    lea ecx, [esi + 1]
    mov eax, esi
    and eax, 1
    mov al, [ops + eax]
    mov [op], al
op:
    add ebp, ecx
    mov [history + esi * 4], ebp
    mov ebx, 150               ; padding (see above)
pad:
    dec ebx
    jnz pad
    mov ebx, 150
pad2:
    dec ebx
    jnz pad2
    inc esi
    cmp esi, 11
    jne again
    hlt
ops: db 0x01, 0x29
align 4
history: times 11 dd 0
`;
    const { bt, ref } = twin((r) => r.load(src));
    bt.run();
    ref.run();
    // +1 −2 +3 −4 … +11
    expect(regs(ref).ebp).toBe(6);
    expect(archState(bt)).toEqual(archState(ref));
    expect(bt.bus.ram.subarray(CODE, CODE + 0x1000)).toEqual(ref.bus.ram.subarray(CODE, CODE + 0x1000));
    expect(writeInvalidations(bt)).toBeGreaterThanOrEqual(10);
  });

  it('a loop compiled as one self-looping block that patches its own first instruction', () => {
    // Iteration i adds the immediate the previous iteration stored (CL of then).
    const src = `
    ${WARMUP}
    xor ebx, ebx
    mov ecx, 300
top:
    add ebx, strict byte 1     ; 83 C3 ib
    mov [top + 2], cl
    mov [history + ecx * 4], ebx
    dec ecx
    jnz top
    hlt
align 4
history: times 301 dd 0
`;
    const { bt, ref } = twin((r) => r.load(src));
    bt.run();
    ref.run();
    expect(archState(bt)).toEqual(archState(ref));
    expect(bt.bus.ram.subarray(CODE, CODE + 0x2000)).toEqual(ref.bus.ram.subarray(CODE, CODE + 0x2000));
    // 1 + (300 + 299 + … + 2) with the byte immediate sign-extended (CL ≥ 128 adds CL − 256).
    let sum = 1;
    for (let c = 300; c >= 2; c--) sum += ((c & 0xff) << 24) >> 24;
    expect(regs(ref).ebx).toBe(sum >>> 0);
    expect(writeInvalidations(bt)).toBeGreaterThan(0);
  });

  it('keeps executing the right code when one page is rewritten more often than the re-translation limit', () => {
    // 100 patches of the same page: past maxPageInvalidations the page is left to the
    // interpreter; the results must not change.
    const { bt, ref } = twin((r) => r.load(sameBlock('mov [patch + 1], eax').replace('cmp esi, 10', 'cmp esi, 100')), { bt: { maxPageInvalidations: 4 } });
    bt.run();
    ref.run();
    expect(regs(bt).ebp).toBe((4 * ((99 * 100) / 2) + 100 * 0x100) >>> 0);
    expect(archState(bt)).toEqual(archState(ref));
    expect(writeInvalidations(bt)).toBeGreaterThanOrEqual(4);
    expect(writeInvalidations(bt)).toBeLessThan(100);
  });

  it('a routine patched in the same page, after it was translated and chained, runs its new code', () => {
    const src = `
    ${WARMUP}
    xor edi, edi
    mov ebx, 5
first:
    call routine
    add edi, eax
    dec ebx
    jnz first
    mov dword [routine + 1], 7        ; mov eax, 1  ->  mov eax, 7
    mov byte [routine + 5], 0x40      ; nop         ->  inc eax
    mov ebx, 5
second:
    call routine
    add edi, eax
    dec ebx
    jnz second
    hlt
routine:
    mov eax, 1
    nop
    ret
`;
    const { bt, ref } = twin((r) => r.load(src));
    bt.run();
    ref.run();
    expect(regs(ref).edi).toBe(5 * 1 + 5 * 8);
    expect(archState(bt)).toEqual(archState(ref));
    expect(writeInvalidations(bt)).toBeGreaterThan(0);
    // The routine, the loops and the patch all live in one page: the page is translated again.
    expect(metric(bt, 'bt.blocks_invalidated')).toBeGreaterThan(0);
  });

  it('code rewritten through a second virtual alias of its physical page runs the new code at the first alias', () => {
    // Physical 0x30000 is mapped at linear A = 0x400000 and B = 0x800000. The routine is first
    // copied in through B (so B's TLB entry is writable before the page is ever traced), run
    // through A until translated, patched through B, and run through A again, twice. Each
    // round calls the routine 200 times so that it runs translated before the next patch.
    const src = `
    ${WARMUP}
    mov esi, routine_src
    mov edi, 0x800000
    mov ecx, routine_end - routine_src
    rep movsb
    xor edi, edi
    mov ebx, 200
l1: call 0x400000
    add edi, eax
    dec ebx
    jnz l1
    mov dword [0x800000 + 1], 100      ; mov eax, 1 -> mov eax, 100, through B
    mov ebx, 200
l2: call 0x400000
    add edi, eax
    dec ebx
    jnz l2
    mov byte [0x800000 + 5], 0x40      ; nop -> inc eax, through B again
    mov ebx, 200
l3: call 0x400000
    add edi, eax
    dec ebx
    jnz l3
    hlt
routine_src:
    mov eax, 1
    nop
    ret
routine_end:
`;
    const { bt, ref } = twin((r) => {
      r.load(src);
      const pt = r.enablePaging();
      pt.map(0x400000, 0x30000);
      pt.map(0x800000, 0x30000);
    });
    bt.run();
    ref.run();
    expect(regs(ref).edi).toBe(200 * 1 + 200 * 100 + 200 * 101);
    expect(archState(bt)).toEqual(archState(ref));
    // Both patches hit a translated (traced) page.
    expect(writeInvalidations(bt)).toBe(2);
  });

  it('a spin loop rewritten by DMA between slices falls through into the new code', () => {
    // `spin: jmp spin` is translated and chained to itself; the test (a device) writes two NOPs
    // over it through the bus. The routine called before the loop is patched the same way.
    const src = `
    ${WARMUP}
    mov ebx, 4
warm2:
    call routine
    dec ebx
    jnz warm2
spin:
    jmp spin
    call routine
    hlt
routine:
    mov eax, 1
    ret
`;
    const r = makeRig('bt');
    const bytes = r.load(src);
    expect(r.run(100_000)).toBe(SliceExit.Budget);
    const spin = CODE + findSequence(bytes, [0xeb, 0xfe]);
    expect(r.cpu.eip >>> 0).toBe(spin);
    expect(r.translator!.cachedBlocks).toBeGreaterThan(0);
    // The guest is parked in the translated loop: rewrite the routine's immediate and the loop.
    const routine = spin + 2 + 5 + 1;
    expect(r.bus.ram[routine]).toBe(0xb8);
    r.bus.writePhysical(routine + 1, 4, 0x1234);
    r.bus.writePhysical(spin, 2, 0x9090);
    expect(r.run(1000)).toBe(SliceExit.Halted);
    expect(regs(r).eax).toBe(0x1234);
    expect(writeInvalidations(r)).toBeGreaterThanOrEqual(1);
  });

  it('a DMA write landing in the middle of a translated loop body between slices is seen by the next iteration', () => {
    // The loop adds an immediate the test keeps rewriting through the bus; after each slice the
    // accumulated sum must reflect exactly the immediates present during that slice.
    const src = `
    ${WARMUP}
    xor edi, edi
loop:
    add edi, strict dword 1    ; 81 C7 imm32: the device rewrites the immediate
    jmp loop
`;
    const r = makeRig('bt');
    const bytes = r.load(src);
    const add = CODE + findSequence(bytes, [0x81, 0xc7, 1, 0, 0, 0]);
    r.run(3000);
    while ((r.cpu.eip >>> 0) !== add) r.cpu.runSlice(1);
    let before = regs(r).edi;
    for (const imm of [3, 1000, 77]) {
      r.bus.writePhysical(add + 2, 4, imm);
      // Stop on the ADD so every slice runs whole iterations.
      expect(r.cpu.eip >>> 0).toBe(add);
      expect(r.cpu.runSlice(2 * 500)).toBe(SliceExit.Budget);
      const after = regs(r).edi;
      expect(after - before).toBe(500 * imm);
      before = after;
    }
  });
});

describe.skipIf(!hasNasm)('binary translator: snapshot restore and RESET', () => {
  const program = `
    ${WARMUP}
    xor eax, eax
    mov ebx, 3000
l:  add eax, ebx
    call twice
    dec ebx
    jnz l
    hlt
twice:
    add eax, eax
    ret
`;

  it('restoring a saved state leaves no translation or traced page, and the run continues to the same result', () => {
    const ref = makeRig('interp');
    ref.load(program);
    ref.run();
    const r = makeRig('bt');
    r.load(program);
    expect(r.cpu.runSlice(5000)).toBe(SliceExit.Budget);
    const tr = r.translator!;
    expect(tr.cachedBlocks).toBeGreaterThan(0);
    expect(tr.tracedPages).toBeGreaterThan(0);
    const resets = metric(r, 'bt.invalidations', { cause: 'reset' });
    r.cpu.loadState(r.cpu.saveState());
    expect(tr.cachedBlocks).toBe(0);
    expect(tr.tracedPages).toBe(0);
    expect(metric(r, 'bt.invalidations', { cause: 'reset' })).toBe(resets + 1);
    expect(r.run()).toBe(SliceExit.Halted);
    expect(archState(r)).toEqual(archState(ref));
    expect(tr.cachedBlocks).toBeGreaterThan(0);
  });

  it('restoring a state over RAM replaced behind the bus runs the restored code, not stale translations', () => {
    // A snapshot restore writes RAM directly (no write tracing): translations of the old
    // contents must not survive the CPU state load.
    const r = makeRig('bt');
    r.load(program);
    const saved = r.cpu.saveState();
    r.run();
    const first = regs(r).eax;
    // Same layout, different arithmetic: `add eax, ebx` becomes `sub eax, ebx`.
    const other = program.replace('l:  add eax, ebx', 'l:  sub eax, ebx');
    r.load(other);
    expect(r.translator!.cachedBlocks).toBeGreaterThan(0);
    r.cpu.loadState(saved);
    expect(r.translator!.cachedBlocks).toBe(0);
    expect(r.translator!.tracedPages).toBe(0);
    r.run();
    const ref = makeRig('interp');
    ref.load(other);
    ref.run();
    expect(regs(r).eax).toBe(regs(ref).eax);
    expect(regs(r).eax).not.toBe(first);
  });

  it('RESET empties the cache and untraces every page; code run afterwards is translated afresh', () => {
    const r = makeRig('bt');
    r.load(program);
    r.run();
    const tr = r.translator!;
    expect(tr.cachedBlocks).toBeGreaterThan(0);
    r.cpu.reset();
    expect(tr.cachedBlocks).toBe(0);
    expect(tr.tracedPages).toBe(0);
    // Back to protected mode and the same program, with different code at the same address.
    const other = program.replace('l:  add eax, ebx', 'l:  xor eax, ebx');
    r.load(other);
    r.cpu.setControlRegister(0, 0x11);
    r.cpu.setDescriptorTable('gdtr', GDT, 6 * 8 - 1);
    r.cpu.setDescriptorTable('idtr', IDT, 256 * 8 - 1);
    r.cpu.setSegment('cs', { selector: 0x08, base: 0, limit: 0xffffffff, accessRights: 0xc09b });
    for (const s of ['ds', 'es', 'fs', 'gs', 'ss'] as const) r.cpu.setSegment(s, { selector: 0x10, base: 0, limit: 0xffffffff, accessRights: 0xc093 });
    r.cpu.setRegisters({ eip: CODE, esp: KSTACK, eflags: 0x2 });
    const translations = metric(r, 'bt.translations');
    expect(r.run()).toBe(SliceExit.Halted);
    expect(metric(r, 'bt.translations')).toBeGreaterThan(translations);
    const ref = makeRig('interp');
    ref.load(other);
    ref.run();
    expect(regs(r).eax).toBe(regs(ref).eax);
  });
});

describe.skipIf(!hasNasm)('binary translator: indirect transfers', () => {
  it('a function-pointer table, a jump table and nested CALL/RET give the interpreter result, and blocks chain', () => {
    const src = `
    ${WARMUP}
    xor edi, edi
    xor esi, esi
outer:
    mov eax, esi
    and eax, 3
    push esi
    call [fns + eax * 4]
    add esp, 4
    add edi, eax
    mov eax, esi
    and eax, 3
    jmp [cases + eax * 4]
case0: add edi, 1000
    jmp next
case1: sub edi, 7
    jmp next
case2: lea ebx, [rel_ret]
    push ebx
    ret                        ; a RET to a pushed address
rel_ret:
    xor edi, 0x55
    jmp next
case3: mov ebx, next
    jmp ebx
next:
    inc esi
    cmp esi, 400
    jne outer
    hlt

f0: mov eax, [esp + 4]
    call sq
    ret
f1: mov eax, [esp + 4]
    call sq
    call sq
    ret 0
f2: push ebp
    mov ebp, esp
    mov eax, [ebp + 8]
    add eax, 3
    call f0_inner
    leave
    ret
f0_inner:
    imul eax, eax, 5
    ret
f3: mov eax, [esp + 4]
    mov ebx, f0
    push eax
    call ebx                   ; nested indirect call
    add esp, 4
    neg eax
    ret
sq: imul eax, eax
    and eax, 0xffff
    ret

align 4
fns:   dd f0, f1, f2, f3
cases: dd case0, case1, case2, case3
`;
    const { bt, ref } = twin((r) => r.load(src));
    expect(bt.run()).toBe(SliceExit.Halted);
    expect(ref.run()).toBe(SliceExit.Halted);
    expect(archState(bt)).toEqual(archState(ref));
    expect(metric(bt, 'bt.transfers', { kind: 'chained' })).toBeGreaterThan(0);
    expect(metric(bt, 'bt.translations')).toBeGreaterThan(10);
  });
});

describe.skipIf(!hasNasm)('binary translator: privileged instructions in translated kernel code', () => {
  const src = `
    ${WARMUP}
    mov ecx, 500
l:  mov eax, cr3
    mov cr3, eax               ; privileged: TLB flush (the code page is global)
    mov eax, ecx
    and al, 7
    add al, '0'
    out 0xe9, al               ; I/O-sensitive: a port handler
    pushfd                     ; sensitive
    pop edx
    cli                        ; I/O-sensitive
    sti                        ; I/O-sensitive (interrupt shadow follows)
    nop
    dec ecx
    jnz l
    hlt
`;

  it('MOV CR3, OUT, CLI/STI and PUSHF run as monitor calls with the interpreter results, counted by class', () => {
    const outputs: Record<string, string> = { bt: '', interp: '' };
    const { bt, ref } = twin((r) => {
      r.load(src);
      r.enablePaging({ pge: true, global: true });
      r.bus.mapPorts(0xe9, 1, { read: () => 0xe9, write: (_o, _w, v) => (outputs[r.engine] += String.fromCharCode(v & 0xff)) });
    });
    expect(bt.run()).toBe(SliceExit.Halted);
    expect(ref.run()).toBe(SliceExit.Halted);
    expect(outputs.interp).toHaveLength(500);
    expect(outputs.bt).toBe(outputs.interp);
    expect(archState(bt)).toEqual(archState(ref));
    expect(regs(bt).edx & 0x200).toBe(0x200);
    // 500 iterations after the warm-up: two MOV CRn, three I/O-sensitive instructions and one
    // PUSHFD each, every one a monitor call from a translated block (with global pages the CR3
    // reload keeps the code's TLB entry, so the engine keeps finding its blocks). Only the
    // instruction in each STI shadow (the NOP) goes through the interpreter's event logic.
    const priv = metric(bt, 'bt.monitor_calls', { class: 'privileged' }) - 1; // the final HLT
    const io = metric(bt, 'bt.monitor_calls', { class: 'io-sensitive' }) - 1; // the warm-up's OUT
    const sens = metric(bt, 'bt.monitor_calls', { class: 'sensitive' });
    expect(priv).toBe(2 * 500);
    expect(io).toBe(3 * 500);
    expect(sens).toBe(500);
    expect(bt.interpretedSinceMark()).toBe(500);
  });
});

/** Offset of the first occurrence of `seq` in `bytes`. */
function findSequence(bytes: Uint8Array, seq: readonly number[]): number {
  outer: for (let i = 0; i + seq.length <= bytes.length; i++) {
    for (let j = 0; j < seq.length; j++) if (bytes[i + j] !== seq[j]) continue outer;
    return i;
  }
  throw new Error(`sequence ${seq.join(',')} not found`);
}
