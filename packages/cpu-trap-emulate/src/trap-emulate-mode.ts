import { Metrics, inject, injectable, optional, type Counter, type MetricsRegistry, type SliceExit } from '@popek/core';
import {
  Ar,
  EFLAGS_IMPLEMENTED,
  Eflags,
  InstructionClass,
  OPCODE_FORMS,
  PolicyAction,
  Seg,
  isCpuFault,
  type ExecutionEngine,
  type ExecutionPolicy,
  type OpcodeForm,
  type X86Cpu,
} from '@popek/cpu-x86';
import { DescriptorQuery, accessRightsOf, queryDescriptor } from './descriptor-query.js';
import { HostState } from './host-state.js';
import { TrapEmulateOptions, resolveTrapEmulateOptions, type ResolvedTrapEmulateOptions } from './trap-emulate-options.js';
import { InterruptWatchdog, type BrokenGuest, type HarmfulHole } from './interrupt-watchdog.js';
import { HoleRecord, hex16, hex32, type VirtualizationHole } from './virtualization-hole.js';

const { IF, IOPL, VM, RF, NT, VIF, VIP, ZF } = Eflags;

/** The classes the mode sees: everything that is not ordinary. */
const INTERCEPT = (1 << InstructionClass.Privileged) | (1 << InstructionClass.IoSensitive) | (1 << InstructionClass.Sensitive);

/** EFLAGS bits POPF loads at CPL 1 with IOPL 0: all but IF, IOPL, VM, RF, VIF, VIP. */
const POPF_RING1_MASK = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | Eflags.TF | Eflags.DF | Eflags.OF | NT | Eflags.AC | Eflags.ID;

/** The kinds of hole the mode models; the index of a kind's counter and name. */
const Hole = {
  POPF: 0,
  PUSHF: 1,
  SGDT: 2,
  SIDT: 3,
  SLDT: 4,
  STR: 5,
  SMSW: 6,
  MOV_CS: 7,
  MOV_SS: 8,
  PUSH_CS: 9,
  PUSH_SS: 10,
  LAR: 11,
  LSL: 12,
  VERR: 13,
  VERW: 14,
  IRET: 15,
  CALLF: 16,
} as const;
type Hole = (typeof Hole)[keyof typeof Hole];

/** Instruction names of the hole kinds, as the report prints them. */
const HOLE_NAMES: readonly string[] = [
  'POPF', 'PUSHF', 'SGDT', 'SIDT', 'SLDT', 'STR', 'SMSW', 'MOV from CS', 'MOV from SS', 'PUSH CS', 'PUSH SS',
  'LAR', 'LSL', 'VERR', 'VERW', 'IRET', 'CALLF',
];

/** Metric labels of the hole kinds. */
const HOLE_LABELS: readonly string[] = HOLE_NAMES.map((n) => n.toLowerCase().replace(/ /g, '-'));

/**
 * Classic trap-and-emulate, simulated over the interpreter (`popek --cpu-mode trap-emulate`).
 *
 * The CPU state of `X86Cpu` is the virtual CPU. Guest code at virtual CPL 0 in protected mode is
 * taken to run deprivileged at host ring 1 (ring compression), with the real EFLAGS.IOPL at 0 and
 * the monitor's descriptor tables loaded ({@link HostState}):
 *
 * - privileged and IOPL-sensitive instructions fault there, so they trap: the mode counts the trap
 *   by reason (`cpu.trap-emulate.traps{reason}`, charged by the core cost model) and emulates the
 *   instruction by executing it on the virtual state;
 * - sensitive-unprivileged instructions do not trap: the mode gives the guest their ring-1
 *   semantics (POPF keeps IF and IOPL, PUSHF shows the host's IF and IOPL, SGDT/SIDT/SLDT/STR/SMSW
 *   show the monitor's registers, CS and SS show RPL 1, LAR shows compressed DPLs, an IRET to user
 *   mode keeps IF and IOPL) and records each hole where that differs from bare hardware.
 *
 * With `virtualizable: true` every sensitive instruction traps and runs natively: no holes.
 *
 * A watchdog follows what the holes do to the guest's interrupt flag (a POPF or IRET that keeps
 * it clear, a PUSHF whose IF = 1 the guest later restores with STI) and stops the machine with a
 * `virtualization-hole` `PopekError` naming the hole when the guest halts or starves with
 * interrupts disabled, triple-faults or resets. It gets control at the instructions the mode sees
 * and around every slice: the mode's engine is the CPU's own interpreter with those checks.
 *
 * The counters and holes are measurements, not guest state: nothing is snapshotted.
 */
@injectable()
export class TrapEmulateMode implements ExecutionPolicy {
  /** The mode's name. */
  readonly name = 'trap-emulate';
  /** Privileged, IOPL-sensitive and sensitive instructions are shown to the mode. */
  readonly intercept = INTERCEPT;
  /** The CPU's interpreter, with the watchdog's checks before and after each slice. */
  readonly engine: ExecutionEngine;
  /** The resolved options. */
  readonly options: ResolvedTrapEmulateOptions;

  readonly #metrics: MetricsRegistry;
  readonly #virtualizable: boolean;
  /** Trap counters by form (`slotOf`). */
  readonly #trapBySlot: (Counter | undefined)[] = new Array<Counter | undefined>(4096).fill(undefined);
  /** Trap counters by reason. */
  readonly #trapByReason = new Map<string, Counter>();
  readonly #trapMovCs: Counter;
  readonly #trapMovSs: Counter;
  readonly #holeCounters: Counter[];
  readonly #holes: HoleRecord[] = [];
  readonly #holeSites = new Map<number, HoleRecord>();
  #droppedSites = 0;
  /** Set while the mode runs an instruction's native handler itself. */
  #native = false;
  /** What the holes do to the guest's interrupt flag, and when they have broken it. */
  readonly #watchdog: InterruptWatchdog;

  /**
   * @param metrics - where traps and holes are counted
   * @param options - the mode's options (defaults when unbound)
   */
  constructor(@inject(Metrics) metrics: MetricsRegistry, @inject(TrapEmulateOptions) @optional() options?: TrapEmulateOptions) {
    this.options = resolveTrapEmulateOptions(options);
    this.#virtualizable = this.options.virtualizable;
    this.#metrics = metrics;
    for (const form of OPCODE_FORMS) {
      if ((INTERCEPT & (1 << form.cls)) === 0 || form.opcode === 0x8c) continue;
      this.#trapBySlot[slotOf(form)] = this.#trapCounter(trapReason(form));
    }
    this.#trapMovCs = this.#trapCounter('mov-from-cs');
    this.#trapMovSs = this.#trapCounter('mov-from-ss');
    this.#holeCounters = HOLE_LABELS.map((instruction) =>
      metrics.counter('cpu.trap-emulate.holes', 'Sensitive-unprivileged instructions whose deprivileged result differed from CPL 0', { instruction }),
    );
    const watchdog = new InterruptWatchdog(metrics, {
      starvationLimit: this.options.starvationLimit,
      stopOnBrokenGuest: this.options.stopOnBrokenGuest,
      hint: this.options.hint,
      summary: () => ({ holes: `${this.#holeTotal()}${this.#holeSummary()}`, traps: `${this.totalTraps()}${this.#trapSummary(8)}` }),
      traps: () => this.totalTraps(),
    });
    this.#watchdog = watchdog;
    this.engine = {
      name: 'interpreter',
      runSlice: (cpu: X86Cpu, maxInstructions: number): SliceExit => {
        watchdog.beforeSlice(cpu);
        const exit = cpu.interpretSlice(maxInstructions);
        watchdog.afterSlice(cpu);
        return exit;
      },
      reset: (): void => watchdog.reset(),
    };
  }

  #trapCounter(reason: string): Counter {
    let c = this.#trapByReason.get(reason);
    if (c === undefined) {
      c = this.#metrics.counter('cpu.trap-emulate.traps', 'Instructions that trapped to the monitor and were emulated', { reason });
      this.#trapByReason.set(reason, c);
    }
    return c;
  }

  // =====================================================================================
  // Results
  // =====================================================================================

  /** The hole sites recorded so far (at most `maxHoles`), in the order first hit. */
  get holes(): readonly VirtualizationHole[] {
    return this.#holes;
  }

  /** Hole sites not kept because the list was full. */
  get droppedHoleSites(): number {
    return this.#droppedSites;
  }

  /** The diagnosis, once the watchdog decided the holes broke the guest. */
  get brokenGuest(): BrokenGuest | undefined {
    return this.#watchdog.broken;
  }

  /** The first hole that changed the guest's interrupt flag against its will, if any. */
  get firstHarm(): HarmfulHole | undefined {
    return this.#watchdog.firstHarm;
  }

  /** Traps by reason (`cli`, `out`, `mov-cr`, `hlt`, ...), including reasons with no trap yet. */
  trapCounts(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const [reason, c] of this.#trapByReason) out.set(reason, c.value);
    return out;
  }

  /** All traps so far. */
  totalTraps(): number {
    let n = 0;
    for (const c of this.#trapByReason.values()) n += c.value;
    return n;
  }

  /** Divergent executions by instruction (`POPF`, `SGDT`, ...), only those that occurred. */
  holeCounts(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (let k = 0; k < HOLE_NAMES.length; k++) {
      const v = this.#holeCounters[k]!.value;
      if (v > 0) out.set(HOLE_NAMES[k]!, v);
    }
    return out;
  }

  /** A readable account of the traps, the holes and the watchdog's diagnosis. */
  report(): string {
    const lines: string[] = [];
    lines.push(
      this.#virtualizable
        ? 'CPU mode trap-emulate on a virtualizable x86: every sensitive instruction traps to the monitor.'
        : 'CPU mode trap-emulate on the real x86: guest kernel code runs at ring 1; sensitive-unprivileged instructions do not trap.',
    );
    lines.push(`Traps: ${this.totalTraps()}${this.#trapSummary(0)}.`);
    const holeTotal = this.#holeTotal();
    lines.push(`Holes: ${holeTotal} divergent executions at ${this.#holes.length + this.#droppedSites} sites${this.#holeSummary()}.`);
    for (const h of this.#holes) lines.push(`  ${hex32(h.address)} ${h.instruction} x${h.hits}${h.applied ? '' : ' (recorded, not applied)'}: ${h.detail}`);
    if (this.#droppedSites > 0) lines.push(`  ... and ${this.#droppedSites} more sites (maxHoles is ${this.options.maxHoles}).`);
    const first = this.firstHarm;
    if (first !== undefined) {
      const effect = first.effect === 'kept-disabled' ? 'kept interrupts disabled' : `led to an STI at ${hex32(first.eip)} that enabled interrupts`;
      lines.push(`First hole that changed the interrupt flag against the guest's will: ${first.hole.instruction} at ${hex32(first.hole.address)} (${effect}).`);
    }
    const broken = this.brokenGuest;
    if (broken !== undefined) lines.push(`Broken guest: ${broken.message}`);
    return lines.join('\n');
  }

  #holeTotal(): number {
    let n = 0;
    for (const c of this.#holeCounters) n += c.value;
    return n;
  }

  #trapSummary(limit: number): string {
    const entries = [...this.#trapByReason].filter(([, c]) => c.value > 0).sort((a, b) => b[1].value - a[1].value || (a[0] < b[0] ? -1 : 1));
    if (entries.length === 0) return '';
    const shown = limit > 0 ? entries.slice(0, limit) : entries;
    const more = entries.length - shown.length;
    return ` (${shown.map(([r, c]) => `${r} ${c.value}`).join(', ')}${more > 0 ? `, ${more} more reasons` : ''})`;
  }

  #holeSummary(): string {
    const counts = this.holeCounts();
    if (counts.size === 0) return '';
    const parts: string[] = [];
    for (const [name, n] of counts) {
      const sites = this.#holes.filter((h) => h.instruction === name).length;
      parts.push(`${name} ${n} at ${sites} site${sites === 1 ? '' : 's'}`);
    }
    return `: ${parts.join(', ')}`;
  }

  // =====================================================================================
  // The policy
  // =====================================================================================

  /** Sees each privileged, IOPL-sensitive or sensitive instruction before it runs. */
  onInstruction(cpu: X86Cpu, form: OpcodeForm): PolicyAction {
    // Guest user code, real mode and virtual-8086 mode run natively (see README).
    if (this.#native || cpu.cpl !== 0 || !cpu.protectedMode) return PolicyAction.Execute;
    const cls = form.cls;
    if (cls !== InstructionClass.Sensitive) {
      // Privileged and IOPL-sensitive: #GP at ring 1 with IOPL 0, a trap to the monitor, which
      // emulates the instruction on the virtual state: executing it is the emulation.
      const op = form.opcode;
      this.#trapBySlot[slotOf(form)]!.value++;
      if (op === 0xfa) this.#watchdog.cli(cpu);
      else if (op === 0xfb) this.#watchdog.sti(cpu);
      else if (op === 0xf4) this.#watchdog.halt(cpu);
      return PolicyAction.Execute;
    }
    if (this.#virtualizable) return this.#sensitiveTrap(cpu, form);
    return this.#deprivileged(cpu, form);
  }

  /** A sensitive instruction on a virtualizable x86: a trap, emulated natively. */
  #sensitiveTrap(cpu: X86Cpu, form: OpcodeForm): PolicyAction {
    if (form.opcode === 0x8c) {
      // MOV r/m, Sreg is sensitive only for CS and SS.
      const sreg = (peekModrm(cpu) >> 3) & 7;
      if (sreg === Seg.CS) this.#trapMovCs.value++;
      else if (sreg === Seg.SS) this.#trapMovSs.value++;
      return PolicyAction.Execute;
    }
    this.#trapBySlot[slotOf(form)]!.value++;
    return PolicyAction.Execute;
  }

  /** A sensitive instruction at ring 1 on the real x86. */
  #deprivileged(cpu: X86Cpu, form: OpcodeForm): PolicyAction {
    switch (cpu.opcode) {
      case 0x0e:
        return this.#pushSelector(cpu, Seg.CS, Hole.PUSH_CS);
      case 0x16:
        return this.#pushSelector(cpu, Seg.SS, Hole.PUSH_SS);
      case 0x8c:
        return this.#movFromSreg(cpu);
      case 0x9c:
        return this.#pushf(cpu);
      case 0x9d:
        return this.#popf(cpu);
      case 0x100:
        if (form.ext === 0 || form.ext === 1) return this.#storeSelector(cpu, form.ext === 0);
        return this.#verify(cpu, form.ext === 5);
      case 0x101:
        if (form.ext === 4) return this.#smsw(cpu);
        return this.#storeTable(cpu, form.ext === 0);
      case 0x102:
      case 0x103:
        return this.#larLsl(cpu, cpu.opcode === 0x103);
      case 0xcf:
        return this.#iret(cpu, form);
      case 0xca:
      case 0xcb:
        return this.#retf(cpu, form);
      case 0xce:
        // INTO traps only when it interrupts (OF = 1); otherwise it does nothing at any ring.
        if (cpu.of()) this.#trap(form);
        return PolicyAction.Execute;
      case 0xcc:
      case 0xcd:
        // Every vector of the host IDT enters the monitor, which reflects the interrupt through
        // the guest's IDT on the virtual state: a trap, emulated exactly.
        this.#trap(form);
        return PolicyAction.Execute;
      case 0x9a:
      case 0xea:
      case 0xff:
        return this.#farTransfer(cpu, form);
      default:
        return PolicyAction.Execute;
    }
  }

  #trap(form: OpcodeForm): void {
    this.#trapBySlot[slotOf(form)]!.value++;
  }

  // ---- the holes -------------------------------------------------------------------------

  /** PUSH CS / PUSH SS: the selector's RPL is the real CPL, 1. */
  #pushSelector(cpu: X86Cpu, seg: number, kind: Hole): PolicyAction {
    const sel = cpu.segSel[seg]!;
    const seen = (sel & ~3) | HostState.ring;
    cpu.pushV(seen);
    if (seen !== sel) this.#hole(cpu, kind, seg === Seg.CS ? 'CS selector' : 'SS selector', seen, sel, true);
    return PolicyAction.Handled;
  }

  /** MOV r/m16, CS / SS: RPL 1. MOV from DS, ES, FS, GS is not sensitive and runs natively. */
  #movFromSreg(cpu: X86Cpu): PolicyAction {
    const at = cpu.ip;
    const m = cpu.fetch8();
    const seg = (m >> 3) & 7;
    if (seg !== Seg.CS && seg !== Seg.SS) {
      cpu.ip = at;
      return PolicyAction.Execute;
    }
    const sel = cpu.segSel[seg]!;
    const seen = (sel & ~3) | HostState.ring;
    if (m >= 0xc0) setRegV(cpu, m & 7, seen);
    else cpu.setRm16(m, seen);
    if (seen !== sel) this.#hole(cpu, seg === Seg.CS ? Hole.MOV_CS : Hole.MOV_SS, seg === Seg.CS ? 'CS selector' : 'SS selector', seen, sel, true);
    return PolicyAction.Handled;
  }

  /** PUSHF: the real EFLAGS, whose IF is the host's (1) and IOPL the host's (0). */
  #pushf(cpu: X86Cpu): PolicyAction {
    const f = cpu.getEflags() & ~(VM | RF);
    const real = (f & ~(IOPL | VIF | VIP)) | IF | (HostState.iopl << 12);
    const seen = cpu.os32 ? real : real & 0xffff;
    const expected = cpu.os32 ? f : f & 0xffff;
    if (cpu.os32) cpu.push32(seen);
    else cpu.push16(seen);
    let lie: HoleRecord | undefined;
    if (seen !== expected) {
      const rec = this.#hole(cpu, Hole.PUSHF, 'pushed EFLAGS', seen, expected, true);
      if ((expected & IF) === 0) lie = rec;
    }
    this.#watchdog.pushf(cpu, lie, stackSlot(cpu, cpu.sp()), seen);
    return PolicyAction.Handled;
  }

  /**
   * POPF at CPL 1 with IOPL 0: IF and IOPL silently keep their values (SDM Vol. 2 "POPF"). When
   * the guest pops IF = 1 that a lying PUSHF saved (see `InterruptWatchdog.savedByLie`), keeping
   * IF = 0 is what bare hardware does with the value it would have saved: recorded, not a harm.
   */
  #popf(cpu: X86Cpu): PolicyAction {
    const s = cpu.os32 ? 4 : 2;
    const slot = stackSlot(cpu, cpu.sp());
    const v = cpu.rdN(Seg.SS, cpu.sp(), s);
    const before = cpu.getEflags();
    let ring1 = POPF_RING1_MASK;
    let ring0 = POPF_RING1_MASK | IF | IOPL;
    if (s === 2) {
      ring1 &= 0xffff;
      ring0 &= 0xffff;
    }
    cpu.setSp(cpu.spAdd(s));
    cpu.setEflags(v, ring1);
    const seen = cpu.getEflags();
    const m = ring0 & EFLAGS_IMPLEMENTED;
    const expected = ((before & ~m) | (v & m) | 0x2) & (EFLAGS_IMPLEMENTED | 0x2);
    if (seen !== expected) {
      const keptOff = (expected & IF) !== 0 && (seen & IF) === 0;
      const lie = keptOff ? this.#watchdog.savedByLie(slot, v) : undefined;
      const rec = this.#hole(cpu, Hole.POPF, 'EFLAGS', seen, expected, true, 0, 0, lie);
      if (keptOff && lie === undefined) this.#watchdog.keptDisabled(cpu, rec);
      else if ((seen & IF) === (expected & IF)) this.#watchdog.agrees();
    } else this.#watchdog.agrees();
    return PolicyAction.Handled;
  }

  /** SLDT / STR: the monitor's LDTR and TR. */
  #storeSelector(cpu: X86Cpu, ldt: boolean): PolicyAction {
    const m = cpu.fetch8();
    const seen = ldt ? HostState.ldtr : HostState.tr;
    const expected = ldt ? cpu.ldtrSel : cpu.trSel;
    if (m >= 0xc0) setRegV(cpu, m & 7, seen);
    else cpu.setRm16(m, seen);
    if (seen !== expected) this.#hole(cpu, ldt ? Hole.SLDT : Hole.STR, ldt ? 'LDTR selector' : 'TR selector', seen, expected, true);
    return PolicyAction.Handled;
  }

  /** SGDT / SIDT: the monitor's GDTR and IDTR. */
  #storeTable(cpu: X86Cpu, gdt: boolean): PolicyAction {
    const at = cpu.ip;
    const m = cpu.fetch8();
    if (m >= 0xc0) {
      cpu.ip = at; // the register form is #UD at every ring
      return PolicyAction.Execute;
    }
    const off = cpu.ea(m);
    const seg = cpu.eaSeg;
    const baseMask = cpu.os32 ? -1 : 0xffffff;
    const base = (gdt ? HostState.gdtrBase : HostState.idtrBase) & baseMask;
    const limit = gdt ? HostState.gdtrLimit : HostState.idtrLimit;
    cpu.probeWrite(seg, off, 6);
    cpu.wr16(seg, off, limit);
    cpu.wr32(seg, cpu.as32 ? (off + 2) >>> 0 : (off + 2) & 0xffff, base);
    const guestBase = (gdt ? cpu.gdtrBase : cpu.idtrBase) & baseMask;
    const guestLimit = gdt ? cpu.gdtrLimit : cpu.idtrLimit;
    if (base !== guestBase || limit !== guestLimit) {
      this.#hole(cpu, gdt ? Hole.SGDT : Hole.SIDT, gdt ? 'GDTR base' : 'IDTR base', base, guestBase, true, limit, guestLimit);
    }
    return PolicyAction.Handled;
  }

  /** SMSW: the low word of the real CR0 (all of it into a 32-bit register, as natively). */
  #smsw(cpu: X86Cpu): PolicyAction {
    const m = cpu.fetch8();
    let seen: number;
    let expected: number;
    if (m >= 0xc0) {
      seen = cpu.os32 ? HostState.cr0 : HostState.cr0 & 0xffff;
      expected = cpu.os32 ? cpu.cr0 : cpu.cr0 & 0xffff;
      setRegV(cpu, m & 7, seen);
    } else {
      seen = HostState.cr0 & 0xffff;
      expected = cpu.cr0 & 0xffff;
      cpu.setRm16(m, seen);
    }
    if (seen !== expected) this.#hole(cpu, Hole.SMSW, 'machine status word', seen, expected, true);
    return PolicyAction.Handled;
  }

  /** LAR / LSL through ring-compressed descriptors at CPL 1. */
  #larLsl(cpu: X86Cpu, lsl: boolean): PolicyAction {
    const m = cpu.fetch8();
    const sel = cpu.rm16(m);
    const op = lsl ? DescriptorQuery.LSL : DescriptorQuery.LAR;
    const mask = lsl ? -1 : cpu.os32 ? 0x00f0ff00 : 0xff00;
    const e = queryDescriptor(cpu, sel, op, 0, false);
    const r = queryDescriptor(cpu, sel, op, HostState.ring, true);
    const expected = e < 0 ? -1 : e & mask;
    const seen = r < 0 ? -1 : r & mask;
    cpu.materialize();
    if (r < 0) cpu.flags &= ~ZF;
    else {
      cpu.flags |= ZF;
      setRegV(cpu, (m >> 3) & 7, seen);
    }
    if (seen !== expected) this.#hole(cpu, lsl ? Hole.LSL : Hole.LAR, lsl ? 'segment limit' : 'access rights', seen, expected, true);
    return PolicyAction.Handled;
  }

  /** VERR / VERW through ring-compressed descriptors at CPL 1. */
  #verify(cpu: X86Cpu, write: boolean): PolicyAction {
    const m = cpu.fetch8();
    const sel = cpu.rm16(m);
    const op = write ? DescriptorQuery.VERW : DescriptorQuery.VERR;
    const expected = queryDescriptor(cpu, sel, op, 0, false) === 0 ? 1 : 0;
    const seen = queryDescriptor(cpu, sel, op, HostState.ring, true) === 0 ? 1 : 0;
    cpu.materialize();
    if (seen !== 0) cpu.flags |= ZF;
    else cpu.flags &= ~ZF;
    if (seen !== expected) this.#hole(cpu, write ? Hole.VERW : Hole.VERR, 'ZF', seen, expected, true);
    return PolicyAction.Handled;
  }

  /**
   * IRET at ring 1 (SDM Vol. 2 "IRET"; at CPL > 0 EFLAGS.IOPL is not loaded, and IF only when
   * CPL <= IOPL, here never).
   *
   * - To RPL 0 (the kernel's own frames): return CS RPL below the CPL is #GP, a trap, emulated
   *   natively. Task returns (NT) and returns to virtual-8086 mode are treated as traps too.
   * - To RPL 1 (a frame the guest built from a PUSH CS or MOV from CS, as Linux's `sync_core`
   *   does): a same-level return at ring 1, without a trap; IF and IOPL keep their values.
   * - To an outer ring (user mode): no trap either; IF and IOPL keep their values, so the guest's
   *   user mode inherits the kernel's IF.
   */
  #iret(cpu: X86Cpu, form: OpcodeForm): PolicyAction {
    if ((cpu.flags & NT) !== 0) {
      this.#trap(form);
      return PolicyAction.Execute;
    }
    const s = cpu.os32 ? 4 : 2;
    const slot = stackSlot(cpu, cpu.spAdd(2 * s));
    let cs: number;
    let fl: number;
    try {
      cpu.rdN(Seg.SS, cpu.sp(), s);
      cs = cpu.rdN(Seg.SS, cpu.spAdd(s), s) & 0xffff;
      fl = cpu.rdN(Seg.SS, cpu.spAdd(2 * s), s);
    } catch (e) {
      if (!isCpuFault(e)) throw e;
      return PolicyAction.Execute; // the native IRET raises the same fault
    }
    if ((cs & 3) === 0 || (s === 4 && (fl & VM) !== 0)) {
      this.#trap(form);
      if ((fl & IF) !== 0) this.#watchdog.agrees();
      return PolicyAction.Execute;
    }
    const kept = cpu.flags & (IF | IOPL);
    if ((cs & 3) === HostState.ring) {
      if (!this.#returnToHostRing(cpu, cpu.spAdd(s), cs)) return PolicyAction.Execute;
    } else this.#runNative(cpu);
    const expected = cpu.getEflags();
    cpu.flags = (cpu.flags & ~(IF | IOPL)) | kept;
    const seen = cpu.getEflags();
    if (seen !== expected) {
      const keptOff = (expected & IF) !== 0 && (seen & IF) === 0;
      const lie = keptOff ? this.#watchdog.savedByLie(slot, fl) : undefined;
      const rec = this.#hole(cpu, Hole.IRET, 'EFLAGS', seen, expected, true, 0, 0, lie);
      if (keptOff && lie === undefined) this.#watchdog.keptDisabled(cpu, rec);
    }
    return PolicyAction.Handled;
  }

  /**
   * RETF at ring 1: to RPL 0, #GP (a trap, emulated natively); to RPL 1, a same-level return
   * without a trap; to an outer ring, native, with the same effect as at CPL 0.
   */
  #retf(cpu: X86Cpu, form: OpcodeForm): PolicyAction {
    const s = cpu.os32 ? 4 : 2;
    let cs: number;
    try {
      cs = cpu.rdN(Seg.SS, cpu.spAdd(s), s) & 0xffff;
    } catch (e) {
      if (!isCpuFault(e)) throw e;
      return PolicyAction.Execute;
    }
    if ((cs & 3) === 0) this.#trap(form);
    else if ((cs & 3) === HostState.ring && this.#returnToHostRing(cpu, cpu.spAdd(s), cs)) return PolicyAction.Handled;
    return PolicyAction.Execute;
  }

  /**
   * Runs a far return (IRET or RETF) whose CS, at `slot` in SS, has the host ring's RPL as the
   * same-level return it is at ring 1: the virtual CPU is at CPL 0, so the slot is given RPL 0
   * while the native instruction runs, then written back. False (nothing done) when the slot is
   * not writable; the instruction then runs natively.
   */
  #returnToHostRing(cpu: X86Cpu, slot: number, cs: number): boolean {
    try {
      cpu.probeWrite(Seg.SS, slot, 2);
    } catch (e) {
      if (!isCpuFault(e)) throw e;
      return false;
    }
    cpu.wr16(Seg.SS, slot, cs & ~3);
    try {
      this.#runNative(cpu);
    } finally {
      cpu.wr16(Seg.SS, slot, cs);
    }
    return true;
  }

  /**
   * Far CALL / JMP at ring 1. Through a gate or to a TSS (system descriptors keep DPL 0 in the
   * shadow tables): #GP, a trap emulated natively. To a code segment: runs without trapping; a
   * far CALL would push CS with RPL 1, which the model records but does not apply (README).
   */
  #farTransfer(cpu: X86Cpu, form: OpcodeForm): PolicyAction {
    const op = cpu.opcode;
    if (op === 0xff && form.ext !== 3 && form.ext !== 5) return PolicyAction.Execute;
    const at = cpu.ip;
    let ar: number;
    try {
      let sel: number;
      if (op !== 0xff) {
        if (cpu.os32) cpu.fetch32();
        else cpu.fetch16();
        sel = cpu.fetch16();
      } else {
        const m = cpu.fetch8();
        if (m >= 0xc0) {
          cpu.ip = at;
          return PolicyAction.Execute; // #UD natively
        }
        const off = cpu.ea(m);
        const s = cpu.os32 ? 4 : 2;
        sel = cpu.rd16(cpu.eaSeg, cpu.as32 ? (off + s) >>> 0 : (off + s) & 0xffff);
      }
      ar = accessRightsOf(cpu, sel);
    } catch (e) {
      if (!isCpuFault(e)) throw e;
      cpu.ip = at;
      return PolicyAction.Execute;
    }
    cpu.ip = at;
    if (ar < 0) return PolicyAction.Execute; // the native transfer faults to the guest
    if ((ar & Ar.S) === 0) {
      this.#trap(form);
      return PolicyAction.Execute;
    }
    const call = op === 0x9a || form.ext === 3;
    if (call && (ar & Ar.CODE) !== 0) {
      const sel = cpu.segSel[Seg.CS]!;
      const seen = (sel & ~3) | HostState.ring;
      if (seen !== sel) this.#hole(cpu, Hole.CALLF, 'pushed CS', seen, sel, false);
    }
    return PolicyAction.Execute;
  }

  /** Runs the current instruction's native handler (the dispatch wrapper sees `#native`). */
  #runNative(cpu: X86Cpu): void {
    this.#native = true;
    try {
      cpu.ops[cpu.opcode]!(cpu);
    } finally {
      this.#native = false;
    }
  }

  /**
   * Counts a divergence at the current instruction and records its site. `savedBy`: the lying
   * PUSHF whose value a POPF or IRET loaded back (said in the site's detail).
   */
  #hole(
    cpu: X86Cpu,
    kind: Hole,
    what: string,
    seen: number,
    expected: number,
    applied: boolean,
    seenLimit = 0,
    expectedLimit = 0,
    savedBy?: HoleRecord,
  ): HoleRecord {
    this.#holeCounters[kind]!.value++;
    const address = (cpu.segBase[Seg.CS]! + cpu.eip) >>> 0;
    const key = address * 32 + kind;
    const known = this.#holeSites.get(key);
    if (known !== undefined) {
      known.hits++;
      if (applied) this.#watchdog.hole(known);
      return known;
    }
    let detail = describeHole(kind, what, seen, expected, seenLimit, expectedLimit);
    if (savedBy !== undefined) {
      detail += ` The guest loaded back what the PUSHF at ${hex32(savedBy.address)} saved, where bare hardware would have saved IF=0: IF ends as on bare hardware.`;
    }
    const rec = new HoleRecord(address, cpu.eip >>> 0, HOLE_NAMES[kind]!, what, seen, expected, applied, detail, cpu.retired());
    if (this.#holes.length < this.options.maxHoles) {
      this.#holes.push(rec);
      this.#holeSites.set(key, rec);
    } else this.#droppedSites++;
    if (applied) this.#watchdog.hole(rec);
    return rec;
  }
}

/** A form's trap-counter slot: its dispatch index (`0x100 | op` for 0F op) and ModRM reg field. */
function slotOf(form: OpcodeForm): number {
  const op = form.opcode;
  return ((op < 0x100 ? op : 0x100 | (op & 0xff)) << 3) | (form.ext & 7);
}

/** The trap reason (metric label) of an intercepted form. */
function trapReason(form: OpcodeForm): string {
  switch (form.opcode) {
    case 0x0f20:
    case 0x0f22:
      return 'mov-cr';
    case 0x0f21:
    case 0x0f23:
      return 'mov-dr';
    case 0x0e:
      return 'push-cs';
    case 0x16:
      return 'push-ss';
    default:
      break;
  }
  const m = form.mnemonic;
  if (m.startsWith('INS')) return 'ins';
  if (m.startsWith('OUTS')) return 'outs';
  return m.toLowerCase();
}

/** The linear address of stack offset `sp` (SS base + offset), as the watchdog compares slots. */
function stackSlot(cpu: X86Cpu, sp: number): number {
  return (cpu.segBase[Seg.SS]! + sp) | 0;
}

/** The ModRM byte at the decode cursor, without consuming it. */
function peekModrm(cpu: X86Cpu): number {
  const m = cpu.fetch8();
  cpu.ip = (cpu.ip - 1) | 0;
  return m;
}

/** Writes general register `r` at the operand size. */
function setRegV(cpu: X86Cpu, r: number, v: number): void {
  if (cpu.os32) cpu.regs[r] = v;
  else cpu.r16[r << 1] = v;
}

/** One sentence for a hole's first occurrence. */
function describeHole(kind: Hole, what: string, seen: number, expected: number, seenLimit: number, expectedLimit: number): string {
  switch (kind) {
    case Hole.POPF: {
      const parts: string[] = [];
      if (((seen ^ expected) & IF) !== 0) parts.push(`kept IF=${(seen >> 9) & 1} where the guest popped IF=${(expected >> 9) & 1}`);
      if (((seen ^ expected) & IOPL) !== 0) parts.push(`kept IOPL=${(seen >> 12) & 3} where the guest popped IOPL=${(expected >> 12) & 3}`);
      return `${parts.join(' and ')} (EFLAGS ${hex32(seen)} instead of ${hex32(expected)}).`;
    }
    case Hole.IRET: {
      const parts: string[] = [];
      if (((seen ^ expected) & IF) !== 0) parts.push(`kept IF=${(seen >> 9) & 1} where the guest's frame had IF=${(expected >> 9) & 1}`);
      if (((seen ^ expected) & IOPL) !== 0) parts.push(`kept IOPL=${(seen >> 12) & 3} where the frame had IOPL=${(expected >> 12) & 3}`);
      return `${parts.join(' and ')} (EFLAGS ${hex32(seen)} instead of ${hex32(expected)}).`;
    }
    case Hole.PUSHF:
      return `showed the host's IF=1 and IOPL=${HostState.iopl} (pushed ${hex32(seen)} where the guest's EFLAGS were ${hex32(expected)}).`;
    case Hole.SGDT:
    case Hole.SIDT:
      return `showed the monitor's table at ${hex32(seen)} limit ${hex16(seenLimit)} instead of the guest's at ${hex32(expected)} limit ${hex16(expectedLimit)}.`;
    case Hole.LAR:
    case Hole.LSL:
    case Hole.VERR:
    case Hole.VERW:
      return `gave ${what} ${queryValue(kind, seen)} at CPL 1 where CPL 0 gives ${queryValue(kind, expected)}.`;
    case Hole.CALLF:
      return `would push CS ${hex16(seen)} (RPL 1) instead of ${hex16(expected)}.`;
    case Hole.MOV_CS:
    case Hole.MOV_SS:
    case Hole.PUSH_CS:
    case Hole.PUSH_SS:
    case Hole.SLDT:
    case Hole.STR:
      return `showed ${what} ${hex16(seen)} instead of ${hex16(expected)}.`;
    default:
      return `showed ${what} ${hex32(seen)} instead of ${hex32(expected)}.`;
  }
}

function queryValue(kind: Hole, v: number): string {
  if (kind === Hole.VERR || kind === Hole.VERW) return v !== 0 ? '1' : '0';
  return v < 0 ? 'nothing (ZF=0)' : hex32(v);
}
