import type { X86Cpu } from './cpu.js';
/** Loads a data segment register (DS ES FS GS) or SS with the checks of MOV/POP Sreg. */
export declare function loadDataSeg(c: X86Cpu, i: number, sel: number): void;
/** Far JMP (EA, FF /5) in protected mode. */
export declare function farJump(c: X86Cpu, sel: number, off: number): void;
/** Far CALL (9A, FF /3) in protected mode, including call gates with a stack switch. */
export declare function farCall(c: X86Cpu, sel: number, off: number): void;
/** Far RET (CA, CB) in protected mode. */
export declare function farReturn(c: X86Cpu, n: number): void;
/**
 * Delivers an interrupt or exception through the IDT (SDM Vol. 3A §6.12). `c.ip` is the return
 * address; `software` marks INT n / INT3 / INTO (gate DPL checked against CPL).
 */
export declare function interruptProtected(c: X86Cpu, vector: number, error: number, software: boolean): void;
/** IRET in protected or virtual-8086 mode (SDM Vol. 2 "IRET/IRETD"). */
export declare function iretProtected(c: X86Cpu): void;
/** Why a task switch happens (SDM Vol. 3A §7.3, Table 7-2). */
export declare const TaskReason: {
    readonly Jmp: 0;
    readonly Call: 1;
    readonly Iret: 2;
    readonly Interrupt: 3;
};
/**
 * Hardware task switch to the TSS selected by `sel` (SDM Vol. 3A §7.3): saves the current state
 * in the current TSS, updates busy bits and the back link, loads the new state, and pushes
 * `error` (if ≥ 0) on the new task's stack.
 */
export declare function taskSwitch(c: X86Cpu, sel: number, reason: number, error: number): void;
/** LLDT (0F 00 /2). */
export declare function lldt(c: X86Cpu, sel: number): void;
/** LTR (0F 00 /3): marks the TSS busy. */
export declare function ltr(c: X86Cpu, sel: number): void;
/** VERR/VERW (0F 00 /4 /5): sets ZF when the segment is readable/writable from CPL and RPL. */
export declare function verify(c: X86Cpu, sel: number, write: boolean): void;
/**
 * LAR/LSL: the descriptor's high dword (LAR) or byte-granular limit (LSL) when the selector is
 * visible at CPL/RPL and of a type the instruction accepts; undefined otherwise (ZF = 0).
 */
export declare function queryDescriptor(c: X86Cpu, sel: number, lsl: boolean): number | undefined;
/** The I/O permission bitmap check (SDM Vol. 1 §19.5.2): #GP(0) unless every bit is clear. */
export declare function checkIoBitmap(c: X86Cpu, port: number, size: number): void;
//# sourceMappingURL=protected-mode.d.ts.map