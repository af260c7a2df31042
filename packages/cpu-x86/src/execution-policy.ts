import { serviceId, type SliceExit } from '@popek/core';
import type { X86Cpu } from './cpu.js';
import { OPCODE_INFO, formOf, type OpcodeForm } from './opcode-table.js';

/** What the interpreter does after a policy saw an instruction. */
export const PolicyAction = {
  /** Execute the instruction with its native semantics. */
  Execute: 0,
  /**
   * The policy handled it (emulated it and set `cpu.ip` to the next instruction, or redirected
   * control): the interpreter does not execute it. To make the instruction trap instead, the
   * policy calls `cpu.raise(vector, error)`, which throws and never returns.
   */
  Handled: 1,
} as const;

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

/**
 * Wraps the dispatch entries of `cpu` whose forms fall in the policy's intercepted classes.
 *
 * The forms are resolved here, once: an opcode with a single form calls the hook directly; a group
 * opcode (FF, 0F 00, 0F 01, ...) gets a table of its intercepted forms by ModRM reg field (what
 * {@link formOf} selects, or nothing when that form is not intercepted), so its wrapper reads the
 * ModRM byte and indexes the table. The ModRM byte is read with `fetch8` and the cursor put back,
 * as the instruction's own handler reads it again.
 */
export function installPolicy(cpu: X86Cpu, policy: ExecutionPolicy): void {
  const hook = policy.onInstruction;
  const mask = policy.intercept;
  if (hook === undefined || mask === 0) return;
  const intercepted = (f: OpcodeForm | undefined): f is OpcodeForm => f !== undefined && (mask & (1 << f.cls)) !== 0;
  for (let i = 0; i < 512; i++) {
    const info = OPCODE_INFO[i]!;
    if (!info.forms.some(intercepted)) continue;
    const inner = cpu.ops[i]!;
    const single = info.forms.length === 1 && info.forms[0]!.ext < 0 ? info.forms[0]! : undefined;
    if (single !== undefined) {
      cpu.ops[i] = (c: X86Cpu): void => {
        if (hook.call(policy, c, single) === PolicyAction.Handled) return;
        inner(c);
      };
      continue;
    }
    const byReg = policyFormTable(i, mask);
    cpu.ops[i] = (c: X86Cpu): void => {
      const form = byReg[(c.fetch8() >> 3) & 7];
      c.ip = (c.ip - 1) | 0;
      if (form !== null && hook.call(policy, c, form) === PolicyAction.Handled) return;
      inner(c);
    };
  }
}

/**
 * The forms of opcode index `index` that a policy intercepting the classes in `mask` sees, by
 * ModRM reg field: `table[reg]` is `formOf(index, modrm)` for a ModRM with that reg field when
 * that form's class is in `mask`, else null.
 */
function policyFormTable(index: number, mask: number): readonly (OpcodeForm | null)[] {
  const table: (OpcodeForm | null)[] = [];
  for (let reg = 0; reg < 8; reg++) {
    const f = formOf(index, reg << 3);
    table.push(f !== undefined && (mask & (1 << f.cls)) !== 0 ? f : null);
  }
  return table;
}

/**
 * The machine's CPU mode: a CPU-mode plugin (capability `cpu-mode`) binds its policy here, and the
 * CPU installs it at construction. Unbound, the CPU runs the reference interpreter with native
 * semantics. `CpuOptions.policy`, when given, takes precedence (tests and harnesses use it).
 */
export const CpuMode = serviceId<ExecutionPolicy>('@popek/cpu-x86:CpuMode');
