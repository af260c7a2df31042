import {
  Clock,
  DisconnectedIrqLine,
  MachineEvents,
  Metrics,
  PowerControl,
  booleanField,
  inject,
  injectable,
  numberField,
  type AccessWidth,
  type CoreClock,
  type Counter,
  type Device,
  type DeviceAttachment,
  type DeviceResources,
  type EventStream,
  type IrqLine,
  type MachineEvent,
  type MetricsRegistry,
  type StateValue,
  type Timer,
} from '@popek/core';
import { ByteRegisterWindow } from './byte-register-window.js';
import { GuestLog } from './guest-log.js';
import { deadlineAfter } from './timer-deadline.js';
import type { PowerButton } from './power-button.js';

/*
 * Fixed ACPI hardware registers (ACPI 6.5 §4.8.3 "PM1 Event Grouping", "PM1 Control Grouping",
 * "Power Management Timer"), at the PIIX4-style I/O addresses the FADT of @popek/firmware names.
 */
/** PM1a_EVT_BLK: PM1_STS (2 bytes) then PM1_EN (2 bytes). */
export const PM1A_EVT_BLK = 0x600;
/** PM1a_CNT_BLK: PM1_CNT (2 bytes). */
export const PM1A_CNT_BLK = 0x604;
/** PM_TMR_BLK: the 24-bit power-management timer (4 bytes). */
export const PM_TMR_BLK = 0x608;
/** The PM timer's frequency (ACPI 6.5 §4.8.3.3). */
export const PM_TIMER_HZ = 3_579_545;

/** PM1_STS bits (ACPI 6.5 Table 4.16), write 1 to clear. */
const TMR_STS = 0x0001;
const BM_STS = 0x0010;
const GBL_STS = 0x0020;
const PWRBTN_STS = 0x0100;
const SLPBTN_STS = 0x0200;
const RTC_STS = 0x0400;
const WAK_STS = 0x8000;
const PM1_STS_BITS = TMR_STS | BM_STS | GBL_STS | PWRBTN_STS | SLPBTN_STS | RTC_STS | WAK_STS;
/** PM1_EN bits (ACPI 6.5 Table 4.17). */
const TMR_EN = 0x0001;
const GBL_EN = 0x0020;
const PWRBTN_EN = 0x0100;
const SLPBTN_EN = 0x0200;
const RTC_EN = 0x0400;
const PM1_EN_BITS = TMR_EN | GBL_EN | PWRBTN_EN | SLPBTN_EN | RTC_EN;
/** Status bits that raise the SCI when their enable bit is set (same positions in PM1_EN). */
const SCI_SOURCES = TMR_STS | GBL_STS | PWRBTN_STS | SLPBTN_STS | RTC_STS;
/** PM1_CNT bits (ACPI 6.5 Table 4.18). */
const SCI_EN = 0x0001;
const BM_RLD = 0x0002;
/** GBL_RLS (bit 2) is write-only and raises an SMI; there is no SMM, so it is ignored. */
const SLP_TYP_SHIFT = 10;
const SLP_TYP_MASK = 0x1c00;
const SLP_EN = 0x2000;
/** SLP_TYP of S5 (soft off): the DSDT's `\_S5` package is {0, 0}, as on PIIX4. */
const SLP_TYP_S5 = 0;
/** TMR_STS is set when bit 23 of the timer changes (ACPI 6.5 §4.8.3.3). */
const TMR_STS_PERIOD_TICKS = 1 << 23;

/** The PM timer tick (counts since guest time 0) at guest time `ns`. */
export function pmTimerTickAt(ns: number): number {
  return Math.floor((ns * PM_TIMER_HZ) / 1e9);
}

/** The first guest time (ns) at which {@link pmTimerTickAt} reaches `tick`. */
function pmTimerTickTime(tick: number): number {
  let ns = Math.ceil((tick * 1e9) / PM_TIMER_HZ);
  for (let i = 0; i < 4 && pmTimerTickAt(ns) < tick; i++) ns += Math.max(1, ns * Number.EPSILON * 2);
  return ns;
}

/** The three fixed register blocks of {@link AcpiPm}. */
export const AcpiRegisterBlock = {
  /** PM1a_EVT_BLK: PM1_STS and PM1_EN. */
  Event: 0,
  /** PM1a_CNT_BLK: PM1_CNT. */
  Control: 1,
  /** PM_TMR_BLK. */
  Timer: 2,
} as const;

/** One of the {@link AcpiRegisterBlock} values. */
export type AcpiRegisterBlock = (typeof AcpiRegisterBlock)[keyof typeof AcpiRegisterBlock];
const Block = AcpiRegisterBlock;
type Block = AcpiRegisterBlock;

/** One of the three fixed register blocks; 16- and 32-bit accesses arrive as byte lanes. */
class AcpiWindow extends ByteRegisterWindow {
  constructor(
    private readonly pm: AcpiPm,
    private readonly block: Block,
    size: number,
  ) {
    super(size);
  }
  override read(offset: number, width: AccessWidth): number {
    // The PM timer is read as a dword, often (Linux's acpi_pm clocksource): one clock read.
    if (this.block === Block.Timer && offset === 0 && width === 4) return this.pm.timerValue;
    return super.read(offset, width);
  }

  protected readByte(offset: number): number {
    return this.pm.readByte(this.block, offset);
  }
  protected writeByte(offset: number, value: number): void {
    this.pm.writeByte(this.block, offset, value);
  }
}

/**
 * ACPI fixed-hardware power management, PIIX4-style: the PM1a event block at 0x600 (PM1_STS with
 * write-one-to-clear TMR_STS, PWRBTN_STS, WAK_STS …, and PM1_EN), the PM1a control block at 0x604
 * (SCI_EN always 1 — there is no SMI_CMD, so the machine is always in ACPI mode — SLP_TYP and
 * SLP_EN), and the 24-bit PM timer at 0x608 counting at 3.579545 MHz from the core clock. The SCI
 * is IRQ 9, level-triggered.
 *
 * Writing SLP_EN with SLP_TYP = 0 (S5) powers the machine off; other sleep states are not
 * implemented and are logged and ignored. The host presses the power button through
 * {@link pressPowerButton}.
 */
@injectable()
export class AcpiPm implements Device, PowerButton {
  readonly id = 'acpi-pm';
  readonly snapshotId = 'acpi-pm';
  readonly stateType = '@popek/dev-pc:AcpiPm';
  readonly stateVersion = 1;

  #status = 0;
  #enable = 0;
  /** PM1_CNT bits that read back (SCI_EN is forced on, SLP_EN reads 0). */
  #control = SCI_EN;
  /** The timer's bit-23 period (tick / 2^23) last seen when TMR_STS was cleared or set. */
  #timerPeriodSeen = 0;
  #sciLevel = false;
  #sci: IrqLine = new DisconnectedIrqLine();
  readonly #timer: Timer;
  readonly #log: GuestLog;
  readonly #sleepIgnored: Counter;
  readonly #sciEdges: Counter;
  readonly #eventWindow = new AcpiWindow(this, Block.Event, 4);
  readonly #controlWindow = new AcpiWindow(this, Block.Control, 2);
  readonly #timerWindow = new AcpiWindow(this, Block.Timer, 4);

  /**
   * @param clock - the machine's clock (the PM timer's time base)
   * @param power - where S5 powers the machine off
   * @param metrics - the machine's metrics registry
   * @param events - where unsupported sleep requests are reported
   */
  constructor(
    @inject(Clock) private readonly clock: CoreClock,
    @inject(PowerControl) private readonly power: PowerControl,
    @inject(Metrics) metrics: MetricsRegistry,
    @inject(MachineEvents) events: EventStream<MachineEvent>,
  ) {
    this.#timer = clock.createTimer('acpi-pm.timer', (now) => this.#onTimer(now));
    this.#log = new GuestLog(events, 'acpi-pm');
    this.#sleepIgnored = metrics.counter('acpi.sleep-ignored', 'SLP_EN writes for sleep states other than S5 (ignored)');
    this.#sciEdges = metrics.counter('acpi.sci', 'Rising edges of the SCI (IRQ 9)');
  }

  resources(): DeviceResources {
    return {
      ports: [
        { name: 'pm1a-event', size: 4, base: PM1A_EVT_BLK, handler: this.#eventWindow },
        { name: 'pm1a-control', size: 2, base: PM1A_CNT_BLK, handler: this.#controlWindow },
        { name: 'pm-timer', size: 4, base: PM_TMR_BLK, handler: this.#timerWindow },
      ],
      irqs: [{ name: 'sci', line: 9 }],
    };
  }

  attach(attachment: DeviceAttachment): void {
    this.#sci = attachment.irqs['sci'] ?? new DisconnectedIrqLine();
  }

  reset(): void {
    this.#status = 0;
    this.#enable = 0;
    this.#control = SCI_EN;
    this.#timerPeriodSeen = this.#timerPeriod(this.clock.nowNs());
    this.clock.cancel(this.#timer);
    this.#updateSci();
  }

  /** The PM timer's 24-bit value now. */
  get timerValue(): number {
    return pmTimerTickAt(this.clock.nowNs()) % 0x100_0000;
  }

  /** The host pressed the power button: PWRBTN_STS is set (the SCI follows if PWRBTN_EN). */
  pressPowerButton(): void {
    this.#status |= PWRBTN_STS;
    this.#updateSci();
  }

  // --- Guest access ----------------------------------------------------------------------------

  /** A byte of one register block (16- and 32-bit accesses arrive lane by lane). */
  readByte(block: Block, offset: number): number {
    switch (block) {
      case Block.Event: {
        if (offset < 2) {
          this.#syncTimerStatus(this.clock.nowNs());
          return (this.#status >> (8 * offset)) & 0xff;
        }
        return (this.#enable >> (8 * (offset - 2))) & 0xff;
      }
      case Block.Control:
        return (this.#control >> (8 * offset)) & 0xff;
      default:
        return offset < 3 ? (this.timerValue >> (8 * offset)) & 0xff : 0; // TMR_VAL_EXT = 0
    }
  }

  /** A byte written to one register block. */
  writeByte(block: Block, offset: number, value: number): void {
    const now = this.clock.nowNs();
    if (block === Block.Event) {
      this.#syncTimerStatus(now);
      if (offset < 2) {
        const clear = (value << (8 * offset)) & PM1_STS_BITS;
        this.#status &= ~clear;
        if ((clear & TMR_STS) !== 0) this.#timerPeriodSeen = this.#timerPeriod(now);
      } else {
        const shift = 8 * (offset - 2);
        this.#enable = ((this.#enable & ~(0xff << shift)) | (value << shift)) & PM1_EN_BITS;
      }
      this.#updateSci();
      this.#rearm(now);
      return;
    }
    if (block === Block.Control) {
      const shift = 8 * offset;
      const written = value << shift;
      this.#control = ((this.#control & ~(0xff << shift)) | written) & (BM_RLD | SLP_TYP_MASK);
      this.#control |= SCI_EN;
      if ((written & SLP_EN) !== 0) this.#sleep((this.#control & SLP_TYP_MASK) >> SLP_TYP_SHIFT);
    }
    // The PM timer is read-only.
  }

  #sleep(type: number): void {
    if (type === SLP_TYP_S5) {
      this.power.powerOff();
      return;
    }
    this.#sleepIgnored.value++;
    this.#log.warn(`The guest asked for sleep type ${type}; only S5 (power off, SLP_TYP 0) is implemented, so the request is ignored.`);
  }

  // --- PM timer and SCI --------------------------------------------------------------------------

  #timerPeriod(ns: number): number {
    return Math.floor(pmTimerTickAt(ns) / TMR_STS_PERIOD_TICKS);
  }

  /** Sets TMR_STS if bit 23 of the timer changed since it was last cleared. */
  #syncTimerStatus(now: number): void {
    const period = this.#timerPeriod(now);
    if (period > this.#timerPeriodSeen) {
      this.#timerPeriodSeen = period;
      this.#status |= TMR_STS;
    }
  }

  #updateSci(): void {
    const level = (this.#control & SCI_EN) !== 0 && (this.#status & this.#enable & SCI_SOURCES) !== 0;
    if (level === this.#sciLevel) return;
    this.#sciLevel = level;
    if (level) this.#sciEdges.value++;
    this.#sci.set(level);
  }

  /** With TMR_EN set and TMR_STS clear, a timer waits for the next change of bit 23. */
  #rearm(now: number): void {
    if ((this.#enable & TMR_EN) !== 0 && (this.#status & TMR_STS) === 0) {
      this.clock.arm(this.#timer, deadlineAfter(now, pmTimerTickTime((this.#timerPeriod(now) + 1) * TMR_STS_PERIOD_TICKS)));
    } else {
      this.clock.cancel(this.#timer);
    }
  }

  #onTimer(now: number): void {
    this.#syncTimerStatus(now);
    this.#updateSci();
    this.#rearm(now);
  }

  // --- Snapshot ----------------------------------------------------------------------------------

  saveState(): StateValue {
    return {
      status: this.#status,
      enable: this.#enable,
      control: this.#control,
      timerPeriodSeen: this.#timerPeriodSeen,
      sciLevel: this.#sciLevel,
    };
  }

  /** Restores the registers; the timer is restored by the clock (by name) and the SCI re-driven. */
  loadState(state: StateValue): void {
    this.#status = numberField(state, 'status') & PM1_STS_BITS;
    this.#enable = numberField(state, 'enable') & PM1_EN_BITS;
    this.#control = (numberField(state, 'control') & (BM_RLD | SLP_TYP_MASK)) | SCI_EN;
    this.#timerPeriodSeen = numberField(state, 'timerPeriodSeen');
    this.#sciLevel = booleanField(state, 'sciLevel');
    this.#sci.set(this.#sciLevel);
  }
}
