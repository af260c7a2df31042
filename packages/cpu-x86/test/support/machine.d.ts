import { CoreClock, FlatPhysicalBus, MetricsRegistry, type InterruptController, type PowerControl, type ResetReason } from '@popek/core';
import { X86Cpu } from '../../src/cpu.js';
import type { CpuOptions } from '../../src/cpu-options.js';
import type { CpuMmu } from '../../src/cpu-mmu.js';
/** A programmable interrupt source for tests. */
export declare class TestPic implements InterruptController {
    pending: number[];
    hasInterrupt(): boolean;
    acknowledge(): number;
}
/** Records power requests. */
export declare class TestPower implements PowerControl {
    resets: ResetReason[];
    powerOffs: number;
    powerOff(): void;
    reset(reason: ResetReason): void;
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
export declare function makeCpu(ramBytes?: number, options?: CpuOptions, mmuFactory?: (bus: FlatPhysicalBus) => CpuMmu): TestCpu;
/** Puts the CPU in flat 32-bit protected mode at `cpl` (0 or 3), paging off, at `eip`. */
export declare function flatProtected(cpu: X86Cpu, eip: number, cpl?: number, esp?: number): void;
//# sourceMappingURL=machine.d.ts.map