/**
 * The benchmark proper, run by bench.run.ts in plain Node (compiled with tsc) so the figure is
 * not distorted by the test runner's module transform. Argument: the assembled instruction mix.
 */
import { readFileSync } from 'node:fs';
import { CoreClock, FlatPhysicalBus, MetricsRegistry, type InterruptController, type PowerControl } from '@popek/core';
import { DirectStrategy, Mmu } from '@popek/mmu';
import { X86Cpu } from '../src/cpu.js';

function measure(mix: Uint8Array, paging: boolean): { mips: number; instructions: number; seconds: number } {
  const bus = new FlatPhysicalBus(16 << 20);
  const metrics = new MetricsRegistry();
  const mmu = new Mmu(bus, new DirectStrategy(), metrics);
  const pic: InterruptController = { hasInterrupt: () => false, acknowledge: () => 0 };
  const power: PowerControl = { powerOff: () => {}, reset: () => {} };
  const clock = new CoreClock({ mode: 'deterministic' });
  const cpu = new X86Cpu(bus, mmu, pic, power, clock, metrics, {});
  clock.setInstructionCounter(cpu);
  bus.ram.set(mix, 0x10000);
  cpu.setControlRegister(0, 0x11);
  cpu.setSegment('cs', { selector: 8, base: 0, limit: 0xffffffff, accessRights: 0xc09b });
  for (const s of ['ds', 'es', 'ss', 'fs', 'gs'] as const) cpu.setSegment(s, { selector: 0x10, base: 0, limit: 0xffffffff, accessRights: 0xc093 });
  cpu.setRegisters({ eip: 0x10000, esp: 0x8000 });
  if (paging) {
    const dv = new DataView(bus.ram.buffer);
    const pd = 0x100000;
    for (let t = 0; t < 4; t++) {
      const pt = 0x101000 + t * 0x1000;
      dv.setUint32(pd + t * 4, pt | 7, true);
      for (let i = 0; i < 1024; i++) dv.setUint32(pt + i * 4, ((t * 1024 + i) << 12) | 7, true);
    }
    cpu.setControlRegister(3, pd);
    cpu.setControlRegister(0, 0x80000011);
  }
  cpu.runSlice(5_000_000);
  // CPU time of this process, not wall time: other processes on the machine do not skew it.
  const cpuSeconds = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const start = cpuSeconds();
  const before = cpu.retired();
  while (cpuSeconds() - start < 3) cpu.runSlice(1_000_000);
  const seconds = cpuSeconds() - start;
  if (cpu.halted) throw new Error(`the benchmark halted at ${cpu.eip.toString(16)}`);
  const instructions = cpu.retired() - before;
  return { mips: instructions / seconds / 1e6, instructions, seconds };
}

const mix = new Uint8Array(readFileSync(process.argv[2]!));
for (const paging of [false, true]) {
  const r = measure(mix, paging);
  console.log(`cpu-x86 interpreter, paging ${paging ? 'on ' : 'off'}: ${r.mips.toFixed(1)} MIPS (${r.instructions} instructions in ${r.seconds.toFixed(2)} CPU-seconds)`);
}
