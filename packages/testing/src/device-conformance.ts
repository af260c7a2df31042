import {
  CoreClock,
  DisconnectedIrqLine,
  EventStream,
  FlatGuestMemory,
  MetricsRegistry,
  encodeState,
  type AccessWidth,
  type Device,
  type DeviceAttachment,
  type IoHandler,
  type IrqLine,
  type MachineEvent,
  type PowerControl,
  type ResetReason,
  type StateValue,
} from '@popek/core';
import { describe, expect, it } from 'vitest';

/** A `PowerControl` that records what was asked of it. */
export interface RecordingPowerControl extends PowerControl {
  /** Every request, in order: `off` or the reset reason. */
  readonly requests: Array<'off' | ResetReason>;
}

/** A port, MMIO or BAR window of a device under test. */
export interface TestWindow {
  /** Window name (`bar0` for PCI BARs). */
  readonly name: string;
  /** Size in bytes or ports. */
  readonly size: number;
  /** The device's handler for it. */
  readonly handler: IoHandler;
}

/** What {@link attachForTest} returns. */
export interface TestAttachment {
  /** What the device was given. */
  readonly attachment: DeviceAttachment;
  /** Its windows, to drive directly. */
  readonly windows: readonly TestWindow[];
}

/** What a device factory receives: the core services a device may depend on. */
export interface DeviceTestContext {
  /** A deterministic clock driven by {@link DeviceTestContext.advance}. */
  readonly clock: CoreClock;
  /** A metrics registry. */
  readonly metrics: MetricsRegistry;
  /** The machine event stream. */
  readonly events: EventStream<MachineEvent>;
  /** Records power requests. */
  readonly power: RecordingPowerControl;
  /** Advances guest time by `ns` nanoseconds and fires due timers. */
  advance(ns: number): void;
}

/** Creates the context a device under test is built with. */
export function createDeviceTestContext(): DeviceTestContext {
  const counter = { n: 0, retired: () => counter.n };
  // 1e9 instructions per second: one "instruction" is one nanosecond.
  const clock = new CoreClock({ mode: 'deterministic', instructionsPerSecond: 1e9 });
  clock.setInstructionCounter(counter);
  const requests: Array<'off' | ResetReason> = [];
  return {
    clock,
    metrics: new MetricsRegistry(),
    events: new EventStream<MachineEvent>(),
    power: { requests, powerOff: () => requests.push('off'), reset: (r: ResetReason) => requests.push(r) },
    advance(ns: number) {
      const end = counter.n + Math.ceil(ns);
      for (;;) {
        const step = Math.min(end - counter.n, clock.instructionsUntilNextDeadline());
        counter.n += step;
        clock.runDue();
        if (counter.n >= end) return;
      }
    },
  };
}

/**
 * Attaches a device the way a machine would, with disconnected IRQ lines (or `irqs` given) and
 * 1 MiB of flat guest memory for DMA. Returns the attachment and the windows' handlers by name.
 */
export function attachForTest(
  device: Device,
  irqs: Record<string, IrqLine> = {},
): TestAttachment {
  const r = device.resources();
  const ports: Record<string, number> = {};
  const mmio: Record<string, number> = {};
  const windows: TestWindow[] = [];
  let next = 0x1000;
  for (const w of r.ports ?? []) {
    ports[w.name] = w.base ?? next;
    next += 0x100;
    windows.push(w);
  }
  let nextMmio = 0xe000_0000;
  for (const w of r.mmio ?? []) {
    mmio[w.name] = w.base ?? nextMmio;
    nextMmio += Math.max(0x1000, w.size);
    windows.push(w);
  }
  for (const bar of r.pci?.bars ?? []) windows.push({ name: `bar${bar.index}`, size: bar.size, handler: bar.handler });
  const lines: Record<string, IrqLine> = {};
  for (const q of r.irqs ?? []) lines[q.name] = irqs[q.name] ?? new DisconnectedIrqLine();
  if (r.pci !== undefined && r.pci.interruptPin !== 0) lines['intx'] = irqs['intx'] ?? new DisconnectedIrqLine();
  const attachment: DeviceAttachment = {
    ports,
    mmio,
    irqs: lines,
    ...(r.dma ? { memory: new FlatGuestMemory(1 << 20) } : {}),
  };
  device.attach(attachment);
  return { attachment, windows };
}

/** A small deterministic pseudo-random generator (xorshift32), so failures reproduce. */
export function seededRandom(seed = 0x9e37_79b9): () => number {
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

/** Options of {@link describeDeviceConformance}. */
export interface ConformanceOptions {
  /** How many random accesses the unbounded-growth check makes (default 200 000). */
  readonly fuzzAccesses?: number;
  /** Largest window size probed at every offset (bigger windows are sampled; default 4096). */
  readonly maxProbedWindow?: number;
  /** Bytes the saved state may grow under random guest input (default 64 KiB). */
  readonly stateGrowthAllowance?: number;
  /**
   * For the reset check: removes from a saved state what a reset rightly keeps (the time and
   * NVRAM of a battery-backed RTC, bookkeeping that follows guest time). Default: compare all.
   */
  readonly resetInvariant?: (state: StateValue) => StateValue;
}

const WIDTHS: readonly AccessWidth[] = [1, 2, 4];

/** Seeds of the random guest input; several, so one lucky sequence cannot hide a bug. */
const SEEDS: readonly number[] = [11, 1009, 65_537, 2_654_435_761];

/** The five conformance checks; each throws (a failed `expect`) when the device fails it. */
export interface ConformanceChecks {
  /** Its declared resources are valid. */
  readonly resources: () => void;
  /** Reads and writes at every offset and width of every window are safe; reads fit the width. */
  readonly access: () => void;
  /** Reset returns the default (freshly built) state. */
  readonly reset: () => void;
  /** A snapshot round-trips; a snapshot taken right after a restore is identical. */
  readonly snapshot: () => void;
  /** Random guest input cannot grow the device's state (a proxy for its buffers) without bound. */
  readonly growth: () => void;
}

/**
 * The conformance suite every device runs (third-party devices too), as a vitest `describe`
 * block with one test per check of {@link deviceConformanceChecks}.
 */
export function describeDeviceConformance(
  name: string,
  create: (context: DeviceTestContext) => Device,
  options: ConformanceOptions = {},
): void {
  const checks = deviceConformanceChecks(create, options);
  describe(`${name} conformance`, () => {
    it('declares valid resources', checks.resources);
    it('accepts reads and writes at every offset and width, and reads fit the width', checks.access);
    it('returns to its default state on reset', checks.reset);
    it('round-trips a snapshot, and re-saving a restored device gives the same bytes', checks.snapshot);
    it('does not grow its state without bound under random guest input', checks.growth);
  });
}

/**
 * The conformance checks for a device. `create` builds a fresh, unattached device from a
 * context; each check builds its own devices.
 */
export function deviceConformanceChecks(
  create: (context: DeviceTestContext) => Device,
  options: ConformanceOptions = {},
): ConformanceChecks {
  const fuzz = options.fuzzAccesses ?? 200_000;
  const maxProbed = options.maxProbedWindow ?? 4096;
  const allowance = options.stateGrowthAllowance ?? 64 * 1024;

  function fresh(): { device: Device; context: DeviceTestContext; windows: readonly TestWindow[] } {
    const context = createDeviceTestContext();
    const device = create(context);
    const { windows } = attachForTest(device);
    device.reset();
    return { device, context, windows };
  }

  function offsets(size: number): number[] {
    if (size <= maxProbed) return Array.from({ length: size }, (_, i) => i);
    const rnd = seededRandom(size);
    return [0, 1, 2, 3, size - 4, size - 3, size - 2, size - 1, ...Array.from({ length: maxProbed }, () => rnd() % size)];
  }

  function scramble(windows: readonly TestWindow[], context: DeviceTestContext, count: number, seed: number): void {
    const rnd = seededRandom(seed);
    for (let i = 0; i < count; i++) {
      const w = windows[rnd() % windows.length];
      if (w === undefined) return;
      const width = WIDTHS[rnd() % 3]!;
      const offset = rnd() % w.size;
      if (rnd() & 1) w.handler.write(offset, width, rnd() >>> (32 - 8 * width));
      else w.handler.read(offset, width);
      // Mostly short steps of guest time, now and then a long jump (up to ~3 s) so timers wrap,
      // periods roll over and slow state machines reach their later states.
      if (i % 64 === 0) context.advance(i % 4096 === 0 ? rnd() % 3_000_000_000 : rnd() % 100_000);
    }
  }

  return {
  resources: () => {
      const device = create(createDeviceTestContext());
      const r = device.resources();
      const names = new Set<string>();
      for (const w of r.ports ?? []) {
        expect(names.has(w.name), `duplicate window name ${w.name}`).toBe(false);
        names.add(w.name);
        expect(Number.isInteger(w.size) && w.size >= 1).toBe(true);
        if (w.base !== undefined) expect(w.base >= 0 && w.base + w.size <= 0x1_0000).toBe(true);
      }
      for (const w of r.mmio ?? []) {
        expect(names.has(w.name), `duplicate window name ${w.name}`).toBe(false);
        names.add(w.name);
        expect(Number.isInteger(w.size) && w.size >= 1).toBe(true);
        if (w.base !== undefined) expect(w.base >= 0 && w.base + w.size <= 2 ** 32).toBe(true);
      }
      const irqNames = new Set<string>();
      for (const q of r.irqs ?? []) {
        expect(irqNames.has(q.name)).toBe(false);
        irqNames.add(q.name);
        if (q.line !== undefined) expect(Number.isInteger(q.line) && q.line >= 0 && q.line < 16).toBe(true);
      }
      for (const bar of r.pci?.bars ?? []) {
        expect(bar.index >= 0 && bar.index <= 5).toBe(true);
        expect(bar.size & (bar.size - 1), `BAR ${bar.index} size is not a power of two`).toBe(0);
        expect(bar.size >= (bar.kind === 'io' ? 4 : 16)).toBe(true);
      }
      expect(device.snapshotId.length).toBeGreaterThan(0);
      expect(Number.isInteger(device.stateVersion) && device.stateVersion >= 1).toBe(true);
  },

  access: () => {
      const { windows, context } = fresh();
      for (const w of windows) {
        for (const offset of offsets(w.size)) {
          for (const width of WIDTHS) {
            const v = w.handler.read(offset, width);
            expect(Number.isInteger(v) && v >= 0 && v < 2 ** (8 * width), `${w.name}+${offset}/${width} read ${v}`).toBe(true);
            w.handler.write(offset, width, 0);
            w.handler.write(offset, width, 2 ** (8 * width) - 1);
          }
        }
        context.advance(1_000_000);
      }
  },

  reset: () => {
      const keep = options.resetInvariant ?? ((x: StateValue) => x);
      for (const seed of SEEDS) {
        const a = fresh();
        const b = fresh();
        scramble(b.windows, b.context, 5_000, seed);
        b.device.reset();
        expect(encodeState(keep(b.device.saveState())), `reset after random input (seed ${seed})`).toEqual(encodeState(keep(a.device.saveState())));
      }
  },

  snapshot: () => {
      for (const seed of SEEDS) {
        const a = fresh();
        scramble(a.windows, a.context, 5_000, seed);
        const saved = encodeState(a.device.saveState());
        const b = fresh();
        b.device.loadState(a.device.saveState());
        expect(encodeState(b.device.saveState()), `snapshot round trip (seed ${seed})`).toEqual(saved);
      }
  },

  growth: () => {
      const { device, windows, context } = fresh();
      scramble(windows, context, 1_000, 3);
      const early = encodeState(device.saveState()).length;
      scramble(windows, context, fuzz, 5);
      const late = encodeState(device.saveState()).length;
      expect(late - early).toBeLessThanOrEqual(allowance);
  },
  };
}
