/**
 * Reading a guest instruction's operands out of the page being compiled, shared by the block
 * compilers: immediates (little-endian) and the ModRM byte with its SIB byte and displacement
 * (32-bit addressing).
 */

/** Segment numbers (ModRM Sreg order) the default segments of a memory operand come from. */
const SS = 2;
const DS = 3;

/** A decoded ModRM operand. */
export interface ModrmFields {
  /** ModRM.mod. */
  readonly mod: number;
  /** ModRM.reg (a register, or the opcode extension). */
  readonly reg: number;
  /** The register operand when mod = 3, else -1. */
  readonly rm: number;
  /** A memory operand's base register, or -1. */
  readonly base: number;
  /** A memory operand's index register, or -1. */
  readonly index: number;
  /** The index's scale as a shift (0–3). */
  readonly scale: number;
  /** The displacement (int32). */
  readonly disp: number;
  /** A memory operand's segment: the override, else DS, or SS for EBP/ESP-based forms. */
  readonly seg: number;
}

/** Whether `b` is an instruction prefix. */
export function isPrefix(b: number): boolean {
  return b === 0x66 || b === 0x67 || b === 0xf0 || b === 0xf2 || b === 0xf3 || b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0x64 || b === 0x65;
}

/** A cursor over the instruction bytes of the page being compiled. */
export class OperandReader {
  /** The page. */
  bytes: Uint8Array = new Uint8Array(0);
  /** The offset of the next byte to read. */
  pos = 0;

  /** The next byte. */
  byte(): number {
    return this.bytes[this.pos++]!;
  }

  /** The next byte, sign-extended. */
  imm8s(): number {
    return (this.byte() << 24) >> 24;
  }

  /** The next word. */
  imm16(): number {
    const lo = this.byte();
    return lo | (this.byte() << 8);
  }

  /** The next dword (int32). */
  imm32(): number {
    const b0 = this.byte();
    const b1 = this.byte();
    const b2 = this.byte();
    return b0 | (b1 << 8) | (b2 << 16) | (this.byte() << 24);
  }

  /** An immediate of operand size `size` (bytes and words zero-extended). */
  immN(size: number): number {
    if (size === 1) return this.byte();
    if (size === 2) return this.imm16();
    return this.imm32();
  }

  /** ModRM, with SIB and displacement; `override` is the segment prefix's segment or -1. */
  modrm(override: number): ModrmFields {
    const m = this.byte();
    const mod = m >> 6;
    const reg = (m >> 3) & 7;
    const rmf = m & 7;
    if (mod === 3) return { mod, reg, rm: rmf, base: -1, index: -1, scale: 0, disp: 0, seg: -1 };
    let seg = DS;
    let disp = 0;
    let base = -1;
    let index = -1;
    let scale = 0;
    if (rmf === 4) {
      const sib = this.byte();
      const b = sib & 7;
      const idx = (sib >> 3) & 7;
      scale = sib >> 6;
      if (idx !== 4) index = idx;
      if (b === 5 && mod === 0) disp = this.imm32();
      else {
        base = b;
        if (b === 4 || b === 5) seg = SS;
      }
    } else if (rmf === 5 && mod === 0) {
      disp = this.imm32();
    } else {
      base = rmf;
      if (rmf === 5) seg = SS;
    }
    if (mod === 1) disp = this.imm8s();
    else if (mod === 2) disp = this.imm32();
    return { mod, reg, rm: -1, base, index, scale, disp, seg: override >= 0 ? override : seg };
  }
}
