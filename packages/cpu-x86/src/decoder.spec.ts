import { describe, expect, it } from 'vitest';
import { flatKernel } from '../test/support/flat-kernel.js';
import { decodeInstruction } from './decoder.js';
import { OPCODE_INFO } from './opcode-table.js';

/** Opcodes that transfer control (their EIP after execution is not "start + length"). */
const CONTROL = new Set([
  0x9a, 0xc2, 0xc3, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xe8, 0xe9, 0xea, 0xeb, 0xf4, 0xff, 0x0f,
  0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0xf1, 0x134, 0x135,
]);

describe('decoder', () => {
  it('decodes prefixes, ModRM, SIB, displacements and immediates', () => {
    // lock add dword [fs:eax+ebx*4+0x12345678], 0x11223344
    const d = decodeInstruction(new Uint8Array([0xf0, 0x64, 0x81, 0x84, 0x98, 0x78, 0x56, 0x34, 0x12, 0x44, 0x33, 0x22, 0x11]), 0, true);
    expect(d).toMatchObject({ length: 13, index: 0x81, modrm: 0x84, segment: 4, lock: true });
    expect(d?.form?.mnemonic).toBe('ADD');
    // 16-bit code: mov ax, [bp+si+0x10] ; 66 prefix flips to a 32-bit immediate
    expect(decodeInstruction(new Uint8Array([0x8b, 0x42, 0x10]), 0, false)?.length).toBe(3);
    expect(decodeInstruction(new Uint8Array([0x66, 0xb8, 1, 2, 3, 4]), 0, false)?.length).toBe(6);
    // F6 /0 has an immediate, F6 /2 does not
    expect(decodeInstruction(new Uint8Array([0xf6, 0xc0, 0x12]), 0, true)?.length).toBe(3);
    expect(decodeInstruction(new Uint8Array([0xf6, 0xd0]), 0, true)?.length).toBe(2);
    // ENTER Iw,Ib and a far pointer
    expect(decodeInstruction(new Uint8Array([0xc8, 0x10, 0x00, 0x01]), 0, true)?.length).toBe(4);
    expect(decodeInstruction(new Uint8Array([0xea, 1, 2, 3, 4, 5, 6]), 0, true)?.length).toBe(7);
    // MMX is decoded (lengths) though not implemented: paddb mm0, [eax+8]; psllw mm1, 3
    expect(decodeInstruction(new Uint8Array([0x0f, 0xfc, 0x40, 0x08]), 0, true)).toMatchObject({ length: 4, form: { mnemonic: 'PADDB', implemented: false } });
    expect(decodeInstruction(new Uint8Array([0x0f, 0x71, 0xf1, 0x03]), 0, true)).toMatchObject({ length: 4, form: { mnemonic: 'PSLLW' } });
  });

  it('raises #UD for MMX instructions, which CPUID does not report', () => {
    const t = flatKernel('paddb mm0, [eax+8]', { ramBytes: 1 << 20 });
    t.cpu.runSlice(20);
    expect(t.log()).toMatchObject({ vector: 6, eip: 0x10000 });
  });

  it('agrees with the interpreter on the length of every non-branching form', () => {
    const modrms = [0x00, 0x05, 0x04, 0x44, 0x84, 0x40, 0x80, 0xc1, 0xd8];
    let checked = 0;
    for (let index = 0; index < 512; index++) {
      const info = OPCODE_INFO[index]!;
      if (!info.defined || CONTROL.has(index)) continue;
      if (index >= 0x170 && index < 0x180) continue;
      if ((index >= 0x70 && index < 0x80) || (index >= 0xe0 && index < 0xe4) || (index >= 0x180 && index < 0x190)) continue;
      for (const m of info.modrm ? modrms : [0]) {
        const bytes = new Uint8Array(24);
        let p = 0;
        if (index > 0xff) bytes[p++] = 0x0f;
        bytes[p++] = index & 0xff;
        if (info.modrm) {
          bytes[p++] = m;
          if ((m & 7) === 4 && m < 0xc0) bytes[p++] = 0x00;
        }
        for (let i = p; i < 24; i++) bytes[i] = 0x01;
        const d = decodeInstruction(bytes, 0, true);
        if (d === undefined) continue;
        const t = flatKernel('hlt', { ramBytes: 1 << 20 });
        t.bus.ram.set(bytes, 0x10000);
        for (let r = 0; r < 8; r++) if (r !== 4) t.cpu.regs[r] = 0x2000;
        t.cpu.step();
        // Skip instructions that faulted (EIP now in the exception stubs) or halted.
        if (t.log().count !== 0 || t.cpu.halted || t.cpu.eip < 0x10000 || t.cpu.eip > 0x10020) continue;
        expect({ index: index.toString(16), modrm: m, eip: t.cpu.eip - 0x10000 }).toEqual({ index: index.toString(16), modrm: m, eip: d.length });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(600);
  });
});
