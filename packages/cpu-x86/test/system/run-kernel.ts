/**
 * Runs a system-test kernel (a Multiboot image built with nasm) in Popek and, when available,
 * in qemu-system-i386, capturing what each writes to the debug port 0xE9.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MetricsRegistry, SliceExit } from '@popek/core';
import { DirectStrategy, Mmu } from '@popek/mmu';
import { testCpuArena, testCpuMode } from '../support/cpu-mode.js';
import { makeCpu } from '../support/machine.js';

/** Where the kernel sources live. */
export const KERNEL_DIR = join(dirname(fileURLToPath(import.meta.url)), 'kernels');

/** Whether qemu-system-i386 is installed. */
export const hasQemu: boolean = (() => {
  try {
    execFileSync('qemu-system-i386', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Assembles a kernel; returns the image. */
export function buildKernel(name: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'popek-kernel-'));
  try {
    const out = join(dir, `${name}.bin`);
    execFileSync('nasm', ['-f', 'bin', '-I', `${KERNEL_DIR}/`, '-o', out, join(KERNEL_DIR, `${name}.asm`)], { stdio: ['ignore', 'ignore', 'pipe'] });
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Result of a run. */
export interface KernelRun {
  readonly output: string;
  readonly exitCode: number | undefined;
  readonly retired: number;
}

/** Runs a kernel image in Popek: Multiboot entry state, 32 MiB RAM, the direct MMU. */
export function runInPopek(image: Uint8Array, maxInstructions = 50_000_000): KernelRun {
  const arena = testCpuArena();
  const t = makeCpu(32 << 20, {}, (bus) => new Mmu(bus, new DirectStrategy(), new MetricsRegistry(), arena), arena);
  const cpu = t.cpu;
  const mode = testCpuMode();
  if (mode !== undefined) cpu.setPolicy(mode(t));
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  // Multiboot header (a.out kludge) at the start of the image.
  if (dv.getUint32(0, true) !== 0x1badb002) throw new Error('not a Multiboot image');
  const headerAddr = dv.getUint32(12, true);
  const loadAddr = dv.getUint32(16, true);
  const entry = dv.getUint32(28, true);
  t.bus.ram.set(image, loadAddr - (headerAddr - loadAddr));
  let out = '';
  let exitCode: number | undefined;
  t.bus.mapPorts(0xe9, 1, { read: () => 0xe9, write: (_o, _w, v) => (out += String.fromCharCode(v & 0xff)) });
  t.bus.mapPorts(0xf4, 4, {
    read: () => 0xff,
    write: (_o, _w, v) => {
      exitCode = v & 0xff;
      cpu.requestExit();
    },
  });
  cpu.setControlRegister(0, 0x11);
  cpu.setSegment('cs', { selector: 0x10, base: 0, limit: 0xffffffff, accessRights: 0xc09b });
  for (const s of ['ds', 'es', 'fs', 'gs', 'ss'] as const) cpu.setSegment(s, { selector: 0x18, base: 0, limit: 0xffffffff, accessRights: 0xc093 });
  cpu.setRegisters({ eax: 0x2badb002, ebx: 0x9000, eip: entry, esp: 0x7000, eflags: 0x2 });
  while (exitCode === undefined && !cpu.shutdown && cpu.retired() < maxInstructions) {
    const r = cpu.runSlice(100_000);
    if (r === SliceExit.Halted && exitCode === undefined && !t.pic.hasInterrupt()) break;
  }
  if (cpu.shutdown) out += '[triple fault]\n';
  return { output: out, exitCode, retired: cpu.retired() };
}

/** Runs a kernel image in qemu-system-i386 (TCG, Pentium III model) and returns its debug-port output. */
export function runInQemu(image: Uint8Array): KernelRun {
  const dir = mkdtempSync(join(tmpdir(), 'popek-qemu-'));
  try {
    const bin = join(dir, 'k.bin');
    const outFile = join(dir, 'out.txt');
    writeFileSync(bin, image);
    let exitCode: number | undefined;
    try {
      execFileSync('qemu-system-i386', ['-cpu', 'pentium3', '-m', '32', '-display', 'none', '-no-reboot', '-kernel', bin, '-debugcon', `file:${outFile}`, '-device', 'isa-debug-exit,iobase=0xf4,iosize=4', '-monitor', 'none', '-serial', 'none'], { stdio: 'ignore', timeout: 20_000 });
      exitCode = undefined;
    } catch (e) {
      const status = (e as { status?: number }).status;
      exitCode = typeof status === 'number' ? status >> 1 : undefined;
    }
    return { output: readFileSync(outFile, 'latin1'), exitCode, retired: 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
