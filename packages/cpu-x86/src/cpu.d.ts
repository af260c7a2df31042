import { InterruptController, PowerControl, PhysicalBus, SliceExit, type BootProcessorState, type BootRegisters, type CoreClock, type MetricsRegistry, type NmiLine, type Processor, type SegmentName, type SegmentState, type StateValue } from '@popek/core';
import type { CpuMmu } from './cpu-mmu.js';
import { CpuOptions, type ResolvedCpuOptions } from './cpu-options.js';
import { type Handler } from './interpreter/dispatch.js';
import type { ExecutionEngine, ExecutionPolicy } from './execution-policy.js';
import type { X87Context, X87Memory, X87Unit } from './x87-seam.js';
/** Byte offsets of AL, CL, DL, BL, AH, CH, DH, BH in the register file (little-endian). */
export declare const REG8_OFFSET: Uint8Array;
/**
 * The i686-class virtual CPU: the architectural state (in typed arrays), segmentation and
 * privilege, exceptions and interrupts, and the reference interpreter.
 *
 * Public fields are the architectural state as the interpreter's handlers, the execution-policy
 * seam and tests reach it; they are not a stable API for devices (devices never see the CPU).
 */
export declare class X86Cpu implements Processor, BootProcessorState, NmiLine {
    #private;
    readonly snapshotId = "cpu0";
    readonly stateType = "@popek/cpu-x86:Cpu";
    readonly stateVersion = 1;
    /** The register file: EAX..EDI as 32-bit values. */
    readonly regs: Int32Array;
    /** The register file as 16-bit words (AX = r16[0], CX = r16[2], ...). */
    readonly r16: Uint16Array;
    /** The register file as bytes (AL = r8[0], AH = r8[1], ...; see {@link REG8_OFFSET}). */
    readonly r8: Uint8Array;
    /** EIP at the start of the current instruction (int32). */
    eip: number;
    /** The decode cursor: the offset in CS of the next byte to fetch (int32). */
    ip: number;
    /** EFLAGS, except the arithmetic bits named in {@link lazy}, which are computed on demand. */
    flags: number;
    /** Which arithmetic flags are derived from the last operation rather than held in `flags`. */
    lazy: number;
    /** Kind of the last flag-setting operation ({@link LazyOp}). */
    lzOp: number;
    /** Its result, masked to the operand size (unsigned value as int32). */
    lzRes: number;
    /** Its first operand. */
    lzA: number;
    /** Its second operand. */
    lzB: number;
    /** The operand-size mask (0xFF, 0xFFFF, -1). */
    lzMask: number;
    /** The operand-size sign bit. */
    lzSign: number;
    /** Visible selectors. */
    readonly segSel: Int32Array<ArrayBuffer>;
    /** Hidden bases (int32). */
    readonly segBase: Int32Array<ArrayBuffer>;
    /** Hidden byte-granular limits. */
    readonly segLimit: Float64Array<ArrayBuffer>;
    /** Hidden access rights (VMX layout, see {@link Ar}). */
    readonly segAr: Int32Array<ArrayBuffer>;
    /** Lowest valid offset (expand-down segments start above their limit). */
    readonly segLo: Float64Array<ArrayBuffer>;
    /** Highest offset valid for reads (-1: reads fault). */
    readonly segRHi: Float64Array<ArrayBuffer>;
    /** Highest offset valid for writes (-1: writes fault). */
    readonly segWHi: Float64Array<ArrayBuffer>;
    /** Current privilege level. */
    cpl: number;
    /** CR0. */
    cr0: number;
    /** CR2 (page-fault linear address). */
    cr2: number;
    /** CR3. */
    cr3: number;
    /** CR4. */
    cr4: number;
    /** DR0–DR7 (DR4/DR5 alias DR6/DR7). */
    readonly dr: Int32Array<ArrayBuffer>;
    /** GDTR base. */
    gdtrBase: number;
    /** GDTR limit. */
    gdtrLimit: number;
    /** IDTR base. */
    idtrBase: number;
    /** IDTR limit. */
    idtrLimit: number;
    /** LDTR selector. */
    ldtrSel: number;
    /** LDTR base. */
    ldtrBase: number;
    /** LDTR limit. */
    ldtrLimit: number;
    /** TR selector. */
    trSel: number;
    /** TR base. */
    trBase: number;
    /** TR limit. */
    trLimit: number;
    /** TR access rights (VMX layout). */
    trAr: number;
    /** IA32_SYSENTER_CS. */
    sysenterCs: number;
    /** IA32_SYSENTER_ESP. */
    sysenterEsp: number;
    /** IA32_SYSENTER_EIP. */
    sysenterEip: number;
    /** TSC offset: TSC = guest ns × tscPerNs + tscOffset. */
    tscOffset: number;
    /** CR0.PE and not virtual-8086: protected-mode segment semantics. */
    protectedMode: boolean;
    /** EFLAGS.VM (cached). */
    v86: boolean;
    /** CS.D: default operand and address size 32. */
    csD: boolean;
    /** SS.B: 32-bit stack pointer. */
    ssB: boolean;
    /** TLB permission bit wanted for data reads at the current CPL. */
    rdFlag: number;
    /** TLB permission bit wanted for data writes at the current CPL. */
    wrFlag: number;
    /** TLB permission bit wanted for instruction fetches at the current CPL. */
    exFlag: number;
    /** Whether data accesses are user-mode accesses (CPL 3). */
    user: boolean;
    /** Alignment checking is active (CR0.AM, EFLAGS.AC and CPL 3): misaligned data accesses raise #AC. */
    alignCheck: boolean;
    /** Enabled instruction breakpoints (bit i: DR7 enables DRi with R/W = 00). */
    bpExec: number;
    /** Enabled data breakpoints (bit i: DR7 enables DRi with R/W = 01 or 11). */
    bpData: number;
    /** DR6 bits of the #DB trap pending at the next boundary (BS, B0–B3). */
    dbPending: number;
    /** Operand size is 32 bits. */
    os32: boolean;
    /** Address size is 32 bits. */
    as32: boolean;
    /** Segment override (-1: none). */
    segOvr: number;
    /** Segment of the last effective address. */
    eaSeg: number;
    /** 0: no REP prefix, 1: REPNE (F2), 2: REP/REPE (F3). */
    rep: number;
    /** LOCK prefix seen. */
    lockPrefix: boolean;
    /** The opcode byte being executed. */
    opcode: number;
    /** Read-modify-write target: linear address of a memory operand. */
    rmwLin: number;
    /** Read-modify-write target: host offset in RAM, or -1 for the slow path. */
    rmwHost: number;
    /** First EIP of the window (int). */
    fetchStart: number;
    /**
     * Window length in bytes (0: empty). The window is dropped whenever a TLB entry may change:
     * CS or CPL loads, control-register writes, INVLPG, any MMU translation or slow-path write,
     * and bus mapping changes.
     */
    fetchLen: number;
    /** RAM index = fetchDelta + ip inside the window. */
    fetchDelta: number;
    /** Whether the CPU is halted. */
    halted: boolean;
    /** Shut down after a triple fault: only RESET leaves this state. */
    shutdown: boolean;
    /** Reasons to leave the fast loop at the next boundary (a bit set of internal attention flags). */
    attention: number;
    /** NMIs are blocked until the next IRET. */
    nmiBlocked: boolean;
    /** Retired instruction count. */
    retiredCount: number;
    /** Vector of the exception being raised (set before throwing {@link CPU_FAULT}). */
    excVector: number;
    /** Its error code, or -1. */
    excError: number;
    /** EXT bit for error codes of faults raised while delivering an external event. */
    ext: number;
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
    readonly x87Ctx: X87Context;
    /** Memory as the x87 unit reaches it (segmentation and paging applied; may throw CPU_FAULT). */
    readonly x87Mem: X87Memory;
    /** The dispatch table: index `opcode` or `0x100 | opcode` for 0F opcodes. */
    readonly ops: Handler[];
    /** The active execution policy. */
    policy: ExecutionPolicy | undefined;
    /** The engine that runs slices (undefined: the built-in interpreter). */
    engine: ExecutionEngine | undefined;
    /**
     * @param bus - guest-physical memory and ports
     * @param mmu - paging and the TLB
     * @param pic - the interrupt controller
     * @param power - where a triple fault asks for a reset
     * @param clock - the machine clock (RDTSC)
     * @param metrics - the metrics registry
     * @param options - engine, policy and CPUID options
     * @param mode - the CPU mode a CPU-mode plugin bound (used unless `options.policy` is given)
     */
    constructor(bus: PhysicalBus, mmu: CpuMmu, pic: InterruptController, power: PowerControl, clock: CoreClock, metrics: MetricsRegistry, options: CpuOptions, mode?: ExecutionPolicy);
    /** Instructions retired since the machine was built. */
    retired(): number;
    /** Makes the running slice end at the next instruction boundary. */
    requestExit(): void;
    /** Requests an NMI (the CPU's NMI pin). */
    raiseNmi(): void;
    /**
     * Installs a CPU-mode policy (see DESIGN.md): its intercepted instruction classes are routed
     * to it, and its engine (if any) runs slices. `undefined` restores native semantics.
     */
    setPolicy(policy: ExecutionPolicy | undefined): void;
    /** Puts the CPU in its power-on state (SDM Vol. 3A §9.1.1, Table 9-1). */
    reset(): void;
    /**
     * Runs at most `maxInstructions` instructions (a halted CPU first checks for an interrupt
     * that wakes it) and returns why it stopped.
     */
    runSlice(maxInstructions: number): SliceExit;
    /** The reference interpreter's slice loop (engines may call it to fall back). */
    interpretSlice(maxInstructions: number): SliceExit;
    /** The instruction loop: runs until `end` retired instructions, an exit request, or HLT. */
    interpret(end: number): void;
    /**
     * After an instruction threw {@link CPU_FAULT} (EIP still at its start, state as before it):
     * restores the default prefix state, drops a pending single-step or data-breakpoint trap of the
     * faulting instruction and delivers the recorded exception. Engines call it from their own catch.
     */
    deliverFault(): void;
    /**
     * Executes the instruction at EIP with the interpreter, without looking at events first (an
     * engine's fallback for one instruction it does not translate): prefixes, dispatch, EIP
     * advanced, retired count incremented. A fault throws {@link CPU_FAULT} with EIP unchanged.
     */
    executeOne(): void;
    /**
     * Executes exactly one instruction (or delivers one pending event) and returns. For tests and
     * debuggers.
     */
    step(): void;
    /** Whether a halted CPU has an event that wakes it (and clears `halted` if so). */
    private wake;
    /** Handles attention bits and interrupts at an instruction boundary; true: leave the loop. */
    private serviceEvents;
    /** DR6 B0–B3 bits of the enabled instruction breakpoints at the current linear EIP. */
    private instructionBreakpointHits;
    /** Records data-breakpoint hits of an access (called on the slow path while any is enabled). */
    private dataBreakpoints;
    /** Recomputes the enabled breakpoints after DR7 changes (SDM Vol. 3B §17.2.4). */
    breakpointsChanged(): void;
    /** Puts the per-instruction prefix state back to its defaults (after a fault). */
    resetPrefixes(): void;
    /** Enters the HLT state (the loop leaves at the next boundary). */
    halt(): void;
    /** Blocks interrupts until after the next instruction (STI, MOV SS, POP SS). */
    interruptShadow(): void;
    /** Raises exception `vector` with `error` (-1: none): records it and throws {@link CPU_FAULT}. */
    raise(vector: number, error?: number): never;
    /** #GP with an error code. */
    gp(error?: number): never;
    /** #UD. */
    ud(): never;
    /** Delivers an exception raised by the current instruction (EIP still at its start). */
    deliverException(vector: number, error: number): void;
    /**
     * Delivers an event through the IVT/IDT, escalating faults during delivery to #DF and a fault
     * during #DF delivery to shutdown (SDM Vol. 3A §6.15, Table 6-5).
     *
     * @param kind - 0 software interrupt (INT n, INT3, INTO: privilege-checked against the gate),
     *   1 exception or external interrupt
     */
    deliverEvent(vector: number, error: number, kind: number): void;
    /** Shuts the processor down and asks the machine for a reset. */
    tripleFault(): void;
    /** Real-mode interrupt: push FLAGS, CS, IP; load CS:IP from the IVT (SDM Vol. 3A §20.1.4). */
    private interruptReal;
    /** CF as 0 or 1. */
    cf(): number;
    /** ZF as a boolean. */
    zf(): boolean;
    /** SF as a boolean. */
    sf(): boolean;
    /** OF as a boolean. */
    of(): boolean;
    /** PF as a boolean. */
    pf(): boolean;
    /** AF as a boolean. */
    af(): boolean;
    /** Folds the lazy flags into `flags` (then `lazy` is 0). */
    materialize(): void;
    /** The full EFLAGS value. */
    getEflags(): number;
    /**
     * Writes EFLAGS bits under `mask` (callers compute the mask from CPL, IOPL and mode), keeping
     * the reserved bits fixed, and updates the derived mode state.
     */
    setEflags(value: number, mask: number): void;
    /** Sets the lazy flags from a result only (logic ops): CF, OF, AF cleared. */
    setLogicFlags(res: number, mask: number, sign: number): void;
    /** Condition code `cc` (0–15, SDM Vol. 1 Appendix B) evaluated on the current flags. */
    cond(cc: number): boolean;
    /** Recomputes the cached mode facts after CR0, EFLAGS.VM, CS, SS or CPL changed. */
    modeChanged(): void;
    /** Sets the CPL (after a privilege change), updating the access flags. */
    setCpl(cpl: number): void;
    /** Recomputes the valid-offset window of segment `i` from its hidden cache. */
    segLimitsChanged(i: number): void;
    /** Fetches the next instruction byte. */
    fetch8(): number;
    /** Fetches a sign-extended byte. */
    fetch8s(): number;
    /** Fetches a 16-bit immediate. */
    fetch16(): number;
    /** Fetches a 32-bit immediate (int32). */
    fetch32(): number;
    /** Fetches an operand-size immediate (16 or 32 bits). */
    fetchZ(): number;
    /** Refills the fetch window (or fetches one byte from non-RAM memory). */
    private fetchSlow;
    /** Translates through the MMU, raising #PF on failure. */
    translate(lin: number, kind: number, user: boolean): number;
    /** Reads `size` bytes at guest-physical `gpa` (within one page). */
    physRead(gpa: number, size: number): number;
    /** Writes `size` bytes at guest-physical `gpa` (within one page). */
    physWrite(gpa: number, size: number, v: number): void;
    /** Linear read, slow path (TLB miss, MMIO or page crossing). */
    readSlow(lin: number, size: number, user: boolean): number;
    /** Linear write, slow path: both pages are translated before any byte is written. */
    writeSlow(lin: number, size: number, v: number, user: boolean): void;
    /** Checks that `size` bytes at `lin` are writable (faulting now if not), without writing. */
    probeWriteLin(lin: number, size: number, user: boolean): void;
    /** Reads a byte at a linear address with the current privilege. */
    readLin8(lin: number): number;
    /** Reads a word at a linear address with the current privilege. */
    readLin16(lin: number): number;
    /** Reads a dword (int32) at a linear address with the current privilege. */
    readLin32(lin: number): number;
    /** Writes a byte at a linear address with the current privilege. */
    writeLin8(lin: number, v: number): void;
    /** Writes a word at a linear address with the current privilege. */
    writeLin16(lin: number, v: number): void;
    /** Writes a dword at a linear address with the current privilege. */
    writeLin32(lin: number, v: number): void;
    /** Supervisor (implicit system) read of a byte: descriptor tables, TSS, IDT. */
    sysRead8(lin: number): number;
    /** Supervisor read of a word. */
    sysRead16(lin: number): number;
    /** Supervisor read of a dword. */
    sysRead32(lin: number): number;
    /** Supervisor write of `size` bytes. */
    sysWrite(lin: number, size: number, v: number): void;
    /** Raises the fault for a segment-limit or type violation on segment `seg`. */
    segFault(seg: number): never;
    /** Reads a byte at `seg:off`. */
    rd8(seg: number, off: number): number;
    /** Reads a word at `seg:off`. */
    rd16(seg: number, off: number): number;
    /** Reads a dword (int32) at `seg:off`. */
    rd32(seg: number, off: number): number;
    /** Writes a byte at `seg:off`. */
    wr8(seg: number, off: number, v: number): void;
    /** Writes a word at `seg:off`. */
    wr16(seg: number, off: number, v: number): void;
    /** Writes a dword at `seg:off`. */
    wr32(seg: number, off: number, v: number): void;
    /** Reads 1, 2 or 4 bytes at `seg:off`. */
    rdN(seg: number, off: number, size: number): number;
    /** Writes 1, 2 or 4 bytes at `seg:off`. */
    wrN(seg: number, off: number, size: number, v: number): void;
    /** Checks `seg:off..off+size-1` is writable (segment and paging) without writing. */
    probeWrite(seg: number, off: number, size: number): void;
    /** Checks `seg:off..off+size-1` is readable at the segment level. */
    checkRead(seg: number, off: number, size: number): void;
    /** Decodes the memory operand of `modrm` (mod != 3); returns its offset and sets `eaSeg`. */
    ea(modrm: number): number;
    /** 32-bit addressing (SDM Vol. 2 §2.1.5, Tables 2-2 and 2-3). */
    ea32(modrm: number): number;
    /** 16-bit addressing (SDM Vol. 2 §2.1.5, Table 2-1). */
    ea16(modrm: number): number;
    /** Reads the 8-bit r/m operand. */
    rm8(modrm: number): number;
    /** Reads the 16-bit r/m operand. */
    rm16(modrm: number): number;
    /** Reads the 32-bit r/m operand. */
    rm32(modrm: number): number;
    /** Writes the 8-bit r/m operand. */
    setRm8(modrm: number, v: number): void;
    /** Writes the 16-bit r/m operand. */
    setRm16(modrm: number, v: number): void;
    /** Writes the 32-bit r/m operand. */
    setRm32(modrm: number, v: number): void;
    /**
     * Loads a memory operand for read-modify-write: checks write access (segment and page) first,
     * remembers the location for {@link rmwStore}, and returns the value.
     */
    rmwLoad(modrm: number, size: number): number;
    /** Stores the result of a read-modify-write started by {@link rmwLoad}. */
    rmwStore(size: number, v: number): void;
    /** The stack pointer as an offset in SS (ESP or SP). */
    sp(): number;
    /** Sets the stack pointer (ESP, or SP keeping ESP's upper half). */
    setSp(v: number): void;
    /** Stack offset `delta` bytes from the current SP, wrapped to the stack size. */
    spAdd(delta: number): number;
    /** Pushes a word. */
    push16(v: number): void;
    /** Pushes a dword. */
    push32(v: number): void;
    /** Pushes an operand-size value. */
    pushV(v: number): void;
    /** Pops a word. */
    pop16(): number;
    /** Pops a dword. */
    pop32(): number;
    /** Pops an operand-size value. */
    popV(): number;
    /** Loads a segment register the real-mode way: base = selector × 16, cache otherwise kept. */
    loadSegReal(i: number, sel: number): void;
    /** Sets a segment register's selector and hidden cache directly. */
    setSegCache(i: number, sel: number, base: number, limit: number, ar: number): void;
    /**
     * Loads a data or stack segment register (MOV Sreg, POP Sreg, LDS...), with the protected-mode
     * checks of SDM Vol. 2 "MOV—Move" / Vol. 3A §5.10.
     */
    loadSeg(i: number, sel: number): void;
    /** Writes CR0 with its side effects (mode change, TLB flush). */
    writeCr0(value: number): void;
    /** Writes CR3 (flushes non-global translations). */
    writeCr3(value: number): void;
    /** Writes CR4 (reserved bits raise #GP). */
    writeCr4(value: number): void;
    /** Tells the MMU about new control-register values (`register` written) and drops the fetch window. */
    controlChanged(register?: number): void;
    /** The time-stamp counter (1 GHz nominal: one tick per guest nanosecond). */
    tscNow(): number;
    /** Reads a model-specific register; undefined for an unimplemented one (→ #GP). */
    readMsr(index: number): bigint | undefined;
    /** Writes a model-specific register; false for an unimplemented one (→ #GP). */
    writeMsr(index: number, value: bigint): boolean;
    /** CPUID leaf `leaf` as [EAX, EBX, ECX, EDX]. */
    cpuid(leaf: number, out: Int32Array): void;
    /** Sets the named registers; others keep their values. */
    setRegisters(r: BootRegisters): void;
    /** Loads a segment register and its hidden cache without reading a descriptor table. */
    setSegment(name: SegmentName, s: SegmentState): void;
    /** Sets GDTR or IDTR. */
    setDescriptorTable(which: 'gdtr' | 'idtr', base: number, limit: number): void;
    /** Sets CR0, CR3 or CR4 with their architectural side effects. */
    setControlRegister(index: 0 | 3 | 4, value: number): void;
    /** The CPU's architectural state as a plain value. */
    saveState(): StateValue;
    /** Restores a state saved by {@link saveState}. */
    loadState(state: StateValue): void;
}
//# sourceMappingURL=cpu.d.ts.map