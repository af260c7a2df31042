import { describe, expect, it } from 'vitest';
import { ContainerModule, inject, injectable } from 'inversify';
import { Clock, type CoreClock } from './clock.js';
import { DeviceContribution, DeviceHost, type Device, type DeviceAttachment } from './contracts/device.js';
import { PowerControl, Processor, SliceExit } from './contracts/processor.js';
import { LifecycleContribution, StateUpgradeContribution } from './lifecycle.js';
import { Machine } from './machine.js';
import { definePlugin } from './plugin.js';
import type { MachineProfile } from './profile.js';
import { readSnapshot, writeSnapshot } from './snapshot/snapshot-file.js';
import { numberField, type StateValue } from './snapshot/state.js';

/** A CPU that "executes" by counting, halts at a chosen instruction count, and can power off. */
@injectable()
class CountingCpu implements Processor {
  readonly snapshotId = 'cpu0';
  readonly stateType = 'test:CountingCpu';
  readonly stateVersion = 1;
  count = 0;
  /** Called after each instruction (a device access the test makes at a chosen count). */
  onInstruction: ((count: number) => void) | undefined;
  haltAt = Infinity;
  powerOffAt = Infinity;
  halted = false;
  #exit = false;

  constructor(@inject(PowerControl) private readonly power: PowerControl) {}

  retired(): number {
    return this.count;
  }
  runSlice(max: number): SliceExit {
    this.#exit = false;
    if (this.halted) return SliceExit.Halted;
    for (let i = 0; i < max; i++) {
      this.count++;
      this.onInstruction?.(this.count);
      if (this.count === this.powerOffAt) this.power.powerOff();
      if (this.count === this.haltAt) {
        this.halted = true;
        return SliceExit.Halted;
      }
      if (this.#exit) return SliceExit.Requested;
    }
    return SliceExit.Budget;
  }
  reset(): void {
    this.halted = false;
  }
  requestExit(): void {
    this.#exit = true;
  }
  saveState(): StateValue {
    return { count: this.count, halted: this.halted };
  }
  loadState(state: StateValue): void {
    this.count = numberField(state, 'count');
  }
}

/** A device with a periodic timer that wakes the CPU, recording its ticks. */
@injectable()
class TickDevice implements Device {
  readonly id = 'ticker';
  readonly snapshotId = 'ticker';
  readonly stateType = 'test:Ticker';
  readonly stateVersion = 2;
  ticks: number[] = [];
  /** Whether a tick wakes the halted CPU (as an interrupt would). */
  wakes = true;
  attached: DeviceAttachment | undefined;
  readonly timer;

  constructor(
    @inject(Clock) private readonly clock: CoreClock,
    @inject(Processor) cpu: Processor,
  ) {
    this.timer = clock.createTimer('ticker', (now) => {
      this.ticks.push(now);
      if (this.wakes) (cpu as CountingCpu).halted = false;
      clock.armIn(this.timer, 1_000_000);
    });
  }
  resources() {
    return { ports: [{ name: 'regs', size: 4, base: 0x100, handler: { read: () => 0, write: () => {} } }] };
  }
  attach(a: DeviceAttachment): void {
    this.attached = a;
  }
  reset(): void {
    this.ticks = [];
    this.clock.armIn(this.timer, 1_000_000);
  }
  saveState(): StateValue {
    return { tickCount: this.ticks.length };
  }
  loadState(state: StateValue): void {
    this.ticks = new Array<number>(numberField(state, 'tickCount')).fill(0);
  }
}

function makeProfile(log: string[]): MachineProfile {
  const hooks = (name: string) => ({
    onBuild: () => log.push(`${name}.build`),
    onReset: () => log.push(`${name}.reset`),
    onStart: () => log.push(`${name}.start`),
    onPause: () => log.push(`${name}.pause`),
    onResume: () => log.push(`${name}.resume`),
    onStop: () => log.push(`${name}.stop`),
    onDispose: () => log.push(`${name}.dispose`),
  });
  const cpu = definePlugin({
    id: 'test-cpu',
    kind: 'cpu',
    apiVersion: '1.0',
    provides: ['cpu'],
    requires: [],
    module: new ContainerModule(({ bind }) => {
      bind(CountingCpu).toSelf();
      bind(Processor).toService(CountingCpu);
      bind(LifecycleContribution).toConstantValue(hooks('cpu'));
    }),
  });
  const bus = definePlugin({
    id: 'test-bus',
    kind: 'bus',
    apiVersion: '1.0',
    provides: ['bus'],
    requires: [],
    module: new ContainerModule(({ bind }) => {
      bind(DeviceHost).toConstantValue({
        attachDevice: (d: Device) => {
          log.push(`attach ${d.id}`);
          return { ports: { regs: d.resources().ports?.[0]?.base ?? 0 }, mmio: {}, irqs: {} };
        },
      });
      bind(LifecycleContribution).toConstantValue(hooks('bus'));
    }),
  });
  const ticker = definePlugin({
    id: 'test-ticker',
    kind: 'device',
    apiVersion: '1.0',
    provides: ['ticker'],
    requires: ['bus'],
    module: new ContainerModule(({ bind }) => {
      bind(TickDevice).toSelf();
      bind(DeviceContribution).toService(TickDevice);
      bind(StateUpgradeContribution).toConstantValue({
        stateType: 'test:Ticker',
        from: 1,
        upgrade: (s) => ({ tickCount: numberField(s, 'ticks') }),
      });
    }),
  });
  return { id: 'test', description: 'a test machine', plugins: [cpu, bus, ticker] };
}

describe('machine', () => {
  it('builds in profile order, attaches devices, and runs lifecycle hooks forwards then backwards', async () => {
    const log: string[] = [];
    const machine = Machine.build(makeProfile(log), { clock: { mode: 'deterministic' } });
    expect(log).toEqual(['attach ticker', 'cpu.build', 'bus.build', 'cpu.reset', 'bus.reset']);
    expect((machine.devices[0] as TickDevice).attached?.ports).toEqual({ regs: 0x100 });
    log.length = 0;
    (machine.processor as CountingCpu).powerOffAt = 5_000;
    const states: string[] = [];
    machine.events.on('state', (e) => states.push(e.state));
    const exit = await machine.run();
    expect(exit).toEqual({ reason: 'power-off' });
    expect(log).toEqual(['cpu.start', 'bus.start', 'bus.stop', 'cpu.stop']);
    machine.dispose();
    expect(log.slice(-2)).toEqual(['bus.dispose', 'cpu.dispose']);
    expect(states).toEqual(['running', 'stopped', 'disposed']);
  });

  it('reports a service nobody binds as one readable wiring error', () => {
    const profile = makeProfile([]);
    const withoutBus = { ...profile, plugins: profile.plugins.map((p) => (p.id === 'test-bus' ? { ...p, module: new ContainerModule(() => {}) } : p)) };
    expect(() => Machine.build(withoutBus)).toThrow(
      "Profile 'test' cannot be assembled: nothing provides @popek/core:DeviceHost. Add the plugin that provides it, or bind it in a host module.",
    );
  });

  it('pauses and resumes a running machine, and stops it from the host', async () => {
    const log: string[] = [];
    const machine = Machine.build(makeProfile(log), { clock: { mode: 'deterministic' }, sliceInstructions: 1000 });
    const running = machine.run();
    await new Promise((r) => setTimeout(r, 5));
    machine.pause();
    const at = machine.processor!.retired();
    await new Promise((r) => setTimeout(r, 5));
    expect(machine.processor!.retired()).toBe(at);
    machine.resume();
    await new Promise((r) => setTimeout(r, 5));
    expect(machine.processor!.retired()).toBeGreaterThan(at);
    machine.stop();
    expect(await running).toEqual({ reason: 'stopped' });
    expect(log).toContain('bus.pause');
    expect(log).toContain('cpu.resume');
  });

  it('in deterministic mode, time follows instructions and a halted CPU skips to its next timer', () => {
    const machine = Machine.build(makeProfile([]), { clock: { mode: 'deterministic', instructionsPerSecond: 1e9 } });
    const cpu = machine.processor as CountingCpu;
    const ticker = machine.devices[0] as TickDevice;
    cpu.haltAt = 250_000;
    machine.runInstructions(3_000_000);
    // Ticks every 1 ms = 1e6 instructions; the halt at 0.25 ms was skipped to the 1 ms tick, and
    // the skipped 0.75 ms counts toward the 3 ms of guest time the call runs for.
    expect(ticker.ticks).toEqual([1_000_000, 2_000_000, 3_000_000]);
    expect(cpu.count).toBe(2_250_000);
    expect(machine.clock.nowNs()).toBe(3_000_000);
  });

  it('returns when a halted CPU has spent the budget as idle guest time, even with timers firing', () => {
    const machine = Machine.build(makeProfile([]), { clock: { mode: 'deterministic', instructionsPerSecond: 1e9 } });
    const cpu = machine.processor as CountingCpu;
    cpu.haltAt = 10;
    // The ticker fires every millisecond but never wakes this CPU for good: halt it again at once.
    (machine.devices[0] as TickDevice).wakes = false;
    const retired = machine.runInstructions(5_000_000);
    expect(retired).toBe(10);
    expect(machine.clock.nowNs()).toBeGreaterThanOrEqual(5_000_000);
  });

  it('in deterministic mode, a timer armed during a slice fires on its instruction however the host slices the run', () => {
    const run = (sliceInstructions: number, chunk: number) => {
      const m = Machine.build(makeProfile([]), { clock: { mode: 'deterministic', instructionsPerSecond: 1e9 }, sliceInstructions });
      const cpu = m.processor as CountingCpu;
      const fired: number[] = [];
      const oneShot = m.clock.createTimer('one-shot', () => fired.push(cpu.count));
      // A guest access at instruction 1000 arms a device timer 250 instructions ahead, well
      // inside the slice that is running.
      cpu.onInstruction = (count) => {
        if (count === 1000 || count === 50_000) m.clock.armIn(oneShot, 250);
      };
      while (cpu.count < 100_000) m.runInstructions(chunk);
      return fired;
    };
    expect(run(200_000, 100_000)).toEqual([1250, 50_250]);
    expect(run(200_000, 7)).toEqual([1250, 50_250]);
    expect(run(4096, 100_000)).toEqual([1250, 50_250]);
  });

  it('in realtime mode, a timer armed during a slice for before its expected end ends the slice; a later one does not', () => {
    // Host time stands still, so the clock keeps its initial rate estimate: 100 MIPS, 10 000
    // instructions in 100 µs.
    const m = Machine.build(makeProfile([]), { clock: { mode: 'realtime' }, hostTime: { now: () => 0 }, sliceInstructions: 10_000 });
    const cpu = m.processor as CountingCpu;
    m.clock.resume();
    const timer = m.clock.createTimer('one-shot', () => {});
    let delayNs = 1e6;
    cpu.onInstruction = (count) => {
      if (count % 1000 === 500) m.clock.armIn(timer, delayNs);
    };
    const exits: SliceExit[] = [];
    const runSlice = cpu.runSlice.bind(cpu);
    cpu.runSlice = (max) => {
      const exit = runSlice(max);
      exits.push(exit);
      return exit;
    };
    m.runInstructions(20_000);
    expect(cpu.count).toBe(20_000);
    expect(exits).toEqual([SliceExit.Budget, SliceExit.Budget]);
    m.clock.cancel(timer);
    m.clock.runDue();
    exits.length = 0;
    delayNs = 2_000; // within the 10 µs the 1000-instruction slice is expected to take
    m.runInstructions(1000);
    expect(exits[0]).toBe(SliceExit.Requested);
  });

  it('gives identical results for identical runs in deterministic mode', () => {
    const run = () => {
      const m = Machine.build(makeProfile([]), { clock: { mode: 'deterministic' } });
      (m.processor as CountingCpu).haltAt = 777;
      m.runInstructions(50_000_000);
      return [(m.devices[0] as TickDevice).ticks, m.clock.nowNs()];
    };
    expect(run()).toEqual(run());
  });

  it('saves and restores the whole machine, upgrading old component state, byte-identically', async () => {
    const a = Machine.build(makeProfile([]), { clock: { mode: 'deterministic' }, identity: { memoryMiB: 1 } });
    a.runInstructions(123_456);
    const saved = await a.saveSnapshot();
    const b = Machine.build(makeProfile([]), { clock: { mode: 'deterministic' }, identity: { memoryMiB: 1 } });
    await b.restoreSnapshot(saved);
    expect(b.processor!.retired()).toBe(123_456);
    expect(b.clock.nowNs()).toBe(a.clock.nowNs());
    expect(await b.saveSnapshot()).toEqual(saved);

    const other = Machine.build(makeProfile([]), { clock: { mode: 'deterministic' }, identity: { memoryMiB: 2 } });
    await expect(other.restoreSnapshot(saved)).rejects.toThrow(/configured as/);
  });

  it('reports a component state it cannot load as an invalid snapshot, not a crash', async () => {
    const a = Machine.build(makeProfile([]), { clock: { mode: 'deterministic' } });
    const image = await readSnapshot(await a.saveSnapshot());
    const broken = { ...image, sections: image.sections.map((s) => (s.id === 'cpu0' ? { ...s, state: { count: 'many' } } : s)) };
    const b = Machine.build(makeProfile([]), { clock: { mode: 'deterministic' } });
    await expect(b.restoreSnapshot(await writeSnapshot(broken))).rejects.toThrow(/The snapshot's state for 'cpu0' cannot be loaded \(snapshot field 'count' is not a number\)/);
  });

  it('restores a snapshot written by an older build through the registered upgrade', async () => {
    const a = Machine.build(makeProfile([]), { clock: { mode: 'deterministic' } });
    a.runInstructions(2_500_000);
    const image = await readSnapshot(await a.saveSnapshot());
    // Rewrite the ticker's section as version 1 wrote it: `{ ticks: n }`.
    const ticks = (a.devices[0] as TickDevice).ticks.length;
    expect(ticks).toBe(25);
    const old = {
      ...image,
      sections: image.sections.map((s) => (s.id === 'ticker' ? { ...s, version: 1, state: { ticks } } : s)),
    };
    const b = Machine.build(makeProfile([]), { clock: { mode: 'deterministic' } });
    await b.restoreSnapshot(await writeSnapshot(old));
    expect((b.devices[0] as TickDevice).ticks).toHaveLength(25);
    expect(await b.saveSnapshot()).toEqual(await writeSnapshot(image));
  });

  it('resets the machine when the guest asks', () => {
    const m = Machine.build(makeProfile([]), { clock: { mode: 'deterministic' } });
    const cpu = m.processor as CountingCpu;
    const ticker = m.devices[0] as TickDevice;
    m.runInstructions(2_500_000);
    expect(ticker.ticks).toHaveLength(25);
    const reasons: string[] = [];
    m.events.on('reset', (e) => reasons.push(e.reason));
    cpu['power'].reset('guest');
    m.runInstructions(1);
    expect(reasons).toEqual(['guest']);
    expect(ticker.ticks).toEqual([]);
  });

  it('stops on a triple fault when told to', async () => {
    const m = Machine.build(makeProfile([]), { clock: { mode: 'deterministic' }, onTripleFault: 'stop' });
    const events: string[] = [];
    m.events.subscribe((e) => events.push(e.type === 'reset' ? `reset:${e.reason}` : e.type));
    const run = m.run();
    await new Promise((r) => setTimeout(r, 2));
    // A triple fault comes through PowerControl, which the CPU holds.
    (m.processor as CountingCpu)['power'].reset('triple-fault');
    expect(await run).toEqual({ reason: 'triple-fault' });
    expect(events).toContain('reset:triple-fault');
  });
});
