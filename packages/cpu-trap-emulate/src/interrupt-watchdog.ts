import { PopekError, type Counter, type MetricsRegistry } from '@popek/core';
import { Eflags, Seg, type X86Cpu } from '@popek/cpu-x86';
import { hex32, type HoleRecord, type VirtualizationHole } from './virtualization-hole.js';

const { IF } = Eflags;

/**
 * How a hole changed the guest's interrupt flag against its will: `kept-disabled`, a POPF or
 * IRET left IF = 0 where the guest loaded 1; `enabled`, a PUSHF showed IF = 1 while the guest's
 * interrupts were disabled, and the guest, restoring what it saved, executed STI (Linux's
 * `local_irq_restore` since 5.11 is `if (flags & IF) sti`).
 */
export type InterruptHarm = 'kept-disabled' | 'enabled';

/** A hole that changed the guest's interrupt flag against its will, and when. */
export interface HarmfulHole {
  /** The hole. */
  readonly hole: VirtualizationHole;
  /** What it did to the interrupt flag. */
  readonly effect: InterruptHarm;
  /** EIP of the instruction that had the effect: the POPF or IRET itself, or the STI. */
  readonly eip: number;
  /** Guest instructions retired before it. */
  readonly retired: number;
}

/**
 * Why the watchdog decided that the holes broke the guest: `halt`, it halted with interrupts
 * disabled; `starvation`, an interrupt stayed pending with interrupts disabled for too long;
 * `triple-fault`, it shut down; `reset`, it reset the machine.
 */
export type BrokenGuestCause = 'halt' | 'starvation' | 'triple-fault' | 'reset';

/** The diagnosis of a guest that virtualization holes broke. */
export interface BrokenGuest {
  /** What the guest did. */
  readonly cause: BrokenGuestCause;
  /**
   * The hole blamed: the one whose effect on the interrupt flag is still in force, else the most
   * recent harmful one; undefined when no hole touched the interrupt flag (see {@link lastHole}).
   */
  readonly blamed: HarmfulHole | undefined;
  /** The first hole that changed the interrupt flag against the guest's will, if any. */
  readonly firstHarm: HarmfulHole | undefined;
  /** The most recent hole of any kind. */
  readonly lastHole: VirtualizationHole;
  /** EIP where the guest was. */
  readonly eip: number;
  /** Guest instructions retired then. */
  readonly retired: number;
  /** The report (the error's message). */
  readonly message: string;
}

/** What the watchdog needs from the mode. */
export interface WatchdogSettings {
  /** Instructions an interrupt may wait with IF = 0 after a harmful hole. */
  readonly starvationLimit: number;
  /** Throw the `virtualization-hole` error when the guest is broken. */
  readonly stopOnBrokenGuest: boolean;
  /** The last line of the report. */
  readonly hint: string;
  /** One-line summaries of the holes and the traps so far, for the report. */
  summary(): { readonly holes: string; readonly traps: string };
}

/** How many instructions after a lying PUSHF a CLI makes it the save of a save/restore pair. */
const SAVE_WINDOW = 16;

/**
 * Follows what the holes do to the guest's interrupt flag and decides when they have broken it.
 *
 * Two effects are tracked. A POPF or IRET that keeps IF = 0 where the guest loaded 1 opens an
 * *episode* that lasts until IF is again what the guest asked for (a trapped CLI or STI, a POPF
 * or IRET that agrees). A PUSHF that shows IF = 1 while IF is 0 and is followed within a few
 * instructions by a CLI is the save of a save/restore pair; the STI that later restores it
 * enables interrupts the guest meant to keep disabled (a *stray enable*).
 *
 * Once either has happened, the guest counts as broken when it halts with IF = 0, when an
 * interrupt stays pending with IF = 0 for `starvationLimit` instructions, when it triple-faults,
 * or when it resets the machine (the report then blames the most recent hole). The halt and
 * stray-enable checks run when the instructions trap; the others after every slice.
 */
export class InterruptWatchdog {
  readonly #settings: WatchdogSettings;
  readonly #keptDisabled: Counter;
  readonly #strayEnables: Counter;
  /** The most recent applied hole. */
  #lastHole: HoleRecord | undefined;
  /** The hole keeping IF = 0 against the guest's will, while that lasts. */
  #debt: HoleRecord | undefined;
  #debtEip = 0;
  #debtRetired = 0;
  /** The last PUSHF that showed IF = 1 while IF was 0 (undefined after a truthful PUSHF or an STI). */
  #lie: HoleRecord | undefined;
  #lieRetired = 0;
  /** A CLI followed the lie closely: it was saved by a save/restore pair. */
  #lieSaved = false;
  #firstHarm: HarmfulHole | undefined;
  #lastHarmHole: HoleRecord | undefined;
  #lastHarmEffect: InterruptHarm = 'kept-disabled';
  #lastHarmEip = 0;
  #lastHarmRetired = 0;
  #starvingSince = -1;
  #cpu: X86Cpu | undefined;
  #retiredAtReset = 0;
  #resetSeen = false;
  #broken: BrokenGuest | undefined;

  /**
   * @param metrics - where the effects are counted (`cpu.trap-emulate.interrupt-harm{effect}`)
   * @param settings - limits, behaviour and the mode's summaries
   */
  constructor(metrics: MetricsRegistry, settings: WatchdogSettings) {
    this.#settings = settings;
    const help = 'Holes that changed the guest interrupt flag against its will';
    this.#keptDisabled = metrics.counter('cpu.trap-emulate.interrupt-harm', help, { effect: 'kept-disabled' });
    this.#strayEnables = metrics.counter('cpu.trap-emulate.interrupt-harm', help, { effect: 'enabled' });
  }

  /** The diagnosis, once made. */
  get broken(): BrokenGuest | undefined {
    return this.#broken;
  }

  /** The first hole that changed the interrupt flag against the guest's will. */
  get firstHarm(): HarmfulHole | undefined {
    return this.#firstHarm;
  }

  /** Whether anything is being watched (a harmful hole happened or an episode is open). */
  get armed(): boolean {
    return this.#lastHarmHole !== undefined;
  }

  // ---- events from the mode ----------------------------------------------------------------

  /** An applied hole occurred (any kind). */
  hole(rec: HoleRecord): void {
    this.#lastHole = rec;
  }

  /** A PUSHF at virtual CPL 0: `lie` when it showed IF = 1 while IF was 0. */
  pushf(cpu: X86Cpu, lie: HoleRecord | undefined): void {
    this.#lie = lie;
    this.#lieSaved = false;
    if (lie !== undefined) this.#lieRetired = cpu.retired();
  }

  /** A trapped CLI: IF = 0 is what the guest asks for. */
  cli(cpu: X86Cpu): void {
    if (this.#lie !== undefined && cpu.retired() - this.#lieRetired <= SAVE_WINDOW) this.#lieSaved = true;
    this.agrees();
  }

  /** A trapped STI: a stray enable when it restores a lying save while IF is 0. */
  sti(cpu: X86Cpu): void {
    const lie = this.#lie;
    if (lie !== undefined && this.#lieSaved && (cpu.flags & IF) === 0) {
      this.#strayEnables.value++;
      this.#harm(lie, 'enabled', cpu.eip >>> 0, cpu.retired());
    }
    this.#lie = undefined;
    this.agrees();
  }

  /** A POPF or IRET kept IF = 0 where the guest loaded 1 (hole `rec`). */
  keptDisabled(cpu: X86Cpu, rec: HoleRecord): void {
    this.#keptDisabled.value++;
    const eip = cpu.eip >>> 0;
    const retired = cpu.retired();
    this.#harm(rec, 'kept-disabled', eip, retired);
    if (this.#debt === undefined) {
      this.#debt = rec;
      this.#debtEip = eip;
      this.#debtRetired = retired;
      this.#starvingSince = -1;
    }
  }

  /** IF is again what the guest asked for: the episode ends. */
  agrees(): void {
    this.#debt = undefined;
    this.#starvingSince = -1;
  }

  /** A trapped HLT at virtual CPL 0. */
  halt(cpu: X86Cpu): void {
    if ((cpu.flags & IF) === 0 && this.#lastHarmHole !== undefined) this.#diagnose(cpu, 'halt');
  }

  /** Before a slice: a reset seen since the last one is diagnosed now. */
  beforeSlice(cpu: X86Cpu): void {
    this.#cpu = cpu;
    if (this.#resetSeen) {
      this.#resetSeen = false;
      this.#diagnose(cpu, 'reset');
    }
  }

  /** After a slice: starvation and shutdown. */
  afterSlice(cpu: X86Cpu): void {
    if (cpu.shutdown) {
      if (this.#lastHole !== undefined) this.#diagnose(cpu, 'triple-fault');
      return;
    }
    if (this.#lastHarmHole === undefined) return;
    if ((cpu.flags & IF) !== 0) {
      this.agrees();
      return;
    }
    if (!cpu.pic.hasInterrupt()) {
      this.#starvingSince = -1;
      return;
    }
    const now = cpu.retired();
    if (this.#starvingSince < 0) this.#starvingSince = now;
    else if (now - this.#starvingSince >= this.#settings.starvationLimit) this.#diagnose(cpu, 'starvation');
  }

  /**
   * The CPU was reset or restored. A RESET (the CPU at F000:FFF0) after instructions ran and holes
   * occurred is diagnosed at the next slice; a restore only ends the episode.
   */
  reset(): void {
    const cpu = this.#cpu;
    if (cpu !== undefined) {
      const atResetVector = cpu.eip === 0xfff0 && cpu.segSel[Seg.CS] === 0xf000;
      if (atResetVector && this.#lastHole !== undefined && cpu.retired() > this.#retiredAtReset) this.#resetSeen = true;
      this.#retiredAtReset = cpu.retired();
    }
    this.#lie = undefined;
    this.agrees();
  }

  // ---- diagnosis ---------------------------------------------------------------------------

  #harm(hole: HoleRecord, effect: InterruptHarm, eip: number, retired: number): void {
    this.#firstHarm ??= { hole, effect, eip, retired };
    this.#lastHarmHole = hole;
    this.#lastHarmEffect = effect;
    this.#lastHarmEip = eip;
    this.#lastHarmRetired = retired;
  }

  /** The hole to blame: the open episode's, else the most recent harmful one. */
  #blamed(): HarmfulHole | undefined {
    if (this.#debt !== undefined) return { hole: this.#debt, effect: 'kept-disabled', eip: this.#debtEip, retired: this.#debtRetired };
    if (this.#lastHarmHole === undefined) return undefined;
    return { hole: this.#lastHarmHole, effect: this.#lastHarmEffect, eip: this.#lastHarmEip, retired: this.#lastHarmRetired };
  }

  #diagnose(cpu: X86Cpu, cause: BrokenGuestCause): void {
    if (!this.#settings.stopOnBrokenGuest && this.#broken !== undefined) return;
    const retired = cpu.retired();
    const eip = cpu.eip >>> 0;
    const blamed = this.#blamed();
    const lastHole = this.#lastHole!;
    const lines = [`The guest broke under trap-and-emulate on the real x86, which is not virtualizable: ${what(cause, eip, retired - this.#starvingSince)}.`];
    if (blamed !== undefined) {
      lines.push(`The hole that broke it: ${harmSentence(blamed, retired)}`);
      const first = this.#firstHarm!;
      if (first.hole !== blamed.hole || first.retired !== blamed.retired) {
        lines.push(`The first hole that changed the guest's interrupt flag against its will: ${harmSentence(first, retired)}`);
      }
    } else {
      lines.push(`The most recent hole before it: ${lastHole.instruction} at ${hex32(lastHole.address)} ${lastHole.detail}`);
    }
    const { holes, traps } = this.#settings.summary();
    lines.push(`Holes hit: ${holes}.`, `Traps emulated: ${traps}.`, this.#settings.hint);
    const message = lines.join('\n');
    this.#broken ??= { cause, blamed, firstHarm: this.#firstHarm, lastHole, eip, retired, message };
    if (this.#settings.stopOnBrokenGuest) throw new PopekError('virtualization-hole', message);
    this.agrees();
  }
}

function what(cause: BrokenGuestCause, eip: number, starving: number): string {
  switch (cause) {
    case 'halt':
      return `it halted at ${hex32(eip)} with interrupts disabled, waiting for an interrupt it can never take`;
    case 'starvation':
      return `an interrupt has been pending for ${starving} instructions while interrupts stayed disabled (the guest was at ${hex32(eip)})`;
    case 'triple-fault':
      return `it triple-faulted at ${hex32(eip)} (an exception it could not deliver shuts the processor down)`;
    default:
      return 'it reset the machine (a kernel that panics reboots when started with panic=-1)';
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function harmSentence(h: HarmfulHole, now: number): string {
  const hole = h.hole;
  const at = `${hole.instruction} at ${hex32(hole.address)} ${hole.detail}`;
  const ago = plural(now - h.retired, 'instruction');
  if (h.effect === 'kept-disabled') {
    return `${at} It left interrupts disabled ${ago} earlier (hit ${plural(hole.hits, 'time')} at that address).`;
  }
  return `${at} Restoring that value, the guest executed STI at ${hex32(h.eip)} and enabled interrupts where it had disabled them, ${ago} earlier (hit ${plural(hole.hits, 'time')} at that address).`;
}
