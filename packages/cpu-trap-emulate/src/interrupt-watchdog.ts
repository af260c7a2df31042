import { PopekError, type Counter, type MetricsRegistry } from '@popek/core';
import { Eflags, Seg, type X86Cpu } from '@popek/cpu-x86';
import { hex32, type HoleRecord, type VirtualizationHole } from './virtualization-hole.js';

const { IF, ID, AC } = Eflags;

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
 * `hang`, its kernel ran with interrupts disabled for too long without trapping to the monitor
 * once (a deadlock: an interrupt handler spinning on a lock the code it interrupted holds);
 * `triple-fault`, it shut down; `reset`, it reset the machine.
 */
export type BrokenGuestCause = 'halt' | 'starvation' | 'hang' | 'triple-fault' | 'reset';

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
  /** Whether the guest took an interrupt while the blamed stray enable's interrupts were on. */
  readonly interrupted: boolean;
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
  /** How many traps the monitor has taken so far (read once per slice). */
  traps(): number;
}

/** How many instructions after a lying PUSHF a CLI makes it the save of a save/restore pair. */
const SAVE_WINDOW = 16;

/** How many lying PUSHFs of one interrupts-disabled stretch are remembered (a small ring). */
const LIES_KEPT = 8;

/** EFLAGS bits a guest may change in a value it saved before loading it back (CPUID probes). */
const PROBED = ID | AC;

/**
 * Follows what the holes do to the guest's interrupt flag and decides when they have broken it.
 *
 * Two effects are tracked. A POPF or IRET that keeps IF = 0 where the guest loaded 1 opens an
 * *episode* that lasts until IF is again what the guest asked for (a trapped CLI or STI, a POPF
 * or IRET that agrees). A PUSHF that shows IF = 1 while IF is 0 and is followed within a few
 * instructions by a CLI is the save of a save/restore pair; the STI that later restores it
 * enables interrupts the guest meant to keep disabled (a *stray enable*), until the guest's next
 * CLI or STI; the interrupts the guest takes meanwhile (`cpu.interrupts`) arrive where it had
 * disabled them.
 *
 * A POPF or IRET of a value that a lying PUSHF of the same interrupts-disabled stretch wrote to
 * the same stack slot (the guest loads back what it saved, as a CPUID probe or Linux's
 * `iret_to_self` do) keeps IF = 0 exactly as bare hardware would, where the PUSHF would have
 * shown IF = 0: that is not a harm.
 *
 * Once either effect has happened, the guest counts as broken when it halts with IF = 0, when an
 * interrupt stays pending with IF = 0 for `starvationLimit` instructions, when its kernel runs
 * with IF = 0 for `starvationLimit` instructions without one trap (a deadlock: no interrupt is
 * even pending once the handler that spins holds the interrupt controller's in-service bit),
 * when it triple-faults, or when it resets the machine (the report then blames the most recent
 * hole). The halt and stray-enable checks run when the instructions trap; the others after
 * every slice.
 */
export class InterruptWatchdog {
  readonly #settings: WatchdogSettings;
  readonly #keptDisabled: Counter;
  readonly #strayEnables: Counter;
  readonly #interruptedStrays: Counter;
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
  /** Stack slots (linear addresses) and values of the lying PUSHFs since IF was last 1. */
  readonly #lieSlots = new Int32Array(LIES_KEPT);
  readonly #lieValues = new Int32Array(LIES_KEPT);
  readonly #lieHoles: (HoleRecord | undefined)[] = new Array<HoleRecord | undefined>(LIES_KEPT).fill(undefined);
  #lieCount = 0;
  /** The stray enable whose interrupts are still on (until the guest's next CLI or STI). */
  #stray: HarmfulHole | undefined;
  /** `cpu.interrupts` when that STI ran. */
  #strayInterrupts = 0;
  /** The most recent stray enable under which the guest took an interrupt. */
  #interrupted: HarmfulHole | undefined;
  /** Interrupts taken (the CPU's `cpu.interrupts` counter). */
  readonly #interrupts: Counter;
  /** Start of the current stretch of the kernel running with IF = 0 and no trap (-1: none). */
  #quietSince = -1;
  /** Traps taken when that stretch was last seen to continue. */
  #quietTraps = -1;
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
    this.#interruptedStrays = metrics.counter('cpu.trap-emulate.interrupt-harm', help, { effect: 'interrupted' });
    // The CPU counts the external interrupts it takes here (same name and help as @popek/cpu-x86).
    this.#interrupts = metrics.counter('cpu.interrupts', 'External interrupts taken');
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

  /**
   * A PUSHF at virtual CPL 0: `lie` when it showed IF = 1 while IF was 0; `slot` is the linear
   * address it wrote and `value` what it wrote there.
   */
  pushf(cpu: X86Cpu, lie: HoleRecord | undefined, slot = 0, value = 0): void {
    this.#lie = lie;
    this.#lieSaved = false;
    if (lie === undefined) return;
    this.#lieRetired = cpu.retired();
    const i = this.#lieCount++ % LIES_KEPT;
    this.#lieSlots[i] = slot;
    this.#lieValues[i] = value;
    this.#lieHoles[i] = lie;
  }

  /**
   * Whether `value`, which a POPF or IRET loads from the stack slot at linear address `slot`, is
   * what a lying PUSHF of this interrupts-disabled stretch wrote there (give or take the bits a
   * CPUID probe flips): bare hardware would have written IF = 0 and loaded it back. Returns that
   * PUSHF's hole, or undefined.
   */
  savedByLie(slot: number, value: number): HoleRecord | undefined {
    const n = Math.min(this.#lieCount, LIES_KEPT);
    for (let i = 0; i < n; i++) {
      if (this.#lieSlots[i] === (slot | 0) && ((this.#lieValues[i]! ^ value) & ~PROBED) === 0) return this.#lieHoles[i];
    }
    return undefined;
  }

  /** A trapped CLI: IF = 0 is what the guest asks for. */
  cli(cpu: X86Cpu): void {
    if (this.#lie !== undefined && cpu.retired() - this.#lieRetired <= SAVE_WINDOW) this.#lieSaved = true;
    this.#endStray();
    this.agrees();
  }

  /** A trapped STI: a stray enable when it restores a lying save while IF is 0. */
  sti(cpu: X86Cpu): void {
    this.#endStray();
    const lie = this.#lie;
    if (lie !== undefined && this.#lieSaved && (cpu.flags & IF) === 0) {
      this.#strayEnables.value++;
      this.#harm(lie, 'enabled', cpu.eip >>> 0, cpu.retired());
      this.#stray = { hole: lie, effect: 'enabled', eip: cpu.eip >>> 0, retired: cpu.retired() };
      this.#strayInterrupts = this.#interrupts.value;
    }
    this.#lie = undefined;
    this.#lieCount = 0;
    this.agrees();
  }

  /** The guest decided its interrupt flag again: a stray enable's interrupts are over. */
  #endStray(): void {
    const stray = this.#stray;
    if (stray === undefined) return;
    this.#stray = undefined;
    if (this.#interrupts.value !== this.#strayInterrupts) {
      this.#interruptedStrays.value++;
      this.#interrupted = stray;
    }
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
    this.#quietSince = -1;
  }

  /** IF is 1: the lies of the last interrupts-disabled stretch can no longer be loaded back as such. */
  #enabled(): void {
    this.#lieCount = 0;
    this.#quietSince = -1;
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

  /** After a slice: starvation, a hang with interrupts disabled, and shutdown. */
  afterSlice(cpu: X86Cpu): void {
    if (cpu.shutdown) {
      if (this.#lastHole !== undefined) this.#diagnose(cpu, 'triple-fault');
      return;
    }
    if ((cpu.flags & IF) !== 0) {
      this.#enabled();
      if (this.#lastHarmHole !== undefined) this.agrees();
      return;
    }
    if (this.#lastHarmHole === undefined) return;
    const now = cpu.retired();
    const limit = this.#settings.starvationLimit;
    // The kernel running with IF = 0 and no trap at every slice end: with no trap, IF stayed 0
    // in between (at virtual CPL 0 only a trapped STI or IRET sets it).
    const traps = this.#settings.traps();
    if (cpu.cpl !== 0 || traps !== this.#quietTraps) {
      this.#quietSince = -1;
      this.#quietTraps = traps;
    } else if (this.#quietSince < 0) this.#quietSince = now;
    if (cpu.pic.hasInterrupt()) {
      // An interrupt waits: starvation says more than a hang.
      if (this.#starvingSince < 0) this.#starvingSince = now;
      else if (now - this.#starvingSince >= limit) this.#diagnose(cpu, 'starvation');
      return;
    }
    this.#starvingSince = -1;
    if (this.#quietSince >= 0 && now - this.#quietSince >= limit) this.#diagnose(cpu, 'hang');
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
    this.#lieCount = 0;
    this.#stray = undefined;
    this.#quietTraps = -1;
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

  /**
   * The hole to blame: the open episode's; else the most recent stray enable under which the
   * guest took an interrupt (the one still in force first); else the most recent harmful one.
   */
  #blamed(): HarmfulHole | undefined {
    if (this.#debt !== undefined) return { hole: this.#debt, effect: 'kept-disabled', eip: this.#debtEip, retired: this.#debtRetired };
    if (this.#stray !== undefined && this.#interrupts.value !== this.#strayInterrupts) return this.#stray;
    if (this.#interrupted !== undefined) return this.#interrupted;
    if (this.#lastHarmHole === undefined) return undefined;
    return { hole: this.#lastHarmHole, effect: this.#lastHarmEffect, eip: this.#lastHarmEip, retired: this.#lastHarmRetired };
  }

  #diagnose(cpu: X86Cpu, cause: BrokenGuestCause): void {
    if (!this.#settings.stopOnBrokenGuest && this.#broken !== undefined) return;
    const retired = cpu.retired();
    const eip = cpu.eip >>> 0;
    const blamed = this.#blamed();
    const interrupted = blamed !== undefined && (blamed === this.#interrupted || blamed === this.#stray);
    const lastHole = this.#lastHole!;
    const since = cause === 'hang' ? this.#quietSince : this.#starvingSince;
    const lines = [`The guest broke under trap-and-emulate on the real x86, which is not virtualizable: ${what(cause, eip, retired - since)}.`];
    if (blamed !== undefined) {
      lines.push(`The hole that broke it: ${harmSentence(blamed, retired, interrupted)}`);
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
    this.#broken ??= { cause, blamed, firstHarm: this.#firstHarm, interrupted, lastHole, eip, retired, message };
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
    case 'hang':
      return (
        `its kernel has run ${starving} instructions with interrupts disabled without trapping to the monitor once, ` +
        `spinning at ${hex32(eip)} in a wait nothing can end`
      );
    case 'triple-fault':
      return `it triple-faulted at ${hex32(eip)} (an exception it could not deliver shuts the processor down)`;
    default:
      return 'it reset the machine (a kernel that panics reboots when started with panic=-1)';
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function harmSentence(h: HarmfulHole, now: number, interrupted = false): string {
  const hole = h.hole;
  const at = `${hole.instruction} at ${hex32(hole.address)} ${hole.detail}`;
  const ago = plural(now - h.retired, 'instruction');
  const hits = `hit ${plural(hole.hits, 'time')} at that address`;
  if (h.effect === 'kept-disabled') return `${at} It left interrupts disabled ${ago} earlier (${hits}).`;
  const enabled = `Restoring that value, the guest executed STI at ${hex32(h.eip)} and enabled interrupts where it had disabled them, ${ago} earlier (${hits})`;
  if (!interrupted) return `${at} ${enabled}.`;
  return (
    `${at} ${enabled}; an interrupt arrived inside that section, whose code the guest had meant not to be interrupted ` +
    `(a handler that then waits for a lock the interrupted code holds never returns).`
  );
}
