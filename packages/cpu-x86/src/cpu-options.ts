import { serviceId } from '@popek/core';
import { Cr4 } from './constants.js';
import type { ExecutionPolicy } from './execution-policy.js';
import { X87 } from './fpu/x87.js';
import type { X87Unit } from './x87-seam.js';

/** Options of the CPU, bound by a profile (all optional). */
export interface CpuOptions {
  /**
   * The CPU mode's policy over instruction classes and its engine (see DESIGN.md). Default:
   * native semantics with the reference interpreter.
   */
  readonly policy?: ExecutionPolicy;
  /** CPUID family-6 model number (default 5: a Pentium II). */
  readonly model?: number;
  /** CPUID stepping (default 2). */
  readonly stepping?: number;
  /** CPUID brand string (leaves 0x80000002–4), at most 48 characters. */
  readonly brand?: string;
  /** Report and allow PAE (CR4.PAE) — only with an MMU that walks PAE tables (default true). */
  readonly pae?: boolean;
  /** Report and allow VME and PVI (virtual-8086 mode extensions, protected-mode virtual interrupts; default true). */
  readonly vme?: boolean;
  /**
   * The x87 unit: `true` (default) for the built-in `X87`, an object for another implementation,
   * or `false` for none (CPUID then reports no FPU and x87 opcodes raise #NM).
   */
  readonly fpu?: X87Unit | boolean;
}

/** The CPU's options. */
export const CpuOptions = serviceId<CpuOptions>('@popek/cpu-x86:CpuOptions');

/** {@link CpuOptions} with defaults applied. */
export interface ResolvedCpuOptions {
  /** The CPU mode's policy, if any. */
  readonly policy: ExecutionPolicy | undefined;
  /** CPUID model. */
  readonly model: number;
  /** CPUID stepping. */
  readonly stepping: number;
  /** CPUID brand string. */
  readonly brand: string;
  /** PAE reported and CR4.PAE allowed. */
  readonly pae: boolean;
  /** VME reported and CR4.VME/PVI allowed. */
  readonly vme: boolean;
  /** The x87 unit, or undefined for none. */
  readonly fpu: X87Unit | undefined;
  /** CR4 bits that may be set. */
  readonly cr4Mask: number;
}

/** Applies the defaults and checks the values. */
export function resolveCpuOptions(o: CpuOptions): ResolvedCpuOptions {
  const model = o.model ?? 5;
  const stepping = o.stepping ?? 2;
  if (!Number.isInteger(model) || model < 0 || model > 15) throw new RangeError(`CPU model must be 0–15, not ${model}`);
  if (!Number.isInteger(stepping) || stepping < 0 || stepping > 15) throw new RangeError(`CPU stepping must be 0–15, not ${stepping}`);
  const brand = o.brand ?? 'Popek Virtual i686 CPU';
  if (brand.length > 47) throw new RangeError('the CPU brand string is longer than 47 characters');
  const pae = o.pae ?? true;
  const vme = o.vme ?? true;
  const fpu: X87Unit | undefined = o.fpu === false ? undefined : o.fpu === undefined || o.fpu === true ? new X87('cpu0.fpu') : o.fpu;
  let cr4Mask = Cr4.TSD | Cr4.DE | Cr4.PSE | Cr4.PGE | Cr4.PCE;
  if (pae) cr4Mask |= Cr4.PAE;
  if (vme) cr4Mask |= Cr4.VME | Cr4.PVI;
  if (fpu !== undefined) cr4Mask |= Cr4.OSFXSR;
  return { policy: o.policy, model, stepping, brand, pae, vme, fpu, cr4Mask };
}
