/**
 * A small, Machine-free harness for the chipset devices: a deterministic core clock driven by a
 * fake instruction counter (one instruction per nanosecond, so `advanceTo(ns)` is exact), a
 * metrics registry, an event stream, IRQ lines that record what the device drove, and fake
 * power control and A20 gate.
 */
import {
  CoreClock,
  EventStream,
  MetricsRegistry,
  encodeState,
  type A20Gate,
  type AccessWidth,
  type Device,
  type DeviceAttachment,
  type IoHandler,
  type IrqLine,
  type MachineEvent,
  type PowerControl,
  type ResetReason,
} from '@popek/core';

/** An instruction counter the test advances by hand. */
export class FakeCpu {
  /** Retired instructions (= guest nanoseconds at 1e9 instructions per second). */
  count = 0;
  retired(): number {
    return this.count;
  }
}

/** An IRQ line that records every level the device drove. */
export class RecordingIrqLine implements IrqLine {
  level = false;
  /** Every level set, in order. */
  readonly history: boolean[] = [];
  /** Number of low-to-high transitions. */
  risingEdges = 0;

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
    if (level && !this.level) this.risingEdges++;
    this.level = level;
    this.history.push(level);
  }
}

/** Power control that records requests. */
export class FakePowerControl implements PowerControl {
  powerOffs = 0;
  readonly resets: ResetReason[] = [];
  powerOff(): void {
    this.powerOffs++;
  }
  reset(reason: ResetReason): void {
    this.resets.push(reason);
  }
}

/** An A20 gate that records changes. */
export class FakeA20Gate implements A20Gate {
  a20Enabled = true;
  readonly changes: boolean[] = [];
  setA20(enabled: boolean): void {
    this.a20Enabled = enabled;
    this.changes.push(enabled);
  }
}

/** The clock, counter, metrics and events a device is built with. */
export class Harness {
  readonly cpu = new FakeCpu();
  readonly clock = new CoreClock({ mode: 'deterministic', instructionsPerSecond: 1e9 }, { now: () => { throw new Error('host time read'); } });
  readonly metrics = new MetricsRegistry();
  readonly events = new EventStream<MachineEvent>((e) => { throw e; });
  readonly logs: string[] = [];
  readonly power = new FakePowerControl();
  readonly a20 = new FakeA20Gate();

  constructor() {
    this.clock.setInstructionCounter(this.cpu);
    this.events.on('log', (e) => this.logs.push(e.message));
  }

  /** Guest time now (ns). */
  get now(): number {
    return this.clock.nowNs();
  }

  /** Advances guest time to `ns`, firing every timer at its exact deadline on the way. */
  advanceTo(ns: number): void {
    for (;;) {
      const next = this.clock.nextDeadlineNs();
      if (next > ns) break;
      this.cpu.count = Math.max(this.cpu.count, Math.ceil(next));
      this.clock.runDue();
    }
    this.cpu.count = Math.max(this.cpu.count, ns);
    this.clock.runDue();
  }

  /** Advances guest time by `ns`. */
  advance(ns: number): void {
    this.advanceTo(this.now + ns);
  }
}

/** A port bus for one or more devices: routes absolute ports to the windows they declared. */
export class PortBus {
  readonly #ports = new Map<number, { handler: IoHandler; offset: number }>();
  readonly lines = new Map<string, RecordingIrqLine>();

  /** Attaches `device` at its fixed ports, giving it recording IRQ lines (by request name). */
  attach(device: Device): void {
    const res = device.resources();
    const ports: Record<string, number> = {};
    for (const w of res.ports ?? []) {
      if (w.base === undefined) throw new Error(`window ${w.name} has no fixed base`);
      ports[w.name] = w.base;
      for (let i = 0; i < w.size; i++) {
        if (this.#ports.has(w.base + i)) throw new Error(`port ${(w.base + i).toString(16)} claimed twice`);
        this.#ports.set(w.base + i, { handler: w.handler, offset: i });
      }
    }
    const irqs: Record<string, IrqLine> = {};
    for (const r of res.irqs ?? []) {
      const line = new RecordingIrqLine();
      this.lines.set(r.name, line);
      irqs[r.name] = line;
    }
    const attachment: DeviceAttachment = { ports, mmio: {}, irqs };
    device.attach(attachment);
  }

  /** The recording line of IRQ request `name`. */
  line(name: string): RecordingIrqLine {
    const l = this.lines.get(name);
    if (l === undefined) throw new Error(`no IRQ line named ${name}`);
    return l;
  }

  in(port: number, width: AccessWidth = 1): number {
    const p = this.#ports.get(port);
    if (p === undefined) return width === 1 ? 0xff : width === 2 ? 0xffff : 0xffff_ffff;
    return p.handler.read(p.offset, width);
  }

  out(port: number, value: number, width: AccessWidth = 1): void {
    const p = this.#ports.get(port);
    p?.handler.write(p.offset, width, value);
  }

  /** Every port attached, for fuzzing. */
  get ports(): number[] {
    return [...this.#ports.keys()].sort((a, b) => a - b);
  }
}

/** Encodes a device's state (canonical bytes), for snapshot identity checks. */
export function encoded(device: { saveState(): import('@popek/core').StateValue }): Uint8Array {
  return encodeState(device.saveState());
}

/** A deterministic pseudo-random generator (xorshift32) for fuzz tests. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/**
 * Hammers every port of `bus` with `rounds` random reads and writes of every width and checks
 * nothing throws; returns the number of accesses made.
 */
export function fuzzPorts(bus: PortBus, rounds: number, seed: number, between?: () => void): number {
  const next = rng(seed);
  const ports = bus.ports;
  const widths: AccessWidth[] = [1, 2, 4];
  let n = 0;
  for (let i = 0; i < rounds; i++) {
    const port = ports[next() % ports.length]!;
    const width = widths[next() % 3]!;
    if (next() & 1) bus.out(port, next(), width);
    else bus.in(port, width);
    between?.();
    n++;
  }
  return n;
}
