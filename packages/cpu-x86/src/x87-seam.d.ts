import type { StateValue } from '@popek/core';
import type { X87Context, X87Memory } from './fpu/x87.js';
export type { X87Context, X87Memory } from './fpu/x87.js';
/**
 * The x87 unit as the CPU drives it (the `X87` class of `src/fpu/`, written by the FPU engineer,
 * implements it). The CPU handles #NM (CR0.EM/TS/MP), WAIT, #MF delivery and the FXSAVE/FXRSTOR
 * alignment rule, then calls in. Memory accessors may throw the CPU's fault signal (`CPU_FAULT`).
 */
export interface X87Unit {
    /**
     * Executes one x87 instruction (opcode D8–DF, its ModRM, operand segment (-1: register form)
     * and offset). Returns 0 (done) or 1 (invalid opcode: the CPU raises #UD).
     */
    execute(opcode: number, modrm: number, seg: number, offset: number, mem: X87Memory, ctx: X87Context): number;
    /** An unmasked x87 exception is pending (raised as #MF or IRQ 13 at the next waiting instruction). */
    readonly pendingException: boolean;
    /** FXSAVE to `seg:offset` (512 bytes). */
    fxsave(mem: X87Memory, seg: number, offset: number, ctx: X87Context): void;
    /** FXRSTOR from `seg:offset` (512 bytes). */
    fxrstor(mem: X87Memory, seg: number, offset: number, ctx: X87Context): void;
    /** FNINIT state (RESET and INIT). */
    reset(): void;
    /** The x87 state as a plain value. */
    saveState(): StateValue;
    /** Restores a state saved by `saveState`. */
    loadState(state: StateValue): void;
}
//# sourceMappingURL=x87-seam.d.ts.map