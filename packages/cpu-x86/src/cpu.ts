import {
  Clock,
  HostArena,
  InterruptController,
  Metrics,
  PowerControl,
  PhysicalBus,
  SliceExit,
  inject,
  injectable,
  optional,
  field,
  booleanField,
  type BootProcessorState,
  type BootRegisters,
  type Counter,
  type CoreClock,
  type MetricsRegistry,
  type NmiLine,
  type Processor,
  type SegmentName,
  type SegmentState,
  type StateValue,
} from '@popek/core';
import { Ar, Cr0, Msr, Seg } from './constants.js';
import { CPU_FAULT, Vector, isCpuFault } from './cpu-fault.js';
import { AccessKind, TlbFlag } from '@popek/mmu';
import type { CpuMmu } from './cpu-mmu.js';
import { CpuOptions, resolveCpuOptions, type ResolvedCpuOptions } from './cpu-options.js';
import { CpuMmuToken } from './cpu-mmu-token.js';
import { Eflags, EFLAGS_IMPLEMENTED, LazyOp, PARITY } from './flags.js';
import { buildDispatchTable, type Handler } from './interpreter/dispatch.js';
import type { ExecutionEngine, ExecutionPolicy } from './execution-policy.js';
import { CpuMode, installPolicy } from './execution-policy.js';
import { cpuidLeaf } from './cpuid.js';
import * as pm from './protected-mode.js';
import type { X87Context, X87Memory, X87Unit } from './x87-seam.js';

const { CF, PF, AF, ZF, SF, OF, TF, IF, VM, RF } = Eflags;

/** Byte offsets of AL, CL, DL, BL, AH, CH, DH, BH in the register file (little-endian). */
export const REG8_OFFSET: Uint8Array = new Uint8Array([0, 4, 8, 12, 1, 5, 9, 13]);

/** Attention bits: reasons to leave the fast instruction loop at the next boundary. */
const Attn = {
  NMI: 1,
  EXIT: 2,
  SHADOW: 4,
  TF: 8,
  DBTRAP: 16,
  HALT: 32,
  BREAKPOINTS: 64,
} as const;

/** The CPU's processor-state snapshot schema version. */
const STATE_VERSION = 1;

/**
 * The i686-class virtual CPU: the architectural state (in typed arrays), segmentation and
 * privilege, exceptions and interrupts, and the reference interpreter.
 *
 * Public fields are the architectural state as the interpreter's handlers, the execution-policy
 * seam and tests reach it; they are not a stable API for devices (devices never see the CPU).
 */
@injectable()
export class X86Cpu implements Processor, BootProcessorState, NmiLine {
  readonly snapshotId = 'cpu0';
  readonly stateType = '@popek/cpu-x86:Cpu';
  readonly stateVersion = STATE_VERSION;

  // ---- registers ----
  // The three views share 32 bytes: a buffer of their own, or a region of the host arena's memory
  // (anywhere in its buffer, so mind `byteOffset`) when the machine has one. Never replaced.
  /** The register file: EAX..EDI as 32-bit values. */
  readonly regs: Int32Array;
  /** The register file as 16-bit words (AX = r16[0], CX = r16[2], ...). */
  readonly r16: Uint16Array;
  /** The register file as bytes (AL = r8[0], AH = r8[1], ...; see {@link REG8_OFFSET}). */
  readonly r8: Uint8Array;
  /** EIP at the start of the current instruction (int32). */
  eip = 0;
  /** The decode cursor: the offset in CS of the next byte to fetch (int32). */
  ip = 0;

  // ---- flags (lazy) ----
  /** EFLAGS, except the arithmetic bits named in {@link lazy}, which are computed on demand. */
  flags = 0x2;
  /** Which arithmetic flags are derived from the last operation rather than held in `flags`. */
  lazy = 0;
  /** Kind of the last flag-setting operation ({@link LazyOp}). */
  lzOp = 0;
  /** Its result, masked to the operand size (unsigned value as int32). */
  lzRes = 0;
  /** Its first operand. */
  lzA = 0;
  /** Its second operand. */
  lzB = 0;
  /** The operand-size mask (0xFF, 0xFFFF, -1). */
  lzMask = 0;
  /** The operand-size sign bit. */
  lzSign = 0;

  // ---- segments (ES CS SS DS FS GS) ----
  /** Visible selectors. */
  readonly segSel = new Int32Array(6);
  // segBase, segLo, segRHi and segWHi are 168 bytes of their own, or of the host arena's memory
  // when the machine has one (generated WebAssembly code checks and adds segments through them).
  /** Hidden bases (int32). */
  readonly segBase: Int32Array;
  /** Hidden byte-granular limits. */
  readonly segLimit = new Float64Array(6);
  /** Hidden access rights (VMX layout, see {@link Ar}). */
  readonly segAr = new Int32Array(6);
  /** Lowest valid offset (expand-down segments start above their limit). */
  readonly segLo: Float64Array;
  /** Highest offset valid for reads (-1: reads fault). */
  readonly segRHi: Float64Array;
  /** Highest offset valid for writes (-1: writes fault). */
  readonly segWHi: Float64Array;

  // ---- system registers ----
  /** Current privilege level. */
  cpl = 0;
  /** CR0. */
  cr0 = Cr0.ET;
  /** CR2 (page-fault linear address). */
  cr2 = 0;
  /** CR3. */
  cr3 = 0;
  /** CR4. */
  cr4 = 0;
  /** DR0–DR7 (DR4/DR5 alias DR6/DR7). */
  readonly dr = new Int32Array(8);
  /** GDTR base. */
  gdtrBase = 0;
  /** GDTR limit. */
  gdtrLimit = 0xffff;
  /** IDTR base. */
  idtrBase = 0;
  /** IDTR limit. */
  idtrLimit = 0x3ff;
  /** LDTR selector. */
  ldtrSel = 0;
  /** LDTR base. */
  ldtrBase = 0;
  /** LDTR limit. */
  ldtrLimit = 0;
  /** TR selector. */
  trSel = 0;
  /** TR base. */
  trBase = 0;
  /** TR limit. */
  trLimit = 0;
  /** TR access rights (VMX layout). */
  trAr = 0x8b;
  /** IA32_SYSENTER_CS. */
  sysenterCs = 0;
  /** IA32_SYSENTER_ESP. */
  sysenterEsp = 0;
  /** IA32_SYSENTER_EIP. */
  sysenterEip = 0;
  /** TSC offset: TSC = guest ns × tscPerNs + tscOffset. */
  tscOffset = 0;

  // ---- derived mode state ----
  /** CR0.PE and not virtual-8086: protected-mode segment semantics. */
  protectedMode = false;
  /** EFLAGS.VM (cached). */
  v86 = false;
  /** CS.D: default operand and address size 32. */
  csD = false;
  /** SS.B: 32-bit stack pointer. */
  ssB = false;
  /** TLB permission bit wanted for data reads at the current CPL. */
  rdFlag: number = TlbFlag.ReadSupervisor;
  /** TLB permission bit wanted for data writes at the current CPL. */
  wrFlag: number = TlbFlag.WriteSupervisor;
  /** TLB permission bit wanted for instruction fetches at the current CPL. */
  exFlag: number = TlbFlag.ExecSupervisor;
  /** Whether data accesses are user-mode accesses (CPL 3). */
  user = false;
  /** Alignment checking is active (CR0.AM, EFLAGS.AC and CPL 3): misaligned data accesses raise #AC. */
  alignCheck = false;
  /** Enabled instruction breakpoints (bit i: DR7 enables DRi with R/W = 00). */
  bpExec = 0;
  /** Enabled data breakpoints (bit i: DR7 enables DRi with R/W = 01 or 11). */
  bpData = 0;
  /** DR6 bits of the #DB trap pending at the next boundary (BS, B0–B3). */
  dbPending = 0;
  /**
   * Counts the recomputations of the segments' offset windows ({@link segLimitsChanged}), which
   * every change of a segment register's cache, of the CPU mode or of the data breakpoints makes:
   * while it stands still, the segments, `protectedMode`, `csD`, `ssB` and `bpData` have not
   * changed (the CPL may have). Engines key what they derive from them on it.
   */
  segGeneration = 0;

  // ---- per-instruction decode state ----
  /** Operand size is 32 bits. */
  os32 = false;
  /** Address size is 32 bits. */
  as32 = false;
  /** Segment override (-1: none). */
  segOvr = -1;
  /** Segment of the last effective address. */
  eaSeg: number = Seg.DS;
  /** 0: no REP prefix, 1: REPNE (F2), 2: REP/REPE (F3). */
  rep = 0;
  /** LOCK prefix seen. */
  lockPrefix = false;
  /** The opcode byte being executed. */
  opcode = 0;
  /** Read-modify-write target: linear address of a memory operand. */
  rmwLin = 0;
  /** Read-modify-write target: host offset in RAM, or -1 for the slow path. */
  rmwHost = -1;

  // ---- instruction fetch window ----
  /** First EIP of the window (int). */
  fetchStart = 0;
  /**
   * Window length in bytes (0: empty). The window is dropped whenever a TLB entry may change:
   * CS or CPL loads, control-register writes, INVLPG, any MMU translation or slow-path write,
   * and bus mapping changes.
   */
  fetchLen = 0;
  /** RAM index = fetchDelta + ip inside the window. */
  fetchDelta = 0;

  // ---- run state ----
  /** Whether the CPU is halted. */
  halted = false;
  /** Shut down after a triple fault: only RESET leaves this state. */
  shutdown = false;
  /** Reasons to leave the fast loop at the next boundary (a bit set of internal attention flags). */
  attention = 0;
  /** NMIs are blocked until the next IRET. */
  nmiBlocked = false;
  /** Retired instruction count. */
  retiredCount = 0;
  /** Vector of the exception being raised (set before throwing {@link CPU_FAULT}). */
  excVector = 0;
  /** Its error code, or -1. */
  excError = -1;
  /** EXT bit for error codes of faults raised while delivering an external event. */
  ext = 0;

  // ---- collaborators ----
  /** The bus (RAM and ports). */
  readonly bus: PhysicalBus;
  /** Host RAM. */
  readonly ram: Uint8Array;
  /** The MMU. */
  readonly mmu: CpuMmu;
  /** The MMU's TLB. */
  readonly tlb: Int32Array;
  /** The interrupt controller. */
  readonly pic: InterruptController;
  /** The clock. */
  readonly clock: CoreClock;
  /** Options. */
  readonly options: ResolvedCpuOptions;
  /** The x87 unit, when one is attached. */
  fpu: X87Unit | undefined;
  /** The x87 instruction context, reused for every x87 instruction. */
  readonly x87Ctx: X87Context = { opsize32: false, protectedMode: false, cs: 0, eip: 0, selectors: this.segSel, eflags: 0, ax: 0 };
  /** Memory as the x87 unit reaches it (segmentation and paging applied; may throw CPU_FAULT). */
  readonly x87Mem: X87Memory;
  /** The dispatch table: index `opcode` or `0x100 | opcode` for 0F opcodes. */
  readonly ops: Handler[];
  /** The active execution policy. */
  policy: ExecutionPolicy | undefined;
  /** The engine that runs slices (undefined: the built-in interpreter). */
  engine: ExecutionEngine | undefined;
  readonly #power: PowerControl;
  readonly #metricExceptions: Counter;
  readonly #metricInterrupts: Counter;
  readonly #metricTripleFaults: Counter;

  /**
   * @param bus - guest-physical memory and ports
   * @param mmu - paging and the TLB
   * @param pic - the interrupt controller
   * @param power - where a triple fault asks for a reset
   * @param clock - the machine clock (RDTSC)
   * @param metrics - the metrics registry
   * @param options - engine, policy and CPUID options
   * @param mode - the CPU mode a CPU-mode plugin bound (used unless `options.policy` is given)
   * @param arena - the host arena the register file is taken from (a buffer of its own when
   * absent)
   */
  constructor(
    @inject(PhysicalBus) bus: PhysicalBus,
    @inject(CpuMmuToken) mmu: CpuMmu,
    @inject(InterruptController) pic: InterruptController,
    @inject(PowerControl) power: PowerControl,
    @inject(Clock) clock: CoreClock,
    @inject(Metrics) metrics: MetricsRegistry,
    @inject(CpuOptions) options: CpuOptions,
    @inject(CpuMode) @optional() mode?: ExecutionPolicy,
    @inject(HostArena) @optional() arena?: HostArena,
  ) {
    // Registers (32 bytes), then segment bases (24) and offset windows (3 × 48).
    const [buf, at] = arena === undefined ? [new ArrayBuffer(200), 0] : [undefined, arena.allocate(200, 8)];
    // Allocate before reading the arena's buffer: the allocation may grow the memory.
    const mem = buf ?? arena!.memory.buffer;
    this.regs = new Int32Array(mem, at, 8);
    this.r16 = new Uint16Array(mem, at, 16);
    this.r8 = new Uint8Array(mem, at, 32);
    this.segBase = new Int32Array(mem, at + 32, 6);
    this.segLo = new Float64Array(mem, at + 56, 6);
    this.segRHi = new Float64Array(mem, at + 104, 6);
    this.segWHi = new Float64Array(mem, at + 152, 6);
    this.bus = bus;
    this.ram = bus.ram;
    this.mmu = mmu;
    this.tlb = mmu.tlb;
    this.pic = pic;
    this.#power = power;
    this.clock = clock;
    this.options = resolveCpuOptions(options);
    this.fpu = this.options.fpu;
    this.ops = buildDispatchTable();
    this.x87Mem = {
      read: (seg, off, w) => {
        const v = this.rdN(seg, off, w);
        return w === 4 ? v >>> 0 : v;
      },
      write: (seg, off, w, v) => this.wrN(seg, off, w, v),
      probeWrite: (seg, off, len) => this.probeWrite(seg, off, len),
    };
    this.#metricExceptions = metrics.counter('cpu.exceptions', 'Exceptions raised by the CPU');
    this.#metricInterrupts = metrics.counter('cpu.interrupts', 'External interrupts taken');
    this.#metricTripleFaults = metrics.counter('cpu.triple_faults', 'Triple faults (shutdown)');
    bus.onMappingChange(() => {
      this.fetchLen = 0;
    });
    const policy = this.options.policy ?? mode;
    if (policy !== undefined) this.setPolicy(policy);
    this.reset();
  }

  // =====================================================================================
  // Processor
  // =====================================================================================

  /** Instructions retired since the machine was built. */
  retired(): number {
    return this.retiredCount;
  }

  /** Makes the running slice end at the next instruction boundary. */
  requestExit(): void {
    this.attention |= Attn.EXIT;
  }

  /** Requests an NMI (the CPU's NMI pin). */
  raiseNmi(): void {
    this.attention |= Attn.NMI;
  }

  /**
   * Installs a CPU-mode policy (see DESIGN.md): its intercepted instruction classes are routed
   * to it, and its engine (if any) runs slices. `undefined` restores native semantics.
   */
  setPolicy(policy: ExecutionPolicy | undefined): void {
    const fresh = buildDispatchTable();
    for (let i = 0; i < fresh.length; i++) this.ops[i] = fresh[i]!;
    this.policy = policy;
    this.engine = policy?.engine;
    if (policy !== undefined) installPolicy(this, policy);
  }

  /** Puts the CPU in its power-on state (SDM Vol. 3A §9.1.1, Table 9-1). */
  reset(): void {
    this.regs.fill(0);
    this.regs[2] = 0x600 | (this.options.model << 4) | this.options.stepping; // EDX = signature
    this.flags = 0x2;
    this.lazy = 0;
    this.cr0 = (Cr0.ET | Cr0.CD | Cr0.NW) | 0; // 0x60000010 (SDM Vol. 3A §9.1.1)
    this.cr2 = 0;
    this.cr3 = 0;
    this.cr4 = 0;
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    this.gdtrBase = 0;
    this.gdtrLimit = 0xffff;
    this.idtrBase = 0;
    this.idtrLimit = 0xffff;
    this.ldtrSel = 0;
    this.ldtrBase = 0;
    this.ldtrLimit = 0xffff;
    this.trSel = 0;
    this.trBase = 0;
    this.trLimit = 0xffff;
    this.trAr = 0x8b;
    this.sysenterCs = 0;
    this.sysenterEsp = 0;
    this.sysenterEip = 0;
    this.tscOffset = -this.tscNow();
    for (let i = 0; i < 6; i++) {
      this.segSel[i] = 0;
      this.segBase[i] = 0;
      this.segLimit[i] = 0xffff;
      this.segAr[i] = 0x93;
    }
    this.segSel[Seg.CS] = 0xf000;
    this.segBase[Seg.CS] = 0xffff0000 | 0;
    this.eip = 0xfff0;
    this.ip = 0xfff0;
    this.cpl = 0;
    this.halted = false;
    this.shutdown = false;
    this.nmiBlocked = false;
    this.attention &= Attn.EXIT;
    this.fpu?.reset();
    this.dbPending = 0;
    this.breakpointsChanged();
    this.mmu.setControl(this.cr0, this.cr3, this.cr4, 0);
    this.fetchLen = 0;
    this.engine?.reset?.();
  }

  /**
   * Runs at most `maxInstructions` instructions (a halted CPU first checks for an interrupt
   * that wakes it) and returns why it stopped.
   */
  runSlice(maxInstructions: number): SliceExit {
    this.attention &= ~Attn.EXIT;
    if (this.engine !== undefined) return this.engine.runSlice(this, maxInstructions);
    return this.interpretSlice(maxInstructions);
  }

  /** The reference interpreter's slice loop (engines may call it to fall back). */
  interpretSlice(maxInstructions: number): SliceExit {
    const end = this.retiredCount + maxInstructions;
    for (;;) {
      // HALT only makes the instruction loop leave after HLT; halted or woken, it is consumed
      // here, so the state (and a snapshot) does not depend on where a slice ended or which
      // engine ran the HLT.
      this.attention &= ~Attn.HALT;
      if (this.halted && !this.wake()) return SliceExit.Halted;
      try {
        this.interpret(end);
      } catch (e) {
        if (!isCpuFault(e)) throw e;
        this.deliverFault();
      }
      if ((this.attention & Attn.EXIT) !== 0) {
        this.attention &= ~Attn.EXIT;
        return SliceExit.Requested;
      }
      if (this.halted) {
        this.attention &= ~Attn.HALT;
        if (!this.wake()) return SliceExit.Halted;
      }
      if (this.retiredCount >= end) return SliceExit.Budget;
    }
  }

  /** The instruction loop: runs until `end` retired instructions, an exit request, or HLT. */
  interpret(end: number): void {
    const ops = this.ops;
    while (this.retiredCount < end) {
      if (this.attention !== 0 || ((this.flags & IF) !== 0 && this.pic.hasInterrupt())) {
        if (this.serviceEvents()) return;
      }
      // Prefix state (os32, as32, segOvr, rep) is at its defaults here: prefix handlers restore
      // it after the prefixed instruction, and the fault path resets it.
      this.ip = this.eip;
      const op = this.fetch8();
      this.opcode = op;
      ops[op]!(this);
      this.eip = this.ip;
      this.retiredCount++;
    }
  }

  /**
   * After an instruction threw {@link CPU_FAULT} (EIP still at its start, state as before it):
   * restores the default prefix state, drops a pending single-step or data-breakpoint trap of the
   * faulting instruction and delivers the recorded exception. Engines call it from their own catch.
   */
  deliverFault(): void {
    this.resetPrefixes();
    this.attention &= ~Attn.DBTRAP;
    this.dbPending = 0;
    this.deliverException(this.excVector, this.excError);
  }

  /**
   * Executes the instruction at EIP with the interpreter, without looking at events first (an
   * engine's fallback for one instruction it does not translate): prefixes, dispatch, EIP
   * advanced, retired count incremented. A fault throws {@link CPU_FAULT} with EIP unchanged.
   */
  executeOne(): void {
    this.ip = this.eip;
    const op = this.fetch8();
    this.opcode = op;
    this.ops[op]!(this);
    this.eip = this.ip;
    this.retiredCount++;
  }

  /**
   * Executes exactly one instruction (or delivers one pending event) and returns. For tests and
   * debuggers.
   */
  step(): void {
    this.interpretSlice(1);
  }

  /** Whether a halted CPU has an event that wakes it (and clears `halted` if so). */
  private wake(): boolean {
    if (this.shutdown) return false;
    if ((this.attention & Attn.NMI) !== 0 && !this.nmiBlocked) {
      this.halted = false;
      return true;
    }
    if ((this.flags & IF) !== 0 && this.pic.hasInterrupt()) {
      this.halted = false;
      return true;
    }
    return false;
  }

  /** Handles attention bits and interrupts at an instruction boundary; true: leave the loop. */
  private serviceEvents(): boolean {
    const a = this.attention;
    this.ip = this.eip;
    if ((a & Attn.HALT) !== 0) {
      this.attention &= ~Attn.HALT;
      if (this.halted) return true;
    }
    if ((a & Attn.EXIT) !== 0) return true;
    if ((a & Attn.DBTRAP) !== 0) {
      // A #DB trap from the previous instruction: single step (DR6.BS) and/or data breakpoints
      // (DR6.B0–B3), SDM Vol. 3B §17.2.3.
      this.attention &= ~Attn.DBTRAP;
      this.dr[6] |= this.dbPending;
      this.dbPending = 0;
      this.deliverEvent(Vector.DB, -1, 1);
      return false;
    }
    if ((a & Attn.BREAKPOINTS) !== 0) {
      // Instruction breakpoints are faults taken before the instruction; EFLAGS.RF suppresses
      // them for one instruction (SDM Vol. 3B §17.3.1.1).
      if ((this.flags & RF) !== 0) this.flags &= ~RF;
      else {
        const hits = this.instructionBreakpointHits();
        if (hits !== 0) {
          this.dr[6] |= hits;
          this.deliverEvent(Vector.DB, -1, 1);
          return false;
        }
      }
    }
    if ((a & Attn.SHADOW) !== 0) {
      this.attention &= ~Attn.SHADOW;
    } else if ((a & Attn.NMI) !== 0 && !this.nmiBlocked) {
      this.attention &= ~Attn.NMI;
      this.nmiBlocked = true;
      this.halted = false;
      this.deliverEvent(Vector.NMI, -1, 1);
      return false;
    } else if ((this.flags & IF) !== 0 && this.pic.hasInterrupt()) {
      const vector = this.pic.acknowledge() & 0xff;
      this.#metricInterrupts.value++;
      this.halted = false;
      this.deliverEvent(vector, -1, 1);
      return false;
    }
    if ((this.flags & TF) !== 0) {
      this.attention |= Attn.DBTRAP | Attn.TF;
      this.dbPending |= 0x4000; // DR6.BS
    } else this.attention &= ~Attn.TF;
    return false;
  }

  /** DR6 B0–B3 bits of the enabled instruction breakpoints at the current linear EIP. */
  private instructionBreakpointHits(): number {
    const lin = (this.segBase[Seg.CS]! + this.eip) | 0;
    let hits = 0;
    for (let i = 0; i < 4; i++) if (((this.bpExec >> i) & 1) !== 0 && this.dr[i] === lin) hits |= 1 << i;
    return hits;
  }

  /** Records data-breakpoint hits of an access (called on the slow path while any is enabled). */
  private dataBreakpoints(lin: number, size: number, write: boolean): void {
    const d7 = this.dr[7]!;
    for (let i = 0; i < 4; i++) {
      if (((this.bpData >> i) & 1) === 0) continue;
      const rw = (d7 >>> (16 + 4 * i)) & 3;
      if (rw === 1 && !write) continue;
      const len = [1, 2, 8, 4][(d7 >>> (18 + 4 * i)) & 3]!;
      const a = (this.dr[i]! & ~(len - 1)) >>> 0;
      if (lin < a + len && a < lin + size) {
        this.dbPending |= 1 << i;
        this.attention |= Attn.DBTRAP;
      }
    }
  }

  /** Recomputes the enabled breakpoints after DR7 changes (SDM Vol. 3B §17.2.4). */
  breakpointsChanged(): void {
    const d7 = this.dr[7]!;
    let ex = 0;
    let da = 0;
    for (let i = 0; i < 4; i++) {
      if (((d7 >>> (2 * i)) & 3) === 0) continue;
      const rw = (d7 >>> (16 + 4 * i)) & 3;
      if (rw === 0) ex |= 1 << i;
      else if (rw === 1 || rw === 3) da |= 1 << i;
    }
    this.bpExec = ex;
    this.bpData = da;
    if (ex !== 0) this.attention |= Attn.BREAKPOINTS;
    else this.attention &= ~Attn.BREAKPOINTS;
    this.modeChanged();
  }

  /** Puts the per-instruction prefix state back to its defaults (after a fault). */
  resetPrefixes(): void {
    this.os32 = this.csD;
    this.as32 = this.csD;
    this.segOvr = -1;
    this.rep = 0;
    this.lockPrefix = false;
  }

  /** Enters the HLT state (the loop leaves at the next boundary). */
  halt(): void {
    this.halted = true;
    this.attention |= Attn.HALT;
  }

  /** Blocks interrupts until after the next instruction (STI, MOV SS, POP SS). */
  interruptShadow(): void {
    this.attention |= Attn.SHADOW;
  }

  // =====================================================================================
  // Exceptions and interrupts
  // =====================================================================================

  /** Raises exception `vector` with `error` (-1: none): records it and throws {@link CPU_FAULT}. */
  raise(vector: number, error = -1): never {
    this.excVector = vector;
    this.excError = error;
    throw CPU_FAULT;
  }

  /** #GP with an error code. */
  gp(error = 0): never {
    return this.raise(Vector.GP, error);
  }

  /** #UD. */
  ud(): never {
    return this.raise(Vector.UD);
  }

  /** Delivers an exception raised by the current instruction (EIP still at its start). */
  deliverException(vector: number, error: number): void {
    this.#metricExceptions.value++;
    this.ip = this.eip;
    this.deliverEvent(vector, error, 1);
  }

  /**
   * Delivers an event through the IVT/IDT, escalating faults during delivery to #DF and a fault
   * during #DF delivery to shutdown (SDM Vol. 3A §6.15, Table 6-5).
   *
   * @param kind - 0 software interrupt (INT n, INT3, INTO: privilege-checked against the gate),
   *   1 exception or external interrupt
   */
  deliverEvent(vector: number, error: number, kind: number): void {
    let v = vector;
    let err = error;
    let k = kind;
    for (;;) {
      try {
        this.ext = k === 1 && v !== Vector.BP && v !== Vector.OF ? 1 : 0;
        if (this.protectedMode || this.v86) pm.interruptProtected(this, v, err, k === 0);
        else this.interruptReal(v);
        this.ext = 0;
        return;
      } catch (e) {
        if (!isCpuFault(e)) throw e;
        this.ext = 0;
        const v2 = this.excVector;
        if (v === Vector.DF) {
          this.tripleFault();
          return;
        }
        if (isDoubleFault(v, v2)) {
          v = Vector.DF;
          err = 0;
        } else {
          v = v2;
          err = this.excError;
        }
        k = 1;
        this.ip = this.eip;
      }
    }
  }

  /** Shuts the processor down and asks the machine for a reset. */
  tripleFault(): void {
    this.#metricTripleFaults.value++;
    this.shutdown = true;
    this.halted = true;
    this.#power.reset('triple-fault');
    this.attention |= Attn.EXIT;
  }

  /** Real-mode interrupt: push FLAGS, CS, IP; load CS:IP from the IVT (SDM Vol. 3A §20.1.4). */
  private interruptReal(vector: number): void {
    const off = vector * 4;
    if (off + 3 > this.idtrLimit) this.gp(0);
    const lin = (this.idtrBase + off) | 0;
    const newIp = this.sysRead16(lin);
    const newCs = this.sysRead16((lin + 2) | 0);
    this.push16(this.getEflags() & 0xffff);
    this.push16(this.segSel[Seg.CS]!);
    this.push16(this.ip & 0xffff);
    this.flags &= ~(IF | TF | Eflags.AC | RF);
    this.loadSegReal(Seg.CS, newCs);
    this.ip = newIp;
    this.eip = newIp;
  }

  // =====================================================================================
  // Flags
  // =====================================================================================

  /** CF as 0 or 1. */
  cf(): number {
    if ((this.lazy & CF) === 0) return this.flags & CF;
    const op = this.lzOp;
    if (op === LazyOp.Add) return (this.lzRes >>> 0) < (this.lzA >>> 0) ? 1 : 0;
    if (op === LazyOp.Sub) return (this.lzA >>> 0) < (this.lzB >>> 0) ? 1 : 0;
    return 0;
  }

  /** ZF as a boolean. */
  zf(): boolean {
    if ((this.lazy & ZF) === 0) return (this.flags & ZF) !== 0;
    return (this.lzRes & this.lzMask) === 0;
  }

  /** SF as a boolean. */
  sf(): boolean {
    if ((this.lazy & SF) === 0) return (this.flags & SF) !== 0;
    return (this.lzRes & this.lzSign) !== 0;
  }

  /** OF as a boolean. */
  of(): boolean {
    if ((this.lazy & OF) === 0) return (this.flags & OF) !== 0;
    const r = this.lzRes;
    const a = this.lzA;
    const b = this.lzB;
    if (this.lzOp === LazyOp.Add) return ((a ^ r) & (b ^ r) & this.lzSign) !== 0;
    if (this.lzOp === LazyOp.Sub) return ((a ^ b) & (a ^ r) & this.lzSign) !== 0;
    return false;
  }

  /** PF as a boolean. */
  pf(): boolean {
    if ((this.lazy & PF) === 0) return (this.flags & PF) !== 0;
    return PARITY[this.lzRes & 0xff] !== 0;
  }

  /** AF as a boolean. */
  af(): boolean {
    if ((this.lazy & AF) === 0) return (this.flags & AF) !== 0;
    if (this.lzOp === LazyOp.Result) return false;
    return ((this.lzA ^ this.lzB ^ this.lzRes) & 0x10) !== 0;
  }

  /** Folds the lazy flags into `flags` (then `lazy` is 0). */
  materialize(): void {
    const l = this.lazy;
    if (l === 0) return;
    let f = this.flags & ~l;
    if ((l & CF) !== 0 && this.cf() !== 0) f |= CF;
    if ((l & PF) !== 0 && this.pf()) f |= PF;
    if ((l & AF) !== 0 && this.af()) f |= AF;
    if ((l & ZF) !== 0 && this.zf()) f |= ZF;
    if ((l & SF) !== 0 && this.sf()) f |= SF;
    if ((l & OF) !== 0 && this.of()) f |= OF;
    this.flags = f;
    this.lazy = 0;
  }

  /** The full EFLAGS value. */
  getEflags(): number {
    this.materialize();
    return this.flags;
  }

  /**
   * Writes EFLAGS bits under `mask` (callers compute the mask from CPL, IOPL and mode), keeping
   * the reserved bits fixed, and updates the derived mode state.
   */
  setEflags(value: number, mask: number): void {
    this.materialize();
    const m = mask & EFLAGS_IMPLEMENTED;
    const before = this.flags;
    this.flags = ((before & ~m) | (value & m) | 0x2) & (EFLAGS_IMPLEMENTED | 0x2);
    if (((before ^ this.flags) & (VM | Eflags.AC)) !== 0) this.modeChanged();
    if ((this.flags & TF) !== 0) this.attention |= Attn.TF;
  }

  /** Sets the lazy flags from a result only (logic ops): CF, OF, AF cleared. */
  setLogicFlags(res: number, mask: number, sign: number): void {
    this.flags &= ~(CF | OF | AF);
    this.lazy = PF | ZF | SF;
    this.lzOp = LazyOp.Result;
    this.lzRes = res;
    this.lzMask = mask;
    this.lzSign = sign;
  }

  /** Condition code `cc` (0–15, SDM Vol. 1 Appendix B) evaluated on the current flags. */
  cond(cc: number): boolean {
    let r: boolean;
    switch (cc >> 1) {
      case 0:
        r = this.of();
        break;
      case 1:
        r = this.cf() !== 0;
        break;
      case 2:
        r = this.zf();
        break;
      case 3:
        r = this.cf() !== 0 || this.zf();
        break;
      case 4:
        r = this.sf();
        break;
      case 5:
        r = this.pf();
        break;
      case 6:
        r = this.sf() !== this.of();
        break;
      default:
        r = this.zf() || this.sf() !== this.of();
        break;
    }
    return (cc & 1) === 0 ? r : !r;
  }

  // =====================================================================================
  // Mode bookkeeping
  // =====================================================================================

  /** Recomputes the cached mode facts after CR0, EFLAGS.VM, CS, SS or CPL changed. */
  modeChanged(): void {
    const pe = (this.cr0 & Cr0.PE) !== 0;
    this.v86 = pe && (this.flags & VM) !== 0;
    this.protectedMode = pe && !this.v86;
    if (this.v86) this.cpl = 3;
    else if (!pe) this.cpl = 0;
    this.csD = !this.v86 && (this.segAr[Seg.CS]! & Ar.DB) !== 0;
    this.ssB = !this.v86 && (this.segAr[Seg.SS]! & Ar.DB) !== 0;
    this.os32 = this.csD;
    this.as32 = this.csD;
    this.user = this.cpl === 3;
    // Alignment checking (CR0.AM, EFLAGS.AC, CPL 3; SDM Vol. 3A §6.15 "#AC"): the data fast paths
    // are closed (flag 0 never matches) so every access reaches the slow path, which checks.
    // Data breakpoints close them too, so the slow path can watch every access.
    this.alignCheck = this.user && (this.cr0 & Cr0.AM) !== 0 && (this.flags & Eflags.AC) !== 0;
    const closed = this.alignCheck || this.bpData !== 0;
    this.rdFlag = closed ? 0 : this.user ? TlbFlag.ReadUser : TlbFlag.ReadSupervisor;
    this.wrFlag = closed ? 0 : this.user ? TlbFlag.WriteUser : TlbFlag.WriteSupervisor;
    this.exFlag = this.user ? TlbFlag.ExecUser : TlbFlag.ExecSupervisor;
    for (let i = 0; i < 6; i++) this.segLimitsChanged(i);
    this.fetchLen = 0;
  }

  /** Sets the CPL (after a privilege change), updating the access flags. */
  setCpl(cpl: number): void {
    this.cpl = cpl;
    this.modeChanged();
  }

  /** Recomputes the valid-offset window of segment `i` from its hidden cache. */
  segLimitsChanged(i: number): void {
    this.segGeneration++;
    const ar = this.segAr[i]!;
    const limit = this.segLimit[i]!;
    if (!this.protectedMode) {
      // Real and virtual-8086 mode: no type checks; limits still apply (SDM Vol. 3A §20.1.1).
      const expandDown = (ar & (Ar.S | Ar.CODE | Ar.DC)) === (Ar.S | Ar.DC);
      this.segLo[i] = expandDown ? limit + 1 : 0;
      const hi = expandDown ? ((ar & Ar.DB) !== 0 ? 0xffffffff : 0xffff) : limit;
      this.segRHi[i] = hi;
      this.segWHi[i] = hi;
      return;
    }
    if ((ar & Ar.UNUSABLE) !== 0 || (ar & Ar.P) === 0) {
      this.segLo[i] = 0;
      this.segRHi[i] = -1;
      this.segWHi[i] = -1;
      return;
    }
    if ((ar & Ar.CODE) !== 0) {
      this.segLo[i] = 0;
      this.segRHi[i] = (ar & Ar.RW) !== 0 ? limit : -1;
      this.segWHi[i] = -1;
      return;
    }
    const expandDown = (ar & Ar.DC) !== 0;
    const lo = expandDown ? limit + 1 : 0;
    const hi = expandDown ? ((ar & Ar.DB) !== 0 ? 0xffffffff : 0xffff) : limit;
    this.segLo[i] = lo;
    this.segRHi[i] = hi;
    this.segWHi[i] = (ar & Ar.RW) !== 0 ? hi : -1;
  }

  // =====================================================================================
  // Instruction fetch
  // =====================================================================================

  /** Fetches the next instruction byte. */
  fetch8(): number {
    const ip = this.ip;
    if (((ip - this.fetchStart) >>> 0) < this.fetchLen) {
      this.ip = ip + 1;
      return this.ram[this.fetchDelta + ip]!;
    }
    return this.fetchSlow();
  }

  /** Fetches a sign-extended byte. */
  fetch8s(): number {
    return (this.fetch8() << 24) >> 24;
  }

  /** Fetches a 16-bit immediate. */
  fetch16(): number {
    const ip = this.ip;
    if (((ip - this.fetchStart) >>> 0) < this.fetchLen - 1) {
      this.ip = ip + 2;
      const o = this.fetchDelta + ip;
      return this.ram[o]! | (this.ram[o + 1]! << 8);
    }
    const lo = this.fetch8();
    return lo | (this.fetch8() << 8);
  }

  /** Fetches a 32-bit immediate (int32). */
  fetch32(): number {
    const ip = this.ip;
    if (((ip - this.fetchStart) >>> 0) < this.fetchLen - 3) {
      this.ip = ip + 4;
      const o = this.fetchDelta + ip;
      const ram = this.ram;
      return ram[o]! | (ram[o + 1]! << 8) | (ram[o + 2]! << 16) | (ram[o + 3]! << 24);
    }
    const b0 = this.fetch8();
    const b1 = this.fetch8();
    const b2 = this.fetch8();
    return b0 | (b1 << 8) | (b2 << 16) | (this.fetch8() << 24);
  }

  /** Fetches an operand-size immediate (16 or 32 bits). */
  fetchZ(): number {
    return this.os32 ? this.fetch32() : this.fetch16();
  }

  /** Refills the fetch window (or fetches one byte from non-RAM memory). */
  private fetchSlow(): number {
    const ip = this.ip;
    if (ip - this.eip >= 15) this.gp(0); // instruction longer than 15 bytes (SDM Vol. 2 §2.3.11)
    const limit = this.segLimit[Seg.CS]!;
    const ipu = ip >>> 0;
    if (ipu > limit) this.gp(0);
    const lin = (this.segBase[Seg.CS]! + ip) | 0;
    const page = lin >>> 12;
    const e = this.tlb[page]!;
    let host: number;
    if ((e & this.exFlag) !== 0) {
      host = e & ~0xfff;
    } else {
      const gpa = this.translate(lin, AccessKind.Execute, this.user);
      host = this.bus.ramPageOffset(gpa >>> 12, false);
      if (host < 0) {
        // Executing from MMIO/ROM-less space: one byte at a time through the slow path.
        this.ip = ip + 1;
        return this.bus.readPhysical(gpa, 1) & 0xff;
      }
    }
    const pageOff = lin & 0xfff;
    const start = ip - pageOff;
    let len = 4096;
    if (start + len - 1 > limit) len = limit - start + 1;
    this.fetchStart = start;
    this.fetchLen = len;
    this.fetchDelta = host - start;
    this.ip = ip + 1;
    return this.ram[host + pageOff]!;
  }

  // =====================================================================================
  // Linear memory (paging through the MMU's TLB)
  // =====================================================================================

  /** Translates through the MMU, raising #PF on failure. */
  translate(lin: number, kind: number, user: boolean): number {
    // A translation may evict or refill TLB entries: drop the fetch window (it is re-validated).
    this.fetchLen = 0;
    const gpa = this.mmu.translate(lin >>> 0, kind, user);
    if (gpa < 0) {
      this.cr2 = this.mmu.faultAddress | 0;
      this.raise(Vector.PF, this.mmu.faultErrorCode);
    }
    return gpa;
  }

  /** Reads `size` bytes at guest-physical `gpa` (within one page). */
  physRead(gpa: number, size: number): number {
    const h = this.bus.ramPageOffset(gpa >>> 12, false);
    if (h >= 0) {
      const o = h + (gpa & 0xfff);
      const ram = this.ram;
      if (size === 1) return ram[o]!;
      if (size === 2) return ram[o]! | (ram[o + 1]! << 8);
      return ram[o]! | (ram[o + 1]! << 8) | (ram[o + 2]! << 16) | (ram[o + 3]! << 24);
    }
    return this.bus.readPhysical(gpa, size as 1 | 2 | 4) | 0;
  }

  /** Writes `size` bytes at guest-physical `gpa` (within one page). */
  physWrite(gpa: number, size: number, v: number): void {
    const h = this.bus.ramPageOffset(gpa >>> 12, true);
    if (h >= 0) {
      const o = h + (gpa & 0xfff);
      const ram = this.ram;
      ram[o] = v;
      if (size >= 2) ram[o + 1] = v >> 8;
      if (size === 4) {
        ram[o + 2] = v >> 16;
        ram[o + 3] = v >> 24;
      }
    } else {
      this.bus.writePhysical(gpa, size as 1 | 2 | 4, size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff));
    }
    // Slow-path writes are reported to the MMU strategy (shadow paging traces page tables),
    // which may drop TLB entries: the fetch window is re-validated.
    this.mmu.notifyPhysicalWrite?.(gpa, size);
    this.fetchLen = 0;
  }

  /** Linear read, slow path (TLB miss, MMIO or page crossing). */
  readSlow(lin: number, size: number, user: boolean): number {
    const l = lin >>> 0;
    if (user && this.alignCheck && (l & (size - 1)) !== 0) this.raise(Vector.AC, 0);
    if (this.bpData !== 0) this.dataBreakpoints(l, size, false);
    const off = l & 0xfff;
    if (off + size <= 4096) return this.physRead(this.translate(l, AccessKind.Read, user), size);
    const n1 = 4096 - off;
    const g1 = this.translate(l, AccessKind.Read, user);
    const g2 = this.translate((l + n1) >>> 0, AccessKind.Read, user);
    let v = 0;
    for (let i = 0; i < size; i++) {
      const b = i < n1 ? this.physRead(g1 + i, 1) : this.physRead(g2 + i - n1, 1);
      v |= b << (8 * i);
    }
    return v;
  }

  /** Linear write, slow path: both pages are translated before any byte is written. */
  writeSlow(lin: number, size: number, v: number, user: boolean): void {
    const l = lin >>> 0;
    if (user && this.alignCheck && (l & (size - 1)) !== 0) this.raise(Vector.AC, 0);
    if (this.bpData !== 0) this.dataBreakpoints(l, size, true);
    const off = l & 0xfff;
    if (off + size <= 4096) {
      this.physWrite(this.translate(l, AccessKind.Write, user), size, v);
      return;
    }
    const n1 = 4096 - off;
    const g1 = this.translate(l, AccessKind.Write, user);
    const g2 = this.translate((l + n1) >>> 0, AccessKind.Write, user);
    for (let i = 0; i < size; i++) {
      const b = (v >> (8 * i)) & 0xff;
      if (i < n1) this.physWrite(g1 + i, 1, b);
      else this.physWrite(g2 + i - n1, 1, b);
    }
  }

  /** Checks that `size` bytes at `lin` are writable (faulting now if not), without writing. */
  probeWriteLin(lin: number, size: number, user: boolean): void {
    const l = lin >>> 0;
    const e = this.tlb[l >>> 12]!;
    if ((e & (user ? TlbFlag.WriteUser : TlbFlag.WriteSupervisor)) === 0) this.translate(l, AccessKind.Write, user);
    const last = (l + size - 1) >>> 0;
    if (last >>> 12 !== l >>> 12) {
      // The second page is checked at its first byte: a fault there reports that address in CR2.
      const e2 = this.tlb[last >>> 12]!;
      if ((e2 & (user ? TlbFlag.WriteUser : TlbFlag.WriteSupervisor)) === 0) this.translate((last & ~0xfff) >>> 0, AccessKind.Write, user);
    }
  }

  /** Reads a byte at a linear address with the current privilege. */
  readLin8(lin: number): number {
    const e = this.tlb[lin >>> 12]!;
    if ((e & this.rdFlag) !== 0) return this.ram[(e & ~0xfff) | (lin & 0xfff)]!;
    return this.readSlow(lin, 1, this.user);
  }

  /** Reads a word at a linear address with the current privilege. */
  readLin16(lin: number): number {
    const e = this.tlb[lin >>> 12]!;
    if ((e & this.rdFlag) !== 0 && (lin & 0xfff) <= 0xffe) {
      const o = (e & ~0xfff) | (lin & 0xfff);
      return this.ram[o]! | (this.ram[o + 1]! << 8);
    }
    return this.readSlow(lin, 2, this.user);
  }

  /** Reads a dword (int32) at a linear address with the current privilege. */
  readLin32(lin: number): number {
    const e = this.tlb[lin >>> 12]!;
    if ((e & this.rdFlag) !== 0 && (lin & 0xfff) <= 0xffc) {
      const o = (e & ~0xfff) | (lin & 0xfff);
      const ram = this.ram;
      return ram[o]! | (ram[o + 1]! << 8) | (ram[o + 2]! << 16) | (ram[o + 3]! << 24);
    }
    return this.readSlow(lin, 4, this.user);
  }

  /** Writes a byte at a linear address with the current privilege. */
  writeLin8(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12]!;
    if ((e & this.wrFlag) !== 0) {
      this.ram[(e & ~0xfff) | (lin & 0xfff)] = v;
      return;
    }
    this.writeSlow(lin, 1, v, this.user);
  }

  /** Writes a word at a linear address with the current privilege. */
  writeLin16(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12]!;
    if ((e & this.wrFlag) !== 0 && (lin & 0xfff) <= 0xffe) {
      const o = (e & ~0xfff) | (lin & 0xfff);
      this.ram[o] = v;
      this.ram[o + 1] = v >> 8;
      return;
    }
    this.writeSlow(lin, 2, v, this.user);
  }

  /** Writes a dword at a linear address with the current privilege. */
  writeLin32(lin: number, v: number): void {
    const e = this.tlb[lin >>> 12]!;
    if ((e & this.wrFlag) !== 0 && (lin & 0xfff) <= 0xffc) {
      const o = (e & ~0xfff) | (lin & 0xfff);
      const ram = this.ram;
      ram[o] = v;
      ram[o + 1] = v >> 8;
      ram[o + 2] = v >> 16;
      ram[o + 3] = v >> 24;
      return;
    }
    this.writeSlow(lin, 4, v, this.user);
  }

  /** Supervisor (implicit system) read of a byte: descriptor tables, TSS, IDT. */
  sysRead8(lin: number): number {
    return this.readSlow(lin, 1, false);
  }

  /** Supervisor read of a word. */
  sysRead16(lin: number): number {
    return this.readSlow(lin, 2, false);
  }

  /** Supervisor read of a dword. */
  sysRead32(lin: number): number {
    return this.readSlow(lin, 4, false) | 0;
  }

  /** Supervisor write of `size` bytes. */
  sysWrite(lin: number, size: number, v: number): void {
    this.writeSlow(lin, size, v, false);
  }

  // =====================================================================================
  // Segmented memory
  // =====================================================================================

  /** Raises the fault for a segment-limit or type violation on segment `seg`. */
  segFault(seg: number): never {
    return this.raise(seg === Seg.SS ? Vector.SS : Vector.GP, 0);
  }

  /** Reads a byte at `seg:off`. */
  rd8(seg: number, off: number): number {
    const o = off >>> 0;
    if (o < this.segLo[seg]! || o > this.segRHi[seg]!) this.segFault(seg);
    return this.readLin8((this.segBase[seg]! + o) | 0);
  }

  /** Reads a word at `seg:off`. */
  rd16(seg: number, off: number): number {
    const o = off >>> 0;
    if (o < this.segLo[seg]! || o + 1 > this.segRHi[seg]!) this.segFault(seg);
    return this.readLin16((this.segBase[seg]! + o) | 0);
  }

  /** Reads a dword (int32) at `seg:off`. */
  rd32(seg: number, off: number): number {
    const o = off >>> 0;
    if (o < this.segLo[seg]! || o + 3 > this.segRHi[seg]!) this.segFault(seg);
    return this.readLin32((this.segBase[seg]! + o) | 0);
  }

  /** Writes a byte at `seg:off`. */
  wr8(seg: number, off: number, v: number): void {
    const o = off >>> 0;
    if (o < this.segLo[seg]! || o > this.segWHi[seg]!) this.segFault(seg);
    this.writeLin8((this.segBase[seg]! + o) | 0, v);
  }

  /** Writes a word at `seg:off`. */
  wr16(seg: number, off: number, v: number): void {
    const o = off >>> 0;
    if (o < this.segLo[seg]! || o + 1 > this.segWHi[seg]!) this.segFault(seg);
    this.writeLin16((this.segBase[seg]! + o) | 0, v);
  }

  /** Writes a dword at `seg:off`. */
  wr32(seg: number, off: number, v: number): void {
    const o = off >>> 0;
    if (o < this.segLo[seg]! || o + 3 > this.segWHi[seg]!) this.segFault(seg);
    this.writeLin32((this.segBase[seg]! + o) | 0, v);
  }

  /** Reads 1, 2 or 4 bytes at `seg:off`. */
  rdN(seg: number, off: number, size: number): number {
    return size === 4 ? this.rd32(seg, off) : size === 2 ? this.rd16(seg, off) : this.rd8(seg, off);
  }

  /** Writes 1, 2 or 4 bytes at `seg:off`. */
  wrN(seg: number, off: number, size: number, v: number): void {
    if (size === 4) this.wr32(seg, off, v);
    else if (size === 2) this.wr16(seg, off, v);
    else this.wr8(seg, off, v);
  }

  /** Checks `seg:off..off+size-1` is writable (segment and paging) without writing. */
  probeWrite(seg: number, off: number, size: number): void {
    const o = off >>> 0;
    if (o < this.segLo[seg]! || o + size - 1 > this.segWHi[seg]!) this.segFault(seg);
    this.probeWriteLin((this.segBase[seg]! + o) | 0, size, this.user);
  }

  /** Checks `seg:off..off+size-1` is readable at the segment level. */
  checkRead(seg: number, off: number, size: number): void {
    const o = off >>> 0;
    if (o < this.segLo[seg]! || o + size - 1 > this.segRHi[seg]!) this.segFault(seg);
  }

  // =====================================================================================
  // Effective addresses and ModRM operands
  // =====================================================================================

  /** Decodes the memory operand of `modrm` (mod != 3); returns its offset and sets `eaSeg`. */
  ea(modrm: number): number {
    return this.as32 ? this.ea32(modrm) : this.ea16(modrm);
  }

  /** 32-bit addressing (SDM Vol. 2 §2.1.5, Tables 2-2 and 2-3). */
  ea32(modrm: number): number {
    const mod = modrm >> 6;
    const rm = modrm & 7;
    let addr: number;
    let seg: number = Seg.DS;
    if (rm === 4) {
      const sib = this.fetch8();
      const base = sib & 7;
      const idx = (sib >> 3) & 7;
      addr = idx === 4 ? 0 : this.regs[idx]! << (sib >> 6);
      if (base === 5 && mod === 0) addr += this.fetch32();
      else {
        addr += this.regs[base]!;
        if (base === 4 || base === 5) seg = Seg.SS;
      }
    } else if (rm === 5 && mod === 0) {
      addr = this.fetch32();
    } else {
      addr = this.regs[rm]!;
      if (rm === 5) seg = Seg.SS;
    }
    if (mod === 1) addr += this.fetch8s();
    else if (mod === 2) addr += this.fetch32();
    this.eaSeg = this.segOvr >= 0 ? this.segOvr : seg;
    return addr >>> 0;
  }

  /** 16-bit addressing (SDM Vol. 2 §2.1.5, Table 2-1). */
  ea16(modrm: number): number {
    const mod = modrm >> 6;
    const rm = modrm & 7;
    const r = this.r16;
    let addr: number;
    let seg: number = Seg.DS;
    switch (rm) {
      case 0:
        addr = r[6]! + r[12]!;
        break;
      case 1:
        addr = r[6]! + r[14]!;
        break;
      case 2:
        addr = r[10]! + r[12]!;
        seg = Seg.SS;
        break;
      case 3:
        addr = r[10]! + r[14]!;
        seg = Seg.SS;
        break;
      case 4:
        addr = r[12]!;
        break;
      case 5:
        addr = r[14]!;
        break;
      case 6:
        if (mod === 0) addr = this.fetch16();
        else {
          addr = r[10]!;
          seg = Seg.SS;
        }
        break;
      default:
        addr = r[6]!;
        break;
    }
    if (mod === 1) addr += this.fetch8s();
    else if (mod === 2) addr += this.fetch16();
    this.eaSeg = this.segOvr >= 0 ? this.segOvr : seg;
    return addr & 0xffff;
  }

  /** Reads the 8-bit r/m operand. */
  rm8(modrm: number): number {
    if (modrm >= 0xc0) return this.r8[REG8_OFFSET[modrm & 7]!]!;
    const off = this.ea(modrm);
    return this.rd8(this.eaSeg, off);
  }

  /** Reads the 16-bit r/m operand. */
  rm16(modrm: number): number {
    if (modrm >= 0xc0) return this.r16[(modrm & 7) << 1]!;
    const off = this.ea(modrm);
    return this.rd16(this.eaSeg, off);
  }

  /** Reads the 32-bit r/m operand. */
  rm32(modrm: number): number {
    if (modrm >= 0xc0) return this.regs[modrm & 7]!;
    const off = this.ea(modrm);
    return this.rd32(this.eaSeg, off);
  }

  /** Writes the 8-bit r/m operand. */
  setRm8(modrm: number, v: number): void {
    if (modrm >= 0xc0) this.r8[REG8_OFFSET[modrm & 7]!] = v;
    else {
      const off = this.ea(modrm);
      this.wr8(this.eaSeg, off, v);
    }
  }

  /** Writes the 16-bit r/m operand. */
  setRm16(modrm: number, v: number): void {
    if (modrm >= 0xc0) this.r16[(modrm & 7) << 1] = v;
    else {
      const off = this.ea(modrm);
      this.wr16(this.eaSeg, off, v);
    }
  }

  /** Writes the 32-bit r/m operand. */
  setRm32(modrm: number, v: number): void {
    if (modrm >= 0xc0) this.regs[modrm & 7] = v;
    else {
      const off = this.ea(modrm);
      this.wr32(this.eaSeg, off, v);
    }
  }

  /**
   * Loads a memory operand for read-modify-write: checks write access (segment and page) first,
   * remembers the location for {@link rmwStore}, and returns the value.
   */
  rmwLoad(modrm: number, size: number): number {
    const off = this.ea(modrm);
    const seg = this.eaSeg;
    const o = off >>> 0;
    if (o < this.segLo[seg]! || o + size - 1 > this.segWHi[seg]! || o + size - 1 > this.segRHi[seg]!) {
      if (o < this.segLo[seg]! || o + size - 1 > this.segWHi[seg]!) this.segFault(seg);
    }
    const lin = (this.segBase[seg]! + o) | 0;
    this.rmwLin = lin;
    const e = this.tlb[lin >>> 12]!;
    const po = lin & 0xfff;
    if ((e & this.wrFlag) !== 0 && (e & this.rdFlag) !== 0 && po <= 4096 - size) {
      const h = (e & ~0xfff) | po;
      this.rmwHost = h;
      const ram = this.ram;
      if (size === 1) return ram[h]!;
      if (size === 2) return ram[h]! | (ram[h + 1]! << 8);
      return ram[h]! | (ram[h + 1]! << 8) | (ram[h + 2]! << 16) | (ram[h + 3]! << 24);
    }
    this.rmwHost = -1;
    this.probeWriteLin(lin, size, this.user);
    return this.readSlow(lin, size, this.user);
  }

  /** Stores the result of a read-modify-write started by {@link rmwLoad}. */
  rmwStore(size: number, v: number): void {
    const h = this.rmwHost;
    if (h >= 0) {
      const ram = this.ram;
      ram[h] = v;
      if (size >= 2) ram[h + 1] = v >> 8;
      if (size === 4) {
        ram[h + 2] = v >> 16;
        ram[h + 3] = v >> 24;
      }
      return;
    }
    this.writeSlow(this.rmwLin, size, v, this.user);
  }

  // =====================================================================================
  // Stack
  // =====================================================================================

  /** The stack pointer as an offset in SS (ESP or SP). */
  sp(): number {
    return this.ssB ? this.regs[4]! >>> 0 : this.r16[8]!;
  }

  /** Sets the stack pointer (ESP, or SP keeping ESP's upper half). */
  setSp(v: number): void {
    if (this.ssB) this.regs[4] = v;
    else this.r16[8] = v;
  }

  /** Stack offset `delta` bytes from the current SP, wrapped to the stack size. */
  spAdd(delta: number): number {
    return this.ssB ? (this.regs[4]! + delta) >>> 0 : (this.r16[8]! + delta) & 0xffff;
  }

  /** Pushes a word. */
  push16(v: number): void {
    const sp = this.spAdd(-2);
    this.wr16(Seg.SS, sp, v);
    this.setSp(sp);
  }

  /** Pushes a dword. */
  push32(v: number): void {
    const sp = this.spAdd(-4);
    this.wr32(Seg.SS, sp, v);
    this.setSp(sp);
  }

  /** Pushes an operand-size value. */
  pushV(v: number): void {
    if (this.os32) this.push32(v);
    else this.push16(v);
  }

  /** Pops a word. */
  pop16(): number {
    const sp = this.sp();
    const v = this.rd16(Seg.SS, sp);
    this.setSp(this.spAdd(2));
    return v;
  }

  /** Pops a dword. */
  pop32(): number {
    const sp = this.sp();
    const v = this.rd32(Seg.SS, sp);
    this.setSp(this.spAdd(4));
    return v;
  }

  /** Pops an operand-size value. */
  popV(): number {
    return this.os32 ? this.pop32() : this.pop16();
  }

  // =====================================================================================
  // Segment registers
  // =====================================================================================

  /** Loads a segment register the real-mode way: base = selector × 16, cache otherwise kept. */
  loadSegReal(i: number, sel: number): void {
    this.segSel[i] = sel & 0xffff;
    this.segBase[i] = (sel & 0xffff) << 4;
    if (this.v86) {
      this.segLimit[i] = 0xffff;
      this.segAr[i] = 0xf3;
    } else if ((this.segAr[i]! & Ar.UNUSABLE) !== 0) {
      this.segAr[i] = this.segAr[i]! & ~Ar.UNUSABLE;
    }
    this.segLimitsChanged(i);
    if (i === Seg.CS) {
      this.fetchLen = 0;
      this.csD = !this.v86 && (this.segAr[Seg.CS]! & Ar.DB) !== 0;
      this.os32 = this.csD;
      this.as32 = this.csD;
    } else if (i === Seg.SS) this.ssB = !this.v86 && (this.segAr[Seg.SS]! & Ar.DB) !== 0;
  }

  /** Sets a segment register's selector and hidden cache directly. */
  setSegCache(i: number, sel: number, base: number, limit: number, ar: number): void {
    this.segSel[i] = sel & 0xffff;
    this.segBase[i] = base | 0;
    this.segLimit[i] = limit >>> 0;
    this.segAr[i] = ar;
    this.segLimitsChanged(i);
    if (i === Seg.CS) {
      this.fetchLen = 0;
      this.csD = !this.v86 && (ar & Ar.DB) !== 0;
      this.os32 = this.csD;
      this.as32 = this.csD;
    } else if (i === Seg.SS) this.ssB = !this.v86 && (ar & Ar.DB) !== 0;
  }

  /**
   * Loads a data or stack segment register (MOV Sreg, POP Sreg, LDS...), with the protected-mode
   * checks of SDM Vol. 2 "MOV—Move" / Vol. 3A §5.10.
   */
  loadSeg(i: number, sel: number): void {
    if (!this.protectedMode) {
      this.loadSegReal(i, sel);
      return;
    }
    pm.loadDataSeg(this, i, sel & 0xffff);
  }

  // =====================================================================================
  // Control registers
  // =====================================================================================

  /** Writes CR0 with its side effects (mode change, TLB flush). */
  writeCr0(value: number): void {
    let v = value | Cr0.ET;
    // Reserved bits are not writable on the P6; PG without PE raises #GP (SDM Vol. 3A §2.5).
    if ((v & Cr0.PG) !== 0 && (v & Cr0.PE) === 0) this.gp(0);
    if ((v & Cr0.NW) !== 0 && (v & Cr0.CD) === 0) this.gp(0);
    v &= Cr0.PE | Cr0.MP | Cr0.EM | Cr0.TS | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.AM | Cr0.NW | Cr0.CD | Cr0.PG;
    if (this.mmu.pdpteLoadFaults?.(v, this.cr3, this.cr4, 0, 0) === true) this.gp(0);
    const changed = (this.cr0 ^ v) | 0;
    this.cr0 = v | 0;
    if ((changed & (Cr0.PE | Cr0.AM)) !== 0) this.modeChanged();
    this.controlChanged(0);
  }

  /** Writes CR3 (flushes non-global translations). */
  writeCr3(value: number): void {
    const v = value & ~0xfe7;
    if (this.mmu.pdpteLoadFaults?.(this.cr0, v, this.cr4, 0, 3) === true) this.gp(0);
    this.cr3 = v;
    this.controlChanged(3);
  }

  /** Writes CR4 (reserved bits raise #GP). */
  writeCr4(value: number): void {
    const allowed = this.options.cr4Mask;
    if ((value & ~allowed) !== 0) this.gp(0);
    if (this.mmu.pdpteLoadFaults?.(this.cr0, this.cr3, value, 0, 4) === true) this.gp(0);
    this.cr4 = value | 0;
    this.controlChanged(4);
  }

  /** Tells the MMU about new control-register values (`register` written) and drops the fetch window. */
  controlChanged(register?: number): void {
    this.mmu.setControl(this.cr0, this.cr3, this.cr4, 0, register);
    this.fetchLen = 0;
  }

  /** The time-stamp counter (1 GHz nominal: one tick per guest nanosecond). */
  tscNow(): number {
    return Math.floor(this.clock.nowNs());
  }

  /** Reads a model-specific register; undefined for an unimplemented one (→ #GP). */
  readMsr(index: number): bigint | undefined {
    switch (index >>> 0) {
      case Msr.TSC:
        return BigInt.asUintN(64, BigInt(this.tscNow()) + BigInt(this.tscOffset));
      case Msr.SYSENTER_CS:
        return BigInt(this.sysenterCs >>> 0);
      case Msr.SYSENTER_ESP:
        return BigInt(this.sysenterEsp >>> 0);
      case Msr.SYSENTER_EIP:
        return BigInt(this.sysenterEip >>> 0);
      case Msr.PLATFORM_ID:
      case Msr.BIOS_SIGN_ID:
      case Msr.P5_MC_ADDR:
      case Msr.P5_MC_TYPE:
        return 0n;
      default:
        return undefined;
    }
  }

  /** Writes a model-specific register; false for an unimplemented one (→ #GP). */
  writeMsr(index: number, value: bigint): boolean {
    switch (index >>> 0) {
      case Msr.TSC:
        this.tscOffset = Number(BigInt.asIntN(64, value - BigInt(this.tscNow())));
        return true;
      case Msr.SYSENTER_CS:
        this.sysenterCs = Number(value & 0xffffn);
        return true;
      case Msr.SYSENTER_ESP:
        this.sysenterEsp = Number(BigInt.asIntN(32, value));
        return true;
      case Msr.SYSENTER_EIP:
        this.sysenterEip = Number(BigInt.asIntN(32, value));
        return true;
      case Msr.BIOS_SIGN_ID:
      case Msr.P5_MC_ADDR:
      case Msr.P5_MC_TYPE:
        return true;
      default:
        return false;
    }
  }

  /** CPUID leaf `leaf` as [EAX, EBX, ECX, EDX]. */
  cpuid(leaf: number, out: Int32Array): void {
    cpuidLeaf(this.options, this.fpu !== undefined, leaf, out);
  }

  // =====================================================================================
  // BootProcessorState
  // =====================================================================================

  /** Sets the named registers; others keep their values. */
  setRegisters(r: BootRegisters): void {
    const names = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
    for (let i = 0; i < 8; i++) {
      const v = r[names[i]!];
      if (v !== undefined) this.regs[i] = v;
    }
    if (r.eip !== undefined) {
      this.eip = r.eip | 0;
      this.ip = this.eip;
    }
    if (r.eflags !== undefined) {
      this.lazy = 0;
      this.flags = 0;
      this.setEflags(r.eflags, 0xffffffff);
    }
    this.fetchLen = 0;
  }

  /** Loads a segment register and its hidden cache without reading a descriptor table. */
  setSegment(name: SegmentName, s: SegmentState): void {
    const i = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'].indexOf(name);
    this.setSegCache(i, s.selector, s.base, s.limit, s.accessRights);
    if (i === Seg.CS && (this.cr0 & Cr0.PE) !== 0 && !this.v86) this.cpl = (s.accessRights >> 5) & 3;
    this.modeChanged();
  }

  /** Sets GDTR or IDTR. */
  setDescriptorTable(which: 'gdtr' | 'idtr', base: number, limit: number): void {
    if (which === 'gdtr') {
      this.gdtrBase = base | 0;
      this.gdtrLimit = limit & 0xffff;
    } else {
      this.idtrBase = base | 0;
      this.idtrLimit = limit & 0xffff;
    }
  }

  /** Sets CR0, CR3 or CR4 with their architectural side effects. */
  setControlRegister(index: 0 | 3 | 4, value: number): void {
    if (index === 0) this.writeCr0(value);
    else if (index === 3) this.writeCr3(value);
    else this.writeCr4(value);
    if (index === 0 && (value & Cr0.PE) !== 0) {
      this.cpl = this.segAr[Seg.CS]! >> 5 & 3;
      this.modeChanged();
    }
  }

  // =====================================================================================
  // Snapshot
  // =====================================================================================

  /** The CPU's architectural state as a plain value. */
  saveState(): StateValue {
    const sys = new Float64Array([
      this.eip, this.getEflags(), this.cpl, this.cr0, this.cr2, this.cr3, this.cr4,
      this.gdtrBase, this.gdtrLimit, this.idtrBase, this.idtrLimit,
      this.ldtrSel, this.ldtrBase, this.ldtrLimit, this.trSel, this.trBase, this.trLimit, this.trAr,
      this.sysenterCs, this.sysenterEsp, this.sysenterEip, this.tscOffset, this.retiredCount,
      this.attention & ~Attn.EXIT, this.nmiBlocked ? 1 : 0, this.halted ? 1 : 0, this.shutdown ? 1 : 0,
      this.dbPending,
    ]);
    return {
      regs: new Int32Array(this.regs),
      segSel: new Int32Array(this.segSel),
      segBase: new Int32Array(this.segBase),
      segLimit: new Float64Array(this.segLimit),
      segAr: new Int32Array(this.segAr),
      dr: new Int32Array(this.dr),
      sys,
      fpu: this.fpu !== undefined ? this.fpu.saveState() : null,
      hasFpu: this.fpu !== undefined,
    };
  }

  /** Restores a state saved by {@link saveState}. */
  loadState(state: StateValue): void {
    const int32 = (k: string, n: number): Int32Array => {
      const v = field(state, k);
      if (!(v instanceof Int32Array) || v.length !== n) throw new TypeError(`cpu snapshot field '${k}' is malformed`);
      return v;
    };
    this.regs.set(int32('regs', 8));
    this.segSel.set(int32('segSel', 6));
    this.segBase.set(int32('segBase', 6));
    this.segAr.set(int32('segAr', 6));
    this.dr.set(int32('dr', 8));
    const lim = field(state, 'segLimit');
    if (!(lim instanceof Float64Array) || lim.length !== 6) throw new TypeError("cpu snapshot field 'segLimit' is malformed");
    this.segLimit.set(lim);
    const sys = field(state, 'sys');
    if (!(sys instanceof Float64Array) || sys.length !== 28) throw new TypeError("cpu snapshot field 'sys' is malformed");
    let k = 0;
    this.eip = sys[k++]! | 0;
    this.ip = this.eip;
    this.lazy = 0;
    this.flags = sys[k++]! | 0;
    this.cpl = sys[k++]!;
    this.cr0 = sys[k++]! | 0;
    this.cr2 = sys[k++]! | 0;
    this.cr3 = sys[k++]! | 0;
    this.cr4 = sys[k++]! | 0;
    this.gdtrBase = sys[k++]! | 0;
    this.gdtrLimit = sys[k++]!;
    this.idtrBase = sys[k++]! | 0;
    this.idtrLimit = sys[k++]!;
    this.ldtrSel = sys[k++]!;
    this.ldtrBase = sys[k++]! | 0;
    this.ldtrLimit = sys[k++]!;
    this.trSel = sys[k++]!;
    this.trBase = sys[k++]! | 0;
    this.trLimit = sys[k++]!;
    this.trAr = sys[k++]!;
    this.sysenterCs = sys[k++]!;
    this.sysenterEsp = sys[k++]! | 0;
    this.sysenterEip = sys[k++]! | 0;
    this.tscOffset = sys[k++]!;
    this.retiredCount = sys[k++]!;
    this.attention = sys[k++]!;
    this.nmiBlocked = sys[k++]! !== 0;
    this.halted = sys[k++]! !== 0;
    this.shutdown = sys[k++]! !== 0;
    this.dbPending = sys[k++]!;
    if (booleanField(state, 'hasFpu') && this.fpu !== undefined) this.fpu.loadState(field(state, 'fpu'));
    this.breakpointsChanged();
    this.controlChanged();
    // A restore starts with nothing derived: the engine translates afresh.
    this.engine?.reset?.();
  }
}

/** Whether a fault `second` during delivery of `first` is a double fault (SDM Vol. 3A Table 6-5). */
function isDoubleFault(first: number, second: number): boolean {
  const contributory = (v: number): boolean => v === 0 || (v >= 10 && v <= 13);
  if (contributory(first) && contributory(second)) return true;
  if (first === Vector.PF && (second === Vector.PF || contributory(second))) return true;
  return false;
}
