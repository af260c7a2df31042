import type { X86Cpu } from '../../src/cpu.js';
import { assemble } from './nasm.js';
import { makeCpu, type TestCpu } from './machine.js';

/** Where the test GDT, TSS and IDT are put (shared by the test machines of the CPU-mode packages). */
export interface FlatTables {
  /** GDT base (6 descriptors). */
  readonly gdt: number;
  /** TSS base (limit 0x67). */
  readonly tss: number;
  /** IDT base (256 gates). */
  readonly idt: number;
}

/**
 * Writes the test GDT — 0x08 code0, 0x10 data0, 0x1b code3, 0x23 data3, all flat, and 0x28 the
 * 32-bit TSS — and the TSS's ring-0 stack (ESP0 `esp0`, SS0 0x10).
 */
export function writeFlatGdt(ram: Uint8Array, tables: FlatTables, esp0: number): void {
  const dv = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const desc = (i: number, lo: number, hi: number): void => {
    dv.setUint32(tables.gdt + i * 8, lo >>> 0, true);
    dv.setUint32(tables.gdt + i * 8 + 4, hi >>> 0, true);
  };
  desc(1, 0x0000ffff, 0x00cf9a00);
  desc(2, 0x0000ffff, 0x00cf9200);
  desc(3, 0x0000ffff, 0x00cffa00);
  desc(4, 0x0000ffff, 0x00cff200);
  desc(5, (tables.tss << 16) | 0x67, 0x00008900);
  dv.setUint32(tables.tss + 4, esp0, true);
  dv.setUint32(tables.tss + 8, 0x10, true);
}

/**
 * Puts `cpu` in flat 32-bit protected mode at CPL 0 with the tables of {@link writeFlatGdt} and an
 * IDT of 256 gates at `tables.idt`: CS 0x08, the data segments 0x10, TR 0x28, at `eip`/`esp`.
 */
export function enterFlatRing0(cpu: X86Cpu, tables: FlatTables, eip: number, esp: number, eflags = 0x2): void {
  cpu.setControlRegister(0, 0x11);
  cpu.setDescriptorTable('gdtr', tables.gdt, 6 * 8 - 1);
  cpu.setDescriptorTable('idtr', tables.idt, 256 * 8 - 1);
  cpu.setSegment('cs', { selector: 0x08, base: 0, limit: 0xffffffff, accessRights: 0xc09b });
  for (const s of ['ds', 'es', 'fs', 'gs', 'ss'] as const) cpu.setSegment(s, { selector: 0x10, base: 0, limit: 0xffffffff, accessRights: 0xc093 });
  cpu.trSel = 0x28;
  cpu.trBase = tables.tss;
  cpu.trLimit = 0x67;
  cpu.trAr = 0x8b;
  cpu.setRegisters({ eip, esp, eflags });
}

/** Where the exception log is written by the test handler: vector, error, eip, cs, eflags, count. */
export const LOG = 0x5000;
const GDT = 0x500;
const IDT = 0x1000;
const STUBS = 0x3000;
const COMMON = 0x4000;

/**
 * A flat protected-mode test machine: GDT (0x08 code0, 0x10 data0, 0x1b code3, 0x23 data3,
 * 0x28 TSS), an IDT whose 256 vectors log (vector, error, EIP, CS, EFLAGS) at {@link LOG} and
 * halt, and `code` assembled at 0x10000 (CPL 0, ESP 0x9000).
 */
export function flatKernel(code: string, options: { ramBytes?: number; mmu?: 'identity' | 'real' } = {}): TestCpu & { log(): { vector: number; error: number; eip: number; cs: number; eflags: number; count: number } } {
  const t = makeCpu(options.ramBytes ?? 4 << 20);
  const ram = t.bus.ram;
  const dv = new DataView(ram.buffer);
  const tables = { gdt: GDT, tss: 0x600, idt: IDT };
  writeFlatGdt(ram, tables, 0x8000);
  for (let v = 0; v < 256; v++) {
    const stub = STUBS + v * 16;
    let p = stub;
    const hasError = v === 8 || (v >= 10 && v <= 14) || v === 17;
    if (!hasError) {
      ram[p++] = 0x6a;
      ram[p++] = 0;
    }
    ram[p++] = 0x68;
    dv.setUint32(p, v, true);
    p += 4;
    ram[p++] = 0xe9;
    dv.setInt32(p, COMMON - (p + 4), true);
    dv.setUint32(IDT + v * 8, (0x08 << 16) | (stub & 0xffff), true);
    dv.setUint32(IDT + v * 8 + 4, (stub & 0xffff0000) | 0xee00, true);
  }
  ram.set(assemble(`bits 32\norg ${COMMON}\npop dword [${LOG}]\npop dword [${LOG + 4}]\npop dword [${LOG + 8}]\npop dword [${LOG + 12}]\npop dword [${LOG + 16}]\ninc dword [${LOG + 20}]\nhlt`), COMMON);
  ram.set(assemble(`bits 32\norg 0x10000\n${code}`), 0x10000);
  const cpu = t.cpu;
  enterFlatRing0(cpu, tables, 0x10000, 0x9000);
  const log = () => ({
    vector: dv.getUint32(LOG, true),
    error: dv.getUint32(LOG + 4, true),
    eip: dv.getUint32(LOG + 8, true),
    cs: dv.getUint32(LOG + 12, true),
    eflags: dv.getUint32(LOG + 16, true),
    count: dv.getUint32(LOG + 20, true),
  });
  return Object.assign(t, { log });
}
