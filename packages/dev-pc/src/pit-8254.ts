import {
  Clock,
  DisconnectedIrqLine,
  Metrics,
  arrayField,
  booleanField,
  inject,
  injectable,
  numberField,
  type CoreClock,
  type Counter,
  type Device,
  type DeviceAttachment,
  type DeviceResources,
  type IrqLine,
  type MetricsRegistry,
  type StateRecord,
  type StateUpgradeContribution,
  type StateValue,
  type Timer,
} from '@popek/core';
import { ByteRegisterWindow, SingleByteWindow } from './byte-register-window.js';
import { Pit8254Channel } from './pit-8254-channel.js';
import { deadlineAfter } from './timer-deadline.js';

/** The 8254's input clock on a PC: 14.31818 MHz / 12 (PC/AT technical reference). */
export const PIT_HZ = 1_193_182;
/** Counter 0–2 data ports and the control word register (PC/AT I/O map). */
export const PIT_BASE = 0x40;
/** NMI Status and Control, "port B" (PIIX4 datasheet §4.7.2, port 61h). */
export const PORT_B = 0x61;

/** Port B bit 0 (TIM2GATE): counter 2 GATE input. */
const PORT_B_TIMER2_GATE = 0x01;
/** Port B bits 0–3 are read/write (timer 2 gate, speaker data enable, parity/IOCHK enables). */
const PORT_B_WRITABLE = 0x0f;
/** Port B bit 4 (REF_TOGGLE): toggles with every DRAM refresh request. */
const PORT_B_REFRESH = 0x10;
/** Port B bit 5 (TIM2OUT): counter 2 OUT. */
const PORT_B_TIMER2_OUT = 0x20;
/**
 * Refresh requests come from counter 1 in mode 2 with a count of 18 (15.085 µs), as PC firmware
 * programs it; the toggle is derived from the clock so that it runs whatever the guest does.
 */
const REFRESH_TICKS = 18;
/** Control word SC1–SC0 = 11: read-back command. */
const CW_READ_BACK = 3;
/** Read-back bit 5 (COUNT, active low) and bit 4 (STATUS, active low). */
const READ_BACK_NO_COUNT = 0x20;
const READ_BACK_NO_STATUS = 0x10;
/**
 * Periods of counter 0 that a late timer (a host that fell behind guest time) may owe the guest;
 * ticks beyond are lost, as on a host without the catch-up. Four seconds at Linux's 250 Hz.
 */
export const PIT_MAX_OWED_TICKS = 1000;

/**
 * The upgrades of the PIT's saved state: version 2 added `owedTicks` (a version 1 snapshot owes
 * none).
 */
export const PIT_STATE_UPGRADES: readonly StateUpgradeContribution[] = [
  { stateType: '@popek/dev-pc:Pit8254', from: 1, upgrade: (state) => ({ ...(state as StateRecord), owedTicks: 0 }) },
];

/** The PIT tick (input clocks since guest time 0) at guest time `ns`. */
export function pitTickAt(ns: number): number {
  return Math.floor((ns * PIT_HZ) / 1e9);
}

/** The first guest time (ns) at which {@link pitTickAt} reaches `tick`. */
export function pitTickTime(tick: number): number {
  let ns = Math.ceil((tick * 1e9) / PIT_HZ);
  // Rounding in the two divisions can leave us a nanosecond short; step up (bounded).
  for (let i = 0; i < 4 && pitTickAt(ns) < tick; i++) ns += Math.max(1, ns * Number.EPSILON * 2);
  return ns;
}

/** Counter ports (offsets 0–2) and the control word register (offset 3). */
class PitWindow extends ByteRegisterWindow {
  constructor(private readonly pit: Pit8254) {
    super(4);
  }
  protected readByte(offset: number): number {
    return this.pit.readCounterPort(offset);
  }
  protected writeByte(offset: number, value: number): void {
    this.pit.writeCounterPort(offset, value);
  }
}

/**
 * The Intel 8254 programmable interval timer at 0x40–0x43, clocked at 1.193182 MHz from the core
 * clock, and port 61h, through which the guest drives counter 2's GATE and reads its OUT (Linux
 * calibrates the TSC that way). Counter 0's OUT drives IRQ 0: a core timer is armed at the exact
 * tick of its next change, so no work is done between edges.
 *
 * In realtime mode the host can fall behind guest time (a busy or descheduled host process), and
 * the timer then fires after several periods of counter 0 have passed, whose rising edges would
 * merge into one request at the PIC. A guest that counts ticks (Linux's jiffies, until it trusts
 * a clocksource) would lose time and find its TSC running fast. Like KVM's PIT, the device keeps
 * the periods it owes (mode 2 and 3) and raises IRQ 0 again each time the PIC acknowledges the
 * previous request, until the guest has seen every tick. In deterministic mode timers are never
 * late and nothing is owed.
 */
@injectable()
export class Pit8254 implements Device {
  readonly id = 'pit';
  readonly snapshotId = 'pit';
  readonly stateType = '@popek/dev-pc:Pit8254';
  readonly stateVersion = 2;

  /** Counters 0, 1 and 2. */
  readonly channels: readonly [Pit8254Channel, Pit8254Channel, Pit8254Channel] = [
    new Pit8254Channel(),
    new Pit8254Channel(),
    new Pit8254Channel(),
  ];

  #portB = 0;
  #irq: IrqLine = new DisconnectedIrqLine();
  /** The level this device drives on IRQ 0 (counter 0's OUT). */
  #irqLevel = false;
  /** The tick of counter 0's next OUT change the timer is armed for (Infinity: none). */
  #ch0NextTick = Infinity;
  readonly #timer: Timer;
  readonly #edges: Counter;
  readonly #reinjected: Counter;
  /** Rising edges of counter 0 that a late timer merged, still to be raised again. */
  #owedTicks = 0;
  readonly #window = new PitWindow(this);
  readonly #portBWindow = new SingleByteWindow(() => this.readPortB(), (value) => this.writePortB(value));

  /**
   * @param clock - the machine's clock: the time base and counter 0's timer
   * @param metrics - the machine's metrics registry
   */
  constructor(
    @inject(Clock) private readonly clock: CoreClock,
    @inject(Metrics) metrics: MetricsRegistry,
  ) {
    this.#timer = clock.createTimer('pit.ch0', (now) => this.#onTimer(now));
    this.#edges = metrics.counter('pit.irq0-edges', 'Rising edges of counter 0 OUT (IRQ 0)');
    this.#reinjected = metrics.counter('pit.irq0-reinjected', 'IRQ 0 requests raised again for ticks a late host timer merged');
    this.#resetChannels();
  }

  resources(): DeviceResources {
    return {
      ports: [
        { name: 'counters', size: 4, base: PIT_BASE, handler: this.#window },
        { name: 'port-b', size: 1, base: PORT_B, handler: this.#portBWindow },
      ],
      irqs: [{ name: 'irq', line: 0 }],
    };
  }

  attach(attachment: DeviceAttachment): void {
    this.#irq = attachment.irqs['irq'] ?? new DisconnectedIrqLine();
    this.#irq.onAcknowledge?.(() => this.#acknowledged());
  }

  reset(): void {
    this.#resetChannels();
    this.clock.cancel(this.#timer);
    this.#ch0NextTick = Infinity;
    this.#owedTicks = 0;
    this.#drive(false);
  }

  /** Ticks of counter 0 a late host timer merged that IRQ 0 has not raised again yet. */
  get owedTicks(): number {
    return this.#owedTicks;
  }

  #resetChannels(): void {
    this.channels[0].reset(true);
    this.channels[1].reset(true);
    this.channels[2].reset(false);
    this.#portB = 0;
  }

  /** The current PIT tick. */
  #now(): number {
    return pitTickAt(this.clock.nowNs());
  }

  /** A guest read of a counter port (offsets 0–2) or the control word register (3). */
  readCounterPort(offset: number): number {
    if (offset === 3) return 0xff; // the control word register is write-only
    return this.channels[offset as 0 | 1 | 2].readByte(this.#now());
  }

  /** A guest write to a counter port (offsets 0–2) or the control word register (3). */
  writeCounterPort(offset: number, value: number): void {
    const t = this.#now();
    if (offset !== 3) {
      this.channels[offset as 0 | 1 | 2].writeByte(value, t);
      if (offset === 0) {
        // A new count starts a new timebase: ticks owed under the old one are forgotten.
        this.#owedTicks = 0;
        this.#updateChannel0(t);
      }
      return;
    }
    const select = value >> 6;
    if (select === CW_READ_BACK) {
      for (let i = 0; i < 3; i++) {
        if ((value & (2 << i)) === 0) continue;
        const ch = this.channels[i as 0 | 1 | 2];
        if ((value & READ_BACK_NO_COUNT) === 0) ch.latchCount(t);
        if ((value & READ_BACK_NO_STATUS) === 0) ch.latchStatus(t);
      }
      return;
    }
    const ch = this.channels[select as 0 | 1 | 2];
    if (((value >> 4) & 3) === 0) ch.latchCount(t);
    else {
      ch.program(value, t);
      if (select === 0) this.#owedTicks = 0;
    }
    if (select === 0) this.#updateChannel0(t);
  }

  /** A guest read of port 61h. */
  readPortB(): number {
    const t = this.#now();
    const ch2 = this.channels[2];
    ch2.sync(t);
    return (
      this.#portB |
      (Math.floor(t / REFRESH_TICKS) & 1 ? PORT_B_REFRESH : 0) |
      (ch2.out(t) ? PORT_B_TIMER2_OUT : 0)
    );
  }

  /** A guest write to port 61h: bit 0 is counter 2's GATE; bits 4–7 are read-only. */
  writePortB(value: number): void {
    this.#portB = value & PORT_B_WRITABLE;
    this.channels[2].setGate((value & PORT_B_TIMER2_GATE) !== 0, this.#now());
  }

  /** Drives IRQ 0 from counter 0's OUT at tick `t` and arms the timer for its next change. */
  #updateChannel0(t: number): void {
    const ch = this.channels[0];
    ch.sync(t);
    this.#drive(ch.out(t));
    const next = ch.nextOutChange(t);
    this.#ch0NextTick = next;
    if (next === Infinity) this.clock.cancel(this.#timer);
    else this.clock.arm(this.#timer, deadlineAfter(this.clock.nowNs(), pitTickTime(next)));
  }

  #onTimer(nowNs: number): void {
    const t = pitTickAt(nowNs);
    const due = this.#ch0NextTick;
    if (due <= t) {
      // Show the edge that was due even if time has moved past a short pulse since (a late
      // timer coalesces periods, but never loses the edge, and the periods are owed).
      const ch = this.channels[0];
      ch.sync(due);
      this.#drive(ch.out(due));
      if (t > due && (ch.mode === 2 || ch.mode === 3)) {
        const rises = this.#risesAfter(due, t);
        // The update below shows OUT at t: a rise when it is high and the line is low.
        const shown = ch.out(t) && !this.#irqLevel ? 1 : 0;
        if (rises > shown) this.#owedTicks = Math.min(PIT_MAX_OWED_TICKS, this.#owedTicks + rises - shown);
      }
    }
    this.#updateChannel0(t);
  }

  /** Rising edges of counter 0's OUT after tick `from` up to tick `to` (at most a bound's worth). */
  #risesAfter(from: number, to: number): number {
    const ch = this.channels[0];
    let level = ch.out(from);
    let rises = 0;
    let at = from;
    for (let i = 0; i < 2 * PIT_MAX_OWED_TICKS + 2; i++) {
      const next = ch.nextOutChange(at);
      if (next > to) break;
      ch.sync(next);
      const out = ch.out(next);
      if (out && !level) rises++;
      level = out;
      at = next;
    }
    return rises;
  }

  /** The PIC acknowledged IRQ 0: raise a tick it is owed (the line ends at OUT's level). */
  #acknowledged(): void {
    if (this.#owedTicks === 0) return;
    this.#owedTicks--;
    this.#reinjected.value++;
    this.#irq.set(!this.#irqLevel);
    this.#irq.set(this.#irqLevel);
  }

  #drive(level: boolean): void {
    if (level === this.#irqLevel) return;
    this.#irqLevel = level;
    if (level) this.#edges.value++;
    this.#irq.set(level);
  }

  saveState(): StateValue {
    return {
      channels: this.channels.map((c) => c.saveState()),
      portB: this.#portB,
      irqLevel: this.#irqLevel,
      ch0NextTick: this.#ch0NextTick === Infinity ? -1 : this.#ch0NextTick,
      owedTicks: this.#owedTicks,
    };
  }

  /**
   * Restores the counters. Counter 0's timer deadline is restored by the clock (it is saved by
   * name); the IRQ 0 level is driven again so the line agrees with the restored OUT.
   */
  loadState(state: StateValue): void {
    const channels = arrayField(state, 'channels');
    for (let i = 0; i < 3; i++) this.channels[i as 0 | 1 | 2].loadState(channels[i] ?? null);
    this.#portB = numberField(state, 'portB') & PORT_B_WRITABLE;
    const next = numberField(state, 'ch0NextTick');
    this.#ch0NextTick = next >= 0 && Number.isFinite(next) ? next : Infinity;
    this.#irqLevel = booleanField(state, 'irqLevel');
    const owed = numberField(state, 'owedTicks');
    this.#owedTicks = owed >= 0 && owed <= PIT_MAX_OWED_TICKS ? Math.floor(owed) : 0;
    this.#irq.set(this.#irqLevel);
  }
}
