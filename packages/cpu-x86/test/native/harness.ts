/**
 * Builds differential cases into 32-bit Linux executables (nasm -f elf32, ld -m elf_i386), runs
 * them natively on the host, runs the same machine code in Popek, and compares the records.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SliceExit } from '@popek/core';
import type { X86Cpu } from '../../src/cpu.js';
import { PolicyAction, type ExecutionPolicy } from '../../src/execution-policy.js';
import type { PolicyAction as PolicyActionType } from '../../src/execution-policy.js';
import { InstructionClass, type OpcodeForm } from '../../src/opcode-table.js';
import { MetricsRegistry } from '@popek/core';
import { DirectStrategy, Mmu } from '@popek/mmu';
import { testCpuArena, testCpuMode } from '../support/cpu-mode.js';
import { makeCpu } from '../support/machine.js';
import { BUF, COMPARED_FLAGS, RECORD_BYTES, type DiffCase } from './cases.js';

const run = promisify(execFile);

/** Whether this host can assemble, link and run i386 ELF binaries. */
export function canRunNative(): { ok: boolean; why: string } {
  try {
    execFileSync('nasm', ['-v'], { stdio: 'ignore' });
  } catch {
    return { ok: false, why: 'nasm is not installed' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'popek-probe-'));
  try {
    writeFileSync(join(dir, 'p.asm'), 'global _start\n_start: mov eax,1\nxor ebx,ebx\nint 0x80\n');
    execFileSync('nasm', ['-f', 'elf32', '-o', join(dir, 'p.o'), join(dir, 'p.asm')]);
    execFileSync('ld', ['-m', 'elf_i386', '-o', join(dir, 'p'), join(dir, 'p.o')]);
    execFileSync(join(dir, 'p'));
    return { ok: true, why: '' };
  } catch (e) {
    return { ok: false, why: `the host cannot build or run i386 ELF binaries (${(e as Error).message.split('\n')[0]})` };
  }
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

/** The nasm source of one batch of cases. */
export function batchSource(cases: readonly DiffCase[], first: number): string {
  const text: string[] = ['bits 32', 'section .text', 'global _start', '_start:'];
  const data: string[] = ['section .data', 'buf: times 256 db 0'];
  cases.forEach((c, k) => {
    const id = `c${first + k}`;
    data.push(`${id}_mem: dd ${c.mem.map(hex).join(',')}`);
    const body = c.body.replace(/%([a-z])/g, `${id}_$1`);
    text.push(
      `${id}:`,
      `mov esi, ${id}_mem`,
      'mov edi, buf',
      'mov ecx, 64',
      'cld',
      'rep movsd',
      'mov esp, fstack+64',
      `push dword ${hex(c.flags | 0x202)}`,
      'popfd',
      `mov eax, ${hex(c.regs[0]!)}`,
      `mov ecx, ${hex(c.regs[1]!)}`,
      `mov edx, ${hex(c.regs[2]!)}`,
      `mov ebx, ${hex(c.regs[3]!)}`,
      `mov ebp, ${hex(c.regs[5]!)}`,
      `mov esi, ${hex(c.regs[6]!)}`,
      `mov edi, ${hex(c.regs[7]!)}`,
      `mov esp, ${hex(c.esp)}`,
      body,
      'mov [res], eax',
      'mov [res+4], ecx',
      'mov [res+8], edx',
      'mov [res+12], ebx',
      'mov [res+16], esp',
      'mov [res+20], ebp',
      'mov [res+24], esi',
      'mov [res+28], edi',
      'mov esp, fstack+64',
      'pushfd',
      'pop dword [res+32]',
      'cld',
      'mov esi, buf',
      'mov edi, res+36',
      'mov ecx, 64',
      'rep movsd',
      'mov eax, 4',
      'mov ebx, 1',
      'mov ecx, res',
      `mov edx, ${RECORD_BYTES}`,
      'int 0x80',
    );
  });
  text.push('mov eax, 1', 'xor ebx, ebx', 'int 0x80');
  return [...text, ...data, 'section .bss', 'alignb 16', `res: resb ${RECORD_BYTES + 12}`, 'fstack: resb 64', ''].join('\n');
}

/** Assembles and links one batch; returns the executable's path. */
export async function buildBatch(dir: string, name: string, source: string): Promise<string> {
  const asm = join(dir, `${name}.asm`);
  writeFileSync(asm, source);
  await run('nasm', ['-f', 'elf32', '-O1', '-o', join(dir, `${name}.o`), asm], { maxBuffer: 1 << 26 });
  await run('ld', ['-m', 'elf_i386', '-Ttext=0x400000', `-Tdata=${hex(BUF)}`, '-Tbss=0x600000', '-o', join(dir, name), join(dir, `${name}.o`)]);
  return join(dir, name);
}

/** Runs an executable natively and returns its standard output. */
export async function runNative(path: string): Promise<Uint8Array> {
  const { stdout } = await run(path, [], { encoding: 'buffer', maxBuffer: 1 << 28 });
  return new Uint8Array(stdout);
}

/**
 * A policy that turns the guest's `int 0x80` into the two Linux system calls the test binaries
 * use (write to stdout, exit): the trap-and-emulate seam doing an emulator's job.
 */
class SyscallPolicy implements ExecutionPolicy {
  readonly name = 'linux-syscalls';
  /** The engine of the CPU mode under test (see `useTestCpuMode`), if any. */
  engine: ExecutionPolicy['engine'] = undefined;
  readonly intercept = 1 << InstructionClass.Sensitive;
  readonly out: Uint8Array[] = [];
  exited = false;
  onInstruction(cpu: X86Cpu, form: OpcodeForm): PolicyActionType {
    if (form.opcode !== 0xcd) return PolicyAction.Execute;
    const v = cpu.fetch8();
    if (v !== 0x80) {
      cpu.ip = (cpu.ip - 1) | 0;
      return PolicyAction.Execute;
    }
    const nr = cpu.regs[0]!;
    if (nr === 4) {
      // write(ebx = fd, ecx = buffer, edx = length): paging is off, so the buffer is physical.
      this.out.push(cpu.ram.slice(cpu.regs[1]! >>> 0, (cpu.regs[1]! >>> 0) + (cpu.regs[2]! >>> 0)));
      cpu.regs[0] = cpu.regs[2]!;
    } else if (nr === 1) {
      this.exited = true;
      cpu.requestExit();
    } else cpu.regs[0] = -38; // -ENOSYS
    return PolicyAction.Handled;
  }
}

/** Loads an i386 ELF executable's PT_LOAD segments into RAM; returns the entry point. */
export function loadElf(ram: Uint8Array, image: Uint8Array): number {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const entry = dv.getUint32(0x18, true);
  const phoff = dv.getUint32(0x1c, true);
  const phentsize = dv.getUint16(0x2a, true);
  const phnum = dv.getUint16(0x2c, true);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (dv.getUint32(ph, true) !== 1) continue;
    const off = dv.getUint32(ph + 4, true);
    const vaddr = dv.getUint32(ph + 8, true);
    const filesz = dv.getUint32(ph + 16, true);
    const memsz = dv.getUint32(ph + 20, true);
    ram.fill(0, vaddr, vaddr + memsz);
    ram.set(image.subarray(off, off + filesz), vaddr);
  }
  return entry;
}

/** Runs an executable in Popek (flat protected mode, CPL 3, Linux's user selectors) and returns what it wrote. */
export function runPopek(path: string, maxInstructions = 500_000_000): { output: Uint8Array; retired: number } {
  const policy = new SyscallPolicy();
  const mode = testCpuMode();
  const arena = testCpuArena();
  const t = makeCpu(8 << 20, { policy }, mode !== undefined ? (bus) => new Mmu(bus, new DirectStrategy(), new MetricsRegistry(), arena) : undefined, arena);
  if (mode !== undefined) {
    // The mode's engine runs the binary; the system calls stay with the test policy.
    policy.engine = mode(t).engine;
    t.cpu.setPolicy(policy);
  }
  const cpu = t.cpu;
  const ram = t.bus.ram;
  const entry = loadElf(ram, new Uint8Array(readFileSync(path)));
  // GDT: Linux's user code (0x23) and data (0x2b) selectors, flat.
  const gdt = 0x1000;
  const put = (index: number, lo: number, hi: number): void => {
    new DataView(ram.buffer).setUint32(gdt + index * 8, lo, true);
    new DataView(ram.buffer).setUint32(gdt + index * 8 + 4, hi, true);
  };
  put(4, 0x0000ffff, 0x00cffa00);
  put(5, 0x0000ffff, 0x00cff200);
  cpu.setControlRegister(0, 0x11);
  cpu.setDescriptorTable('gdtr', gdt, 0xff);
  for (const s of ['ds', 'es', 'ss'] as const) cpu.setSegment(s, { selector: 0x2b, base: 0, limit: 0xffffffff, accessRights: 0xc0f3 });
  for (const s of ['fs', 'gs'] as const) cpu.setSegment(s, { selector: 0, base: 0, limit: 0, accessRights: 0x10000 });
  cpu.setSegment('cs', { selector: 0x23, base: 0, limit: 0xffffffff, accessRights: 0xc0fb });
  cpu.setRegisters({ eip: entry, esp: 0x7ff000, eflags: 0x202 });
  cpu.setDescriptorTable('idtr', 0, 0);
  // Any exception is a test failure: report the first one with its context.
  const deliver = cpu.deliverException.bind(cpu);
  let first: string | undefined;
  cpu.deliverException = (vector: number, error: number): void => {
    if (first === undefined) {
      const bytes = Array.from(ram.subarray(cpu.eip >>> 0, (cpu.eip >>> 0) + 12), (b) => b.toString(16).padStart(2, '0')).join(' ');
      first = `exception ${vector} (error ${error}) at ${hex(cpu.eip)}: ${bytes}`;
    }
    deliver(vector, error);
  };
  while (!policy.exited && cpu.retired() < maxInstructions) {
    const r = cpu.runSlice(1_000_000);
    if (r === SliceExit.Halted || first !== undefined) throw new Error(`the guest stopped: ${first ?? 'halted at ' + hex(cpu.eip) + ' shutdown=' + cpu.shutdown + ' bytes ' + Array.from(ram.subarray((cpu.eip >>> 0) - 8, (cpu.eip >>> 0) + 8), (b) => b.toString(16)).join(' ')}`);
  }
  let total = 0;
  for (const b of policy.out) total += b.length;
  const output = new Uint8Array(total);
  let at = 0;
  for (const b of policy.out) {
    output.set(b, at);
    at += b.length;
  }
  return { output, retired: cpu.retired() };
}

/** One difference between host and Popek. */
export interface Mismatch {
  readonly name: string;
  readonly body: string;
  readonly detail: string;
}

const NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

/** Compares the records of `cases` in the two outputs. */
export function compareRecords(cases: readonly DiffCase[], native: Uint8Array, popek: Uint8Array): Mismatch[] {
  const out: Mismatch[] = [];
  const nv = new DataView(native.buffer, native.byteOffset, native.byteLength);
  const pv = new DataView(popek.buffer, popek.byteOffset, popek.byteLength);
  cases.forEach((c, i) => {
    const at = i * RECORD_BYTES;
    if (at + RECORD_BYTES > native.length || at + RECORD_BYTES > popek.length) {
      out.push({ name: c.name, body: c.body, detail: `missing record (host ${native.length} bytes, popek ${popek.length} bytes)` });
      return;
    }
    const diffs: string[] = [];
    for (let r = 0; r < 8; r++) {
      const a = nv.getUint32(at + r * 4, true);
      const b = pv.getUint32(at + r * 4, true);
      if (a !== b) diffs.push(`${NAMES[r]} host ${hex(a)} popek ${hex(b)}`);
    }
    const mask = COMPARED_FLAGS & ~c.undef;
    const fa = nv.getUint32(at + 32, true) & mask;
    const fb = pv.getUint32(at + 32, true) & mask;
    if (fa !== fb) diffs.push(`flags host ${hex(fa)} popek ${hex(fb)} (xor ${hex(fa ^ fb)})`);
    for (let k = 0; k < 64; k++) {
      const a = nv.getUint32(at + 36 + k * 4, true);
      const b = pv.getUint32(at + 36 + k * 4, true);
      if (a !== b) diffs.push(`mem[+${k * 4}] host ${hex(a)} popek ${hex(b)}`);
    }
    if (diffs.length > 0) {
      const init = `regs ${c.regs.map(hex).join(' ')} flags ${hex(c.flags)}`;
      out.push({ name: c.name, body: c.body, detail: `${diffs.slice(0, 6).join('; ')} | ${init}` });
    }
  });
  return out;
}
