import 'reflect-metadata';
import { Container, type ContainerModule } from 'inversify';
import { CoreClock, Clock, ClockOptions, HostTime, performanceHostTime } from './clock.js';
import { DeviceContribution, DeviceHost, type Device } from './contracts/device.js';
import { PowerControl, Processor, SliceExit, type ResetReason } from './contracts/processor.js';
import { PopekError } from './errors.js';
import { EventStream } from './events.js';
import {
  LifecycleContribution,
  SnapshotContribution,
  StateUpgradeContribution,
  type MachineState,
} from './lifecycle.js';
import { MachineEvents, type MachineEvent } from './machine-events.js';
import { Metrics, MetricsRegistry } from './metrics.js';
import { validateProfile, type MachineProfile } from './profile.js';
import { readSnapshot, writeSnapshot, type SnapshotSection } from './snapshot/snapshot-file.js';
import type { Snapshotable, StateRecord, StateValue } from './snapshot/state.js';
import { StateUpgrades } from './snapshot/state-upgrades.js';

/** Options of a machine that are not part of its profile. */
export interface MachineOptions {
  /** Clock mode and rate (default: realtime). */
  readonly clock?: ClockOptions;
  /** Host time source (tests bind a fake; default `performance.now()`). */
  readonly hostTime?: HostTime;
  /** Instructions per slice: about a millisecond of guest work (default 200 000). */
  readonly sliceInstructions?: number;
  /**
   * Host-side bindings loaded after the profile's plugins: device options, backends (serial on
   * stdio, disk images), the boot image.
   */
  readonly modules?: readonly ContainerModule[];
  /**
   * Facts that shape the machine (memory size, devices present), recorded in snapshots; a
   * snapshot restores only into a machine with the same facts.
   */
  readonly identity?: StateRecord;
  /** What a triple fault does: reset the machine (as a PC does) or stop it (default `reset`). */
  readonly onTripleFault?: 'reset' | 'stop';
}

/** Why {@link Machine.run} returned. */
export type MachineExit =
  | {
      /** The guest powered off, the host stopped the machine, or a triple fault stopped it. */
      readonly reason: 'power-off' | 'stopped' | 'triple-fault';
    }
  | {
      /** A host-side error (a bug) ended the run. */
      readonly reason: 'error';
      /** The error. */
      readonly error: unknown;
    };

const TRANSITIONS: Record<MachineState, readonly MachineState[]> = {
  built: ['running', 'stopped', 'disposed'],
  running: ['paused', 'stopped'],
  paused: ['running', 'stopped'],
  stopped: ['disposed'],
  disposed: [],
};

/**
 * A machine: the container its profile assembled, the components resolved from it once, and the
 * run loop. The container is used only while building; afterwards everything runs through direct
 * references.
 *
 * Hosts drive a machine through its command methods (`run`, `pause`, `resume`, `stop`, `reset`,
 * `saveSnapshot`, `restoreSnapshot`) and learn what happens from {@link Machine.events}.
 */
export class Machine {
  /** The profile the machine was built from. */
  readonly profile: MachineProfile;
  /** What the machine tells its host. */
  readonly events: EventStream<MachineEvent>;
  /** The machine's metrics. */
  readonly metrics: MetricsRegistry;
  /** The machine's clock. */
  readonly clock: CoreClock;
  /** The CPU, when the profile has one. */
  processor: Processor | undefined;
  /** The devices, in profile order. */
  devices: readonly Device[] = [];

  readonly #container: Container;
  #lifecycle: readonly LifecycleContribution[] = [];
  #snapshotables: readonly Snapshotable[] = [];
  readonly #upgrades = new StateUpgrades();
  readonly #identity: StateRecord;
  readonly #sliceInstructions: number;
  readonly #onTripleFault: 'reset' | 'stop';
  #state: MachineState = 'built';
  #pendingPowerOff = false;
  #pendingReset: ResetReason | undefined;
  #exit: MachineExit | undefined;
  #wake: (() => void) | undefined;
  #paused: Promise<void> | undefined;
  #unpause: (() => void) | undefined;

  private constructor(profile: MachineProfile, options: MachineOptions) {
    this.profile = profile;
    this.#identity = options.identity ?? {};
    this.#sliceInstructions = options.sliceInstructions ?? 200_000;
    this.processor = undefined;
    this.#onTripleFault = options.onTripleFault ?? 'reset';
    this.events = new EventStream<MachineEvent>((error) => console.error('a machine event listener failed:', error));
    this.metrics = new MetricsRegistry();
    this.clock = new CoreClock(options.clock ?? { mode: 'realtime' }, options.hostTime ?? performanceHostTime);

    const container = new Container({ defaultScope: 'Singleton' });
    this.#container = container;
    container.bind(Metrics).toConstantValue(this.metrics);
    container.bind(Clock).toConstantValue(this.clock);
    container.bind(MachineEvents).toConstantValue(this.events);
    container.bind(PowerControl).toConstantValue({
      powerOff: () => this.#requestPowerOff(),
      reset: (reason: ResetReason) => this.#requestReset(reason),
    });
    container.load(...profile.plugins.map((p) => p.module), ...(options.modules ?? []));
    try {
      this.#resolve(container);
    } catch (error) {
      throw wiringError(profile.id, error);
    }
  }

  #resolve(container: Container): void {

    this.processor = container.isBound(Processor) ? container.get(Processor) : undefined;
    if (this.processor !== undefined) {
      const cpu = this.processor;
      this.clock.setInstructionCounter(cpu);
      this.clock.onEarlierDeadline(() => cpu.requestExit());
    }
    this.devices = container.isBound(DeviceContribution) ? container.getAll(DeviceContribution) : [];
    if (this.devices.length > 0) {
      const host = container.get(DeviceHost);
      for (const device of this.devices) device.attach(host.attachDevice(device));
    }
    this.#lifecycle = container.isBound(LifecycleContribution) ? container.getAll(LifecycleContribution) : [];
    const extra = container.isBound(SnapshotContribution) ? container.getAll(SnapshotContribution) : [];
    this.#snapshotables = [this.clock, ...(this.processor ? [this.processor] : []), ...extra, ...this.devices];
    const ids = new Set<string>();
    for (const s of this.#snapshotables) {
      if (ids.has(s.snapshotId)) throw new Error(`two components of the machine have the snapshot id '${s.snapshotId}'`);
      ids.add(s.snapshotId);
    }
    if (container.isBound(StateUpgradeContribution)) {
      for (const u of container.getAll(StateUpgradeContribution)) this.#upgrades.register(u.stateType, u.from, u.upgrade);
    }
  }

  /**
   * Validates the profile, assembles its container, resolves and attaches every component, and
   * puts the machine in its power-on state.
   *
   * @throws {@link ProfileError} for an invalid profile, before anything is resolved
   * @throws {@link PopekError} for conflicting device resources or invalid options
   */
  static build(profile: MachineProfile, options: MachineOptions = {}): Machine {
    validateProfile(profile);
    const machine = new Machine(profile, options);
    for (const c of machine.#lifecycle) c.onBuild?.();
    machine.#resetComponents();
    return machine;
  }

  /** The machine's state. */
  get state(): MachineState {
    return this.#state;
  }

  /** The upgrades registered for state schemas (plugins add theirs through a contribution). */
  get upgrades(): StateUpgrades {
    return this.#upgrades;
  }

  /**
   * Runs the machine until the guest powers it off, the host stops it, or a host error occurs.
   * Yields to the event loop between slices; a halted CPU sleeps until its next timer (realtime)
   * or skips to it (deterministic).
   */
  async run(): Promise<MachineExit> {
    if (this.#state !== 'built') throw new Error(`a machine in state '${this.#state}' cannot start`);
    for (const c of this.#lifecycle) c.onStart?.();
    this.#transition('running');
    this.clock.resume();
    try {
      while (this.#exit === undefined) {
        if (this.state === 'paused') {
          await this.#paused;
          continue;
        }
        const idleMs = this.#runSlices(8);
        if (this.#exit !== undefined) break;
        if (idleMs > 0) await this.#sleep(idleMs);
        else await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.#exit = { reason: 'error', error };
      this.events.emit({ type: 'error', error });
    }
    this.clock.pause();
    if (this.state !== 'stopped') this.#transition('stopped');
    for (const c of [...this.#lifecycle].reverse()) c.onStop?.();
    return this.#exit ?? { reason: 'stopped' };
  }

  /**
   * Runs slices synchronously for `instructions` instructions' worth of guest time, for tests and
   * tools. In deterministic mode, time the CPU spends halted (skipped to the next timer) counts
   * too, so a guest halted for good cannot keep the call spinning; in realtime mode the call
   * returns as soon as the CPU idles. It also returns when the CPU halts with no timer armed, or
   * when the guest powers off or stops the machine. Returns the number of instructions retired.
   */
  runInstructions(instructions: number): number {
    const cpu = this.#requireProcessor();
    const start = cpu.retired();
    const startNs = this.clock.nowNs();
    const spanNs = instructions * this.clock.nsPerInstruction;
    const deterministic = this.clock.mode === 'deterministic';
    while (this.#exit === undefined) {
      const done = cpu.retired() - start;
      if (done >= instructions || (deterministic && this.clock.nowNs() - startNs >= spanNs)) break;
      const before = cpu.retired();
      const idle = this.#runOneSlice(Math.min(this.#sliceInstructions, instructions - done));
      if (idle === Infinity && cpu.retired() === before) break;
      if (!deterministic && idle > 0) break;
    }
    return cpu.retired() - start;
  }

  /** Pauses a running machine at the end of the current slice. */
  pause(): void {
    if (this.#state !== 'running') return;
    this.#paused = new Promise((resolve) => (this.#unpause = resolve));
    this.clock.pause();
    for (const c of [...this.#lifecycle].reverse()) c.onPause?.();
    this.#transition('paused');
    this.processor?.requestExit();
    this.#wake?.();
  }

  /** Resumes a paused machine. */
  resume(): void {
    if (this.#state !== 'paused') return;
    for (const c of this.#lifecycle) c.onResume?.();
    this.#transition('running');
    this.clock.resume();
    this.#unpause?.();
  }

  /** Stops the machine for good (from the host); `run` resolves with `stopped`. */
  stop(): void {
    if (this.#state === 'stopped' || this.#state === 'disposed') return;
    this.#exit ??= { reason: 'stopped' };
    this.processor?.requestExit();
    if (this.#state === 'paused') {
      this.#transition('stopped');
      this.#unpause?.();
    } else if (this.#state === 'built') {
      this.#transition('stopped');
      for (const c of [...this.#lifecycle].reverse()) c.onStop?.();
    }
    this.#wake?.();
  }

  /** Resets the machine (the host's reset button). */
  reset(): void {
    this.#requestReset('host');
    if (this.#state !== 'running') this.#handleRequests();
  }

  /** Wakes a machine whose CPU sleeps in HLT: a backend calls this when host input arrives. */
  wake(): void {
    this.#wake?.();
  }

  /** Releases the container and every component's host resources. */
  dispose(): void {
    if (this.#state === 'disposed') return;
    if (this.#state !== 'stopped') this.stop();
    for (const c of [...this.#lifecycle].reverse()) c.onDispose?.();
    this.#transition('disposed');
    void this.#container.unbindAll();
  }

  /**
   * Saves the whole machine: the profile, the machine's identity, and every component's state.
   * A running machine is saved between slices.
   */
  async saveSnapshot(): Promise<Uint8Array> {
    const sections: SnapshotSection[] = this.#snapshotables.map((s) => ({
      id: s.snapshotId,
      type: s.stateType,
      version: s.stateVersion,
      state: s.saveState(),
    }));
    return writeSnapshot({ profile: this.profile.id, machine: { identity: this.#identity }, sections });
  }

  /**
   * Restores a snapshot into this machine, which must be built from the same profile with the
   * same identity and must not be running.
   *
   * @throws {@link PopekError} (`snapshot-invalid`, `snapshot-mismatch`, `snapshot-version`)
   */
  async restoreSnapshot(bytes: Uint8Array): Promise<void> {
    if (this.#state === 'running') throw new Error('pause the machine before restoring a snapshot');
    const image = await readSnapshot(bytes);
    if (image.profile !== this.profile.id) {
      throw new PopekError('snapshot-mismatch', `The snapshot was taken on a '${image.profile}' machine; this one is '${this.profile.id}'.`);
    }
    const saved = JSON.stringify(stable(image.machine['identity'] ?? {}));
    const mine = JSON.stringify(stable(this.#identity));
    if (saved !== mine) {
      throw new PopekError('snapshot-mismatch', `The snapshot was taken on a machine configured as ${saved}; this one is ${mine}. Start Popek with the same options.`);
    }
    const byId = new Map(image.sections.map((s) => [s.id, s]));
    for (const s of this.#snapshotables) {
      if (!byId.has(s.snapshotId)) throw new PopekError('snapshot-mismatch', `The snapshot has no state for component '${s.snapshotId}'.`);
    }
    for (const section of image.sections) {
      if (!this.#snapshotables.some((s) => s.snapshotId === section.id)) {
        throw new PopekError('snapshot-mismatch', `The snapshot holds state for '${section.id}', which this machine does not have.`);
      }
    }
    for (const s of this.#snapshotables) {
      const section = byId.get(s.snapshotId)!;
      if (section.type !== s.stateType) {
        throw new PopekError('snapshot-mismatch', `The snapshot's '${s.snapshotId}' is a ${section.type}; this machine's is a ${s.stateType}.`);
      }
      const state = this.#upgrades.upgrade(s.stateType, section.version, s.stateVersion, section.state);
      try {
        s.loadState(state);
      } catch (cause) {
        if (cause instanceof PopekError) throw cause;
        throw new PopekError(
          'snapshot-invalid',
          `The snapshot's state for '${s.snapshotId}' cannot be loaded (${(cause as Error)?.message ?? String(cause)}); it was written by an incompatible build or is damaged. The machine was left half-restored: start it again.`,
          { cause },
        );
      }
    }
    for (const c of this.#lifecycle) c.onRestore?.();
    this.events.emit({ type: 'restored' });
  }

  #requireProcessor(): Processor {
    if (this.processor === undefined) throw new Error(`profile '${this.profile.id}' has no processor`);
    return this.processor;
  }

  /** Runs up to `count` slices; returns how long to sleep (ms) if the CPU is idle, else 0. */
  #runSlices(count: number): number {
    for (let i = 0; i < count && this.#exit === undefined && this.#state === 'running'; i++) {
      const idle = this.#runOneSlice(this.#sliceInstructions);
      if (idle > 0) return idle;
    }
    return 0;
  }

  /** One slice, then timers and requests; returns ms to sleep when the CPU idles (else 0). */
  #runOneSlice(budget: number): number {
    const cpu = this.#requireProcessor();
    const untilDeadline = this.clock.instructionsUntilNextDeadline();
    const instructions = Math.max(1, Math.min(budget, untilDeadline));
    this.clock.sliceStarted(instructions);
    let exit: SliceExit;
    try {
      exit = cpu.runSlice(instructions);
    } finally {
      this.clock.sliceEnded();
    }
    this.clock.runDue();
    this.#handleRequests();
    if (exit === SliceExit.Halted && this.#exit === undefined) {
      const idle = this.clock.idle();
      this.clock.runDue();
      return idle;
    }
    return 0;
  }

  #handleRequests(): void {
    if (this.#pendingPowerOff) {
      this.#pendingPowerOff = false;
      this.#exit ??= { reason: 'power-off' };
      this.events.emit({ type: 'power-off' });
    }
    const reason = this.#pendingReset;
    if (reason !== undefined) {
      this.#pendingReset = undefined;
      if (reason === 'triple-fault' && this.#onTripleFault === 'stop') {
        this.#exit ??= { reason: 'triple-fault' };
      } else {
        this.#resetComponents();
      }
      this.events.emit({ type: 'reset', reason });
    }
  }

  #resetComponents(): void {
    this.processor?.reset();
    for (const d of this.devices) d.reset();
    for (const c of this.#lifecycle) c.onReset?.();
  }

  #requestPowerOff(): void {
    this.#pendingPowerOff = true;
    this.processor?.requestExit();
  }

  #requestReset(reason: ResetReason): void {
    this.#pendingReset = reason;
    this.processor?.requestExit();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      // A host with nothing armed still wakes now and then, so pause/stop/input are noticed.
      const timer = setTimeout(done, Math.max(0, Math.min(ms, 100)));
      this.#wake = done;
    });
  }

  #transition(next: MachineState): void {
    const previous = this.#state;
    if (!TRANSITIONS[previous].includes(next)) throw new Error(`a machine cannot go from '${previous}' to '${next}'`);
    this.#state = next;
    this.events.emit({ type: 'state', state: next, previous });
  }
}

/**
 * Turns a container resolution failure (a service nobody binds, two bindings where one is
 * expected, a cycle) into one message naming the profile and what is missing. A `PopekError` from
 * a component (bad options, resource conflicts) passes through unchanged.
 */
function wiringError(profileId: string, error: unknown): unknown {
  if (error instanceof PopekError || !(error instanceof Error)) return error;
  const m = /(No bindings found|Ambiguous bindings found|Circular dependency found)[^"]*"([^"]+)"/.exec(error.message);
  if (m === null) return error;
  const service = m[2]!.replace(/^Symbol\((.*)\)$/, '$1');
  const requester = /Trying to resolve bindings for "([^"]+)"/.exec(error.message)?.[1];
  // A root request (the machine itself asked) names no component worth mentioning.
  const by = requester === undefined || requester.includes('(Root service)') ? undefined : requester;
  const what =
    m[1] === 'No bindings found'
      ? `nothing provides ${service}`
      : m[1] === 'Ambiguous bindings found'
        ? `${service} is bound more than once`
        : `${service} depends on itself`;
  return new PopekError(
    'machine-wiring',
    `Profile '${profileId}' cannot be assembled: ${what}${by !== undefined ? ` (needed by ${by})` : ''}. Add the plugin that provides it, or bind it in a host module.`,
    { cause: error },
  );
}

function stable(value: StateValue): StateValue {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) return value;
  const out: Record<string, StateValue> = {};
  for (const k of Object.keys(value).sort()) out[k] = stable((value as StateRecord)[k]!);
  return out;
}
