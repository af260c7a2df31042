/**
 * `@popek/cpu-x86`: the x86 ISA for Popek — the opcode table and decoder, the architectural
 * state, segmentation and privilege, exceptions and interrupts, hardware task switching,
 * virtual-8086 mode, and the reference interpreter, with the engine/policy seam that CPU-mode
 * plugins use.
 *
 * @packageDocumentation
 */
export { X86Cpu, REG8_OFFSET } from './cpu.js';
export { CpuOptions, resolveCpuOptions, type ResolvedCpuOptions } from './cpu-options.js';
export { CpuMmuToken } from './cpu-mmu-token.js';
export type { CpuMmu } from './cpu-mmu.js';
export { CPU_FAULT, CpuFaultSignal, Vector, isCpuFault } from './cpu-fault.js';
export { Ar, Cr0, Cr4, Msr, Reg, Seg, SEG_NAMES, SysType } from './constants.js';
export { ARITH_FLAGS, EFLAGS_IMPLEMENTED, Eflags, LazyOp, PARITY } from './flags.js';
export {
  InstructionClass,
  OPCODE_CLASS,
  OPCODE_FORMS,
  OPCODE_INFO,
  formOf,
  immediateOf,
  type ImmediateKind,
  type OpcodeForm,
  type OpcodeInfo,
} from './opcode-table.js';
export { decodeInstruction, type DecodedInstruction } from './decoder.js';
export { CpuMode, PolicyAction, installPolicy, type ExecutionEngine, type ExecutionPolicy } from './execution-policy.js';
export { CpuidFeature, cpuidFeatures, cpuidLeaf } from './cpuid.js';
export type { X87Context, X87Memory, X87Unit } from './x87-seam.js';
export { cpuX86Module } from './cpu-x86-module.js';
export type { Handler } from './interpreter/dispatch.js';
/**
 * The interpreter's flag-exact arithmetic, for engines that generate code for the same ISA (the
 * binary translator calls these for shifts, rotates, multiplications and divisions, so the ISA's
 * semantics — undefined flags included — exist once).
 */
export { divAcc, imulTrunc, mulAcc, shift } from './interpreter/alu.js';
