/**
 * The CPU's policy seam as the mode relies on it: an installed policy is shown exactly the
 * intercepted forms the opcode table gives (`formOf`), group opcodes by their ModRM reg field,
 * and never the ordinary forms of the same group (FF /0 /6, ...).
 */
import { InstructionClass, PolicyAction, formOf, type ExecutionPolicy, type OpcodeForm } from '@popek/cpu-x86';
import { describe, expect, it } from 'vitest';
import { guest, hasNasm } from '../test/support/guest.js';

const ALL = (1 << InstructionClass.Privileged) | (1 << InstructionClass.IoSensitive) | (1 << InstructionClass.Sensitive);

function recorder(intercept: number): ExecutionPolicy & { readonly seen: OpcodeForm[] } {
  const seen: OpcodeForm[] = [];
  return {
    name: 'recorder',
    intercept,
    seen,
    onInstruction(_cpu, form) {
      seen.push(form);
      return PolicyAction.Execute;
    },
  };
}

describe.skipIf(!hasNasm)('the policy seam', () => {
  const code = [
    'inc dword [0x4000]', // FF /0: ordinary
    'push dword [0x4000]', // FF /6: ordinary
    'pop eax',
    'call [target]', // FF /2: ordinary
    'sgdt [0x4010]', // 0F 01 /0
    'smsw eax', // 0F 01 /4, register form
    'sldt ax', // 0F 00 /0
    'str ax', // 0F 00 /1
    'verr ax', // 0F 00 /4
    'jmp far [farptr]', // FF /5
    'there: cli',
    'hlt',
    'sub: ret',
    'target: dd sub',
    'farptr: dd there',
    'dw 0x08',
  ].join('\n');

  it('shows the policy the intercepted forms of group opcodes by ModRM reg field, and no ordinary form', () => {
    const policy = recorder(ALL);
    const g = guest(code, policy);
    g.run();
    expect(g.cpu.halted).toBe(true);
    expect(g.dword(0x4000)).toBe(1);
    expect(policy.seen.map((f) => `${f.mnemonic} ${f.opcode.toString(16)}/${f.ext}`)).toEqual([
      'SGDT f01/0',
      'SMSW f01/4',
      'SLDT f00/0',
      'STR f00/1',
      'VERR f00/4',
      'JMPF ff/5',
      'CLI fa/-1',
      'HLT f4/-1',
    ]);
    expect(policy.seen[0]).toBe(formOf(0x101, 0x05));
    expect(policy.seen[1]).toBe(formOf(0x101, 0xe0));
    expect(policy.seen[5]).toBe(formOf(0xff, 0x2d));
  });

  it('shows only the classes the policy intercepts', () => {
    const policy = recorder(1 << InstructionClass.Privileged);
    guest(code, policy).run();
    expect(policy.seen.map((f) => f.mnemonic)).toEqual(['HLT']);
  });
});
