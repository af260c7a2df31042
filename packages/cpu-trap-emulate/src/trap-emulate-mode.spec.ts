import { MetricsRegistry, PopekError, isPopekError, simulatedCycles } from '@popek/core';
import { Eflags } from '@popek/cpu-x86';
import { describe, expect, it } from 'vitest';
import { CODE, COUNTS, IDT, guest, hasNasm } from '../test/support/guest.js';
import { HostState } from './host-state.js';
import { TrapEmulateMode } from './trap-emulate-mode.js';
import { resolveTrapEmulateOptions, type TrapEmulateOptions } from './trap-emulate-options.js';

const { IF } = Eflags;

function setup(code: string, options: TrapEmulateOptions = {}, eflags = 0x202) {
  const metrics = new MetricsRegistry();
  const mode = new TrapEmulateMode(metrics, options);
  const g = guest(code, mode, eflags, metrics);
  return { ...g, mode };
}

function thrown(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe.skipIf(!hasNasm)('trap-and-emulate on the real x86 (guest kernel at ring 1)', () => {
  it('POPF keeps IF=0 where the guest restores IF=1 (local_irq_restore), and records the hole', () => {
    const code = 'pushfd\ncli\npopfd\njmp $';
    const t = setup(code);
    t.run(3);
    expect(t.cpu.flags & IF).toBe(0);
    expect(t.mode.holes).toHaveLength(1);
    const h = t.mode.holes[0]!;
    expect(h.instruction).toBe('POPF');
    expect(h.address).toBe(CODE + 2);
    expect(h.seen & IF).toBe(0);
    expect(h.expected & IF).toBe(IF);
    expect(h.applied).toBe(true);
    expect(h.detail).toContain('kept IF=0 where the guest popped IF=1');
    expect(t.mode.trapCounts().get('cli')).toBe(1);
    expect(t.metrics.value('cpu.trap-emulate.holes', { instruction: 'popf' })).toBe(1);
    const native = guest(code);
    native.run(3);
    expect(native.cpu.flags & IF).toBe(IF);
  });

  it('cli; pushf; popf: PUSHF shows the host IF=1, and the POPF of that value is a hole too', () => {
    const t = setup('cli\npushfd\nmov eax, [esp]\npopfd\njmp $');
    t.run(4);
    expect(t.cpu.regs[0]! & IF).toBe(IF);
    expect(t.cpu.flags & IF).toBe(0);
    expect(t.mode.holes.map((h) => h.instruction)).toEqual(['PUSHF', 'POPF']);
    const [pushf, popf] = t.mode.holes;
    expect(pushf!.seen & IF).toBe(IF);
    expect(pushf!.expected & IF).toBe(0);
    expect(popf!.seen & IF).toBe(0);
    expect(popf!.expected & IF).toBe(IF);
  });

  it('a 16-bit POPF keeps IF as well', () => {
    const t = setup('pushfw\ncli\npopfw\njmp $');
    t.run(3);
    expect(t.cpu.flags & IF).toBe(0);
    expect(t.mode.holes[0]!.instruction).toBe('POPF');
    expect(t.cpu.regs[4]).toBe(0x9000);
  });

  it('POPF changes the arithmetic flags as natively and records nothing when IF agrees', () => {
    const t = setup('push dword 0x2c3\npopfd\njmp $'); // CF ZF SF IF
    t.run(2);
    expect(t.cpu.getEflags()).toBe(0x2c3);
    expect(t.mode.holes).toHaveLength(0);
  });

  it('SMSW, SGDT, SIDT and STR reveal the monitor\'s registers; SLDT agrees when neither has an LDT', () => {
    const t = setup('smsw eax\nsmsw word [0x4000]\nsgdt [0x4010]\nsidt [0x4020]\nsldt ecx\nstr edx\njmp $');
    t.run(6);
    expect(t.cpu.regs[0]! >>> 0).toBe(HostState.cr0 >>> 0);
    expect(t.dword(0x4000) & 0xffff).toBe(HostState.cr0 & 0xffff);
    expect(t.dword(0x4010) & 0xffff).toBe(HostState.gdtrLimit);
    expect(t.dword(0x4012) >>> 0).toBe(HostState.gdtrBase >>> 0);
    expect(t.dword(0x4020) & 0xffff).toBe(HostState.idtrLimit);
    expect(t.dword(0x4022) >>> 0).toBe(HostState.idtrBase >>> 0);
    expect(t.cpu.regs[1]).toBe(0);
    expect(t.cpu.regs[2]).toBe(HostState.tr);
    expect(t.mode.holes.map((h) => h.instruction)).toEqual(['SMSW', 'SMSW', 'SGDT', 'SIDT', 'STR']);
    const sgdt = t.mode.holes[2]!;
    expect(sgdt.expected).toBe(0x800);
    expect(sgdt.detail).toContain('instead of the guest\'s at 0x00000800 limit 0x002f');
    const native = guest('smsw eax\nsgdt [0x4010]\nstr edx\njmp $');
    native.run(3);
    expect(native.cpu.regs[0]).toBe(0x11);
    expect(native.dword(0x4012)).toBe(0x800);
    expect(native.cpu.regs[2]).toBe(0x28);
  });

  it('MOV from CS and SS and PUSH CS show RPL 1; MOV from DS is not a hole', () => {
    const t = setup('mov ax, cs\nmov ebx, ss\nmov cx, ds\npush cs\npop edx\npush ss\npop esi\njmp $');
    t.run(7);
    expect(t.cpu.r16[0]).toBe(0x09);
    expect(t.cpu.regs[3]).toBe(0x11);
    expect(t.cpu.r16[2]).toBe(0x10);
    expect(t.cpu.regs[2]).toBe(0x09);
    expect(t.cpu.regs[6]).toBe(0x11);
    expect(t.mode.holes.map((h) => h.instruction)).toEqual(['MOV from CS', 'MOV from SS', 'PUSH CS', 'PUSH SS']);
    expect(t.mode.holes[0]!.detail).toBe('showed CS selector 0x0009 instead of 0x0008.');
  });

  it('LAR shows compressed DPLs, and a guest TSS of DPL 0 is invisible at ring 1', () => {
    const code = [
      'mov ebx, 0x1234',
      'mov ecx, 0x5678',
      'mov di, 0x08',
      'lar eax, di', // code0: DPL 0 → 1
      'mov di, 0x28',
      'lar ebx, di', // TSS, DPL 0: fails at CPL 1
      'setz [0x4000]',
      'lsl ecx, di',
      'setz [0x4001]',
      'mov di, 0x1b',
      'lar edx, di', // code3: the same at every ring
      'mov si, 0x11',
      'verw si', // data0 with RPL 1: fails at CPL 0, passes through the compressed DPL
      'setz [0x4002]',
      'jmp $',
    ].join('\n');
    const t = setup(code);
    t.run(14);
    const native = guest(code);
    native.run(14);
    expect(native.cpu.regs[0]! >>> 0).toBe(0x00c09a00);
    expect(t.cpu.regs[0]! >>> 0).toBe(0x00c0ba00);
    expect(native.cpu.regs[3]).toBe(0x00008900);
    expect(t.cpu.regs[3]).toBe(0x1234);
    expect(t.dword(0x4000) & 0xffffff).toBe(0x010000); // LAR: ZF 0, LSL: ZF 0, VERW: ZF 1
    expect(native.dword(0x4000) & 0xffffff).toBe(0x000101);
    expect(t.cpu.regs[1]).toBe(0x5678);
    expect(native.cpu.regs[1]).toBe(0x67);
    expect(t.cpu.regs[2]).toBe(native.cpu.regs[2]);
    expect(t.mode.holes.map((h) => h.instruction)).toEqual(['LAR', 'LAR', 'LSL', 'VERW']);
    expect(t.mode.holes[1]!.detail).toBe('gave access rights nothing (ZF=0) at CPL 1 where CPL 0 gives 0x00008900.');
  });

  it('counts privileged and IOPL-sensitive instructions as traps by reason, charged by the cost model', () => {
    const code = [
      'mov eax, cr0',
      'mov cr3, eax',
      'lgdt [gdtr]',
      'lidt [idtr]',
      'out 0x80, al',
      'in al, 0x80',
      'cli',
      'sti',
      'invlpg [0]',
      'wbinvd',
      'hlt',
      'gdtr: dw 47',
      'dd 0x800',
      'idtr: dw 0x7ff',
      'dd 0x1000',
    ].join('\n');
    const t = setup(code);
    t.run();
    expect(t.cpu.halted).toBe(true);
    expect(Object.fromEntries([...t.mode.trapCounts()].filter(([, n]) => n > 0))).toEqual({
      'mov-cr': 2,
      lgdt: 1,
      lidt: 1,
      out: 1,
      in: 1,
      cli: 1,
      sti: 1,
      invlpg: 1,
      wbinvd: 1,
      hlt: 1,
    });
    expect(t.mode.totalTraps()).toBe(11);
    expect(t.mode.holes).toHaveLength(0);
    const cycles = simulatedCycles(t.metrics.snapshot());
    expect(cycles.bySeries['cpu.trap-emulate.traps{reason="hlt"}']).toBe(2000);
    expect(cycles.bySeries['cpu.trap-emulate.traps{reason="mov-cr"}']).toBe(4000);
  });

  it('INT n and an IRET back to the kernel trap (the host IDT and the RPL check send them to the monitor)', () => {
    const t = setup('int 0x30\nint3\nmov eax, 1\ncli\nhlt');
    t.run();
    expect(t.cpu.regs[0]).toBe(1);
    expect(t.dword(COUNTS + 4 * 0x30)).toBe(1);
    expect(t.dword(COUNTS + 4 * 3)).toBe(1);
    const traps = t.mode.trapCounts();
    expect(traps.get('int')).toBe(1);
    expect(traps.get('int3')).toBe(1);
    expect(traps.get('iret')).toBe(2);
    expect(t.mode.holes).toHaveLength(0);
  });

  it('an IRET to user mode runs at ring 1 without trapping and keeps the kernel\'s IF and IOPL', () => {
    const code = [
      'push dword 0x23',
      'push dword 0x7000',
      'push dword 0x3202', // IF=1, IOPL=3
      'push dword 0x1b',
      'push dword user',
      'iretd',
      'user: pushfd',
      'pop eax',
      'jmp $',
    ].join('\n');
    const t = setup(code, {}, 0x2);
    t.run(9);
    expect(t.cpu.cpl).toBe(3);
    expect(t.cpu.flags & (IF | Eflags.IOPL)).toBe(0);
    expect(t.mode.holes.map((h) => h.instruction)).toEqual(['IRET']);
    expect(t.mode.holes[0]!.detail).toContain('kept IF=0 where the guest\'s frame had IF=1 and kept IOPL=0 where the frame had IOPL=3');
    // User code runs natively: its PUSHF is neither a trap nor a hole.
    expect(t.mode.totalTraps()).toBe(0);
    const v = setup(code, { virtualizable: true }, 0x2);
    v.run(9);
    expect(v.cpu.cpl).toBe(3);
    expect(v.cpu.regs[0]! & (IF | Eflags.IOPL)).toBe(IF | Eflags.IOPL);
    expect(v.mode.trapCounts().get('iret')).toBe(1);
    expect(v.mode.trapCounts().get('pushf')).toBe(0);
  });

  it('an IRET to a frame built with PUSH CS (Linux\'s sync_core) returns at the same ring, as at ring 1', () => {
    const code = ['pushfd', 'push cs', 'push dword back', 'iretd', 'back: mov eax, [esp - 8]', 'push cs', 'push dword there', 'retf', 'there: mov ebx, 2', 'jmp $'].join('\n');
    const t = setup(code);
    t.run(9);
    expect(t.cpu.cpl).toBe(0);
    expect(t.cpu.regs[4]).toBe(0x9000);
    expect(t.cpu.regs[0]).toBe(0x09); // the frame in memory keeps the RPL-1 selector PUSH CS stored
    expect(t.cpu.regs[3]).toBe(2);
    expect(t.cpu.segSel[1]).toBe(0x08);
    expect(t.cpu.flags & IF).toBe(IF);
    expect(t.mode.totalTraps()).toBe(0);
    expect(t.mode.holes.map((h) => h.instruction)).toEqual(['PUSH CS', 'PUSH CS']);
  });

  it('a same-level IRET at ring 1 keeps IF=0 where the frame has IF=1', () => {
    const t = setup('push dword 0x202\npush cs\npush dword back\niretd\nback: jmp $', {}, 0x2);
    t.run(4);
    expect(t.cpu.cpl).toBe(0);
    expect(t.cpu.flags & IF).toBe(0);
    expect(t.mode.holes.map((h) => h.instruction)).toEqual(['PUSH CS', 'IRET']);
    expect(t.mode.holes[1]!.detail).toBe('kept IF=0 where the guest\'s frame had IF=1 (EFLAGS 0x00000002 instead of 0x00000202).');
  });

  it('a far CALL to a code segment runs natively and records the CS it would push with RPL 1; a call gate and a RETF to RPL 0 trap', () => {
    const code = [
      'call 0x08:target',
      'mov eax, gate_target', // build a call gate (GDT entry 6) and load the longer GDT
      'mov [0x830], ax',
      'mov word [0x832], 0x08',
      'mov word [0x834], 0xec00',
      'shr eax, 16',
      'mov [0x836], ax',
      'lgdt [gdtr]',
      'call 0x30:0',
      'cli',
      'hlt',
      'target: mov ebx, [esp + 4]',
      'retf',
      'gate_target: mov ecx, 7',
      'retf',
      'gdtr: dw 55',
      'dd 0x800',
    ].join('\n');
    const t = setup(code);
    t.run();
    expect(t.cpu.regs[3]).toBe(0x08);
    expect(t.cpu.regs[1]).toBe(7);
    const [h] = t.mode.holes;
    expect(h!.instruction).toBe('CALLF');
    expect(h!.applied).toBe(false);
    expect(h!.seen).toBe(0x09);
    const traps = t.mode.trapCounts();
    expect(traps.get('callf')).toBe(1);
    expect(traps.get('retf')).toBe(2);
  });

  it('keeps at most maxHoles sites and counts the rest', () => {
    const t = setup('smsw eax\nstr ebx\nmov cx, cs\njmp $', { maxHoles: 1 });
    t.run(3);
    expect(t.mode.holes).toHaveLength(1);
    expect(t.mode.droppedHoleSites).toBe(2);
    expect(t.mode.holeCounts().get('STR')).toBe(1);
  });

  it('counts repeated hits of one site on the same record', () => {
    const t = setup('mov ecx, 5\nagain: mov ax, cs\nloop again\njmp $');
    t.run(11);
    expect(t.mode.holes).toHaveLength(1);
    expect(t.mode.holes[0]!.hits).toBe(5);
  });

  it('report() lists the traps and the hole sites', () => {
    const t = setup('pushfd\ncli\npopfd\njmp $');
    t.run(3);
    const r = t.mode.report();
    expect(r).toContain('guest kernel code runs at ring 1');
    expect(r).toContain('Traps: 1 (cli 1).');
    expect(r).toContain('Holes: 1 divergent executions at 1 sites: POPF 1 at 1 site.');
    expect(r).toContain('0x00010002 POPF x1: kept IF=0 where the guest popped IF=1');
  });
});

describe.skipIf(!hasNasm)('the broken-guest watchdog', () => {
  it('stops a guest that halts with interrupts disabled by a POPF hole, naming the hole', () => {
    const t = setup('pushfd\ncli\npopfd\nhlt');
    const e = thrown(() => t.run());
    expect(isPopekError(e)).toBe(true);
    const err = e as PopekError;
    expect(err.code).toBe('virtualization-hole');
    expect(err.message).toContain('it halted at 0x00010003 with interrupts disabled');
    expect(err.message).toContain('The hole that broke it: POPF at 0x00010002 kept IF=0 where the guest popped IF=1');
    expect(err.message).toContain('Holes hit: 1: POPF 1 at 1 site.');
    expect(err.message).toContain('Traps emulated: 2 (cli 1, hlt 1).');
    expect(err.message).toContain('virtualizable option');
    expect(t.mode.brokenGuest?.cause).toBe('halt');
    expect(t.mode.brokenGuest?.blamed?.hole.address).toBe(CODE + 2);
  });

  it('lets the same guest run on a virtualizable x86: the POPF traps and the interrupt is taken', () => {
    const t = setup('pushfd\ncli\npopfd\nhlt', { virtualizable: true });
    t.run(3);
    t.pic.pending.push(0x20);
    t.run();
    expect(t.dword(COUNTS + 4 * 0x20)).toBe(1);
    expect(t.mode.holes).toHaveLength(0);
    expect(t.mode.trapCounts().get('popf')).toBe(1);
    expect(t.mode.trapCounts().get('iret')).toBe(1);
    expect(t.mode.brokenGuest).toBeUndefined();
  });

  it('stops a guest that spins while an interrupt waits behind a hole', () => {
    const t = setup('pushfd\ncli\npopfd\nspin: pause\njmp spin', { starvationLimit: 20_000 });
    t.run(3);
    t.pic.pending.push(0x20);
    const e = thrown(() => t.run(500_000));
    expect(isPopekError(e)).toBe(true);
    expect((e as PopekError).message).toContain('an interrupt has been pending for');
    expect(t.mode.brokenGuest?.cause).toBe('starvation');
    expect(t.cpu.retired()).toBeLessThan(100_000);
  });

  it('leaves a guest alone that disables interrupts itself when no hole touched its interrupt flag', () => {
    const t = setup('sgdt [0x4000]\ncli\nspin: jmp spin', { starvationLimit: 20_000 });
    t.run(2);
    t.pic.pending.push(0x20);
    t.run(200_000);
    expect(t.mode.holes).toHaveLength(1);
    expect(t.mode.brokenGuest).toBeUndefined();
    const h = setup('sgdt [0x4000]\ncli\nhlt');
    h.run();
    expect(h.cpu.halted).toBe(true);
    expect(h.mode.brokenGuest).toBeUndefined();
  });

  it('blames the most recent harmful hole once its episode is over', () => {
    const t = setup('pushfd\ncli\npopfd\nsti\ncli\nhlt');
    const e = thrown(() => t.run()) as PopekError;
    expect(e.code).toBe('virtualization-hole');
    expect(e.message).toContain('The hole that broke it: POPF at 0x00010002');
    expect(t.mode.brokenGuest?.blamed?.effect).toBe('kept-disabled');
  });

  it('notices a stray STI: the guest restores a save whose PUSHF showed IF=1 while its interrupts were off', () => {
    const code = [
      'cli',
      'pushfd', // local_irq_save: the flags show IF=1
      'pop eax',
      'cli',
      'mov ebx, 1', // the critical section
      'test eax, 0x200', // local_irq_restore: if (flags & IF) sti
      'jz skip',
      'sti',
      'skip: cli',
      'hlt',
    ].join('\n');
    const t = setup(code);
    const e = thrown(() => t.run()) as PopekError;
    expect(t.metrics.value('cpu.trap-emulate.interrupt-harm', { effect: 'enabled' })).toBe(1);
    const harm = t.mode.firstHarm!;
    expect(harm.effect).toBe('enabled');
    expect(harm.hole.instruction).toBe('PUSHF');
    expect(harm.eip).toBe(CODE + 0x10);
    expect(e.message).toContain('The hole that broke it: PUSHF at 0x00010001');
    expect(e.message).toContain('Restoring that value, the guest executed STI at 0x00010010 and enabled interrupts where it had disabled them');
    const v = setup(code, { virtualizable: true });
    v.run();
    expect(v.cpu.halted).toBe(true);
    expect(v.mode.firstHarm).toBeUndefined();
  });

  it('does not count an STI long after a PUSHF that was only a query (no CLI saved it)', () => {
    const t = setup(['cli', 'pushfd', 'pop eax', 'times 20 nop', 'sti', 'jmp $'].join('\n'));
    t.run(25);
    expect(t.cpu.flags & IF).toBe(IF);
    expect(t.mode.firstHarm).toBeUndefined();
  });

  it('stops a guest that triple-faults after a hole, naming the most recent hole', () => {
    const t = setup('sgdt [0x4000]\nlidt [empty]\nint3\njmp $\nempty: dw 0\ndd 0');
    const e = thrown(() => t.run()) as PopekError;
    expect(e.code).toBe('virtualization-hole');
    expect(e.message).toContain('it triple-faulted');
    expect(e.message).toContain('The most recent hole before it: SGDT at 0x00010000');
    expect(t.mode.brokenGuest?.cause).toBe('triple-fault');
  });

  it('stops a guest that resets the machine after holes, but not after a snapshot restore', () => {
    const t = setup('sgdt [0x4000]\njmp $');
    t.run(5);
    const state = t.cpu.saveState();
    t.cpu.loadState(state);
    t.run(5);
    expect(t.mode.brokenGuest).toBeUndefined();
    t.cpu.reset();
    const e = thrown(() => t.cpu.runSlice(10)) as PopekError;
    expect(e.code).toBe('virtualization-hole');
    expect(e.message).toContain('it reset the machine');
  });

  it('with stopOnBrokenGuest false keeps the diagnosis and lets the guest run', () => {
    const t = setup('pushfd\ncli\npopfd\nhlt', { stopOnBrokenGuest: false });
    t.run();
    expect(t.cpu.halted).toBe(true);
    expect(t.mode.brokenGuest?.cause).toBe('halt');
    expect(t.mode.report()).toContain('Broken guest: The guest broke under trap-and-emulate');
  });

  it('ends the report with the host\'s hint', () => {
    const t = setup('pushfd\ncli\npopfd\nhlt', { hint: 'Run with --virtualizable.' });
    const e = thrown(() => t.run()) as PopekError;
    expect(e.message.endsWith('\nRun with --virtualizable.')).toBe(true);
  });

  it('a POPF that loads back what a lying PUSHF saved with interrupts off keeps IF=0 as bare hardware does: recorded, not a harm', () => {
    // The CPUID probe of Linux's decompressor (flag_is_changeable_p), run with interrupts off.
    const probe = ['cli', 'pushfd', 'pushfd', 'pop eax', 'mov ecx, eax', 'xor eax, 0x200000', 'push eax', 'popfd', 'pushfd', 'pop eax', 'popfd'];
    const t = setup([...probe, 'hlt'].join('\n'));
    t.run();
    expect(t.cpu.halted).toBe(true);
    expect(t.cpu.flags & IF).toBe(0);
    const popfs = t.mode.holes.filter((h) => h.instruction === 'POPF');
    expect(popfs).toHaveLength(2);
    expect(popfs[0]!.detail).toContain('kept IF=0 where the guest popped IF=1');
    expect(popfs[0]!.detail).toContain(`The guest loaded back what the PUSHF at 0x00010002 saved, where bare hardware would have saved IF=0`);
    expect(popfs[1]!.detail).toContain('loaded back what the PUSHF at 0x00010001 saved');
    expect(t.mode.firstHarm).toBeUndefined();
    expect(t.metrics.value('cpu.trap-emulate.interrupt-harm', { effect: 'kept-disabled' })).toBe(0);
    expect(t.mode.brokenGuest).toBeUndefined();
    const spin = setup([...probe, 'spin: jmp spin'].join('\n'), { starvationLimit: 20_000 });
    spin.run(200_000);
    expect(spin.mode.brokenGuest).toBeUndefined();
  });

  it('an IRET of the flags a lying PUSHF pushed (Linux\'s iret_to_self with interrupts off) is not a harm', () => {
    const t = setup('cli\npushfd\npush cs\npush dword back\niretd\nback: hlt');
    t.run();
    expect(t.cpu.halted).toBe(true);
    expect(t.mode.holes.map((h) => h.instruction)).toEqual(['PUSHF', 'PUSH CS', 'IRET']);
    expect(t.mode.holes[2]!.detail).toContain('loaded back what the PUSHF at 0x00010001 saved');
    expect(t.mode.firstHarm).toBeUndefined();
    expect(t.mode.brokenGuest).toBeUndefined();
  });

  it('a POPF of flags saved while interrupts were on is a harm even after a lie in the same section', () => {
    // Outer save with IF=1; nested save (a lie) and restore; the outer restore keeps IF=0.
    const t = setup('pushfd\ncli\npushfd\npopfd\npopfd\nhlt');
    const e = thrown(() => t.run()) as PopekError;
    expect(e.code).toBe('virtualization-hole');
    expect(e.message).toContain('The hole that broke it: POPF at 0x00010004 kept IF=0 where the guest popped IF=1');
    expect(t.mode.holes.find((h) => h.address === CODE + 3)!.detail).toContain('loaded back what the PUSHF at 0x00010002 saved');
    expect(t.mode.firstHarm?.hole.address).toBe(CODE + 4);
  });

  // An interrupted critical section: the interrupt a stray STI lets in finds the lock taken, and
  // its handler spins on it with interrupts disabled. The handler holds the interrupt
  // controller's in-service bit, so no interrupt is pending: only the hang check can see it.
  const deadlock = [
    'jmp main',
    'handler: pause', // the timer handler: spin_lock(&lock)
    'cmp dword [0x6000], 0',
    'jne handler',
    'mov dword [0x6004], 1',
    'iretd',
    'main: pushfd', // spin_lock_irqsave(&lock, outer) with interrupts on
    'pop esi',
    'cli',
    'mov dword [0x6000], 1',
    'pushfd', // a nested local_irq_save: the flags show IF=1
    'pop eax',
    'cli',
    'test eax, 0x200', // its local_irq_restore: if (flags & IF) sti
    'jz inner_done',
    'sti',
    'inner_done: mov ecx, 100',
    'work: loop work',
    'mov dword [0x6000], 0', // spin_unlock_irqrestore(&lock, outer)
    'test esi, 0x200',
    'jz outer_done',
    'sti',
    'outer_done: jmp outer_done',
  ].join('\n');

  function deadlockGuest(options: TrapEmulateOptions) {
    const t = setup(deadlock, options);
    const dv = new DataView(t.bus.ram.buffer);
    const handler = CODE + 2;
    dv.setUint32(IDT + 8 * 0x20, (0x08 << 16) | (handler & 0xffff), true);
    dv.setUint32(IDT + 8 * 0x20 + 4, (handler & 0xffff0000) | 0x8e00, true);
    t.run(5); // up to the lock, interrupts off
    t.pic.pending.push(0x20); // the timer fires inside the critical section
    return t;
  }

  it('stops a guest whose interrupt handler, let in by a stray STI, deadlocks with nothing pending, blaming the PUSHF', () => {
    const t = deadlockGuest({ starvationLimit: 20_000 });
    const e = thrown(() => t.run(1_000_000)) as PopekError;
    expect(isPopekError(e)).toBe(true);
    expect(e.code).toBe('virtualization-hole');
    expect(t.pic.hasInterrupt()).toBe(false);
    expect(t.cpu.retired()).toBeLessThan(100_000);
    const broken = t.mode.brokenGuest!;
    expect(broken.cause).toBe('hang');
    expect(broken.interrupted).toBe(true);
    expect(broken.blamed?.effect).toBe('enabled');
    expect(broken.blamed?.hole.instruction).toBe('PUSHF');
    expect(broken.blamed?.hole.address).toBe(CODE + 0x25);
    expect(e.message).toContain('instructions with interrupts disabled without trapping to the monitor once, spinning at 0x0001000');
    expect(e.message).toContain('The hole that broke it: PUSHF at 0x00010025 showed the host\'s IF=1 and IOPL=0 (pushed 0x00000202 where the guest\'s EFLAGS were 0x00000002).');
    expect(e.message).toContain('Restoring that value, the guest executed STI at 0x0001002f and enabled interrupts where it had disabled them');
    expect(e.message).toContain('an interrupt arrived inside that section');
    expect(t.metrics.value('cpu.trap-emulate.interrupt-harm', { effect: 'enabled' })).toBe(1);
  });

  it('runs the same guest on a virtualizable x86: the interrupt waits for the unlock and the handler returns', () => {
    const t = deadlockGuest({ starvationLimit: 20_000, virtualizable: true });
    t.run(200_000);
    expect(t.dword(0x6004)).toBe(1);
    expect(t.cpu.flags & IF).toBe(IF);
    expect(t.mode.brokenGuest).toBeUndefined();
  });

  it('counts a stray enable under which the guest took an interrupt that returned, and does not stop it', () => {
    const t = setup(deadlock.replace('mov dword [0x6000], 1', 'nop'), { starvationLimit: 20_000 });
    const dv = new DataView(t.bus.ram.buffer);
    dv.setUint32(IDT + 8 * 0x20, (0x08 << 16) | ((CODE + 2) & 0xffff), true);
    dv.setUint32(IDT + 8 * 0x20 + 4, ((CODE + 2) & 0xffff0000) | 0x8e00, true);
    t.run(5);
    t.pic.pending.push(0x20);
    t.run(200_000);
    expect(t.dword(0x6004)).toBe(1);
    expect(t.metrics.value('cpu.trap-emulate.interrupt-harm', { effect: 'interrupted' })).toBe(1);
    expect(t.mode.brokenGuest).toBeUndefined();
  });
});

describe.skipIf(!hasNasm)('trap-and-emulate on a virtualizable x86', () => {
  const code = [
    'pushfd',
    'cli',
    'popfd',
    'pushfd',
    'pop eax',
    'smsw ebx',
    'sgdt [0x4000]',
    'sidt [0x4008]',
    'str cx',
    'mov dx, cs',
    'push ss',
    'pop esi',
    'mov di, 0x28',
    'lar edi, di',
    'push dword 0x0f',
    'push dword 0x10',
    'mov [0x4010], esp',
    'mov ebp, 0x3002',
    'push ebp',
    'popfd',
    'pushfd',
    'pop dword [0x4014]',
    'cli',
    'hlt',
  ].join('\n');

  it('gives every sensitive instruction its native result and counts it as a trap', () => {
    const t = setup(code, { virtualizable: true });
    t.run();
    const native = guest(code);
    native.run();
    expect([...t.cpu.regs]).toEqual([...native.cpu.regs]);
    expect(t.cpu.getEflags()).toBe(native.cpu.getEflags());
    expect(t.bus.ram.subarray(0x4000, 0x4020)).toEqual(native.bus.ram.subarray(0x4000, 0x4020));
    expect(t.mode.holes).toHaveLength(0);
    const traps = t.mode.trapCounts();
    expect(traps.get('popf')).toBe(2);
    expect(traps.get('pushf')).toBe(3);
    expect(traps.get('smsw')).toBe(1);
    expect(traps.get('sgdt')).toBe(1);
    expect(traps.get('sidt')).toBe(1);
    expect(traps.get('str')).toBe(1);
    expect(traps.get('mov-from-cs')).toBe(1);
    expect(traps.get('push-ss')).toBe(1);
    expect(traps.get('lar')).toBe(1);
    expect(traps.get('cli')).toBe(2);
    expect(traps.get('hlt')).toBe(1);
    expect(t.cpu.regs[0]! & IF).toBe(IF);
    expect(t.cpu.regs[7]).toBe(0x8900);
  });
});

describe('options', () => {
  it('applies the defaults', () => {
    expect(resolveTrapEmulateOptions()).toMatchObject({ virtualizable: false, maxHoles: 64, stopOnBrokenGuest: true, starvationLimit: 100_000_000 });
  });

  it('rejects a negative maxHoles with a PopekError', () => {
    const e = thrown(() => resolveTrapEmulateOptions({ maxHoles: -1 }));
    expect(isPopekError(e)).toBe(true);
    expect((e as PopekError).code).toBe('options-invalid');
  });
});
