/**
 * Precise faults in translated code: page faults in the middle of REP string instructions and
 * on accesses that straddle into a bad page, with the exception frame, CR2, the registers and
 * the lazily-computed arithmetic flags compared with the reference interpreter.
 *
 * Paging layout (on top of the identity map of the first 4 MiB):
 * - 0x500000–0x504FFF present, writable (the REP destination; 0x504000 is "the page before")
 * - 0x505000 not present
 * - 0x506000 present, writable
 * - 0x507000 present, read-only
 * - 0x508000 present, writable
 * - 0x600000–0x605FFF present, writable (the REP source)
 */
import { SliceExit } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { GDT, PTE, WARMUP, archState, frame, hasNasm, makeRig, regs, twin, type PageTables, type Rig } from '../test/support/rig.js';

const PF = 14;

/** Maps the fault-test pages (user-accessible when `user`). */
function mapFaultPages(r: Rig, opts: { user?: boolean } = {}): PageTables {
  const u = opts.user === true ? PTE.U : 0;
  const pt = r.enablePaging({ wp: true, user: opts.user === true });
  pt.mapRange(0x500000, 0x500000, 5, PTE.W | u);
  pt.unmap(0x505000);
  pt.map(0x506000, 0x506000, PTE.W | u);
  pt.map(0x507000, 0x507000, u); // read-only
  pt.map(0x508000, 0x508000, PTE.W | u);
  pt.mapRange(0x600000, 0x600000, 6, PTE.W | u);
  return pt;
}

/** The address of the faulting instruction: the program ends with `dd fault`. */
function faultEip(image: Uint8Array): number {
  return new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(image.byteLength - 4, true);
}

/** Runs the same guest on both engines; both must stop parked in the #PF stub. */
function runTwin(src: string, setup: (r: Rig) => void): { bt: Rig; ref: Rig; image: Uint8Array } {
  let image: Uint8Array = new Uint8Array(0);
  const make = (engine: 'bt' | 'interp'): Rig => {
    const r = makeRig(engine);
    image = r.load(`${src}\nalign 4\ndd fault\n`);
    // Recognisable source data.
    for (let i = 0; i < 6 * 4096; i += 4) r.setU32(0x600000 + i, (0x01010101 * ((i >>> 2) & 0xff)) ^ i);
    setup(r);
    expect(r.run(200_000)).toBe(SliceExit.Halted);
    return r;
  };
  const bt = make('bt');
  const ref = make('interp');
  // The faulting instruction ran in a translated block: nothing was interpreted between the end
  // of the warm-up and the fault.
  expect(bt.mark).toBeDefined();
  expect(bt.faults.length).toBeGreaterThan(0);
  expect(bt.faults[0]!.vector).toBe(PF);
  expect(bt.faults[0]!.interpretedSinceMark).toBe(0);
  return { bt, ref, image };
}

describe.skipIf(!hasNasm)('binary translator: page faults in the middle of REP string instructions', () => {
  it.each([
    {
      name: 'REP MOVSD running into a not-present page after more than one 4096-iteration chunk',
      body: 'mov esi, 0x600000\n    mov edi, 0x500000\n    mov ecx, 6000\n    cld',
      insn: 'rep movsd',
      cr2: 0x505000,
      error: 2,
      after: { ecx: 6000 - 5120, esi: 0x600000 + 5120 * 4, edi: 0x505000 },
    },
    {
      name: 'REP MOVSD with a misaligned destination whose dword straddles into the not-present page',
      body: 'mov esi, 0x600000\n    mov edi, 0x500002\n    mov ecx, 6000\n    cld',
      insn: 'rep movsd',
      cr2: 0x505000,
      error: 2,
      after: { ecx: 6000 - 5119, esi: 0x600000 + 5119 * 4, edi: 0x500002 + 5119 * 4 },
    },
    {
      name: 'REP MOVSB whose source runs into the not-present page (a read fault)',
      body: 'mov esi, 0x504f00\n    mov edi, 0x600000\n    mov ecx, 0x300\n    cld',
      insn: 'rep movsb',
      cr2: 0x505000,
      error: 0,
      after: { ecx: 0x200, esi: 0x505000, edi: 0x600100 },
    },
    {
      name: 'REP STOSW into a read-only page (CR0.WP = 1 at CPL 0)',
      body: 'mov edi, 0x506ff0\n    mov ecx, 0x40\n    mov ax, 0xbeef\n    cld',
      insn: 'rep stosw',
      cr2: 0x507000,
      error: 3,
      after: { ecx: 0x40 - 8, edi: 0x507000 },
    },
    {
      name: 'REP MOVSD descending (DF = 1) with the source running into the not-present page below',
      body: 'mov esi, 0x506010\n    mov edi, 0x508ff0\n    mov ecx, 0x20\n    std',
      insn: 'rep movsd',
      cr2: 0x505ffc,
      error: 0,
      after: { ecx: 0x20 - 5, esi: 0x505ffc, edi: 0x508ff0 - 5 * 4 },
    },
  ])('$name', ({ body, insn, cr2, error, after }) => {
    const src = `
    ${WARMUP}
    mov eax, 0x7ffffff0
    mov ebx, 0x80000001
    mov edx, 0x1234
    cmp eax, ebx               ; lazy flags in the block before the REP
    ${body}
fault:
    ${insn}
    hlt
`;
    const { bt, ref, image } = runTwin(src, (r) => mapFaultPages(r));
    for (const r of [ref, bt]) {
      expect(r.parkedVector()).toBe(PF);
      expect(r.cpu.cr2 >>> 0).toBe(cr2);
      const f = frame(r, true);
      expect(f.error).toBe(error);
      expect(f.eip).toBe(faultEip(image));
      expect(f.cs).toBe(0x08);
      const g = regs(r);
      for (const [k, v] of Object.entries(after)) expect(g[k as keyof typeof g], k).toBe(v);
    }
    expect(archState(bt)).toEqual(archState(ref));
    expect(frame(bt, true)).toEqual(frame(ref, true));
    // The bytes copied before the fault, and nothing after.
    expect(bt.bus.ram.subarray(0x500000, 0x509000)).toEqual(ref.bus.ram.subarray(0x500000, 0x509000));
    expect(bt.bus.ram.subarray(0x600000, 0x606000)).toEqual(ref.bus.ram.subarray(0x600000, 0x606000));
    expect(bt.metrics.value('bt.translations')).toBeGreaterThan(0);
  });

  it('REP STOSD at CPL 3 into a supervisor page: #PF(U|W|P) on the kernel stack, user ECX/EDI as the interpreter leaves them', () => {
    const src = `
    ${WARMUP}
    mov eax, 0x11223344
    mov edi, 0x503f00
    mov ecx, 0x200
    cld
    sub edx, eax
fault:
    rep stosd
    hlt
`;
    const { bt, ref, image } = runTwin(src, (r) => {
      const pt = mapFaultPages(r, { user: true });
      pt.map(0x504000, 0x504000, PTE.W); // a supervisor page for this test
      r.enterUser(0x10000, 0x70000);
    });
    for (const r of [ref, bt]) {
      expect(r.parkedVector()).toBe(PF);
      expect(r.cpu.cr2 >>> 0).toBe(0x504000);
      const esp = r.cpu.regs[4]! >>> 0;
      expect(r.u32(esp)).toBe(7); // P | W | U
      expect(r.u32(esp + 4)).toBe(faultEip(image));
      expect(r.u32(esp + 8)).toBe(0x1b);
      expect(r.u32(esp + 16)).toBe(0x70000);
      expect(regs(r).ecx).toBe(0x200 - 0x40);
      expect(regs(r).edi).toBe(0x504000);
    }
    expect(archState(bt)).toEqual(archState(ref));
    const kstack = (r: Rig): Uint8Array => r.bus.ram.subarray(0x8000, 0x9000);
    expect(kstack(bt)).toEqual(kstack(ref));
  });
});

/** Flag producers that leave different lazy-flag kinds in the translated block. */
const PRODUCERS: readonly [string, string][] = [
  ['CMP r32 (sub, all six flags)', 'cmp eax, ebx'],
  ['ADD r8 (add, byte size)', 'add al, bl'],
  ['SUB r16 (sub, word size)', 'sub dx, cx'],
  ['STC then INC (CF preserved)', 'stc\n    inc ecx'],
  ['CLC then DEC to zero (CF preserved, ZF)', 'clc\n    mov esi, 1\n    dec esi'],
  ['ADC after STC (carry in)', 'stc\n    adc eax, ebx'],
  ['SBB r8 after CMP (borrow in)', 'cmp ebx, eax\n    sbb bl, cl'],
  ['AND (logic: CF = OF = 0)', 'and eax, ebx'],
  ['TEST r8, imm (logic, byte)', 'test cl, 0x80'],
  ['NEG', 'neg edx'],
  ['XOR to zero (ZF, PF)', 'xor esi, esi'],
  ['CMP then MOV (flags of an earlier instruction)', 'cmp ecx, edx\n    mov esi, 5\n    lea edi, [esi + 3]'],
];

/** Accesses that straddle from a good page into a bad one. */
const ACCESSES: readonly { name: string; insn: string; cr2: number; error: number }[] = [
  { name: 'a dword load into a not-present page', insn: 'mov edi, [0x504ffe]', cr2: 0x505000, error: 0 },
  { name: 'a dword store into a read-only page', insn: 'mov [0x506ffe], eax', cr2: 0x507000, error: 3 },
  { name: 'a dword read-modify-write into a read-only page', insn: 'add [0x506ffd], eax', cr2: 0x507000, error: 3 },
  { name: 'a word store into a read-only page', insn: 'mov [0x506fff], dx', cr2: 0x507000, error: 3 },
  { name: 'a word load (MOVZX) into a not-present page', insn: 'movzx edi, word [0x504fff]', cr2: 0x505000, error: 0 },
  { name: 'an indirect CALL through a pointer straddling into a not-present page', insn: 'call [0x504ffd]', cr2: 0x505000, error: 0 },
  // (A word RMW whose last byte is the page's first: see translator-faults.pending.ts for the
  // CR2 of wider read-modify-writes split further into the page.)
  { name: 'a word INC of memory into a read-only page', insn: 'inc word [0x506fff]', cr2: 0x507000, error: 3 },
  { name: 'a dword compare with memory into a not-present page', insn: 'cmp [0x504ffc + 1], ebx', cr2: 0x505000, error: 0 },
];

describe.skipIf(!hasNasm)('binary translator: faults on accesses across a page boundary', () => {
  describe.each(ACCESSES)('$name', ({ insn, cr2, error }) => {
    it.each(PRODUCERS)('after %s: #PF with CR2, error code, registers and EFLAGS as the interpreter', (_name, producer) => {
      // POPFD (which ends a block) sets every arithmetic flag first, so that flags left over from
      // before the faulting block cannot pass for the producer's.
      const src = `
    ${WARMUP}
    push 0x8d7
    popfd
    mov eax, 0x7ffffff0
    mov ebx, 0x80000001
    mov ecx, 0x7fffffff
    mov edx, 0xfffe0001
    mov esi, 0x55
    mov edi, 0x66
    ${producer}
fault:
    ${insn}
    hlt
`;
      const { bt, ref, image } = runTwin(src, (r) => {
        mapFaultPages(r);
        // Something to keep intact at the bottom of the good page.
        r.setU32(0x506ffc, 0xa1b2c3d4);
        r.setU32(0x504ffc, 0x01020304);
      });
      for (const r of [ref, bt]) {
        expect(r.parkedVector()).toBe(PF);
        expect(r.cpu.cr2 >>> 0).toBe(cr2);
        const f = frame(r, true);
        expect(f.error).toBe(error);
        expect(f.eip).toBe(faultEip(image));
        expect(r.u32(0x506ffc)).toBe(0xa1b2c3d4);
      }
      expect(frame(bt, true)).toEqual(frame(ref, true));
      expect(archState(bt)).toEqual(archState(ref));
    });
  });

  it('a PUSH at CPL 3 straddling into a not-present stack page and a user store into a read-only user page', () => {
    for (const [insn, cr2, error] of [
      ['push eax', 0x505000, 6],
      ['mov [0x506ffe], ebx', 0x507000, 7],
    ] as const) {
      const src = `
    ${WARMUP}
    mov eax, 0x7ffffff0
    mov ebx, 0x80000001
    cmp ebx, eax
fault:
    ${insn}
    hlt
`;
      const { bt, ref, image } = runTwin(src, (r) => {
        mapFaultPages(r, { user: true });
        r.enterUser(0x10000, 0x505002);
      });
      for (const r of [ref, bt]) {
        expect(r.parkedVector()).toBe(PF);
        expect(r.cpu.cr2 >>> 0).toBe(cr2);
        const esp = r.cpu.regs[4]! >>> 0;
        expect(r.u32(esp)).toBe(error);
        expect(r.u32(esp + 4)).toBe(faultEip(image));
        expect(r.u32(esp + 16)).toBe(0x505002);
      }
      expect(archState(bt)).toEqual(archState(ref));
      expect(bt.bus.ram.subarray(0x8000, 0x9000)).toEqual(ref.bus.ram.subarray(0x8000, 0x9000));
    }
  });

  it('a fault in a late iteration of a loop compiled as one self-looping block, and in a routine called from it', () => {
    // The loop walks dwords up to the not-present page; the routine it calls (followed inside
    // the block) does the load, so the fault is taken with a return address on the stack.
    for (const [insn, cr2] of [
      ['mov edi, [esi]', 0x505000],
      ['call load', 0x505000],
    ] as const) {
      const src = `
    ${WARMUP}
    push 0x8d7
    popfd
    mov esi, 0x503000
    xor ebx, ebx
walk:
    add ebx, esi
    cmp ebx, 0x1234
fault:
    ${insn}
    add esi, 4
    jmp walk
load:
    mov edi, [esi]
    ret
`;
      const { bt, ref } = runTwin(src, (r) => {
        mapFaultPages(r);
      });
      for (const r of [ref, bt]) {
        expect(r.parkedVector()).toBe(PF);
        expect(r.cpu.cr2 >>> 0).toBe(cr2);
        expect(frame(r, true).error).toBe(0);
        expect(regs(r).esi).toBe(0x505000);
      }
      expect(frame(bt, true)).toEqual(frame(ref, true));
      expect(archState(bt)).toEqual(archState(ref));
      expect(bt.bus.ram.subarray(0x8000, 0x9000)).toEqual(ref.bus.ram.subarray(0x8000, 0x9000));
    }
  });

  it.each(['mov eax, [0x1ffe]', 'mov [0x1ffe], eax', 'add [0x1ffd], eax', 'inc dword [0x1ffd]', 'push dword [0x2000]', 'mov eax, [es:0x1ffe]', 'cmp [fs:0x1ffe], eax'])(
    'a segment-limit violation through a non-flat data segment (%s): #GP(0) with the flags of the CMP before it',
    (insn) => {
      // DS, ES and FS end at 0x1FFF: the accesses go through the checked segment path.
      const src = `
    ${WARMUP}
    push 0x8d7
    popfd
    mov eax, 0x7ffffff0
    mov ebx, 0x80000001
    cmp eax, ebx
    ${insn}
    hlt
`;
      const { bt, ref } = twin((r) => {
        r.load(src);
        for (const s of ['ds', 'es', 'fs'] as const) r.cpu.setSegment(s, { selector: 0x10, base: 0, limit: 0x1fff, accessRights: 0x4093 });
      });
      bt.run();
      ref.run();
      for (const r of [ref, bt]) {
        expect(r.parkedVector()).toBe(13);
        expect(frame(r, true).error).toBe(0);
      }
      expect(bt.faults[0]!.interpretedSinceMark).toBe(0);
      expect(frame(bt, true)).toEqual(frame(ref, true));
      expect(archState(bt)).toEqual(archState(ref));
    },
  );

  it('a routine translated while DS was flat runs with the limit checks once the guest loads a DS that ends below its operand: #GP(0)', () => {
    // Selector 0x30 (added to the test GDT): data, base 0, limit 0x1FFF. The routine's load was
    // translated for a flat DS in the loop; after MOV DS the same routine must fault.
    const src = `
    ${WARMUP}
    mov ecx, 300
again:
    call touch
    dec ecx
    jnz again
    mov ax, 0x30
    mov ds, ax
    call touch
    hlt
touch:
    mov eax, [0x3000]
    add ebx, eax
    ret
`;
    const { bt, ref } = twin((r) => {
      r.load(src);
      r.setU32(GDT + 0x30, 0x0000_1fff);
      r.setU32(GDT + 0x34, 0x0040_9300);
      r.cpu.setDescriptorTable('gdtr', GDT, 7 * 8 - 1);
      r.setU32(0x3000, 7);
    });
    bt.run();
    ref.run();
    for (const r of [ref, bt]) {
      expect(r.parkedVector()).toBe(13);
      expect(frame(r, true).error).toBe(0);
      expect(regs(r).ebx).toBe(7 * 300);
    }
    expect(bt.metrics.value('bt.translations')).toBeGreaterThan(0);
    expect(archState(bt)).toEqual(archState(ref));
  });

  it('the fault handler can fix the page and IRET: the instruction restarts and the run ends as under the interpreter', () => {
    // The #PF handler maps the missing page (writes the PTE, INVLPG) and returns; the straddling
    // load is restarted in the translated block.
    const src = `
    ${WARMUP}
    mov ebx, 3
again:
    mov eax, 0x7ffffff0
    cmp eax, ebx
fault:
    mov edi, [0x504ffe]
    setb cl
    add esi, edi
    add esi, ecx
    dec ebx
    jnz again
    hlt
pf_handler:
    push eax
    mov eax, cr2
    and eax, 0xfffff000
    mov dword [PTE_505], 0x505000 | 3
    invlpg [eax]
    pop eax
    add esp, 4
    iretd
`;
    const run = (engine: 'bt' | 'interp'): Rig => {
      const r = makeRig(engine);
      const pt = mapFaultPages(r);
      const image = r.load(`PTE_505 equ ${pt.pteAddress(0x505000)}\n${src}\nalign 4\ndd pf_handler\n`);
      r.setGate(PF, faultEip(image));
      r.setU32(0x504ffc, 0x11223344);
      r.setU32(0x505000, 0x55667788);
      expect(r.run()).toBe(SliceExit.Halted);
      return r;
    };
    const bt = run('bt');
    const ref = run('interp');
    expect(bt.parkedVector()).toBe(-1);
    expect(archState(bt)).toEqual(archState(ref));
    expect(regs(ref).edi).toBe(0x77881122);
  });
});
