/**
 * A table-driven instruction decoder: prefixes, opcode, ModRM/SIB, displacement and immediate,
 * from the opcode table. The interpreter decodes on the fly for speed; this decoder serves the
 * translator, tools, disassembly in diagnostics and the tests that check the two agree.
 */
import { OPCODE_INFO, formOf, type OpcodeForm } from './opcode-table.js';

/** One decoded instruction. */
export interface DecodedInstruction {
  /** Total length in bytes (prefixes included). */
  readonly length: number;
  /** Opcode index: `op`, or `0x100 | op` for `0F op`. */
  readonly index: number;
  /** The ModRM byte, or -1. */
  readonly modrm: number;
  /** The form selected (undefined for an undefined opcode). */
  readonly form: OpcodeForm | undefined;
  /** Operand size is 32 bits. */
  readonly opsize32: boolean;
  /** Address size is 32 bits. */
  readonly addrsize32: boolean;
  /** Segment override (0 ES … 5 GS) or -1. */
  readonly segment: number;
  /** 0 none, 1 REPNE, 2 REP. */
  readonly rep: number;
  /** LOCK prefix present. */
  readonly lock: boolean;
}

/**
 * Decodes the instruction at `bytes[offset]` with the default operand/address size `default32`.
 * Returns undefined when the bytes run out or the instruction exceeds 15 bytes.
 */
export function decodeInstruction(bytes: Uint8Array, offset: number, default32: boolean): DecodedInstruction | undefined {
  let p = offset;
  const end = Math.min(bytes.length, offset + 15);
  let os32 = default32;
  let as32 = default32;
  let segment = -1;
  let rep = 0;
  let lock = false;
  if (p >= end) return undefined;
  let b = bytes[p++]!;
  for (;;) {
    if (b === 0x66) os32 = !default32;
    else if (b === 0x67) as32 = !default32;
    else if (b === 0xf2 || b === 0xf3) rep = b === 0xf2 ? 1 : 2;
    else if (b === 0xf0) lock = true;
    else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e) segment = (b >> 3) & 3; // ES, CS, SS, DS
    else if (b === 0x64 || b === 0x65) segment = b - 0x60; // FS, GS
    else break;
    if (p >= end) return undefined;
    b = bytes[p++]!;
  }
  if (b === 0x0f && p >= end) return undefined;
  const index = b === 0x0f ? 0x100 | bytes[p++]! : b;
  const info = OPCODE_INFO[index]!;
  let modrm = -1;
  if (info.modrm) {
    if (p >= end) return undefined;
    modrm = bytes[p++]!;
    const mod = modrm >> 6;
    const rm = modrm & 7;
    // MOV to/from CRn/DRn (0F 20–23) ignore the mod field: always a register (SDM Vol. 2 "MOV").
    const registerOnly = index >= 0x120 && index <= 0x123;
    if (mod !== 3 && !registerOnly) {
      if (as32) {
        let base = -1;
        if (rm === 4) {
          if (p >= end) return undefined;
          base = bytes[p++]! & 7;
        }
        if (mod === 1) p += 1;
        else if (mod === 2 || (mod === 0 && (rm === 5 || base === 5))) p += 4;
      } else if (mod === 1) p += 1;
      else if (mod === 2 || (mod === 0 && rm === 6)) p += 2;
    }
  }
  const form = formOf(index, info.modrm ? modrm : 0);
  const imm = info.modrm ? form?.imm ?? info.imm : info.imm;
  switch (imm) {
    case 'b':
      p += 1;
      break;
    case 'w':
      p += 2;
      break;
    case 'wb':
      p += 3;
      break;
    case 'z':
      p += os32 ? 4 : 2;
      break;
    case 'p':
      p += os32 ? 6 : 4;
      break;
    case 'o':
      p += as32 ? 4 : 2;
      break;
    default:
      break;
  }
  if (p > end) return undefined;
  return {
    length: p - offset,
    index,
    modrm,
    form,
    opsize32: os32,
    addrsize32: as32,
    segment,
    rep,
    lock,
  };
}
