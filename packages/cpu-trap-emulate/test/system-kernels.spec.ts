/**
 * The CPU package's system kernels (Multiboot images in nasm that print to port 0xE9: protected
 * mode and exceptions, rings and gates, SYSENTER, the I/O bitmap, paging, task switches, v8086,
 * real mode, VME) run at CPL 0, so under trap-and-emulate their privileged and sensitive
 * instructions reach the monitor. On a virtualizable x86 each must print exactly what it prints
 * on bare hardware (the `*.expected` recordings, taken from qemu).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreClock, FlatPhysicalBus, MetricsRegistry, SliceExit, type PowerControl } from '@popek/core';
import { X86Cpu } from '@popek/cpu-x86';
import { DirectStrategy, Mmu } from '@popek/mmu';
import { describe, expect, it } from 'vitest';
import { KERNEL_DIR, buildKernel } from '../../cpu-x86/test/system/run-kernel.js';
import { TrapEmulateMode } from '../src/trap-emulate-mode.js';
import type { TrapEmulateOptions } from '../src/trap-emulate-options.js';
import { QueuePic, hasNasm } from './support/guest.js';

const KERNELS = ['pm', 'paging', 'tasks', 'v86', 'real', 'vme'];

interface Run {
  readonly output: string;
  readonly exitCode: number | undefined;
  readonly mode: TrapEmulateMode;
}

/** Runs a Multiboot kernel image as `runInPopek` does (32 MiB, direct MMU), under the mode. */
function runUnderMode(image: Uint8Array, options: TrapEmulateOptions, maxInstructions = 50_000_000): Run {
  const metrics = new MetricsRegistry();
  const mode = new TrapEmulateMode(metrics, { stopOnBrokenGuest: false, ...options });
  const bus = new FlatPhysicalBus(32 << 20);
  const pic = new QueuePic();
  const power: PowerControl = { powerOff: () => {}, reset: () => {} };
  const clock = new CoreClock({ mode: 'deterministic' });
  const cpu = new X86Cpu(bus, new Mmu(bus, new DirectStrategy(), new MetricsRegistry()), pic, power, clock, metrics, {}, mode);
  clock.setInstructionCounter(cpu);
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (dv.getUint32(0, true) !== 0x1badb002) throw new Error('not a Multiboot image');
  const headerAddr = dv.getUint32(12, true);
  const loadAddr = dv.getUint32(16, true);
  bus.ram.set(image, loadAddr - (headerAddr - loadAddr));
  let output = '';
  let exitCode: number | undefined;
  bus.mapPorts(0xe9, 1, { read: () => 0xe9, write: (_o, _w, v) => (output += String.fromCharCode(v & 0xff)) });
  bus.mapPorts(0xf4, 4, {
    read: () => 0xff,
    write: (_o, _w, v) => {
      exitCode = v & 0xff;
      cpu.requestExit();
    },
  });
  cpu.setControlRegister(0, 0x11);
  cpu.setSegment('cs', { selector: 0x10, base: 0, limit: 0xffffffff, accessRights: 0xc09b });
  for (const s of ['ds', 'es', 'fs', 'gs', 'ss'] as const) cpu.setSegment(s, { selector: 0x18, base: 0, limit: 0xffffffff, accessRights: 0xc093 });
  cpu.setRegisters({ eax: 0x2badb002, ebx: 0x9000, eip: dv.getUint32(28, true), esp: 0x7000, eflags: 0x2 });
  while (exitCode === undefined && !cpu.shutdown && cpu.retired() < maxInstructions) {
    if (cpu.runSlice(100_000) === SliceExit.Halted && exitCode === undefined) break;
  }
  if (cpu.shutdown) output += '[triple fault]\n';
  return { output, exitCode, mode };
}

describe.skipIf(!hasNasm)('system kernels under trap-and-emulate on a virtualizable x86', () => {
  for (const name of KERNELS) {
    it(`${name}: prints its recorded output, with its traps counted and no holes`, () => {
      const run = runUnderMode(buildKernel(name), { virtualizable: true });
      expect(run.output).toBe(readFileSync(join(KERNEL_DIR, `${name}.expected`), 'latin1'));
      expect(run.exitCode).toBe(0);
      expect(run.mode.holes).toHaveLength(0);
      expect(run.mode.totalTraps()).toBeGreaterThan(0);
    });
  }

  it('has a recording for every kernel', () => {
    for (const name of KERNELS) expect(existsSync(join(KERNEL_DIR, `${name}.expected`))).toBe(true);
  });
});

describe.skipIf(!hasNasm)('system kernels under trap-and-emulate on the real x86', () => {
  it('kernels that read privileged state through sensitive instructions print something else, and the holes say where', () => {
    const pm = runUnderMode(buildKernel('pm'), {});
    expect(pm.output).not.toBe(readFileSync(join(KERNEL_DIR, 'pm.expected'), 'latin1'));
    const seen = new Set(pm.mode.holes.map((h) => h.instruction));
    for (const instruction of ['PUSHF', 'SLDT', 'LSL', 'MOV from CS', 'IRET']) expect(seen).toContain(instruction);
    const tasks = runUnderMode(buildKernel('tasks'), {});
    expect(tasks.output).not.toBe(readFileSync(join(KERNEL_DIR, 'tasks.expected'), 'latin1'));
    expect(new Set(tasks.mode.holes.map((h) => h.instruction))).toEqual(new Set(['LAR', 'STR', 'PUSHF']));
  });

  it('kernels whose sensitive instructions give the same results at ring 1 print their recordings', () => {
    for (const name of ['paging', 'v86', 'real', 'vme']) {
      const run = runUnderMode(buildKernel(name), {});
      expect(run.output, name).toBe(readFileSync(join(KERNEL_DIR, `${name}.expected`), 'latin1'));
      expect(run.mode.totalTraps(), name).toBeGreaterThan(0);
    }
  });
});
