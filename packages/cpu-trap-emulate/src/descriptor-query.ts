/**
 * LAR, LSL, VERR and VERW as they behave at a given CPL, optionally through ring-compressed
 * descriptors (SDM Vol. 2 "LAR", "LSL", "VERR/VERW"; Vol. 3A §5.10 "Pointer Validation").
 *
 * Under ring compression the monitor's shadow tables give the guest kernel's code and data
 * descriptors of DPL 0 a DPL of 1, so that the kernel can load them at ring 1; system
 * descriptors (LDT, TSS, gates) keep their DPL, so every use of them from ring 1 faults to the
 * monitor. The queries see exactly that: a compressed code or data descriptor passes the
 * privilege check at CPL 1 and LAR shows DPL 1; a guest system descriptor of DPL 0 fails it.
 */
import type { X86Cpu } from '@popek/cpu-x86';
import { Ar } from '@popek/cpu-x86';

/** Which descriptor query. */
export const DescriptorQuery = {
  /** LAR: the access-rights dword. */
  LAR: 0,
  /** LSL: the byte-granular limit. */
  LSL: 1,
  /** VERR: readable at this CPL. */
  VERR: 2,
  /** VERW: writable at this CPL. */
  VERW: 3,
} as const;

/** One of the {@link DescriptorQuery} values. */
export type DescriptorQuery = (typeof DescriptorQuery)[keyof typeof DescriptorQuery];

// The descriptor last read (module state, so a query allocates nothing).
let dLo = 0;
let dHi = 0;

/** Reads the descriptor of `sel` from the guest's GDT or LDT; false when it is outside the table. */
function fetchDescriptor(cpu: X86Cpu, sel: number): boolean {
  const index = sel & 0xfff8;
  let base: number;
  let limit: number;
  if ((sel & 4) !== 0) {
    if ((cpu.ldtrSel & 0xfffc) === 0) return false;
    base = cpu.ldtrBase;
    limit = cpu.ldtrLimit;
  } else {
    base = cpu.gdtrBase;
    limit = cpu.gdtrLimit;
  }
  if (index + 7 > limit) return false;
  const lin = (base + index) | 0;
  dLo = cpu.sysRead32(lin);
  dHi = cpu.sysRead32((lin + 4) | 0);
  return true;
}

/**
 * Runs query `op` for selector `sel` at privilege level `cpl`, through ring-compressed
 * descriptors when `compress` is set. Returns -1 when the query fails (ZF = 0); otherwise the
 * descriptor's high dword for LAR (unmasked, with the compressed DPL), the limit for LSL, and 0
 * for VERR/VERW. A page fault reading the descriptor table throws `CPU_FAULT`, as natively.
 */
export function queryDescriptor(cpu: X86Cpu, sel: number, op: DescriptorQuery, cpl: number, compress: boolean): number {
  if ((sel & 0xfffc) === 0 || !fetchDescriptor(cpu, sel)) return -1;
  const ar = (dHi >>> 8) & 0xf0ff;
  const system = (ar & Ar.S) === 0;
  let dpl = (ar >> 5) & 3;
  if (compress && !system && dpl === 0) dpl = 1;
  const rpl = sel & 3;
  if (op === DescriptorQuery.VERR || op === DescriptorQuery.VERW) {
    if (system) return -1;
    const code = (ar & Ar.CODE) !== 0;
    const conforming = code && (ar & Ar.DC) !== 0;
    if (!conforming && (dpl < cpl || dpl < rpl)) return -1;
    const ok = op === DescriptorQuery.VERW ? !code && (ar & Ar.RW) !== 0 : !code || (ar & Ar.RW) !== 0;
    return ok ? 0 : -1;
  }
  if (system) {
    const t = ar & 0xf;
    const lar = t === 1 || t === 2 || t === 3 || t === 4 || t === 5 || t === 9 || t === 11 || t === 12;
    const lsl = t === 1 || t === 2 || t === 3 || t === 9 || t === 11;
    if (op === DescriptorQuery.LSL ? !lsl : !lar) return -1;
  }
  const conformingCode = (ar & (Ar.S | Ar.CODE | Ar.DC)) === (Ar.S | Ar.CODE | Ar.DC);
  if (!conformingCode && (dpl < cpl || dpl < rpl)) return -1;
  if (op === DescriptorQuery.LSL) {
    const l = (dLo & 0xffff) | (dHi & 0xf0000);
    return (dHi & 0x800000) !== 0 ? l * 4096 + 0xfff : l;
  }
  return ((dHi & ~0x6000) | (dpl << 13)) >>> 0;
}

/**
 * The access rights (VMX layout: access byte in bits 0–7, flags in 12–15) of the descriptor of
 * `sel`, or -1 for a null selector or one outside its table. Reads as a supervisor; a page fault
 * throws `CPU_FAULT`.
 */
export function accessRightsOf(cpu: X86Cpu, sel: number): number {
  if ((sel & 0xfffc) === 0 || !fetchDescriptor(cpu, sel)) return -1;
  return (dHi >>> 8) & 0xf0ff;
}
