import { serviceId } from './service-id.js';
import type { StateValue, Snapshotable } from './snapshot/state.js';
import { arrayField, numberField, stringField } from './snapshot/state.js';

/**
 * How guest time advances: with host time (`realtime`), or with executed instructions
 * (`deterministic`: the same inputs give the same outputs, run after run).
 */
export type ClockMode = 'realtime' | 'deterministic';

/** Options of the core clock. */
export interface ClockOptions {
  /** How guest time advances. */
  readonly mode: ClockMode;
  /**
   * In deterministic mode, how many guest instructions make one second of guest time
   * (default 100 000 000: a 100 MIPS guest).
   */
  readonly instructionsPerSecond?: number;
}

/** The clock's options, bound by the profile or the host. */
export const ClockOptions = serviceId<ClockOptions>('@popek/core:ClockOptions');

/** Where host time comes from, in milliseconds; only the clock reads it. */
export interface HostTime {
  /** A monotonic time in milliseconds (`performance.now()`). */
  now(): number;
}

/** The clock's source of host time (tests bind a fake). */
export const HostTime = serviceId<HostTime>('@popek/core:HostTime');

/**
 * The fewest instructions a realtime slice is sized to, and the fewest a slice must have run (all
 * it was given) for the clock to learn the CPU's rate from it: shorter slices measure the host's
 * cost per slice more than per instruction. At a few ns to a few tens of ns per instruction, a
 * deadline is missed by well under 100 µs.
 */
export const REALTIME_MIN_SLICE = 4096;
/** How far each measured slice moves the realtime rate estimate (in log space). */
const RATE_LEARNING = 0.25;

/** The default host time source: `performance.now()`. */
export const performanceHostTime: HostTime = { now: () => performance.now() };

/**
 * The count of retired guest instructions, which deterministic guest time follows. The CPU
 * provides it; it must be exact whenever a device may read the time (at I/O instructions).
 */
export interface InstructionCounter {
  /** Instructions retired since the machine was built. */
  retired(): number;
}

/** A one-shot timer of the core clock, re-armed by its owner. */
export class Timer {
  /** The guest time (ns) at which it fires; `Infinity` when disarmed. */
  deadline = Infinity;

  /**
   * @param name - unique within the machine (`pit.ch0`), so an armed timer survives a snapshot
   * @param callback - called with the current guest time when the deadline passes
   */
  constructor(
    readonly name: string,
    readonly callback: (nowNs: number) => void,
  ) {}

  /** Whether the timer will fire. */
  get armed(): boolean {
    return this.deadline !== Infinity;
  }
}

/**
 * The core clock: the machine's only source of time. Devices take their time and timers from it;
 * none reads the wall clock.
 *
 * Guest time is in nanoseconds since the machine was built. In realtime mode it follows host time
 * while the machine runs and stands still while it is paused. In deterministic mode it is
 * `retired instructions × ns per instruction`, plus any idle time skipped while the CPU was
 * halted, so it depends only on what the guest executed.
 */
export class CoreClock implements Snapshotable {
  readonly snapshotId = 'clock';
  readonly stateType = '@popek/core:Clock';
  readonly stateVersion = 1;

  /** The clock's mode. */
  readonly mode: ClockMode;
  /** Guest nanoseconds per retired instruction, in deterministic mode. */
  readonly nsPerInstruction: number;

  readonly #timers = new Map<string, Timer>();
  readonly #host: HostTime;
  #counter: InstructionCounter = { retired: () => 0 };
  /** Guest ns at the last re-base. */
  #baseNs = 0;
  /** Host ms at the last re-base (realtime) — NaN while paused. */
  #hostBaseMs = Number.NaN;
  /** Retired instructions at the last re-base (deterministic). */
  #retiredBase = 0;
  #next = Infinity;
  /**
   * Guest time at which the running slice ends (in realtime mode: is expected to end, at the
   * measured rate); `-Infinity` between slices.
   */
  #sliceEndNs = -Infinity;
  #onEarlierDeadline: (() => void) | undefined;
  /**
   * Realtime mode: the natural log of the instructions per host ns the CPU ran at, averaged
   * (exponentially) over recent whole slices, so a slice can end near the next deadline instead of
   * running long past it. Averaging logs per slice, not instructions over time, lets one slice the
   * host stalled in lower the estimate by a bounded factor that the next slices undo.
   */
  #logRate: number;
  /** Realtime mode: instructions the running slice was given. */
  #sliceInstructions = 0;
  /** Realtime mode: retired count and guest time when the running slice started (NaN: none). */
  #sliceStartRetired = Number.NaN;
  #sliceStartNs = 0;

  /**
   * @param options - mode and instruction rate
   * @param host - source of host time (realtime mode)
   */
  constructor(options: ClockOptions, host: HostTime = performanceHostTime) {
    this.mode = options.mode;
    const ips = options.instructionsPerSecond ?? 100_000_000;
    if (!(ips > 0) || !Number.isFinite(ips)) throw new RangeError(`instructionsPerSecond must be positive, not ${ips}`);
    this.nsPerInstruction = 1e9 / ips;
    this.#host = host;
    // Until slices are measured, assume the configured rate.
    this.#logRate = Math.log(1 / this.nsPerInstruction);
  }

  /** Connects the instruction counter (the CPU does this once, at build). */
  setInstructionCounter(counter: InstructionCounter): void {
    const now = this.nowNs();
    this.#counter = counter;
    this.#rebase(now);
  }

  /** The current guest time in nanoseconds. */
  nowNs(): number {
    if (this.mode === 'deterministic') {
      return this.#baseNs + (this.#counter.retired() - this.#retiredBase) * this.nsPerInstruction;
    }
    if (Number.isNaN(this.#hostBaseMs)) return this.#baseNs;
    return this.#baseNs + (this.#host.now() - this.#hostBaseMs) * 1e6;
  }

  /** Whether realtime guest time is flowing (always true in deterministic mode). */
  get running(): boolean {
    return this.mode === 'deterministic' || !Number.isNaN(this.#hostBaseMs);
  }

  /** Lets realtime guest time flow (machine start and resume). */
  resume(): void {
    if (this.mode === 'realtime' && Number.isNaN(this.#hostBaseMs)) this.#hostBaseMs = this.#host.now();
  }

  /** Stops realtime guest time (machine pause and stop). */
  pause(): void {
    if (this.mode === 'realtime' && !Number.isNaN(this.#hostBaseMs)) {
      this.#baseNs = this.nowNs();
      this.#hostBaseMs = Number.NaN;
    }
  }

  /**
   * Creates a timer. Names are unique within the machine.
   *
   * @throws Error when a timer of that name exists
   */
  createTimer(name: string, callback: (nowNs: number) => void): Timer {
    if (this.#timers.has(name)) throw new Error(`a timer named '${name}' already exists`);
    const timer = new Timer(name, callback);
    this.#timers.set(name, timer);
    return timer;
  }

  /**
   * Arms `timer` to fire at guest time `deadlineNs` (replacing any earlier deadline). A deadline
   * before the end of the running slice ends the slice at the next instruction boundary (see
   * {@link onEarlierDeadline}): in deterministic mode the timer then fires on the instruction its
   * deadline names however the host slices the run, and in realtime mode close to its time.
   */
  arm(timer: Timer, deadlineNs: number): void {
    timer.deadline = deadlineNs;
    if (deadlineNs < this.#next) this.#next = deadlineNs;
    if (deadlineNs < this.#sliceEndNs) {
      this.#sliceEndNs = -Infinity;
      this.#onEarlierDeadline?.();
    }
  }

  /**
   * Sets what the clock calls when a timer is armed, during a slice, for before the slice's end
   * (the machine asks the CPU to end the slice).
   */
  onEarlierDeadline(callback: () => void): void {
    this.#onEarlierDeadline = callback;
  }

  /**
   * The machine starts a slice of `instructions` instructions (deterministic mode: a timer armed
   * for before its end ends it early; realtime mode: the clock times the slice to learn the rate
   * at which the CPU runs).
   */
  sliceStarted(instructions: number): void {
    if (this.mode === 'deterministic') {
      this.#sliceEndNs = this.nowNs() + instructions * this.nsPerInstruction;
    } else if (this.running) {
      this.#sliceStartRetired = this.#counter.retired();
      this.#sliceStartNs = this.nowNs();
      this.#sliceInstructions = instructions;
      // Where the slice is expected to end: a timer armed for before then ends it early too.
      this.#sliceEndNs = this.#sliceStartNs + instructions / this.instructionsPerNs;
    }
  }

  /** The machine's slice ended. */
  sliceEnded(): void {
    this.#sliceEndNs = -Infinity;
    if (Number.isNaN(this.#sliceStartRetired)) return;
    const retired = this.#counter.retired() - this.#sliceStartRetired;
    const ns = this.nowNs() - this.#sliceStartNs;
    this.#sliceStartRetired = Number.NaN;
    // Only a slice that ran all it was given, and enough of it, measures the CPU's rate (one cut
    // short by HLT or an exit request measures what stopped it).
    if (!(ns > 0) || retired < REALTIME_MIN_SLICE || retired < this.#sliceInstructions) return;
    this.#logRate += RATE_LEARNING * (Math.log(retired / ns) - this.#logRate);
  }

  /**
   * Realtime mode: instructions per guest ns the CPU has recently run at (what slices are sized
   * by); in deterministic mode, `1 / nsPerInstruction`.
   */
  get instructionsPerNs(): number {
    if (this.mode === 'deterministic') return 1 / this.nsPerInstruction;
    return Math.exp(this.#logRate);
  }

  /** Arms `timer` to fire `delayNs` from now. */
  armIn(timer: Timer, delayNs: number): void {
    this.arm(timer, this.nowNs() + delayNs);
  }

  /** Disarms `timer`. */
  cancel(timer: Timer): void {
    timer.deadline = Infinity;
  }

  /** The earliest armed deadline (ns), or `Infinity`. */
  nextDeadlineNs(): number {
    return this.#next;
  }

  /**
   * Fires every timer whose deadline has passed, earliest first (a callback may re-arm its timer
   * or arm others). Returns how many fired.
   */
  runDue(): number {
    let fired = 0;
    for (;;) {
      const now = this.nowNs();
      let due: Timer | undefined;
      let next = Infinity;
      for (const t of this.#timers.values()) {
        if (t.deadline <= now && (due === undefined || t.deadline < due.deadline)) due = t;
        if (t.deadline < next) next = t.deadline;
      }
      this.#next = next;
      if (due === undefined) return fired;
      due.deadline = Infinity;
      fired++;
      due.callback(now);
    }
  }

  /**
   * How many instructions the CPU may run before the next deadline (`Infinity` with nothing
   * armed). In deterministic mode, exactly as many as end the slice on it. In realtime mode, an
   * estimate from the rate recent slices ran at ({@link instructionsPerNs}), and at least
   * {@link REALTIME_MIN_SLICE}: a slice that ran on for milliseconds past a deadline would fire its
   * timer late, and a periodic timer such as the PIT's would merge ticks the guest counts (Linux
   * then finds its clocksources disagree).
   */
  instructionsUntilNextDeadline(): number {
    if (this.#next === Infinity) return Infinity;
    const ns = this.#next - this.nowNs();
    if (this.mode === 'deterministic') return Math.max(0, Math.ceil(ns / this.nsPerInstruction));
    return Math.max(REALTIME_MIN_SLICE, Math.ceil(ns * this.instructionsPerNs));
  }

  /**
   * The CPU is halted with nothing to do until the next timer. In deterministic mode guest time
   * jumps to the deadline at once and 0 is returned; in realtime mode the host should sleep for
   * the returned number of milliseconds (`Infinity` when nothing is armed).
   */
  idle(): number {
    if (this.#next === Infinity) return Infinity;
    const now = this.nowNs();
    if (this.#next <= now) return 0;
    if (this.mode === 'deterministic') {
      this.#rebase(this.#next);
      return 0;
    }
    return (this.#next - now) / 1e6;
  }

  #rebase(nowNs: number): void {
    this.#baseNs = nowNs;
    this.#retiredBase = this.#counter.retired();
    if (!Number.isNaN(this.#hostBaseMs)) this.#hostBaseMs = this.#host.now();
  }

  saveState(): StateValue {
    const timers = [...this.#timers.values()]
      .filter((t) => t.armed)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((t) => ({ name: t.name, deadline: t.deadline }));
    // Deterministic time is saved as its base and the instruction count at that base; the CPU
    // saves its own count, so restoring in any order gives the same time.
    const baseNs = this.mode === 'deterministic' ? this.#baseNs : this.nowNs();
    const retiredBase = this.mode === 'deterministic' ? this.#retiredBase : 0;
    return { mode: this.mode, baseNs, retiredBase, timers };
  }

  loadState(state: StateValue): void {
    const mode = stringField(state, 'mode');
    if (mode !== this.mode) throw new Error(`the snapshot was taken with a ${mode} clock, and this machine's clock is ${this.mode}`);
    this.#baseNs = numberField(state, 'baseNs');
    this.#retiredBase = numberField(state, 'retiredBase');
    if (this.mode === 'realtime') this.#hostBaseMs = Number.NaN;
    for (const t of this.#timers.values()) t.deadline = Infinity;
    this.#next = Infinity;
    for (const entry of arrayField(state, 'timers')) {
      const name = stringField(entry, 'name');
      const timer = this.#timers.get(name);
      if (timer === undefined) throw new Error(`the snapshot arms a timer '${name}' that this machine does not have`);
      this.arm(timer, numberField(entry, 'deadline'));
    }
  }
}

/** The machine's clock, as devices and the CPU see it. */
export type Clock = CoreClock;
/** The machine's clock. */
export const Clock = serviceId<CoreClock>('@popek/core:Clock');
