/**
 * Handlers for prefixes, segment registers, far control transfer, interrupts, I/O, flags
 * control, the system instructions of the 0F map, and the x87 escape.
 */
import type { X86Cpu } from '../cpu.js';
/** Segment override prefixes (26 2E 36 3E 64 65). */
export declare function segPrefix(c: X86Cpu): void;
/** Operand-size prefix (66). */
export declare function opsizePrefix(c: X86Cpu): void;
/** Address-size prefix (67). */
export declare function adsizePrefix(c: X86Cpu): void;
/** REPNE (F2) and REP/REPE (F3). */
export declare function repPrefix(c: X86Cpu): void;
/**
 * LOCK (F0): #UD unless the instruction is a lockable form (opcode table) with a memory
 * destination (SDM Vol. 2 "LOCK"). The check peeks ahead and then decodes normally.
 */
export declare function lockPrefix(c: X86Cpu): void;
/** Two-byte opcode escape (0F). */
export declare function escape0f(c: X86Cpu): void;
/** Undefined opcodes, UD0, UD1, UD2. */
export declare function undefinedOpcode(c: X86Cpu): void;
/**
 * PUSH ES/CS/SS/DS (06 0E 16 1E), FS/GS (0F A0 A8). With a 32-bit operand size the SDM allows a
 * zero-extended push or a 16-bit write; Popek zero-extends, as the host processors it is
 * compared against do.
 */
export declare function pushSeg(c: X86Cpu): void;
/** POP ES/SS/DS (07 17 1F), FS/GS (0F A1 A9). */
export declare function popSeg(c: X86Cpu): void;
/** MOV Ev,Sw (8C). */
export declare function movEvSw(c: X86Cpu): void;
/** MOV Sw,Ew (8E): loading CS is #UD; loading SS blocks interrupts for one instruction. */
export declare function movSwEw(c: X86Cpu): void;
/** LES/LDS (C4 C5), LSS/LFS/LGS (0F B2 B4 B5). */
export declare function loadFarPointer(c: X86Cpu): void;
/** Far JMP or CALL to `sel:off` in the current mode. */
export declare function farTransfer(c: X86Cpu, call: boolean, sel: number, off: number): void;
/** CALLF Ap (9A) and JMPF Ap (EA). */
export declare function farDirect(c: X86Cpu): void;
/** RETF (CB) and RETF Iw (CA). */
export declare function retFar(c: X86Cpu): void;
/** INT Ib (CD): IOPL-sensitive in virtual-8086 mode. */
export declare function intN(c: X86Cpu): void;
/** INT3 (CC). */
export declare function int3(c: X86Cpu): void;
/** INTO (CE). */
export declare function into(c: X86Cpu): void;
/** INT1 / ICEBP (F1): a #DB trap delivered as by hardware (no gate DPL check). */
export declare function int1(c: X86Cpu): void;
/** IRET/IRETD (CF). */
export declare function iret(c: X86Cpu): void;
/** HLT (F4): CPL 0 only. */
export declare function hlt(c: X86Cpu): void;
/** CLI (FA) and STI (FB): IOPL-sensitive. STI blocks interrupts for one instruction. */
export declare function cliSti(c: X86Cpu): void;
/** PUSHF (9C): pushes EFLAGS with VM and RF clear; #GP in v8086 mode with IOPL < 3. */
export declare function pushf(c: X86Cpu): void;
/** POPF (9D): which bits change depends on CPL and IOPL (SDM Vol. 2 "POPF"). */
export declare function popf(c: X86Cpu): void;
/** IN AL/eAX,Ib (E4 E5) and IN AL/eAX,DX (EC ED). */
export declare function inPort(c: X86Cpu): void;
/** OUT Ib,AL/eAX (E6 E7) and OUT DX,AL/eAX (EE EF). */
export declare function outPort(c: X86Cpu): void;
/** INS (6C 6D). */
export declare function ins(c: X86Cpu): void;
/** OUTS (6E 6F). */
export declare function outs(c: X86Cpu): void;
/** Group 6 (0F 00): SLDT, STR, LLDT, LTR, VERR, VERW. */
export declare function group6(c: X86Cpu): void;
/** Group 7 (0F 01): SGDT, SIDT, LGDT, LIDT, SMSW, LMSW, INVLPG. */
export declare function group7(c: X86Cpu): void;
/** LAR (0F 02) and LSL (0F 03). */
export declare function larLsl(c: X86Cpu): void;
/** ARPL Ew,Gw (63): #UD outside protected mode. */
export declare function arpl(c: X86Cpu): void;
/** CLTS (0F 06). */
export declare function clts(c: X86Cpu): void;
/** INVD (0F 08) and WBINVD (0F 09): no caches to flush. */
export declare function invd(c: X86Cpu): void;
/** MOV r32,CRn / CRn,r32 (0F 20 22): the ModRM mod field is ignored (always a register). */
export declare function movCr(c: X86Cpu): void;
/** MOV r32,DRn / DRn,r32 (0F 21 23): DR4/DR5 alias DR6/DR7 unless CR4.DE. */
export declare function movDr(c: X86Cpu): void;
/** WRMSR (0F 30). */
export declare function wrmsr(c: X86Cpu): void;
/** RDMSR (0F 32). */
export declare function rdmsr(c: X86Cpu): void;
/** RDTSC (0F 31): privileged with CR4.TSD. */
export declare function rdtsc(c: X86Cpu): void;
/** RDPMC (0F 33): two counters that read as zero. */
export declare function rdpmc(c: X86Cpu): void;
/** CPUID (0F A2). */
export declare function cpuid(c: X86Cpu): void;
/** SYSENTER (0F 34) — SDM Vol. 2 "SYSENTER". */
export declare function sysenter(c: X86Cpu): void;
/** SYSEXIT (0F 35) — SDM Vol. 2 "SYSEXIT". */
export declare function sysexit(c: X86Cpu): void;
/** x87 escape (D8–DF): #NM with CR0.EM or CR0.TS, then the x87 unit executes it. */
export declare function fpuEscape(c: X86Cpu): void;
/** WAIT/FWAIT (9B): #NM with CR0.MP and CR0.TS; delivers pending x87 exceptions. */
export declare function fwait(c: X86Cpu): void;
/** Group 15 (0F AE): FXSAVE /0 and FXRSTOR /1 (16-byte aligned operand, else #GP). */
export declare function group15(c: X86Cpu): void;
//# sourceMappingURL=ops-system.d.ts.map