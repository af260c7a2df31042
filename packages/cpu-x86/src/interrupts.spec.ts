import { SliceExit } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { flatKernel } from '../test/support/flat-kernel.js';

describe('interrupts and exceptions', () => {
  it('takes an external interrupt through the IDT only while IF is set', () => {
    const t = flatKernel(`
      mov ecx, 100
    a: loop a
      sti
    b: jmp b`);
    t.pic.pending.push(0x20);
    expect(t.cpu.runSlice(50)).toBe(SliceExit.Budget);
    expect(t.log().count).toBe(0);
    expect(t.cpu.runSlice(1000)).toBe(SliceExit.Halted);
    expect(t.log()).toMatchObject({ vector: 0x20, cs: 0x08, count: 1 });
    expect(t.log().eflags & 0x200).toBe(0x200);
  });

  it('delays an interrupt by one instruction after STI (interrupt shadow)', () => {
    const t = flatKernel(`
      sti
      mov eax, 1
      mov eax, 2
    h: jmp h`);
    t.pic.pending.push(0x21);
    t.cpu.runSlice(100);
    // The interrupt arrives after MOV EAX, 1 (EIP 0x10006), not right after STI.
    expect(t.log()).toMatchObject({ vector: 0x21, eip: 0x10006 });
    expect(t.cpu.regs[0]).toBe(1);
  });

  it('sleeps in HLT until an interrupt wakes it', () => {
    const t = flatKernel(`
      sti
      hlt
      mov eax, 7
    h: jmp h`);
    expect(t.cpu.runSlice(100)).toBe(SliceExit.Halted);
    expect(t.cpu.halted).toBe(true);
    expect(t.cpu.runSlice(100)).toBe(SliceExit.Halted);
    t.pic.pending.push(0x30);
    t.cpu.runSlice(100);
    expect(t.log()).toMatchObject({ vector: 0x30, eip: 0x10002 });
  });

  it('takes an NMI with interrupts disabled and blocks further NMIs until IRET', () => {
    const t = flatKernel(`h: jmp h`);
    t.cpu.raiseNmi();
    t.cpu.runSlice(10);
    expect(t.log()).toMatchObject({ vector: 2, count: 1 });
    expect(t.cpu.nmiBlocked).toBe(true);
  });

  it('reports faults with the vector, error code and the faulting EIP', () => {
    const t = flatKernel(`
      nop
      mov ax, 0x33
      mov ds, ax`);
    t.cpu.runSlice(10);
    expect(t.log()).toMatchObject({ vector: 13, error: 0x30, eip: 0x10005 });
  });

  it('raises #DE for a division by zero and for a quotient that does not fit', () => {
    const t = flatKernel(`
      mov edx, 1
      mov eax, 0
      mov ecx, 1
      div ecx`);
    t.cpu.runSlice(10);
    expect(t.log()).toMatchObject({ vector: 0, eip: 0x10000 + 15 });
  });

  it('escalates a fault during exception delivery to #DF, and a fault during #DF to shutdown', () => {
    const t = flatKernel(`ud2`);
    // Make the #UD gate not present: #NP while delivering #UD is benign+contributory: no #DF.
    t.bus.ram[0x1000 + 6 * 8 + 5]! &= 0x7f;
    t.cpu.runSlice(10);
    expect(t.log()).toMatchObject({ vector: 11, error: 6 * 8 + 2 + 1 });
    // #GP gate not present while delivering #GP: contributory + contributory = #DF.
    const u = flatKernel(`mov ax, 0x33\nmov ds, ax`);
    u.bus.ram[0x1000 + 13 * 8 + 5]! &= 0x7f;
    u.cpu.runSlice(10);
    expect(u.log()).toMatchObject({ vector: 8, error: 0 });
    // And with the #DF gate gone too: triple fault, a reset request, the CPU shut down.
    const w = flatKernel(`mov ax, 0x33\nmov ds, ax`);
    w.bus.ram[0x1000 + 13 * 8 + 5]! &= 0x7f;
    w.bus.ram[0x1000 + 8 * 8 + 5]! &= 0x7f;
    expect(w.cpu.runSlice(10)).toBe(SliceExit.Requested);
    expect(w.power.resets).toEqual(['triple-fault']);
    expect(w.cpu.shutdown).toBe(true);
    expect(w.cpu.runSlice(10)).toBe(SliceExit.Halted);
  });

  it('checks segment limits, types and expand-down segments on data accesses', () => {
    const t = flatKernel(`
      mov ax, 0x38
      mov es, ax
      mov eax, [es:0x10]
      mov eax, [es:0xfff]`);
    const dv = new DataView(t.bus.ram.buffer);
    // 0x38: data segment, base 0x100000, limit 0xfff, read-only
    dv.setUint32(0x500 + 7 * 8, 0x00000fff, true);
    dv.setUint32(0x500 + 7 * 8 + 4, 0x00409010, true);
    t.cpu.setDescriptorTable('gdtr', 0x500, 8 * 8 - 1);
    t.cpu.runSlice(20);
    // The 4-byte read at 0xFFF runs past the limit: #GP(0) at that instruction.
    expect(t.log()).toMatchObject({ vector: 13, error: 0, eip: 0x10000 + 4 + 2 + 6 });
    const w = flatKernel(`
      mov ax, 0x38
      mov es, ax
      mov dword [es:0x10], 1`);
    const dw = new DataView(w.bus.ram.buffer);
    dw.setUint32(0x500 + 7 * 8, 0x00000fff, true);
    dw.setUint32(0x500 + 7 * 8 + 4, 0x00409010, true);
    w.cpu.setDescriptorTable('gdtr', 0x500, 8 * 8 - 1);
    w.cpu.runSlice(20);
    expect(w.log()).toMatchObject({ vector: 13, error: 0 });
  });

  it('raises #SS for a stack access below an expand-down stack limit', () => {
    const t = flatKernel(`
      mov ax, 0x38
      mov ss, ax
      mov esp, 0x1004
      push eax
      mov esp, 0x2000
      mov eax, [ss:0xffe]`);
    const dv = new DataView(t.bus.ram.buffer);
    // 0x38: expand-down writable data, limit 0xfff, B = 1: valid offsets 0x1000..0xFFFFFFFF
    dv.setUint32(0x500 + 7 * 8, 0x00000fff, true);
    dv.setUint32(0x500 + 7 * 8 + 4, 0x00409600, true);
    t.cpu.setDescriptorTable('gdtr', 0x500, 8 * 8 - 1);
    t.cpu.runSlice(20);
    expect(t.log()).toMatchObject({ vector: 12, error: 0 });
    expect(t.cpu.regs[4]).toBe(0x2000);
  });

  it('rejects LOCK on a register destination or a non-lockable instruction with #UD', () => {
    const t = flatKernel(`lock add eax, ebx`);
    t.cpu.runSlice(5);
    expect(t.log().vector).toBe(6);
    const u = flatKernel(`lock mov [0x2000], eax`);
    u.cpu.runSlice(5);
    expect(u.log().vector).toBe(6);
    const v = flatKernel(`lock add [0x2000], eax\nhlt`);
    v.cpu.regs[0] = 5;
    v.cpu.runSlice(5);
    expect(v.log().count).toBe(0);
    expect(v.bus.ram[0x2000]).toBe(5);
  });

  it('raises #AC for a misaligned access at CPL 3 with CR0.AM and EFLAGS.AC, and only then', () => {
    const t = flatKernel(`
      mov eax, cr0
      or eax, 0x40000
      mov cr0, eax
      mov ax, 0x23
      mov ds, ax
      push dword 0x23
      push dword 0x9000
      push dword 0x40002
      push dword 0x1b
      push dword user
      iret
    user:
      mov eax, [0x2000]
      mov ax, [0x2002]
      mov eax, [0x2001]`);
    t.cpu.runSlice(40);
    expect(t.log()).toMatchObject({ vector: 17, error: 0, cs: 0x1b });
    // The aligned dword and word reads went through; the misaligned one faulted.
    expect(t.cpu.regs[0]! & 0xffff).toBe(0);
    // The same access without EFLAGS.AC is fine.
    const u = flatKernel(`
      mov eax, cr0
      or eax, 0x40000
      mov cr0, eax
      mov eax, [0x2001]
      hlt`);
    u.cpu.runSlice(10);
    expect(u.log().count).toBe(0);
  });

  it('takes instruction breakpoints as faults, resumes with RF, and data breakpoints as traps', () => {
    const t = flatKernel(`
      mov eax, target
      mov dr0, eax
      mov eax, 0x3000
      mov dr1, eax
      mov eax, (1 << 0) | (1 << 2) | (0b01 << 20) | (0b11 << 22)
      mov dr7, eax
      nop
    target:
      inc ecx
      mov [0x3002], ecx
      hlt`);
    t.cpu.runSlice(50);
    // First #DB: the instruction breakpoint on "inc ecx", before it executes (a fault).
    expect(t.log()).toMatchObject({ vector: 1, count: 1 });
    expect(t.cpu.regs[1]).toBe(0);
    expect(t.cpu.dr[6]! & 0xf).toBe(1);
    // Resume at the breakpoint with RF set: the instruction runs; the 4-byte write at 0x3002
    // overlaps DR1's dword at 0x3000 and traps after the MOV.
    const bp = t.log().eip;
    t.cpu.dr[6] = 0xffff0ff0 | 0;
    t.cpu.halted = false;
    t.cpu.setRegisters({ eip: bp, esp: 0x9000, eflags: 0x10002 });
    t.cpu.runSlice(50);
    expect(t.cpu.regs[1]).toBe(1);
    expect(t.log()).toMatchObject({ vector: 1, count: 2, eip: bp + 1 + 6 });
    expect(t.cpu.dr[6]! & 0xf).toBe(2);
  });

  it('faults on MOV DR with DR7.GD set, reporting DR6.BD', () => {
    const t = flatKernel(`
      mov eax, 0x2000
      mov dr7, eax
      mov eax, dr0`);
    t.cpu.runSlice(20);
    expect(t.log()).toMatchObject({ vector: 1, eip: 0x10000 + 5 + 3 });
    expect(t.cpu.dr[6]! & 0x2000).toBe(0x2000);
    expect(t.cpu.dr[7]! & 0x2000).toBe(0);
  });
});
