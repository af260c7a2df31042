import { SliceExit, decodeState, encodeState } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { flatKernel } from '../test/support/flat-kernel.js';
import { CpuidFeature } from './cpuid.js';
import { InstructionClass } from './opcode-table.js';
import { PolicyAction, type ExecutionPolicy } from './execution-policy.js';
import { buildDispatchTable } from './interpreter/dispatch.js';

function cpuid(leaf: number, t = flatKernel('cpuid\nhlt')): number[] {
  t.cpu.regs[0] = leaf;
  t.cpu.runSlice(2);
  return [t.cpu.regs[0]!, t.cpu.regs[3]!, t.cpu.regs[1]!, t.cpu.regs[2]!];
}

describe('CPUID, TSC, MSRs and control registers', () => {
  it('identifies as a GenuineIntel family-6 processor with exactly the implemented features', () => {
    const [max, b, c, d] = cpuid(0);
    expect(max).toBe(2);
    const vendor = [b!, d!, c!].map((v) => String.fromCharCode(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24)).join('');
    expect(vendor).toBe('GenuineIntel');
    const [sig, , ecx, edx] = cpuid(1);
    expect((sig! >> 8) & 0xf).toBe(6);
    const want = CpuidFeature.FPU | CpuidFeature.VME | CpuidFeature.DE | CpuidFeature.PSE | CpuidFeature.TSC | CpuidFeature.MSR | CpuidFeature.PAE | CpuidFeature.CX8 | CpuidFeature.SEP | CpuidFeature.PGE | CpuidFeature.CMOV | CpuidFeature.FXSR;
    expect(edx).toBe(want);
    expect(ecx).toBe(0);
    const noVme = flatKernel('cpuid\nhlt');
    expect(cpuid(1, noVme)[3]! & CpuidFeature.VME).toBe(CpuidFeature.VME);
    const [ext] = cpuid(0x80000000);
    expect(ext! >>> 0).toBe(0x80000004);
  });

  it('reads the time-stamp counter from the core clock (1 GHz: one tick per guest ns)', () => {
    const t = flatKernel(`
      rdtsc
      mov ebx, eax
      nop
      nop
      rdtsc
      hlt`);
    t.cpu.runSlice(10);
    // Deterministic clock at 100 MIPS: 10 ns per instruction; the two RDTSCs are 4 instructions apart.
    expect(t.cpu.regs[0]! - t.cpu.regs[3]!).toBe(40);
  });

  it('implements the SYSENTER MSRs and TSC writes, and raises #GP for unknown MSRs', () => {
    const t = flatKernel(`
      mov ecx, 0x176
      mov eax, 0x12345678
      xor edx, edx
      wrmsr
      rdmsr
      mov esi, eax
      mov ecx, 0x10
      mov eax, 1000
      xor edx, edx
      wrmsr
      rdtsc
      mov edi, eax
      mov ecx, 0xc0000080
      rdmsr`);
    t.cpu.runSlice(50);
    expect(t.cpu.regs[6]).toBe(0x12345678);
    expect(t.cpu.regs[7]).toBe(1000 + 10);
    expect(t.log()).toMatchObject({ vector: 13, error: 0 });
  });

  it('raises #GP for reserved CR4 bits and for MOV to CR0 with PG but not PE', () => {
    const t = flatKernel(`mov eax, 0x400000\nmov cr4, eax`);
    t.cpu.runSlice(5);
    expect(t.log().vector).toBe(13);
    const u = flatKernel(`mov eax, 0x80000000\nmov cr0, eax`);
    u.cpu.runSlice(5);
    expect(u.log().vector).toBe(13);
  });

  it('advances the segment generation on a segment load and a DR7 write, and not on ordinary instructions', () => {
    const t = flatKernel(`
      add eax, ebx
      mov ecx, [esp]
      mov ax, 0x10
      mov ds, ax
      mov eax, 0x401
      mov dr7, eax
      hlt`);
    const g0 = t.cpu.segGeneration;
    t.cpu.runSlice(2);
    expect(t.cpu.segGeneration).toBe(g0);
    t.cpu.runSlice(2);
    const g1 = t.cpu.segGeneration;
    expect(g1).toBeGreaterThan(g0);
    t.cpu.runSlice(1);
    expect(t.cpu.segGeneration).toBe(g1);
    t.cpu.runSlice(1);
    expect(t.cpu.segGeneration).toBeGreaterThan(g1);
  });

  it('counts instructions exactly up to an OUT, so device time is deterministic', () => {
    const t = flatKernel(`
      nop
      nop
      out 0x80, al
      hlt`);
    const seen: number[] = [];
    t.bus.mapPorts(0x80, 1, { read: () => 0, write: () => seen.push(t.cpu.retired()) });
    t.cpu.runSlice(10);
    expect(seen).toEqual([2]);
  });
});

describe('x87 seam', () => {
  it('raises #NM for x87 instructions with CR0.TS or CR0.EM, and runs them otherwise', () => {
    const t = flatKernel(`
      mov eax, cr0
      or eax, 8
      mov cr0, eax
      fld1`);
    t.cpu.runSlice(10);
    expect(t.log().vector).toBe(7);
    const u = flatKernel(`
      fninit
      fld1
      fld1
      faddp
      fistp dword [0x2000]
      fnstsw ax
      hlt`);
    u.cpu.runSlice(20);
    expect(u.log().count).toBe(0);
    expect(new DataView(u.bus.ram.buffer).getInt32(0x2000, true)).toBe(2);
  });

  it('requires a 16-byte aligned FXSAVE area', () => {
    const t = flatKernel(`fxsave [0x2008]`);
    t.cpu.runSlice(5);
    expect(t.log()).toMatchObject({ vector: 13, error: 0 });
    const u = flatKernel(`fninit\nfld1\nfxsave [0x2000]\nhlt`);
    u.cpu.runSlice(10);
    expect(u.log().count).toBe(0);
    expect(u.bus.ram[0x2000 + 4]).toBe(0x80); // abridged tag word: ST0 valid (physical register 7)
  });
});

describe('engine/policy seam', () => {
  it('costs nothing by default: the dispatch table is the plain one', () => {
    const t = flatKernel('hlt');
    const plain = buildDispatchTable();
    expect(t.cpu.ops.every((h, i) => h === plain[i])).toBe(true);
  });

  it('shows privileged and sensitive instructions to the policy, which may count or emulate them', () => {
    const seen: string[] = [];
    const policy: ExecutionPolicy = {
      name: 'count',
      intercept: (1 << InstructionClass.Privileged) | (1 << InstructionClass.Sensitive),
      onInstruction(cpu, form) {
        seen.push(form.mnemonic);
        if (form.mnemonic === 'SMSW') {
          // Emulate SMSW EAX as a monitor would (skip the ModRM byte).
          cpu.fetch8();
          cpu.regs[0] = 0x1234;
          return PolicyAction.Handled;
        }
        return PolicyAction.Execute;
      },
    };
    const t = flatKernel(`
      pushfd
      popfd
      smsw eax
      mov ebx, cr0
      add ecx, 1
      hlt`);
    t.cpu.setPolicy(policy);
    t.cpu.runSlice(20);
    expect(seen).toEqual(['PUSHF', 'POPF', 'SMSW', 'MOV', 'HLT']);
    expect(t.cpu.regs[0]).toBe(0x1234);
    expect(t.cpu.regs[1]).toBe(1);
    t.cpu.setPolicy(undefined);
    expect(t.cpu.ops.every((h, i) => h === buildDispatchTable()[i])).toBe(true);
  });

  it('lets a policy supply the engine that runs slices', () => {
    const t = flatKernel('hlt');
    let calls = 0;
    t.cpu.setPolicy({ name: 'engine', intercept: 0, engine: { name: 'fake', runSlice: (cpu, n) => (calls++, cpu.interpretSlice(n)) } });
    expect(t.cpu.runSlice(10)).toBe(SliceExit.Halted);
    expect(calls).toBe(1);
  });
});

describe('snapshot', () => {
  it('round-trips protected-mode state, the x87 and system registers byte for byte', () => {
    const t = flatKernel(`
      fninit
      fldpi
      mov eax, 0x11223344
      mov ecx, 0x174
      mov edx, 0
      wrmsr
      sti
      sub eax, 5
      hlt`);
    t.cpu.runSlice(20);
    const a = encodeState(t.cpu.saveState());
    const u = flatKernel('hlt');
    u.cpu.loadState(decodeState(a));
    expect(encodeState(u.cpu.saveState())).toEqual(a);
    expect(u.cpu.sysenterCs).toBe(0x11223344 & 0xffff);
    expect(u.cpu.cpl).toBe(0);
    expect(u.cpu.protectedMode).toBe(true);
  });
});
