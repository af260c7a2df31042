import { describe, expect, it } from 'vitest';
import { Rng } from '../test/native/cases.js';
import { flatKernel } from '../test/support/flat-kernel.js';

/**
 * The guest is hostile: random instruction streams, in every mode, must only ever produce
 * architected effects (faults, halts, resets) — never a host exception.
 */
describe('hostile instruction streams', () => {
  for (const mode of ['protected, CPL 0', 'protected, CPL 3', 'real mode', 'virtual-8086']) {
    it(`never throws on the host: random bytes in ${mode}`, () => {
      const rng = new Rng(0xbad5eed ^ mode.length);
      const t = flatKernel('hlt', { ramBytes: 2 << 20 });
      const cpu = t.cpu;
      const ram = t.bus.ram;
      let executed = 0;
      for (let round = 0; round < 300; round++) {
        // Fresh random code and data each round; descriptor tables and IDT stay intact.
        for (let i = 0x10000; i < 0x11000; i++) ram[i] = rng.u32() & 0xff;
        for (let i = 0x20000; i < 0x21000; i++) ram[i] = rng.u32() & 0xff;
        for (let r = 0; r < 8; r++) cpu.regs[r] = r === 4 ? 0x9000 : rng.int(3) === 0 ? rng.u32() : 0x20000 + rng.int(0x1000);
        cpu.halted = false;
        cpu.shutdown = false;
        if (mode === 'real mode') {
          cpu.setControlRegister(0, 0x10);
          for (const s of ['cs', 'ds', 'es', 'fs', 'gs', 'ss'] as const) cpu.setSegment(s, { selector: s === 'cs' ? 0x1000 : 0, base: s === 'cs' ? 0x10000 : 0, limit: 0xffff, accessRights: 0x93 });
          cpu.setDescriptorTable('idtr', 0, 0x3ff);
          cpu.setRegisters({ eip: rng.int(0x1000), esp: 0x9000, eflags: 0x2 });
        } else {
          cpu.setControlRegister(0, 0x11);
          cpu.setDescriptorTable('idtr', 0x1000, 0x7ff);
          const user = mode !== 'protected, CPL 0';
          cpu.setSegment('cs', { selector: user ? 0x1b : 0x08, base: 0, limit: 0xffffffff, accessRights: user ? 0xc0fb : 0xc09b });
          for (const s of ['ds', 'es', 'fs', 'gs', 'ss'] as const) cpu.setSegment(s, { selector: user ? 0x23 : 0x10, base: 0, limit: 0xffffffff, accessRights: user ? 0xc0f3 : 0xc093 });
          cpu.setRegisters({ eip: 0x10000 + rng.int(0x1000), esp: 0x9000, eflags: mode === 'virtual-8086' ? 0x20002 : 0x2 });
          if (mode === 'virtual-8086') {
            for (const s of ['cs', 'ds', 'es', 'fs', 'gs', 'ss'] as const) cpu.loadSegReal(['es', 'cs', 'ss', 'ds', 'fs', 'gs'].indexOf(s), s === 'cs' ? 0x1000 : 0x2000);
            cpu.setRegisters({ eip: rng.int(0x1000), esp: 0x8000 });
          }
        }
        const before = cpu.retired();
        expect(() => cpu.runSlice(2000)).not.toThrow();
        executed += cpu.retired() - before;
      }
      expect(executed).toBeGreaterThan(300);
    });
  }
});
