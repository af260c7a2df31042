import { serviceId } from '../service-id.js';

/** The x86 segment registers, by name. */
export type SegmentName = 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs';

/**
 * A segment's hidden descriptor cache, as a boot loader sets it. `accessRights` uses the layout of
 * the VMX guest-state access-rights field: bits 0–3 type, 4 S (code/data), 5–6 DPL, 7 P,
 * 12 AVL, 14 D/B, 15 G, 16 unusable. `limit` is the byte-granular limit (0xFFFFFFFF for 4 GiB).
 */
export interface SegmentState {
  /** The visible selector. */
  readonly selector: number;
  /** The segment base. */
  readonly base: number;
  /** The byte-granular limit. */
  readonly limit: number;
  /** Access rights in the VMX layout. */
  readonly accessRights: number;
}

/** General-purpose registers and instruction pointer/flags, by name. */
export interface BootRegisters {
  /** EAX. */
  readonly eax?: number;
  /** EBX. */
  readonly ebx?: number;
  /** ECX. */
  readonly ecx?: number;
  /** EDX. */
  readonly edx?: number;
  /** ESI. */
  readonly esi?: number;
  /** EDI. */
  readonly edi?: number;
  /** EBP. */
  readonly ebp?: number;
  /** ESP. */
  readonly esp?: number;
  /** The instruction pointer. */
  readonly eip?: number;
  /** EFLAGS (bit 1 always reads as 1). */
  readonly eflags?: number;
}

/**
 * What a boot loader sets in the CPU to start a guest without a BIOS (Linux's 32-bit boot
 * protocol, Multiboot): registers, segment caches, descriptor tables and control registers,
 * written directly rather than by executing instructions. The CPU implements it.
 */
export interface BootProcessorState {
  /** Sets the named registers; others keep their values. */
  setRegisters(registers: BootRegisters): void;
  /** Loads a segment register and its hidden cache without reading a descriptor table. */
  setSegment(name: SegmentName, state: SegmentState): void;
  /** Sets GDTR or IDTR. */
  setDescriptorTable(which: 'gdtr' | 'idtr', base: number, limit: number): void;
  /** Sets CR0, CR3 or CR4 (with the architectural side effects: mode, TLB flush). */
  setControlRegister(index: 0 | 3 | 4, value: number): void;
}

/** The CPU's boot-time state interface. */
export const BootProcessorState = serviceId<BootProcessorState>('@popek/core:BootProcessorState');

/** Access rights of a flat 32-bit ring-0 code segment (execute/read, accessed, present, D, G). */
export const FLAT_CODE_ACCESS_RIGHTS = 0xc09b;
/** Access rights of a flat 32-bit ring-0 data segment (read/write, accessed, present, B, G). */
export const FLAT_DATA_ACCESS_RIGHTS = 0xc093;
