import {
  BufferCharBackend,
  CoreClock,
  FlatPhysicalBus,
  MetricsRegistry,
  type CharBackend,
  type IrqLine,
} from '@popek/core';
import { Uart16550, type SerialTiming } from '../src/uart16550.js';

/** An IRQ line that records what the device drove, and latches rising edges as an edge-triggered PIC does. */
export class RecordingIrqLine implements IrqLine {
  level = false;
  /** Rising edges seen so far. */
  rises = 0;
  /** A rising edge not yet serviced. */
  pending = false;

  raise(): void {
    this.set(true);
  }
  lower(): void {
    this.set(false);
  }
  pulse(): void {
    this.set(true);
    this.set(false);
  }
  set(level: boolean): void {
    if (level && !this.level) {
      this.rises++;
      this.pending = true;
    }
    this.level = level;
  }
}

/** A UART on a flat test bus with a deterministic clock (1 instruction = 1 ns). */
export interface Harness {
  readonly clock: CoreClock;
  readonly metrics: MetricsRegistry;
  readonly backend: CharBackend;
  readonly uart: Uart16550;
  readonly irq: RecordingIrqLine;
  readonly bus: FlatPhysicalBus;
  /** Base port. */
  readonly base: number;
  /** Guest time in ns. */
  now(): number;
  /** Advances guest time by `ns` (rounded to whole ns), firing each timer at its deadline as a deterministic machine does. */
  advance(ns: number): void;
  /** Advances guest time by `ns` at once and fires due timers late, as a realtime machine does after a slice. */
  jump(ns: number): void;
  /** Reads register `offset` (a byte, through the bus). */
  inb(offset: number): number;
  /** Writes register `offset` (a byte, through the bus). */
  outb(offset: number, value: number): void;
  /** Reads or writes a metric of this port. */
  metric(name: string): number;
}

/** Options of {@link makeHarness}. */
export interface HarnessOptions {
  readonly timing?: SerialTiming;
  readonly backend?: CharBackend;
  readonly clock?: CoreClock;
  readonly startNs?: number;
  readonly attach?: boolean;
}

/** Builds a powered-on UART at 0x3F8 (reset once, as the machine does at build). */
export function makeHarness(options: HarnessOptions = {}): Harness & { backend: CharBackend } {
  const clock = options.clock ?? new CoreClock({ mode: 'deterministic', instructionsPerSecond: 1e9 });
  // Guest time is startNs + retired instructions (1 ns each), kept integral so deadlines compare exactly.
  let retired = 0;
  clock.setInstructionCounter({ retired: () => retired });
  clock.loadState({ mode: 'deterministic', baseNs: Math.round(options.startNs ?? 0), retiredBase: 0, timers: [] });
  const metrics = new MetricsRegistry();
  const backend = options.backend ?? new BufferCharBackend();
  const uart = new Uart16550({ id: 'com1', base: 0x3f8, irq: 4, timing: options.timing ?? 'realistic' }, clock, metrics, backend);
  const irq = new RecordingIrqLine();
  if (options.attach !== false) uart.attach({ ports: { registers: 0x3f8 }, mmio: {}, irqs: { irq } });
  uart.reset();
  const bus = new FlatPhysicalBus(4096);
  bus.mapPorts(0x3f8, 8, uart);
  const advance = (ns: number): void => {
    const target = clock.nowNs() + Math.round(ns);
    for (let guard = 0; guard < 10_000_000; guard++) {
      const next = clock.nextDeadlineNs();
      if (next > target) {
        retired += target - clock.nowNs();
        clock.runDue();
        return;
      }
      retired += Math.max(0, Math.ceil(next) - clock.nowNs());
      clock.runDue();
    }
    throw new Error('advance did not converge');
  };
  return {
    clock,
    metrics,
    backend,
    uart,
    irq,
    bus,
    base: 0x3f8,
    now: () => clock.nowNs(),
    advance,
    jump: (ns) => {
      retired += Math.round(ns);
      clock.runDue();
    },
    inb: (offset) => bus.ioRead(0x3f8 + offset, 1),
    outb: (offset, value) => bus.ioWrite(0x3f8 + offset, 1, value),
    metric: (name) => metrics.value(name, { port: 'com1' }),
  };
}

/** A small deterministic PRNG (xorshift32) for fuzzing. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}
