/**
 * A small protected-mode guest for the mode's tests: an X86Cpu on flat RAM with the direct MMU
 * (paging off), a programmable interrupt source, a deterministic clock, a GDT, a TSS and an IDT,
 * and nasm-assembled code at 0x10000 running at CPL 0.
 */
import { CoreClock, FlatPhysicalBus, MetricsRegistry, SliceExit, type InterruptController, type PowerControl } from '@popek/core';
import { X86Cpu, type ExecutionPolicy } from '@popek/cpu-x86';
import { DirectStrategy, Mmu } from '@popek/mmu';
import { enterFlatRing0, writeFlatGdt } from '../../../cpu-x86/test/support/flat-kernel.js';
import { assemble, hasNasm } from '../../../cpu-x86/test/support/nasm.js';

export { assemble, hasNasm };

/** An interrupt controller whose pending vectors a test sets. */
export class QueuePic implements InterruptController {
  /** Pending vectors, first delivered first. */
  readonly pending: number[] = [];
  hasInterrupt(): boolean {
    return this.pending.length > 0;
  }
  acknowledge(): number {
    return this.pending.shift() ?? 0;
  }
}

/** Where the guest's code is assembled (`org`). */
export const CODE = 0x10000;
/** The interrupt counters: the IDT stub of vector v increments the dword at `COUNTS + 4v`. */
export const COUNTS = 0x5000;
/** The GDT: 0x08 code0, 0x10 data0, 0x1b code3, 0x23 data3, 0x28 TSS (DPL 0). */
export const GDT = 0x800;
/** The IDT (256 interrupt gates, DPL 3). */
export const IDT = 0x1000;
const STUBS = 0x2000;
const TSS = 0x600;
const TABLES = { gdt: GDT, tss: TSS, idt: IDT };

/** A guest CPU and its surroundings. */
export interface Guest {
  readonly cpu: X86Cpu;
  readonly bus: FlatPhysicalBus;
  readonly pic: QueuePic;
  readonly metrics: MetricsRegistry;
  readonly clock: CoreClock;
  /** What the guest wrote to port 0xE9. */
  output(): string;
  /** Reads a dword of guest RAM. */
  dword(address: number): number;
  /** Runs until the CPU halts with nothing it can take to wake it, or for `max` instructions. */
  run(max?: number): void;
}

/**
 * Writes the GDT, TSS, IDT and `code` (nasm, `bits 32`, `org 0x10000`) into `bus` and puts
 * `cpu` at CPL 0 in flat protected mode at the code, with ESP 0x9000 and EFLAGS `eflags`.
 * Returns a reader of what the guest writes to port 0xE9.
 */
export function prepare(cpu: X86Cpu, bus: FlatPhysicalBus, code: string, eflags = 0x202): () => string {
  const ram = bus.ram;
  const dv = new DataView(ram.buffer);
  writeFlatGdt(ram, TABLES, 0x8000);
  for (let v = 0; v < 256; v++) {
    // inc dword [COUNTS + 4v]; iretd
    const stub = STUBS + 8 * v;
    ram[stub] = 0xff;
    ram[stub + 1] = 0x05;
    dv.setUint32(stub + 2, COUNTS + 4 * v, true);
    ram[stub + 6] = 0xcf;
    dv.setUint32(IDT + 8 * v, (0x08 << 16) | (stub & 0xffff), true);
    dv.setUint32(IDT + 8 * v + 4, (stub & 0xffff0000) | 0xee00, true);
  }
  ram.set(assemble(`bits 32\norg ${CODE}\n${code}`), CODE);
  let out = '';
  bus.mapPorts(0xe9, 1, { read: () => 0xe9, write: (_o, _w, v) => (out += String.fromCharCode(v & 0xff)) });
  enterFlatRing0(cpu, TABLES, CODE, 0x9000, eflags);
  return () => out;
}

/**
 * Builds a guest running `code` (see {@link prepare}) under `policy` (none: native semantics).
 */
export function guest(code: string, policy?: ExecutionPolicy, eflags = 0x202, metrics = new MetricsRegistry()): Guest {
  const bus = new FlatPhysicalBus(1 << 20);
  const mmu = new Mmu(bus, new DirectStrategy(), new MetricsRegistry());
  const pic = new QueuePic();
  const power: PowerControl = { powerOff: () => {}, reset: () => {} };
  const clock = new CoreClock({ mode: 'deterministic' });
  const cpu = new X86Cpu(bus, mmu, pic, power, clock, metrics, {}, policy);
  clock.setInstructionCounter(cpu);
  const output = prepare(cpu, bus, code, eflags);
  const dv = new DataView(bus.ram.buffer);
  return {
    cpu,
    bus,
    pic,
    metrics,
    clock,
    output,
    dword: (a) => dv.getUint32(a, true),
    run(max = 100_000) {
      const end = cpu.retired() + max;
      while (cpu.retired() < end) {
        // A halted CPU that an interrupt could wake has already woken inside runSlice.
        if (cpu.runSlice(Math.min(10_000, end - cpu.retired())) === SliceExit.Halted) return;
      }
    },
  };
}
