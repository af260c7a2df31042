import {
  Clock,
  DisconnectedIrqLine,
  MemoryLayout,
  Metrics,
  PopekError,
  booleanField,
  bytesField,
  inject,
  injectable,
  numberField,
  optional,
  type CoreClock,
  type Counter,
  type Device,
  type DeviceAttachment,
  type DeviceResources,
  type IrqLine,
  type MetricsRegistry,
  type StateValue,
  type Timer,
} from '@popek/core';
import { ByteRegisterWindow } from './byte-register-window.js';
import { civilFromDays, dayOfWeek, daysFromCivil } from './civil-time.js';
import { CmosOptions, DEFAULT_RTC_START_SECONDS } from './cmos-options.js';
import { deadlineAfter } from './timer-deadline.js';

/** CMOS index (bit 7: NMI disable) and data ports (PC/AT I/O map). */
export const RTC_BASE = 0x70;

/*
 * MC146818A registers (Motorola MC146818A datasheet, "Address Map" and "Registers").
 */
const REG_SECONDS = 0x00;
const REG_SECONDS_ALARM = 0x01;
const REG_MINUTES = 0x02;
const REG_MINUTES_ALARM = 0x03;
const REG_HOURS = 0x04;
const REG_HOURS_ALARM = 0x05;
const REG_DAY_OF_WEEK = 0x06;
const REG_DAY_OF_MONTH = 0x07;
const REG_MONTH = 0x08;
const REG_YEAR = 0x09;
/** Register A: UIP (bit 7, read-only), DV2–DV0 (bits 6–4), RS3–RS0 (bits 3–0). */
const REG_A = 0x0a;
/** Register B: SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE. */
const REG_B = 0x0b;
/** Register C: IRQF, PF, AF, UF; read-only, cleared by reading. */
const REG_C = 0x0c;
/** Register D: VRT (valid RAM and time); read-only. */
const REG_D = 0x0d;

const A_UIP = 0x80;
const A_DV_SHIFT = 4;
const A_RS_MASK = 0x0f;
/** DV2–DV0 = 010: 32.768 kHz time base, divider running (the only base a PC uses). */
const DV_32768HZ = 2;
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_SQWE = 0x08;
/** DM: 1 = binary, 0 = BCD. */
const B_DM_BINARY = 0x04;
/** 24/12: 1 = 24-hour mode. */
const B_24H = 0x02;
const C_IRQF = 0x80;
const C_PF = 0x40;
const C_AF = 0x20;
const C_UF = 0x10;
const D_VRT = 0x80;
/** In 12-hour mode, bit 7 of the hours (and hours alarm) byte means PM. */
const HOUR_PM = 0x80;
/** An alarm byte of 11xxxxxx matches any value ("don't care", datasheet "Alarm"). */
const ALARM_DONT_CARE = 0xc0;
/** Port 70h bit 7 disables NMI (PC/AT). */
const NMI_DISABLE = 0x80;

/*
 * CMOS RAM layout of PC firmware, as SeaBIOS reads it and QEMU writes it.
 */
const CMOS_EQUIPMENT = 0x14;
const CMOS_BASE_MEMORY_LOW = 0x15;
const CMOS_BASE_MEMORY_HIGH = 0x16;
const CMOS_EXTENDED_MEMORY_LOW = 0x17;
const CMOS_EXTENDED_MEMORY_HIGH = 0x18;
const CMOS_CHECKSUM_HIGH = 0x2e;
const CMOS_CHECKSUM_LOW = 0x2f;
const CMOS_EXTENDED_MEMORY_LOW_2 = 0x30;
const CMOS_EXTENDED_MEMORY_HIGH_2 = 0x31;
/** Century, as the ACPI FADT's CENTURY field points to. */
const CMOS_CENTURY = 0x32;
/** Memory between 16 MiB and 4 GiB in 64 KiB units (SeaBIOS). */
const CMOS_MEMORY_ABOVE_16M_LOW = 0x34;
const CMOS_MEMORY_ABOVE_16M_HIGH = 0x35;
/** Memory above 4 GiB in 64 KiB units, three bytes (SeaBIOS). */
const CMOS_MEMORY_ABOVE_4G = 0x5b;
/** Number of CPUs minus one (SeaBIOS). */
const CMOS_CPU_COUNT = 0x5f;
/** The checksum covers 0x10–0x2D (PC/AT). */
const CHECKSUM_FIRST = 0x10;
const CHECKSUM_LAST = 0x2d;
/** Equipment byte: math coprocessor (bit 1) and PS/2 pointing device (bit 2); EGA/VGA display. */
const EQUIPMENT = 0x06;

/** The update cycle runs once a second. */
const SECOND_NS = 1e9;
/** UIP rises 244 µs before the update cycle (datasheet, "Update Cycle", Figure 16). */
const UIP_LEAD_NS = 244_000;
/** After the divider leaves reset, the first update comes half a second later. */
const FIRST_UPDATE_AFTER_RESET_NS = 500_000_000;
/** The 32.768 kHz time base: one divider clock in ns (exactly representable). */
const TIME_BASE_NS = 1e9 / 32_768;
/** The largest start time accepted: 9999-12-31 23:59:59 UTC. */
const MAX_SECONDS = 253_402_300_799;

function toBcd(v: number): number {
  return ((Math.floor(v / 10) % 10) << 4) | v % 10;
}

function fromBcd(b: number): number {
  return (b >> 4) * 10 + (b & 0x0f);
}

/** Whether an alarm byte matches a time byte (both in the current format). */
function alarmFieldMatches(alarm: number, value: number): boolean {
  return (alarm & ALARM_DONT_CARE) === ALARM_DONT_CARE || alarm === value;
}

/** Ports 70h (index, write-only) and 71h (data). */
class RtcWindow extends ByteRegisterWindow {
  constructor(private readonly rtc: RtcCmos) {
    super(2);
  }
  protected readByte(offset: number): number {
    return offset === 0 ? 0xff : this.rtc.readData();
  }
  protected writeByte(offset: number, value: number): void {
    if (offset === 0) this.rtc.writeIndex(value);
    else this.rtc.writeData(value);
  }
}

/**
 * The Motorola MC146818A real-time clock and its 128 bytes of CMOS RAM at 0x70/0x71, with the
 * NMI-disable bit in port 70h. Time and date (BCD or binary, 12- or 24-hour, per register B)
 * start at a configured moment and advance with the core clock; the update cycle, UIP, and the
 * periodic, alarm and update-ended interrupts (IRQ 8) follow the datasheet. The RAM holds the
 * memory size, equipment byte and century as PC firmware lays them out.
 *
 * The time registers are kept in their raw form and brought up to date lazily: nothing runs
 * while the guest is not looking, unless it enabled an interrupt.
 */
@injectable()
export class RtcCmos implements Device {
  readonly id = 'rtc';
  readonly snapshotId = 'rtc';
  readonly stateType = '@popek/dev-pc:RtcCmos';
  readonly stateVersion = 1;

  readonly #cmos = new Uint8Array(128);
  #index = 0;
  #nmiDisabled = false;
  /** Guest time of the next update cycle (Infinity while the divider is stopped). */
  #nextUpdateNs = Infinity;
  /** Guest time the divider chain last started (the phase of the periodic interrupt). */
  #dividerOriginNs = 0;
  /** The last periodic-interrupt period that set PF. */
  #periodSeen = 0;
  #irqLevel = false;
  #irq: IrqLine = new DisconnectedIrqLine();
  readonly #periodicTimer: Timer;
  readonly #updateTimer: Timer;
  readonly #interrupts: Counter;
  readonly #window = new RtcWindow(this);

  /**
   * @param clock - the machine's clock
   * @param metrics - the machine's metrics registry
   * @param options - memory size and start time
   * @param layout - the machine's memory layout, for the memory size when the options omit it
   * @throws `PopekError` (`invalid-options`) for a memory size or start time out of range, or when
   *   neither the options nor a memory layout give the memory size
   */
  constructor(
    @inject(Clock) private readonly clock: CoreClock,
    @inject(Metrics) metrics: MetricsRegistry,
    @inject(CmosOptions) @optional() options?: CmosOptions,
    @inject(MemoryLayout) @optional() layout?: MemoryLayout,
  ) {
    const { memoryBytes, belowFourGig, startSeconds } = validateOptions(options ?? {}, layout);
    this.#periodicTimer = clock.createTimer('rtc.periodic', (now) => this.#onTimer(now));
    this.#updateTimer = clock.createTimer('rtc.update', (now) => this.#onTimer(now));
    this.#interrupts = metrics.counter('rtc.interrupts', 'Rising edges of the RTC interrupt (IRQ 8)');
    this.#powerOn(memoryBytes, belowFourGig, startSeconds);
  }

  resources(): DeviceResources {
    return {
      ports: [{ name: 'registers', size: 2, base: RTC_BASE, handler: this.#window }],
      irqs: [{ name: 'irq', line: 8 }],
    };
  }

  attach(attachment: DeviceAttachment): void {
    this.#irq = attachment.irqs['irq'] ?? new DisconnectedIrqLine();
  }

  /**
   * A machine reset drives the chip's RESET pin, which clears PIE, AIE, UIE and SQWE and the
   * interrupt flags (datasheet, "RESET"); the time, the divider and the RAM are battery-backed
   * and survive.
   */
  reset(): void {
    // The NMI-disable latch behind port 70h bit 7 is chipset logic, not battery-backed CMOS: a
    // platform reset returns it to "NMI enabled", as firmware and emulators expect at power-on.
    this.#nmiDisabled = false;
    this.#cmos[REG_B]! &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    this.#cmos[REG_C] = 0;
    this.#updateIrq();
    this.#rearm(this.clock.nowNs());
  }

  /** Whether the guest disabled NMI through port 70h bit 7. */
  get nmiDisabled(): boolean {
    return this.#nmiDisabled;
  }

  /** A byte of CMOS RAM as stored (registers 0–9 as last brought up to date), for tools. */
  peek(index: number): number {
    return this.#cmos[index & 0x7f]!;
  }

  // --- Guest access ----------------------------------------------------------------------------

  /** A guest write to port 70h: the register index and the NMI-disable bit. */
  writeIndex(value: number): void {
    this.#index = value & 0x7f;
    this.#nmiDisabled = (value & NMI_DISABLE) !== 0;
  }

  /** A guest read of port 71h. */
  readData(): number {
    const i = this.#index;
    if (i > REG_D) return this.#cmos[i]!;
    const now = this.clock.nowNs();
    switch (i) {
      case REG_A:
        this.#sync(now);
        return this.#cmos[REG_A]! | (this.#updateInProgress(now) ? A_UIP : 0);
      case REG_B:
        return this.#cmos[REG_B]!;
      case REG_C: {
        this.#sync(now);
        const value = this.#cmos[REG_C]! | (this.#irqLevel ? C_IRQF : 0);
        this.#cmos[REG_C] = 0;
        this.#updateIrq();
        return value;
      }
      case REG_D:
        return D_VRT;
      default:
        this.#sync(now);
        return this.#cmos[i]!;
    }
  }

  /** A guest write to port 71h. */
  writeData(value: number): void {
    const i = this.#index;
    if (i > REG_D) {
      this.#cmos[i] = value;
      return;
    }
    const now = this.clock.nowNs();
    this.#sync(now);
    switch (i) {
      case REG_A:
        this.#writeRegisterA(value, now);
        break;
      case REG_B: {
        let next = value;
        // Setting SET aborts any update and clears UIE (datasheet, register B "SET").
        if ((value & B_SET) !== 0 && (this.#cmos[REG_B]! & B_SET) === 0) next &= ~B_UIE;
        this.#cmos[REG_B] = next;
        break;
      }
      case REG_C:
      case REG_D:
        return; // read-only
      default:
        this.#cmos[i] = value;
        return;
    }
    this.#updateIrq();
    this.#rearm(now);
  }

  #writeRegisterA(value: number, now: number): void {
    const wasRunning = this.#dividerRunning();
    this.#cmos[REG_A] = value & ~A_UIP;
    const running = this.#dividerRunning();
    if (!running) {
      this.#nextUpdateNs = Infinity;
    } else if (!wasRunning) {
      // The divider chain leaves reset: the first update is half a second away.
      this.#nextUpdateNs = now + FIRST_UPDATE_AFTER_RESET_NS;
      this.#dividerOriginNs = now;
    }
    // A new rate starts counting periods from now: no PF for periods of the old rate.
    const period = this.#periodNs();
    this.#periodSeen = period > 0 ? Math.floor((now - this.#dividerOriginNs) / period) : 0;
  }

  // --- Time keeping ------------------------------------------------------------------------------

  #dividerRunning(): boolean {
    return ((this.#cmos[REG_A]! >> A_DV_SHIFT) & 7) === DV_32768HZ;
  }

  /** The periodic interrupt's period for the RS bits (datasheet Table 5), or 0 when off. */
  #periodNs(): number {
    const rs = this.#cmos[REG_A]! & A_RS_MASK;
    if (rs === 0 || !this.#dividerRunning()) return 0;
    // RS = 1 and 2 give the same rates as 8 and 9 with a 32.768 kHz time base.
    const exponent = rs >= 3 ? rs - 1 : rs + 6;
    return TIME_BASE_NS * 2 ** exponent;
  }

  #updateInProgress(now: number): boolean {
    return (this.#cmos[REG_B]! & B_SET) === 0 && this.#nextUpdateNs - now <= UIP_LEAD_NS;
  }

  /** Brings the registers and flags up to guest time `now`: update cycles and periodic flags. */
  #sync(now: number): void {
    if (this.#nextUpdateNs <= now) {
      const updates = Math.floor((now - this.#nextUpdateNs) / SECOND_NS) + 1;
      this.#nextUpdateNs += updates * SECOND_NS;
      // While SET is 1 the update cycles are skipped; the divider keeps its phase.
      if ((this.#cmos[REG_B]! & B_SET) === 0) {
        this.#advance(updates);
        this.#cmos[REG_C]! |= C_UF;
      }
    }
    const period = this.#periodNs();
    if (period > 0) {
      const index = Math.floor((now - this.#dividerOriginNs) / period);
      if (index > this.#periodSeen) {
        this.#periodSeen = index;
        this.#cmos[REG_C]! |= C_PF;
      }
    }
  }

  /** Runs `n` update cycles: the time advances `n` seconds; AF is set if an alarm matched. */
  #advance(n: number): void {
    const start = this.#readSeconds();
    if ((this.#cmos[REG_C]! & C_AF) === 0) {
      // An alarm matches at most once a second; a day of seconds covers every pattern.
      const first = n > 86_400 ? n - 86_400 + 1 : 1;
      for (let i = first; i <= n; i++) {
        if (this.#alarmMatches(start + i)) {
          this.#cmos[REG_C]! |= C_AF;
          break;
        }
      }
    }
    this.#writeSeconds(start + n);
  }

  #decode(raw: number): number {
    return (this.#cmos[REG_B]! & B_DM_BINARY) !== 0 ? raw : fromBcd(raw);
  }

  #encode(value: number): number {
    return (this.#cmos[REG_B]! & B_DM_BINARY) !== 0 ? value & 0xff : toBcd(value);
  }

  #decodeHours(raw: number): number {
    if ((this.#cmos[REG_B]! & B_24H) !== 0) return this.#decode(raw);
    const h12 = this.#decode(raw & ~HOUR_PM) % 12;
    return (raw & HOUR_PM) !== 0 ? h12 + 12 : h12;
  }

  #encodeHours(hours: number): number {
    if ((this.#cmos[REG_B]! & B_24H) !== 0) return this.#encode(hours);
    return this.#encode(hours % 12 === 0 ? 12 : hours % 12) | (hours >= 12 ? HOUR_PM : 0);
  }

  /** The time in the registers as seconds since 1970 (out-of-range fields carry). */
  #readSeconds(): number {
    const c = this.#cmos;
    const year = this.#decode(c[CMOS_CENTURY]!) * 100 + this.#decode(c[REG_YEAR]!);
    const days = daysFromCivil(year, this.#decode(c[REG_MONTH]!), this.#decode(c[REG_DAY_OF_MONTH]!));
    return days * 86_400 + this.#decodeHours(c[REG_HOURS]!) * 3600 + this.#decode(c[REG_MINUTES]!) * 60 + this.#decode(c[REG_SECONDS]!);
  }

  /** Writes `seconds` since 1970 into the time registers in the current format. */
  #writeSeconds(seconds: number): void {
    const c = this.#cmos;
    const days = Math.floor(seconds / 86_400);
    const inDay = seconds - days * 86_400;
    const date = civilFromDays(days);
    c[REG_SECONDS] = this.#encode(inDay % 60);
    c[REG_MINUTES] = this.#encode(Math.floor(inDay / 60) % 60);
    c[REG_HOURS] = this.#encodeHours(Math.floor(inDay / 3600));
    c[REG_DAY_OF_WEEK] = dayOfWeek(days);
    c[REG_DAY_OF_MONTH] = this.#encode(date.day);
    c[REG_MONTH] = this.#encode(date.month);
    const year = ((date.year % 10_000) + 10_000) % 10_000;
    c[REG_YEAR] = this.#encode(year % 100);
    c[CMOS_CENTURY] = this.#encode(Math.floor(year / 100));
  }

  #alarmMatches(seconds: number): boolean {
    const inDay = ((seconds % 86_400) + 86_400) % 86_400;
    const c = this.#cmos;
    return (
      alarmFieldMatches(c[REG_SECONDS_ALARM]!, this.#encode(inDay % 60)) &&
      alarmFieldMatches(c[REG_MINUTES_ALARM]!, this.#encode(Math.floor(inDay / 60) % 60)) &&
      alarmFieldMatches(c[REG_HOURS_ALARM]!, this.#encodeHours(Math.floor(inDay / 3600)))
    );
  }

  // --- Interrupts --------------------------------------------------------------------------------

  /** Drives IRQ 8 from IRQF = PF·PIE + AF·AIE + UF·UIE (datasheet, register C). */
  #updateIrq(): void {
    const level = (this.#cmos[REG_C]! & this.#cmos[REG_B]! & (C_PF | C_AF | C_UF)) !== 0;
    if (level === this.#irqLevel) return;
    this.#irqLevel = level;
    if (level) this.#interrupts.value++;
    this.#irq.set(level);
  }

  /** Arms the timers an enabled interrupt needs, at the next period and the next update. */
  #rearm(now: number): void {
    const b = this.#cmos[REG_B]!;
    const period = this.#periodNs();
    if ((b & B_PIE) !== 0 && period > 0) {
      const index = Math.floor((now - this.#dividerOriginNs) / period) + 1;
      this.clock.arm(this.#periodicTimer, deadlineAfter(now, this.#dividerOriginNs + index * period));
    } else {
      this.clock.cancel(this.#periodicTimer);
    }
    if ((b & (B_UIE | B_AIE)) !== 0 && (b & B_SET) === 0 && this.#nextUpdateNs !== Infinity) {
      this.clock.arm(this.#updateTimer, deadlineAfter(now, this.#nextUpdateNs));
    } else {
      this.clock.cancel(this.#updateTimer);
    }
  }

  #onTimer(now: number): void {
    this.#sync(now);
    this.#updateIrq();
    this.#rearm(now);
  }

  // --- Power-on ----------------------------------------------------------------------------------

  #powerOn(memoryBytes: number, belowFourGig: number, startSeconds: number): void {
    const c = this.#cmos;
    const now = this.clock.nowNs();
    c.fill(0);
    c[REG_A] = (DV_32768HZ << A_DV_SHIFT) | 0x06; // 32.768 kHz, 1024 Hz periodic rate
    c[REG_B] = B_24H; // BCD, 24-hour, no interrupts
    c[REG_D] = D_VRT;
    this.#writeSeconds(startSeconds);
    this.#nextUpdateNs = now + SECOND_NS;
    this.#dividerOriginNs = now;
    this.#periodSeen = 0;

    c[CMOS_EQUIPMENT] = EQUIPMENT;
    const baseKiB = 640;
    c[CMOS_BASE_MEMORY_LOW] = baseKiB & 0xff;
    c[CMOS_BASE_MEMORY_HIGH] = baseKiB >> 8;
    const extendedKiB = Math.min(0xffff, Math.max(0, Math.floor(belowFourGig / 1024) - 1024));
    c[CMOS_EXTENDED_MEMORY_LOW] = c[CMOS_EXTENDED_MEMORY_LOW_2] = extendedKiB & 0xff;
    c[CMOS_EXTENDED_MEMORY_HIGH] = c[CMOS_EXTENDED_MEMORY_HIGH_2] = extendedKiB >> 8;
    const above16M = Math.min(0xffff, Math.max(0, Math.floor((belowFourGig - 0x100_0000) / 0x1_0000)));
    c[CMOS_MEMORY_ABOVE_16M_LOW] = above16M & 0xff;
    c[CMOS_MEMORY_ABOVE_16M_HIGH] = above16M >> 8;
    const above4G = Math.min(0xff_ffff, Math.max(0, Math.floor((memoryBytes - belowFourGig) / 0x1_0000)));
    c[CMOS_MEMORY_ABOVE_4G] = above4G & 0xff;
    c[CMOS_MEMORY_ABOVE_4G + 1] = (above4G >> 8) & 0xff;
    c[CMOS_MEMORY_ABOVE_4G + 2] = above4G >> 16;
    c[CMOS_CPU_COUNT] = 0;
    let sum = 0;
    for (let i = CHECKSUM_FIRST; i <= CHECKSUM_LAST; i++) sum += c[i]!;
    c[CMOS_CHECKSUM_HIGH] = (sum >> 8) & 0xff;
    c[CMOS_CHECKSUM_LOW] = sum & 0xff;
  }

  // --- Snapshot ----------------------------------------------------------------------------------

  saveState(): StateValue {
    return {
      cmos: this.#cmos.slice(),
      index: this.#index,
      nmiDisabled: this.#nmiDisabled,
      nextUpdateNs: this.#nextUpdateNs,
      dividerOriginNs: this.#dividerOriginNs,
      periodSeen: this.#periodSeen,
      irqLevel: this.#irqLevel,
    };
  }

  /** Restores the RAM and time base; the timers are restored by the clock (by name). */
  loadState(state: StateValue): void {
    const cmos = bytesField(state, 'cmos');
    if (cmos.length !== 128) throw new TypeError(`RTC state holds ${cmos.length} bytes of CMOS RAM, not 128`);
    this.#cmos.set(cmos);
    this.#index = numberField(state, 'index') & 0x7f;
    this.#nmiDisabled = booleanField(state, 'nmiDisabled');
    const next = numberField(state, 'nextUpdateNs');
    this.#nextUpdateNs = Number.isNaN(next) ? Infinity : next;
    this.#dividerOriginNs = numberField(state, 'dividerOriginNs');
    this.#periodSeen = numberField(state, 'periodSeen');
    this.#irqLevel = booleanField(state, 'irqLevel');
    this.#irq.set(this.#irqLevel);
  }
}

function validateOptions(options: CmosOptions, layout: MemoryLayout | undefined): { memoryBytes: number; belowFourGig: number; startSeconds: number } {
  const fromLayout = options.memoryBytes === undefined && layout !== undefined ? ramFromLayout(layout) : undefined;
  const memoryBytes = options.memoryBytes ?? fromLayout?.total;
  if (memoryBytes === undefined) {
    throw new PopekError(
      'invalid-options',
      'The RTC/CMOS needs the memory size: bind CmosOptions with memoryBytes, or a bus that provides the MemoryLayout.',
    );
  }
  if (!Number.isSafeInteger(memoryBytes) || memoryBytes < 0) {
    throw new PopekError('invalid-options', `The CMOS memory size must be a whole number of bytes, not ${String(memoryBytes)}.`);
  }
  const startSeconds = options.startTimeSeconds ?? DEFAULT_RTC_START_SECONDS;
  if (!Number.isSafeInteger(startSeconds) || startSeconds < 0 || startSeconds > MAX_SECONDS) {
    throw new PopekError(
      'invalid-options',
      `The RTC start time must be whole seconds since 1970 up to the year 9999, not ${String(startSeconds)}.`,
    );
  }
  const belowFourGig = options.belowFourGigBytes ?? fromLayout?.below4G ?? Math.min(memoryBytes, 0xe000_0000);
  if (!Number.isSafeInteger(belowFourGig) || belowFourGig < 0 || belowFourGig > memoryBytes || belowFourGig > 0x1_0000_0000) {
    throw new PopekError(
      'invalid-options',
      `The RAM below 4 GiB must be between 0 and the memory size (${memoryBytes} bytes) and at most 4 GiB, not ${String(belowFourGig)}.`,
    );
  }
  return { memoryBytes, belowFourGig, startSeconds };
}

/**
 * The RAM as firmware counts it from the memory map: below 4 GiB, the end of the highest RAM
 * region (the holes under it — the VGA window, the BIOS area — count, as on a real PC); above
 * 4 GiB, the RAM regions' sizes.
 */
function ramFromLayout(layout: MemoryLayout): { total: number; below4G: number } {
  let below4G = 0;
  let above = 0;
  for (const region of layout.regions()) {
    if (region.kind !== 'ram') continue;
    const top = region.base + region.size;
    if (top <= 0x1_0000_0000) below4G = Math.max(below4G, top);
    else if (region.base >= 0x1_0000_0000) above += region.size;
  }
  if (below4G === 0 && above === 0) below4G = Math.min(layout.ramBytes, 0xe000_0000);
  return { total: below4G + above, below4G };
}
