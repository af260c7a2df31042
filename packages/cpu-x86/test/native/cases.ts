/**
 * The host-differential case generator: every integer instruction form the opcode table marks
 * `differential`, with randomised operands from a fixed seed plus edge values. Each case sets
 * registers, flags and a 256-byte memory buffer, runs one instruction (or a tiny control-flow
 * idiom), and is compared on registers, arithmetic flags and the buffer.
 */
import { Eflags } from '../../src/flags.js';
import { OPCODE_FORMS } from '../../src/opcode-table.js';

/** One differential case. */
export interface DiffCase {
  /** Readable name (mnemonic, operands, index). */
  readonly name: string;
  /** The opcode-table form key `opcode/ext` the case exercises. */
  readonly form: string;
  /** The instruction(s) under test, nasm syntax, one per line. `%` is replaced by a unique label prefix. */
  readonly body: string;
  /** EAX..EDI before the instruction (ESP is set to `esp`). */
  readonly regs: readonly number[];
  /** ESP before the instruction (an address inside the buffer, or the default stack). */
  readonly esp: number;
  /** Arithmetic flags and DF before the instruction. */
  readonly flags: number;
  /** The buffer's 64 dwords before the instruction. */
  readonly mem: readonly number[];
  /** Flags to ignore in the comparison (undefined after the instruction). */
  readonly undef: number;
}

/** Flags compared: the six arithmetic flags and DF. */
export const COMPARED_FLAGS = 0x8d5 | Eflags.DF;

/** Offset of the register dump's ESP slot, etc. — the record layout written by each case. */
export const RECORD_BYTES = 36 + 256;

/** A deterministic PRNG (mulberry32). */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A uint32. */
  u32(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return this.u32() % n;
  }
  /** One element of `a`. */
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

const EDGES32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff];

/** Base address of the buffer in the test binaries (see harness.ts). */
export const BUF = 0x500000;
/** Default stack pointer: inside the buffer at +192, so pushes land in compared memory. */
export const STACK = BUF + 192;

const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const GP = [0, 1, 2, 3, 5, 6, 7];

const { CF, PF, AF, ZF, SF, OF, DF } = Eflags;

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

/** Generates every case, deterministically. */
export function generateCases(seed = 0x5eed, perForm = 100): DiffCase[] {
  const rng = new Rng(seed);
  const out: DiffCase[] = [];
  const value = (): number => (rng.int(3) === 0 ? rng.pick(EDGES32) : rng.u32());
  const regsRandom = (): number[] => Array.from({ length: 8 }, () => value());
  const memRandom = (): number[] => Array.from({ length: 64 }, () => rng.u32());
  const flagsRandom = (): number => rng.u32() & (CF | PF | AF | ZF | SF | OF);
  const memOff = (size: number): number => rng.int(128 - size);
  const undefOf = (opcode: number, ext = -1): number => {
    const f = OPCODE_FORMS.find((x) => x.opcode === opcode && x.ext === ext) ?? OPCODE_FORMS.find((x) => x.opcode === opcode);
    return f?.undefinedFlags ?? 0;
  };
  let n = 0;
  const add = (form: string, name: string, body: string, o: { regs?: number[]; flags?: number; mem?: number[]; esp?: number; undef?: number } = {}): void => {
    out.push({
      name: `${name} #${n++}`,
      form,
      body,
      regs: o.regs ?? regsRandom(),
      esp: o.esp ?? STACK,
      flags: o.flags ?? flagsRandom(),
      mem: o.mem ?? memRandom(),
      undef: o.undef ?? 0,
    });
  };
  const key = (opcode: number, ext = -1): string => `${opcode.toString(16)}/${ext}`;
  const size = (s: number): string => (s === 1 ? 'byte' : s === 2 ? 'word' : 'dword');
  const reg = (s: number, r: number): string => (s === 1 ? R8[r]! : s === 2 ? R16[r]! : R32[r]!);
  const anyReg = (s: number): number => (s === 1 ? rng.int(8) : rng.pick(GP));

  // ---- group-1 ALU ----
  const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
  for (let op = 0; op < 8; op++) {
    const m = ALU[op]!;
    for (let i = 0; i < perForm; i++) {
      const u = undefOf(op * 8);
      const a = anyReg(1);
      const b = anyReg(1);
      add(key(op * 8), `${m} Eb,Gb`, i & 1 ? `${m} ${R8[a]}, ${R8[b]}` : `${m} byte [${hex(BUF + memOff(1))}], ${R8[b]}`, { undef: u });
      const s = i & 2 ? 2 : 4;
      add(key(op * 8 + 1), `${m} Ev,Gv`, i & 1 ? `${m} ${reg(s, anyReg(s))}, ${reg(s, anyReg(s))}` : `${m} ${size(s)} [${hex(BUF + memOff(s))}], ${reg(s, anyReg(s))}`, { undef: u });
      add(key(op * 8 + 2), `${m} Gb,Eb`, `${m} ${R8[a]}, byte [${hex(BUF + memOff(1))}]`, { undef: u });
      add(key(op * 8 + 3), `${m} Gv,Ev`, `${m} ${reg(s, anyReg(s))}, ${size(s)} [${hex(BUF + memOff(s))}]`, { undef: u });
      add(key(op * 8 + 4), `${m} AL,Ib`, `${m} al, ${hex(rng.int(256))}`, { undef: u });
      add(key(op * 8 + 5), `${m} eAX,Iz`, s === 4 ? `${m} eax, strict dword ${hex(value())}` : `${m} ax, strict word ${hex(value() & 0xffff)}`, { undef: u });
      const dst8 = i & 1 ? R8[rng.pick([1, 2, 3, 4, 5, 6, 7])]! : `byte [${hex(BUF + memOff(1))}]`;
      add(key(0x80, op), `${m} Eb,Ib`, `${m} ${dst8}, ${hex(rng.int(256))}`, { undef: u });
      const dstv = i & 1 ? reg(s, rng.pick([1, 2, 3, 5, 6, 7])) : `${size(s)} [${hex(BUF + memOff(s))}]`;
      add(key(0x81, op), `${m} Ev,Iz`, `${m} ${dstv}, strict ${s === 4 ? 'dword' : 'word'} ${hex(s === 4 ? value() : value() & 0xffff)}`, { undef: u });
      add(key(0x83, op), `${m} Ev,Ib`, `${m} ${dstv}, strict byte ${rng.int(256) - 128}`, { undef: u });
      if (i < perForm / 4) add(key(0x82, op), `${m} Eb,Ib (82)`, `db 0x82, ${0xc0 | (op << 3) | rng.int(8)}, ${rng.int(256)}`, { undef: u });
    }
  }
  // ---- TEST, XCHG, MOV, LEA ----
  for (let i = 0; i < perForm; i++) {
    const s = i & 2 ? 2 : 4;
    add(key(0x84), 'test Eb,Gb', i & 1 ? `test ${R8[anyReg(1)]}, ${R8[anyReg(1)]}` : `test byte [${hex(BUF + memOff(1))}], ${R8[anyReg(1)]}`, { undef: AF });
    add(key(0x85), 'test Ev,Gv', `test ${reg(s, anyReg(s))}, ${reg(s, anyReg(s))}`, { undef: AF });
    add(key(0xa8), 'test AL,Ib', `test al, ${rng.int(256)}`, { undef: AF });
    add(key(0xa9), 'test eAX,Iz', s === 4 ? `test eax, ${hex(value())}` : `test ax, ${hex(value() & 0xffff)}`, { undef: AF });
    add(key(0xf6, 0), 'test Eb,Ib', `test byte [${hex(BUF + memOff(1))}], ${rng.int(256)}`, { undef: AF });
    add(key(0xf7, 0), 'test Ev,Iz', `test ${size(s)} [${hex(BUF + memOff(s))}], ${hex(s === 4 ? value() : value() & 0xffff)}`, { undef: AF });
    add(key(0x86), 'xchg Eb,Gb', i & 1 ? `xchg ${R8[anyReg(1)]}, ${R8[anyReg(1)]}` : `xchg byte [${hex(BUF + memOff(1))}], ${R8[anyReg(1)]}`);
    add(key(0x87), 'xchg Ev,Gv', i & 1 ? `xchg ${reg(s, rng.pick([1, 2, 3, 5, 6, 7]))}, ${reg(s, rng.pick([1, 2, 3, 5, 6, 7]))}` : `xchg ${size(s)} [${hex(BUF + memOff(s))}], ${reg(s, anyReg(s))}`);
    const xr = rng.pick([1, 2, 3, 5, 6, 7]);
    add(key(0x90 + xr), 'xchg r,eAX', `xchg ${reg(s, 0)}, ${reg(s, xr)}`);
    add(key(0x88), 'mov Eb,Gb', `mov byte [${hex(BUF + memOff(1))}], ${R8[anyReg(1)]}`);
    add(key(0x89), 'mov Ev,Gv', `mov ${size(s)} [${hex(BUF + memOff(s))}], ${reg(s, anyReg(s))}`);
    add(key(0x8a), 'mov Gb,Eb', `mov ${R8[anyReg(1)]}, byte [${hex(BUF + memOff(1))}]`);
    add(key(0x8b), 'mov Gv,Ev', `mov ${reg(s, anyReg(s))}, ${size(s)} [${hex(BUF + memOff(s))}]`);
    add(key(0xa0), 'mov AL,moffs', `mov al, [${hex(BUF + memOff(1))}]`);
    add(key(0xa1), 'mov eAX,moffs', `mov ${reg(s, 0)}, [${hex(BUF + memOff(s))}]`);
    add(key(0xa2), 'mov moffs,AL', `mov [${hex(BUF + memOff(1))}], al`);
    add(key(0xa3), 'mov moffs,eAX', `mov [${hex(BUF + memOff(s))}], ${reg(s, 0)}`);
    add(key(0xb0 + (i & 7)), 'mov r8,Ib', `mov ${R8[i & 7]}, ${rng.int(256)}`);
    const mr = (i & 7) === 4 ? 6 : i & 7;
    add(key(0xb8 + mr), 'mov r,Iv', `mov ${reg(s, mr)}, ${hex(s === 4 ? value() : value() & 0xffff)}`);
    add(key(0xc6, 0), 'mov Eb,Ib', `mov byte [${hex(BUF + memOff(1))}], ${rng.int(256)}`);
    add(key(0xc7, 0), 'mov Ev,Iz', `mov ${size(s)} [${hex(BUF + memOff(s))}], ${hex(s === 4 ? value() : value() & 0xffff)}`);
    const base = rng.pick(GP);
    const idx = rng.pick(GP);
    const sc = rng.pick([1, 2, 4, 8]);
    const disp = rng.pick([0, rng.int(256) - 128, value() | 0]);
    add(key(0x8d), 'lea', `lea ${reg(s, rng.pick(GP))}, [${R32[base]}+${R32[idx]}*${sc}${disp < 0 ? '' : '+'}${disp}]`);
    add(key(0x8d), 'lea', `lea ${reg(s, rng.pick(GP))}, [${R32[idx]}*${sc}+${hex(value())}]`);
    // Addressing modes through MOV with a base register pointing at the buffer.
    const regs = regsRandom();
    regs[3] = BUF + 16;
    regs[6] = rng.int(16);
    regs[5] = BUF + 32;
    add(key(0x8b), 'mov Gv,[base+index*scale+disp]', `mov eax, [ebx+esi*${rng.pick([1, 2, 4])}+${rng.int(32)}]`, { regs });
    add(key(0x8b), 'mov Gv,[ebp+disp] (SS)', `mov ecx, [ebp-${rng.int(16)}]`, { regs: regs.slice() });
    add(key(0x89), 'mov [esp+disp],Gv', `mov [esp+${rng.int(40)}], edx`, { regs: regs.slice() });
  }
  // ---- INC/DEC/NOT/NEG/MUL/IMUL/DIV/IDIV ----
  for (let i = 0; i < perForm; i++) {
    const s = i & 2 ? 2 : 4;
    const r = rng.pick(GP);
    add(key(0x40 + r), 'inc r', `inc ${reg(s, r)}`);
    add(key(0x48 + r), 'dec r', `dec ${reg(s, r)}`);
    add(key(0xfe, 0), 'inc Eb', i & 1 ? `inc ${R8[anyReg(1)]}` : `inc byte [${hex(BUF + memOff(1))}]`);
    add(key(0xfe, 1), 'dec Eb', i & 1 ? `dec ${R8[anyReg(1)]}` : `dec byte [${hex(BUF + memOff(1))}]`);
    add(key(0xff, 0), 'inc Ev', `inc ${size(s)} [${hex(BUF + memOff(s))}]`);
    add(key(0xff, 1), 'dec Ev', `dec ${size(s)} [${hex(BUF + memOff(s))}]`);
    for (const [ext, m] of [[2, 'not'], [3, 'neg']] as const) {
      add(key(0xf6, ext), `${m} Eb`, i & 1 ? `${m} ${R8[anyReg(1)]}` : `${m} byte [${hex(BUF + memOff(1))}]`);
      add(key(0xf7, ext), `${m} Ev`, i & 1 ? `${m} ${reg(s, anyReg(s))}` : `${m} ${size(s)} [${hex(BUF + memOff(s))}]`);
    }
    for (const [ext, m] of [[4, 'mul'], [5, 'imul']] as const) {
      add(key(0xf6, ext), `${m} Eb`, `${m} ${R8[anyReg(1)]}`, { undef: undefOf(0xf6, ext) });
      add(key(0xf7, ext), `${m} Ev`, i & 1 ? `${m} ${reg(s, anyReg(s))}` : `${m} ${size(s)} [${hex(BUF + memOff(s))}]`, { undef: undefOf(0xf7, ext) });
    }
    add(key(0x0faf), 'imul Gv,Ev', `imul ${reg(s, anyReg(s))}, ${reg(s, anyReg(s))}`, { undef: undefOf(0x0faf) });
    add(key(0x69), 'imul Gv,Ev,Iz', `imul ${reg(s, anyReg(s))}, ${size(s)} [${hex(BUF + memOff(s))}], strict ${s === 4 ? 'dword' : 'word'} ${hex(s === 4 ? value() : value() & 0xffff)}`, { undef: undefOf(0x69) });
    add(key(0x6b), 'imul Gv,Ev,Ib', `imul ${reg(s, anyReg(s))}, ${reg(s, anyReg(s))}, strict byte ${rng.int(256) - 128}`, { undef: undefOf(0x6b) });
    // Division without #DE: choose the dividend below divisor × 2^size.
    for (const [ext, signed] of [[6, false], [7, true]] as const) {
      for (const sz of [1, 2, 4]) {
        const regs = regsRandom();
        const bits = sz * 8;
        let d = value() % 2 ** bits || 1;
        if (signed && rng.int(2) === 0) d = 2 ** bits - d; // negative divisor
        const src = sz === 1 ? 'bl' : sz === 2 ? 'bx' : 'ebx';
        regs[3] = d;
        const sd = signed ? (d >= 2 ** (bits - 1) ? d - 2 ** bits : d) : d;
        // quotient q and remainder rmd with |rmd| < |sd|
        const qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
        let q = Math.floor(rng.u32() / 2 ** 32 * (qmax + 1));
        if (signed && rng.int(2) === 0) q = -q;
        const rmdAbs = Math.floor(rng.u32() / 2 ** 32 * Math.abs(sd));
        const n = BigInt(q) * BigInt(sd) + BigInt((signed && q * sd < 0 ? -1 : 1) * rmdAbs);
        const width = BigInt(2 * bits);
        const nu = BigInt.asUintN(Number(width), n);
        if (sz === 1) regs[0] = (regs[0]! & ~0xffff) | Number(nu);
        else if (sz === 2) {
          regs[0] = (regs[0]! & ~0xffff) | Number(nu & 0xffffn);
          regs[2] = (regs[2]! & ~0xffff) | Number(nu >> 16n);
        } else {
          regs[0] = Number(nu & 0xffffffffn);
          regs[2] = Number(nu >> 32n);
        }
        add(key(sz === 1 ? 0xf6 : 0xf7, ext), `${signed ? 'idiv' : 'div'} ${size(sz)}`, `${signed ? 'idiv' : 'div'} ${src}`, { regs, undef: CF | PF | AF | ZF | SF | OF });
      }
    }
  }
  // ---- shifts and rotates ----
  const SH = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
  const COUNTS = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63];
  for (let op = 0; op < 8; op++) {
    for (let i = 0; i < perForm; i++) {
      const sz = [1, 2, 4][i % 3]!;
      const bits = sz * 8;
      const count = i < COUNTS.length ? COUNTS[i]! : rng.int(40);
      const masked = count & 31;
      let u = undefOf(0xd2, op);
      if (masked !== 1) u |= OF;
      if ((op === 4 || op === 5 || op === 6) && masked >= bits) u |= CF;
      const dst = i & 1 ? reg(sz, anyReg(sz)) : `${size(sz)} [${hex(BUF + memOff(sz))}]`;
      const regs = regsRandom();
      regs[1] = (regs[1]! & ~0xff) | count;
      const cl = dst === 'cl' || dst === 'cx' || dst === 'ecx' ? `${size(sz)} [${hex(BUF + memOff(sz))}]` : dst;
      const o16 = sz === 2 ? '0x66, ' : '';
      if (op === 6) {
        // SAL /6 has no nasm mnemonic of its own: encode it (register EBX/BX/BL).
        add(key(sz === 1 ? 0xd2 : 0xd3, op), 'sal E,CL', `db ${o16}${sz === 1 ? '0xd2' : '0xd3'}, 0xf3`, { regs, undef: u });
        add(key(sz === 1 ? 0xc0 : 0xc1, op), 'sal E,Ib', `db ${o16}${sz === 1 ? '0xc0' : '0xc1'}, 0xf3, ${count}`, { undef: u });
        add(key(sz === 1 ? 0xd0 : 0xd1, op), 'sal E,1', `db ${o16}${sz === 1 ? '0xd0' : '0xd1'}, 0xf3`, { undef: undefOf(0xd0, op) });
        continue;
      }
      add(key(sz === 1 ? 0xd2 : 0xd3, op), `${SH[op]} E,CL`, `${SH[op]} ${cl}, cl`, { regs, undef: u });
      add(key(sz === 1 ? 0xc0 : 0xc1, op), `${SH[op]} E,Ib`, `${SH[op]} ${dst}, ${count}`, { undef: u });
      add(key(sz === 1 ? 0xd0 : 0xd1, op), `${SH[op]} E,1`, `${SH[op]} ${dst}, 1`, { undef: undefOf(0xd0, op) });
    }
  }
  for (let i = 0; i < perForm * 2; i++) {
    const s = i & 2 ? 2 : 4;
    const count = i < COUNTS.length ? COUNTS[i]! : rng.int(40);
    const masked = count & 31;
    let u = AF;
    if (masked !== 1) u |= OF;
    const regs = regsRandom();
    regs[1] = (regs[1]! & ~0xff) | count;
    if (s === 2 && masked > 16) u |= CF | OF | SF | ZF | PF;
    const skip = s === 2 && masked > 16;
    for (const [op, m] of [[0x0fa4, 'shld'], [0x0fac, 'shrd']] as const) {
      if (skip) continue;
      add(key(op), `${m} imm`, `${m} ${reg(s, rng.pick([2, 3, 5, 6, 7]))}, ${reg(s, rng.pick([0, 2, 3]))}, ${count}`, { undef: u });
      add(key(op + 1), `${m} cl`, `${m} ${size(s)} [${hex(BUF + memOff(s))}], ${reg(s, rng.pick([0, 2, 3]))}, cl`, { regs: regs.slice(), undef: u });
    }
  }
  // ---- BCD and flag instructions ----
  for (let i = 0; i < perForm * 2; i++) {
    const f = flagsRandom();
    add(key(0x27), 'daa', 'daa', { flags: f, undef: OF });
    add(key(0x2f), 'das', 'das', { undef: OF });
    add(key(0x37), 'aaa', 'aaa', { undef: OF | SF | ZF | PF });
    add(key(0x3f), 'aas', 'aas', { undef: OF | SF | ZF | PF });
    add(key(0xd4), 'aam', `aam ${1 + rng.int(255)}`, { undef: OF | AF | CF });
    add(key(0xd5), 'aad', `aad ${rng.int(256)}`, { undef: OF | AF | CF });
  }
  for (let i = 0; i < perForm / 2; i++) {
    const s = i & 1 ? 2 : 4;
    add(key(0x98), 'cbw/cwde', s === 4 ? 'cwde' : 'cbw');
    add(key(0x99), 'cwd/cdq', s === 4 ? 'cdq' : 'cwd');
    add(key(0xf5), 'cmc', 'cmc');
    add(key(0xf8), 'clc', 'clc');
    add(key(0xf9), 'stc', 'stc');
    add(key(0xfc), 'cld', 'cld', { flags: flagsRandom() | DF });
    add(key(0xfd), 'std', 'std', {});
    add(key(0x9e), 'sahf', 'sahf');
    add(key(0x9f), 'lahf', 'lahf');
    add(key(0xd6), 'salc', 'db 0xd6');
    add(key(0x90), 'nop', 'nop');
    add(key(0x0f1f), 'nop Ev', i & 1 ? 'db 0x0f, 0x1f, 0x44, 0x00, 0x00' : 'db 0x0f, 0x1f, 0x80, 0, 0, 0, 0');
    const regs = regsRandom();
    regs[3] = BUF;
    add(key(0xd7), 'xlat', 'xlatb', { regs });
  }
  // ---- stack ----
  for (let i = 0; i < perForm; i++) {
    const s = i & 1 ? 2 : 4;
    const r = rng.pick(GP);
    add(key(0x50 + r), 'push r', `push ${reg(s, r)}`);
    add(key(0x58 + r), 'pop r', `pop ${reg(s, r)}`);
    add(key(0x50 + 4), 'push esp', s === 4 ? 'push esp' : 'push sp');
    add(key(0x68), 'push Iz', s === 4 ? `push strict dword ${hex(value())}` : `push strict word ${hex(value() & 0xffff)}`);
    add(key(0x6a), 'push Ib', `db ${s === 4 ? '' : '0x66, '}0x6a, ${rng.int(256)}`);
    add(key(0xff, 6), 'push Ev', `push ${size(s)} [${hex(BUF + memOff(s))}]`);
    add(key(0x8f, 0), 'pop Ev', `pop ${size(s)} [${hex(BUF + memOff(s))}]`);
    add(key(0x8f, 0), 'pop [esp+disp]', `pop dword [esp+${4 * rng.int(8)}]`);
    add(key(0x60), 'pusha', s === 4 ? 'pushad' : 'pushaw');
    add(key(0x61), 'popa', s === 4 ? 'popad' : 'popaw');
    add(key(0x9c), 'pushf', s === 4 ? 'pushfd' : 'pushfw');
    add(key(0x9d), 'popf', s === 4 ? 'popfd' : 'popfw', { mem: memRandom().map((v, k) => (k >= 48 ? v & (0x8d5 | 0x400) : v)) });
    for (const [op, sr] of [[0x06, 'es'], [0x0e, 'cs'], [0x16, 'ss'], [0x1e, 'ds'], [0x0fa0, 'fs'], [0x0fa8, 'gs']] as const) add(key(op), `push ${sr}`, s === 4 ? `push ${sr}` : `o16 push ${sr}`);
    add(key(0x1f), 'pop ds', 'push ds\npop ds');
    add(key(0x0fa1), 'pop fs', 'push fs\npop fs');
    add(key(0x0fa9), 'pop gs', 'push gs\npop gs');
    add(key(0x8c), 'mov Ev,Sw', `mov ${i & 2 ? 'word [' + hex(BUF + memOff(2)) + ']' : reg(s, rng.pick(GP))}, ${rng.pick(['cs', 'ds', 'es', 'ss', 'fs', 'gs'])}`);
    const regs = regsRandom();
    regs[5] = BUF + 128;
    add(key(0xc8), 'enter', `enter ${rng.int(64)}, ${rng.int(4)}`, { regs });
    add(key(0xc9), 'leave', s === 4 ? 'leave' : 'o16 leave', { regs: regs.slice() });
  }
  // ---- control flow ----
  const CC = ['o', 'no', 'b', 'nb', 'z', 'nz', 'be', 'nbe', 's', 'ns', 'p', 'np', 'l', 'nl', 'le', 'nle'];
  for (let i = 0; i < perForm; i++) {
    for (let c = 0; c < 16; c++) {
      add(key(0x70 + c), `j${CC[c]} rel8`, `mov edi, 1\nj${CC[c]} short %t\nmov edi, 2\n%t:`);
      add(key(0x0f80 + c), `j${CC[c]} rel32`, `mov edi, 1\nj${CC[c]} near %t\nmov edi, 2\n%t:`);
      add(key(0x70 + c), `cmp+j${CC[c]}`, `mov edi, 1\ncmp ${rng.pick(['eax, ebx', 'ecx, edx', 'ax, bx', 'al, bl'])}\nj${CC[c]} short %t\nmov edi, 2\n%t:`);
      add(key(0x0f80 + c), `sub+j${CC[c]}`, `mov edi, 1\nsub eax, ${rng.pick(['ebx', 'ecx', String(rng.int(3) - 1)])}\nj${CC[c]} near %t\nmov edi, 2\n%t:`);
      const s = i & 1 ? 2 : 4;
      add(key(0x0f40 + c), `cmov${CC[c]}`, `cmov${CC[c]} ${reg(s, anyReg(s))}, ${i & 2 ? reg(s, anyReg(s)) : size(s) + ' [' + hex(BUF + memOff(s)) + ']'}`);
      add(key(0x0f90 + c), `set${CC[c]}`, `set${CC[c]} ${i & 1 ? R8[anyReg(1)] : 'byte [' + hex(BUF + memOff(1)) + ']'}`);
    }
    const regs = regsRandom();
    regs[1] = rng.pick([0, 1, 2, 3, 0x10000, 0x10001, 0xffffffff]);
    for (const [op, m] of [[0xe0, 'loopne'], [0xe1, 'loope'], [0xe2, 'loop'], [0xe3, 'jecxz']] as const) {
      add(key(op), m, `mov edi, 1\n${m} %t\nmov edi, 2\n%t:`, { regs: regs.slice() });
      add(key(op), `${m} a16`, `mov edi, 1\n${m === 'jecxz' ? 'jcxz' : 'a16 ' + m} %t\nmov edi, 2\n%t:`, { regs: regs.slice() });
    }
    add(key(0xeb), 'jmp rel8', 'mov edi, 1\njmp short %t\nmov edi, 2\n%t:');
    add(key(0xe9), 'jmp rel32', 'mov edi, 1\njmp near %t\nmov edi, 2\n%t:');
    add(key(0xe8), 'call/ret', 'call %f\njmp %t\n%f: mov edi, [esp]\nsub edi, %f\nret\n%t:');
    add(key(0xc3), 'ret', 'push %t\nret\nmov edi, 2\n%t:');
    add(key(0xc2), 'ret Iw', `push %t\nret ${4 * rng.int(8)}\nmov edi, 2\n%t:`);
    add(key(0xff, 2), 'call Ev', 'mov eax, %f\ncall eax\njmp %t\n%f: ret\n%t:');
    add(key(0xff, 4), 'jmp Ev', `mov dword [${hex(BUF + 8)}], %t\njmp [${hex(BUF + 8)}]\nmov edi, 2\n%t:`);
  }
  // ---- strings ----
  const STR = [
    [0xa4, 'movsb', 1], [0xa5, 'movsd', 4], [0xa5, 'movsw', 2],
    [0xa6, 'cmpsb', 1], [0xa7, 'cmpsd', 4], [0xa7, 'cmpsw', 2],
    [0xaa, 'stosb', 1], [0xab, 'stosd', 4], [0xab, 'stosw', 2],
    [0xac, 'lodsb', 1], [0xad, 'lodsd', 4], [0xad, 'lodsw', 2],
    [0xae, 'scasb', 1], [0xaf, 'scasd', 4], [0xaf, 'scasw', 2],
  ] as const;
  for (let i = 0; i < perForm; i++) {
    for (const [op, m, sz] of STR) {
      const regs = regsRandom();
      const down = rng.int(2) === 1;
      regs[6] = BUF + (down ? 40 + rng.int(20) : rng.int(20));
      regs[7] = BUF + 64 + (down ? 40 + rng.int(20) : rng.int(20));
      regs[1] = rng.int(9);
      const mem = memRandom();
      // Make equal runs likely for REPE/REPNE.
      if (rng.int(2) === 0) for (let k = 0; k < 16; k++) mem[16 + k] = mem[k]!;
      const rep = rng.pick(['', 'rep ', 'repe ', 'repne ']);
      const prefix = op === 0xa6 || op === 0xa7 || op === 0xae || op === 0xaf ? rep : rep === '' ? '' : 'rep ';
      const f = flagsRandom() | (down ? DF : 0);
      add(key(op), `${prefix}${m}`, `${prefix}${m}`, { regs, mem, flags: f });
      if (sz === 4 && i % 4 === 0) {
        const r2 = regs.slice();
        r2[1] = (r2[1]! & 0xffff0000) | rng.int(5);
        r2[6] = BUF + rng.int(20);
        r2[7] = BUF + 64 + rng.int(20);
        add(key(op), `${prefix}${m} (32-bit counter)`, `${prefix}${m}`, { regs: r2, mem: mem.slice(), flags: f & ~DF });
      }
    }
  }
  // Longer and overlapping REP MOVS/STOS runs (the interpreter's block fast paths).
  for (let i = 0; i < perForm; i++) {
    for (const [op, m, sz] of [[0xa4, 'movsb', 1], [0xa5, 'movsd', 4], [0xa5, 'movsw', 2], [0xaa, 'stosb', 1], [0xab, 'stosd', 4]] as const) {
      const regs = regsRandom();
      regs[6] = BUF + rng.int(64);
      regs[7] = rng.int(2) === 0 ? (regs[6]! + rng.int(8)) : BUF + 64 + rng.int(64);
      regs[1] = rng.int(Math.floor(120 / sz));
      add(key(op), `rep ${m} (long/overlapping)`, `rep ${m}`, { regs });
    }
  }
  // ---- bit operations ----
  for (let i = 0; i < perForm; i++) {
    const s = i & 1 ? 2 : 4;
    for (const [op, m, ext] of [[0x0fa3, 'bt', 4], [0x0fab, 'bts', 5], [0x0fb3, 'btr', 6], [0x0fbb, 'btc', 7]] as const) {
      const regs = regsRandom();
      const r = rng.pick([0, 1, 2, 3, 6, 7]);
      add(key(op), `${m} Ev,Gv reg`, `${m} ${reg(s, rng.pick([0, 1, 2, 3, 6, 7]))}, ${reg(s, r)}`, { regs, undef: undefOf(op) });
      const regs2 = regsRandom();
      regs2[2] = (rng.int(2 * 96) - 96) & (s === 4 ? 0xffffffff : 0xffff);
      if (s === 4) regs2[2] = regs2[2]! | 0;
      add(key(op), `${m} Ev,Gv mem`, `${m} ${size(s)} [${hex(BUF + 64)}], ${reg(s, 2)}`, { regs: regs2, undef: undefOf(op) });
      add(key(0x0fba, ext), `${m} Ev,Ib`, `${m} ${i & 2 ? reg(s, rng.pick([0, 1, 2, 3])) : size(s) + ' [' + hex(BUF + memOff(s)) + ']'}, ${rng.int(256)}`, { undef: undefOf(0x0fba, ext) });
    }
    for (const [op, m] of [[0x0fbc, 'bsf'], [0x0fbd, 'bsr']] as const) {
      const regs = regsRandom();
      if (rng.int(4) === 0) regs[3] = 0;
      add(key(op), m, `${m} ${reg(s, rng.pick([0, 1, 2]))}, ${reg(s, 3)}`, { regs, undef: CF | OF | SF | AF | PF });
    }
    add(key(0x0fb6), 'movzx Gv,Eb', `movzx ${reg(s, rng.pick(GP))}, ${i & 2 ? R8[anyReg(1)] : 'byte [' + hex(BUF + memOff(1)) + ']'}`);
    add(key(0x0fb7), 'movzx Gv,Ew', `movzx eax, ${i & 2 ? R16[anyReg(2)] : 'word [' + hex(BUF + memOff(2)) + ']'}`);
    add(key(0x0fbe), 'movsx Gv,Eb', `movsx ${reg(s, rng.pick(GP))}, ${i & 2 ? R8[anyReg(1)] : 'byte [' + hex(BUF + memOff(1)) + ']'}`);
    add(key(0x0fbf), 'movsx Gv,Ew', `movsx edx, ${i & 2 ? R16[anyReg(2)] : 'word [' + hex(BUF + memOff(2)) + ']'}`);
    add(key(0x0fc8 + (i & 7)), 'bswap', `bswap ${R32[[0, 1, 2, 3, 5, 6, 7][i % 7]!]}`);
    add(key(0x0fc0), 'xadd Eb,Gb', i & 2 ? `xadd ${R8[anyReg(1)]}, ${R8[anyReg(1)]}` : `lock xadd byte [${hex(BUF + memOff(1))}], ${R8[anyReg(1)]}`);
    add(key(0x0fc1), 'xadd Ev,Gv', i & 2 ? `xadd ${reg(s, anyReg(s))}, ${reg(s, anyReg(s))}` : `lock xadd ${size(s)} [${hex(BUF + memOff(s))}], ${reg(s, anyReg(s))}`);
    const regs = regsRandom();
    const mem = memRandom();
    const off = memOff(4) & ~3;
    if (rng.int(2) === 0) regs[0] = mem[off / 4]!;
    add(key(0x0fb1), 'cmpxchg Ev,Gv', `lock cmpxchg dword [${hex(BUF + off)}], ${R32[rng.pick([1, 2, 3])]}`, { regs, mem });
    const regs3 = regsRandom();
    if (rng.int(2) === 0) regs3[0] = (regs3[0]! & ~0xff) | (regs3[1]! & 0xff);
    add(key(0x0fb0), 'cmpxchg Eb,Gb', `cmpxchg cl, dl`, { regs: regs3 });
    const regs4 = regsRandom();
    const mem4 = memRandom();
    if (rng.int(2) === 0) {
      regs4[0] = mem4[4]!;
      regs4[2] = mem4[5]!;
    }
    add(key(0x0fc7, 1), 'cmpxchg8b', `lock cmpxchg8b [${hex(BUF + 16)}]`, { regs: regs4, mem: mem4 });
    // BOUND (within bounds: no #BR)
    const regs5 = regsRandom();
    const mem5 = memRandom();
    const lo = rng.u32() | 0;
    const hi = lo + rng.int(1000);
    mem5[2] = lo;
    mem5[3] = hi | 0;
    regs5[1] = lo + rng.int(hi - lo + 1);
    if (hi <= 0x7fffffff) add(key(0x62), 'bound', `bound ecx, [${hex(BUF + 8)}]`, { regs: regs5, mem: mem5 });
  }
  // ---- prefixes, stack-pointer forms, segment loads, hint NOPs ----
  for (let i = 0; i < perForm / 2; i++) {
    const off = memOff(4);
    add(key(0x26), 'es: override', `mov eax, [es:${hex(BUF + off)}]`);
    add(key(0x2e), 'cs: override', `mov eax, [cs:${hex(BUF + off)}]`);
    add(key(0x36), 'ss: override', `add [ss:${hex(BUF + off)}], ecx`);
    add(key(0x3e), 'ds: override', `mov eax, [ds:ebp+${rng.int(16)}]`, { regs: regsRandom().map((v, k) => (k === 5 ? BUF + 64 : v)) });
    add(key(0x64), 'fs: override', `push ds\npop fs\nmov eax, [fs:${hex(BUF + off)}]\npush gs\npop fs`);
    add(key(0x65), 'gs: override', `push ds\npop gs\nsub [gs:${hex(BUF + off)}], ebx\npush fs\npop gs`);
    add(key(0x66), 'o16', `o16 add ax, bx`);
    const lr = regsRandom();
    add(key(0x67), 'a16 lea', `a16 lea ${rng.pick(['ax', 'eax'])}, [${rng.pick(['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bx', 'bp'])}+${rng.int(0x10000) - 0x8000}]`, { regs: lr });
    add(key(0x67), 'a16 lea disp16', `a16 lea eax, [${rng.int(0x10000)}]`);
    add(key(0xf0), 'lock', `lock ${rng.pick(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor'])} dword [${hex(BUF + off)}], ${rng.pick(['eax', 'ecx', 'edx'])}`);
    add(key(0xf0), 'lock not', `lock not byte [${hex(BUF + off)}]`);
    add(key(0x44), 'inc esp', 'inc esp');
    add(key(0x4c), 'dec esp', 'dec esp');
    add(key(0x5c), 'pop esp', 'pop esp\nmov esp, 0x5000c0');
    add(key(0x94), 'xchg esp,eax', `mov eax, ${hex(BUF + 100)}\nxchg esp, eax`);
    add(key(0xbc), 'mov esp,imm', `mov esp, ${hex(BUF + 4 * rng.int(40))}`);
    add(key(0xf6, 1), 'test Eb,Ib (/1)', `db 0xf6, 0xc8 | ${rng.int(8)}, ${rng.int(256)}`, { undef: AF });
    add(key(0xf7, 1), 'test Ev,Iz (/1)', `db 0xf7, 0xc8 | ${rng.int(8)}\ndd ${hex(value())}`, { undef: AF });
    const fp = memRandom();
    fp[9] = 0x2b;
    fp[11] = 0;
    add(key(0xc5), 'lds', `lds ${rng.pick(['eax', 'ecx', 'esi'])}, [${hex(BUF + 32)}]`, { mem: fp });
    add(key(0xc4), 'les', `les ${rng.pick(['eax', 'ecx', 'esi'])}, [${hex(BUF + 32)}]`, { mem: fp.slice() });
    add(key(0x0fb2), 'lss', `lss ebx, [${hex(BUF + 32)}]\nmov esp, ebx\nmov esp, 0x5000c0`, { mem: fp.slice() });
    add(key(0x0fb4), 'lfs', `lfs edx, [${hex(BUF + 40)}]`, { mem: fp.slice() });
    add(key(0x0fb5), 'lgs', `lgs edx, [${hex(BUF + 32)}]\npush fs\npop gs`, { mem: fp.slice() });
    add(key(0x8e), 'mov Sw,Ew', `mov ax, ds\nmov es, ${rng.pick(['ax', 'word [' + hex(BUF + 36) + ']'])}\nmov ax, ds\nmov es, ax`, { mem: fp.slice() });
    add(key(0x07), 'pop es', 'push ds\npop es');
    add(key(0x17), 'pop ss', 'push ss\npop ss');
    add(key(0x63), 'arpl', `arpl ${rng.pick(['ax', 'word [' + hex(BUF + off) + ']'])}, ${rng.pick(['bx', 'cx'])}`, { undef: 0 });
    for (let h = 0; h < 8; h++) add(key(0x0f18, h), 'hint nop', `db 0x0f, 0x18, ${(h << 3) | 5}\ndd ${hex(BUF)}`);
    for (let op = 0x19; op <= 0x1e; op++) add(key(0x0f00 | op), 'reserved nop', `db 0x0f, ${hex(op)}, 0xc0`);
    add(key(0xf2), 'repne', 'repne scasb', { regs: regsRandom().map((v, k) => (k === 7 ? BUF : k === 1 ? rng.int(8) : v)) });
    add(key(0xf3), 'rep', 'rep stosb', { regs: regsRandom().map((v, k) => (k === 7 ? BUF + 8 : k === 1 ? rng.int(8) : v)) });
  }
  return out;
}

/** The form keys the generator covers (`opcode/ext`), for the coverage table. */
export function coveredForms(): Set<string> {
  return new Set(generateCases().map((c) => c.form));
}
