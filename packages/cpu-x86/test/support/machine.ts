import { CoreClock, FlatPhysicalBus, MetricsRegistry, type HostArena, type InterruptController, type PowerControl, type ResetReason } from '@popek/core';
import { X86Cpu } from '../../src/cpu.js';
import type { CpuOptions } from '../../src/cpu-options.js';
import type { CpuMmu } from '../../src/cpu-mmu.js';
import { IdentityMmu } from './identity-mmu.js';

/** A programmable interrupt source for tests. */
export class TestPic implements InterruptController {
  pending: number[] = [];
  eventDriven?: boolean;
  hasInterrupt(): boolean {
    return this.pending.length > 0;
  }
  acknowledge(): number {
    return this.pending.shift() ?? 0;
  }
}

/** Records power requests. */
export class TestPower implements PowerControl {
  resets: ResetReason[] = [];
  powerOffs = 0;
  powerOff(): void {
    this.powerOffs++;
  }
  reset(reason: ResetReason): void {
    this.resets.push(reason);
  }
}

/** A CPU on a flat RAM bus with the identity MMU, a test PIC and a deterministic clock. */
export interface TestCpu {
  cpu: X86Cpu;
  bus: FlatPhysicalBus;
  pic: TestPic;
  power: TestPower;
  clock: CoreClock;
  metrics: MetricsRegistry;
  mmu: CpuMmu;
}

/** Builds a test CPU. */
export function makeCpu(ramBytes = 16 << 20, options: CpuOptions = {}, mmuFactory?: (bus: FlatPhysicalBus) => CpuMmu, arena?: HostArena): TestCpu {
  const bus = new FlatPhysicalBus(ramBytes, arena);
  const mmu = mmuFactory ? mmuFactory(bus) : new IdentityMmu(bus);
  const pic = new TestPic();
  const power = new TestPower();
  const clock = new CoreClock({ mode: 'deterministic' });
  const metrics = new MetricsRegistry();
  const cpu = new X86Cpu(bus, mmu, pic, power, clock, metrics, options, undefined, arena);
  clock.setInstructionCounter(cpu);
  return { cpu, bus, pic, power, clock, metrics, mmu };
}

/** Puts the CPU in flat 32-bit protected mode at `cpl` (0 or 3), paging off, at `eip`. */
export function flatProtected(cpu: X86Cpu, eip: number, cpl = 0, esp = 0x8000): void {
  cpu.setControlRegister(0, 0x11);
  const code = cpl === 3 ? 0xc0fb : 0xc09b;
  const data = cpl === 3 ? 0xc0f3 : 0xc093;
  const cs = cpl === 3 ? 0x1b : 0x08;
  const ds = cpl === 3 ? 0x23 : 0x10;
  for (const s of ['ds', 'es', 'fs', 'gs', 'ss'] as const) cpu.setSegment(s, { selector: ds, base: 0, limit: 0xffffffff, accessRights: data });
  cpu.setSegment('cs', { selector: cs, base: 0, limit: 0xffffffff, accessRights: code });
  cpu.setRegisters({ eip, esp, eflags: 0x2 });
}
