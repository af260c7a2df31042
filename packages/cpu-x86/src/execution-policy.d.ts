import { type SliceExit } from '@popek/core';
import type { X86Cpu } from './cpu.js';
import { type OpcodeForm } from './opcode-table.js';
/** What the interpreter does after a policy saw an instruction. */
export declare const PolicyAction: {
    /** Execute the instruction with its native semantics. */
    readonly Execute: 0;
    /**
     * The policy handled it (emulated it and set `cpu.ip` to the next instruction, or redirected
     * control): the interpreter does not execute it. To make the instruction trap instead, the
     * policy calls `cpu.raise(vector, error)`, which throws and never returns.
     */
    readonly Handled: 1;
};
/** One of the {@link PolicyAction} values. */
export type PolicyAction = (typeof PolicyAction)[keyof typeof PolicyAction];
/**
 * An engine that runs slices in place of the reference interpreter (the binary translator). It
 * drives the same `X86Cpu` state; it may call `cpu.interpretSlice(n)` to fall back.
 */
export interface ExecutionEngine {
    /** Short name for metrics (`bt`). */
    readonly name: string;
    /** Runs at most `maxInstructions` instructions, as `Processor.runSlice`. */
    runSlice(cpu: X86Cpu, maxInstructions: number): SliceExit;
    /**
     * Drops everything the engine derived from guest memory and CPU state (translated code). The
     * CPU calls it on RESET and after its state is restored from a snapshot.
     */
    reset?(): void;
}
/**
 * What a CPU-mode plugin (trap-and-emulate, binary translation, hardware assist) supplies to the
 * CPU: a policy over the instruction classes of the opcode table, and optionally its own engine.
 * See DESIGN.md, "The engine/policy seam".
 *
 * The default (no policy) is native semantics and costs nothing: the interpreter's dispatch table
 * is then the plain one. Installing a policy wraps only the dispatch entries of opcodes that have
 * an intercepted form, once, at install time.
 */
export interface ExecutionPolicy {
    /** Short name (`trap-emulate`). */
    readonly name: string;
    /**
     * Bit mask over `InstructionClass`: bit `1 << cls` set means instructions of that class are
     * shown to {@link onInstruction} before they execute.
     */
    readonly intercept: number;
    /**
     * Called after the prefixes and opcode are decoded (`cpu.ip` points at the ModRM byte or the
     * immediate; `cpu.eip` at the first prefix) and before the instruction runs.
     */
    onInstruction?(cpu: X86Cpu, form: OpcodeForm): PolicyAction;
    /** An engine that replaces the interpreter's slice loop. */
    readonly engine?: ExecutionEngine;
}
/** Wraps the dispatch entries of `cpu` whose forms fall in the policy's intercepted classes. */
export declare function installPolicy(cpu: X86Cpu, policy: ExecutionPolicy): void;
/**
 * The machine's CPU mode: a CPU-mode plugin (capability `cpu-mode`) binds its policy here, and the
 * CPU installs it at construction. Unbound, the CPU runs the reference interpreter with native
 * semantics. `CpuOptions.policy`, when given, takes precedence (tests and harnesses use it).
 */
export declare const CpuMode: import("@popek/core").ServiceId<ExecutionPolicy>;
//# sourceMappingURL=execution-policy.d.ts.map