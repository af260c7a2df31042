/**
 * The opcode table: one row per instruction form of the P6 family (Pentium Pro / Pentium II)
 * integer and system ISA, as listed in Intel SDM Vol. 2 Appendix A ("Opcode Map"). It is the
 * single source of truth for decoding (ModRM presence, immediate sizes), for the instruction
 * class that CPU-mode policies act on, for the flags the SDM leaves undefined (masked by the
 * host-differential harness), and for the coverage table (docs/coverage.md).
 *
 * Operand notation follows SDM Appendix A.2: `E` ModRM r/m, `G` ModRM reg, `M` memory-only r/m,
 * `R` register-only r/m, `S` segment register in reg, `C`/`D` control/debug register in reg,
 * `I` immediate, `J` relative offset, `A` far pointer, `O` moffs; sizes `b` byte, `w` word,
 * `d` dword, `v`/`z` word or dword by operand size, `p` far pointer.
 */
import { Eflags } from './flags.js';

/**
 * How an instruction relates to virtualization (Popek & Goldberg; Robin & Irvine for x86). A CPU
 * mode (trap-and-emulate, binary translation, hardware assist) is a policy over these classes.
 */
export const InstructionClass = {
  /** Behaves identically at every privilege level and in every mode. */
  Ordinary: 0,
  /** Raises #GP (or #UD) when executed at CPL > 0: the classic trapping instructions. */
  Privileged: 1,
  /** Traps only depending on IOPL or the TSS I/O bitmap (IN, OUT, INS, OUTS, CLI, STI). */
  IoSensitive: 2,
  /**
   * Sensitive but unprivileged: reads or changes privileged state without trapping at CPL > 0
   * (POPF, PUSHF, SGDT, SIDT, SLDT, SMSW, STR, LAR, LSL, VERR, VERW, MOV from CS/SS, PUSH CS/SS,
   * far CALL/JMP/RET, INT n, IRET): the virtualization holes of x86.
   */
  Sensitive: 3,
} as const;

/** One of the {@link InstructionClass} values. */
export type InstructionClass = (typeof InstructionClass)[keyof typeof InstructionClass];

/**
 * What follows the opcode (and ModRM/SIB/displacement): `''` nothing, `b` 8 bits, `w` 16 bits,
 * `z` 16 or 32 bits by operand size, `p` a far pointer (offset by operand size, then a 16-bit
 * selector), `o` a memory offset by address size, `wb` 16 then 8 bits (ENTER).
 */
export type ImmediateKind = '' | 'b' | 'w' | 'z' | 'p' | 'o' | 'wb';

/** One instruction form of the opcode map. */
export interface OpcodeForm {
  /** Opcode: `0x00`–`0xFF` for one-byte opcodes, `0x0F00`–`0x0FFF` for two-byte ones. */
  readonly opcode: number;
  /** The ModRM reg field that selects this form in a group opcode (`/digit`), or -1. */
  readonly ext: number;
  /** Mnemonic (SDM spelling). */
  readonly mnemonic: string;
  /** Operands in SDM Appendix A notation (`Eb,Gb`). */
  readonly operands: string;
  /** Whether a ModRM byte follows the opcode. */
  readonly modrm: boolean;
  /** The immediate that follows. */
  readonly imm: ImmediateKind;
  /** The virtualization class. */
  readonly cls: InstructionClass;
  /** EFLAGS bits the SDM calls undefined after this instruction (masked in comparisons). */
  readonly undefinedFlags: number;
  /** Whether a LOCK prefix is allowed (with a memory destination); otherwise LOCK raises #UD. */
  readonly lockable: boolean;
  /** `mem`: the r/m operand must be memory (register form #UD); `reg`: must be a register. */
  readonly rmKind: 'any' | 'mem' | 'reg';
  /** Whether the interpreter implements the form (false: it raises #UD as the P6 does not have it). */
  readonly implemented: boolean;
  /** Short note (for the coverage table). */
  readonly note: string;
}

interface RowOptions {
  ext?: number;
  cls?: InstructionClass;
  undef?: number;
  lock?: boolean;
  rm?: 'any' | 'mem' | 'reg';
  imm?: ImmediateKind;
  modrm?: boolean;
  implemented?: boolean;
  note?: string;
}

const { CF, PF, AF, ZF, SF, OF } = Eflags;
const U_LOGIC = AF;
const U_MUL = SF | ZF | AF | PF;
const U_DIV = CF | PF | AF | ZF | SF | OF;
const U_SHIFT = AF | OF;
const U_ROT = OF;
const U_BT = OF | SF | AF | PF;
const U_BSF = CF | OF | SF | AF | PF;
const O = InstructionClass.Ordinary;
const P = InstructionClass.Privileged;
const IO = InstructionClass.IoSensitive;
const S = InstructionClass.Sensitive;

const rows: OpcodeForm[] = [];

function inferImm(operands: string): ImmediateKind {
  let kind: ImmediateKind = '';
  for (const op of operands.split(',')) {
    const t = op.trim();
    if (t === 'Ib' || t === 'Jb' || t === 'Ibs') kind = kind === 'w' ? 'wb' : 'b';
    else if (t === 'Iw') kind = 'w';
    else if (t === 'Iz' || t === 'Iv' || t === 'Jz') kind = 'z';
    else if (t === 'Ap') kind = 'p';
    else if (t.startsWith('O')) kind = 'o';
  }
  return kind;
}

function inferModrm(operands: string): boolean {
  // ModRM operands are a method letter followed by a lower-case size (Eb, Gv, Sw, Rd) or bare M;
  // register names such as ES, CS, DX and CL are not.
  return operands.split(',').some((op) => /^[EGMRSCDPQN]([a-z]|$)/.test(op.trim()));
}

function row(opcode: number, mnemonic: string, operands: string, o: RowOptions = {}): void {
  const modrm = o.modrm ?? (o.ext !== undefined || inferModrm(operands));
  const mOnly = operands.split(',').some((x) => /^M([a-z]|$)/.test(x.trim()));
  const rOnly = operands.split(',').some((x) => /^[RCD][a-z]/.test(x.trim()));
  rows.push({
    opcode,
    ext: o.ext ?? -1,
    mnemonic,
    operands,
    modrm,
    imm: o.imm ?? inferImm(operands),
    cls: o.cls ?? O,
    undefinedFlags: o.undef ?? 0,
    lockable: o.lock ?? false,
    rmKind: o.rm ?? (mOnly ? 'mem' : rOnly ? 'reg' : 'any'),
    implemented: o.implemented ?? true,
    note: o.note ?? '',
  });
}

// ---- One-byte opcode map (SDM Vol. 2 Table A-2) ----
const ALU = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'];
for (let i = 0; i < 8; i++) {
  const m = ALU[i]!;
  const undef = m === 'AND' || m === 'OR' || m === 'XOR' ? U_LOGIC : 0;
  const lock = m !== 'CMP';
  row(i * 8 + 0, m, 'Eb,Gb', { undef, lock });
  row(i * 8 + 1, m, 'Ev,Gv', { undef, lock });
  row(i * 8 + 2, m, 'Gb,Eb', { undef });
  row(i * 8 + 3, m, 'Gv,Ev', { undef });
  row(i * 8 + 4, m, 'AL,Ib', { undef });
  row(i * 8 + 5, m, 'eAX,Iz', { undef });
}
row(0x06, 'PUSH', 'ES');
row(0x07, 'POP', 'ES');
row(0x0e, 'PUSH', 'CS', { cls: S });
row(0x0f, '2-BYTE', '', { note: 'escape to the two-byte map' });
row(0x16, 'PUSH', 'SS', { cls: S });
row(0x17, 'POP', 'SS');
row(0x1e, 'PUSH', 'DS');
row(0x1f, 'POP', 'DS');
row(0x26, 'ES:', '', { note: 'prefix' });
row(0x27, 'DAA', '', { undef: OF });
row(0x2e, 'CS:', '', { note: 'prefix' });
row(0x2f, 'DAS', '', { undef: OF });
row(0x36, 'SS:', '', { note: 'prefix' });
row(0x37, 'AAA', '', { undef: OF | SF | ZF | PF });
row(0x3e, 'DS:', '', { note: 'prefix' });
row(0x3f, 'AAS', '', { undef: OF | SF | ZF | PF });
for (let r = 0; r < 8; r++) row(0x40 + r, 'INC', 'Zv');
for (let r = 0; r < 8; r++) row(0x48 + r, 'DEC', 'Zv');
for (let r = 0; r < 8; r++) row(0x50 + r, 'PUSH', 'Zv');
for (let r = 0; r < 8; r++) row(0x58 + r, 'POP', 'Zv');
row(0x60, 'PUSHA', '');
row(0x61, 'POPA', '');
row(0x62, 'BOUND', 'Gv,Ma');
row(0x63, 'ARPL', 'Ew,Gw', { note: '#UD in real and v8086 mode' });
row(0x64, 'FS:', '', { note: 'prefix' });
row(0x65, 'GS:', '', { note: 'prefix' });
row(0x66, 'OPSIZE', '', { note: 'prefix' });
row(0x67, 'ADSIZE', '', { note: 'prefix' });
row(0x68, 'PUSH', 'Iz');
row(0x69, 'IMUL', 'Gv,Ev,Iz', { undef: U_MUL });
row(0x6a, 'PUSH', 'Ibs');
row(0x6b, 'IMUL', 'Gv,Ev,Ib', { undef: U_MUL });
row(0x6c, 'INSB', 'Yb,DX', { cls: IO });
row(0x6d, 'INSW/D', 'Yz,DX', { cls: IO });
row(0x6e, 'OUTSB', 'DX,Xb', { cls: IO });
row(0x6f, 'OUTSW/D', 'DX,Xz', { cls: IO });
const CC = ['O', 'NO', 'B', 'NB', 'Z', 'NZ', 'BE', 'NBE', 'S', 'NS', 'P', 'NP', 'L', 'NL', 'LE', 'NLE'];
for (let c = 0; c < 16; c++) row(0x70 + c, `J${CC[c]}`, 'Jb');
for (let i = 0; i < 8; i++) {
  const m = ALU[i]!;
  const undef = m === 'AND' || m === 'OR' || m === 'XOR' ? U_LOGIC : 0;
  const lock = m !== 'CMP';
  row(0x80, m, 'Eb,Ib', { ext: i, undef, lock });
  row(0x81, m, 'Ev,Iz', { ext: i, undef, lock });
  row(0x82, m, 'Eb,Ib', { ext: i, undef, lock, note: 'alias of 80' });
  row(0x83, m, 'Ev,Ibs', { ext: i, undef, lock });
}
row(0x84, 'TEST', 'Eb,Gb', { undef: U_LOGIC });
row(0x85, 'TEST', 'Ev,Gv', { undef: U_LOGIC });
row(0x86, 'XCHG', 'Eb,Gb', { lock: true });
row(0x87, 'XCHG', 'Ev,Gv', { lock: true });
row(0x88, 'MOV', 'Eb,Gb');
row(0x89, 'MOV', 'Ev,Gv');
row(0x8a, 'MOV', 'Gb,Eb');
row(0x8b, 'MOV', 'Gv,Ev');
row(0x8c, 'MOV', 'Ev,Sw', { cls: S, note: 'sensitive when reading CS/SS' });
row(0x8d, 'LEA', 'Gv,M');
row(0x8e, 'MOV', 'Sw,Ew');
row(0x8f, 'POP', 'Ev', { ext: 0 });
row(0x90, 'NOP', '', { note: 'F3 90 = PAUSE' });
for (let r = 1; r < 8; r++) row(0x90 + r, 'XCHG', 'Zv,eAX');
row(0x98, 'CBW/CWDE', '');
row(0x99, 'CWD/CDQ', '');
row(0x9a, 'CALLF', 'Ap', { cls: S });
row(0x9b, 'WAIT', '', { note: 'FPU' });
row(0x9c, 'PUSHF', 'Fv', { cls: S });
row(0x9d, 'POPF', 'Fv', { cls: S });
row(0x9e, 'SAHF', '');
row(0x9f, 'LAHF', '');
row(0xa0, 'MOV', 'AL,Ob');
row(0xa1, 'MOV', 'eAX,Ov');
row(0xa2, 'MOV', 'Ob,AL');
row(0xa3, 'MOV', 'Ov,eAX');
row(0xa4, 'MOVSB', 'Yb,Xb');
row(0xa5, 'MOVSW/D', 'Yv,Xv');
row(0xa6, 'CMPSB', 'Xb,Yb');
row(0xa7, 'CMPSW/D', 'Xv,Yv');
row(0xa8, 'TEST', 'AL,Ib', { undef: U_LOGIC });
row(0xa9, 'TEST', 'eAX,Iz', { undef: U_LOGIC });
row(0xaa, 'STOSB', 'Yb,AL');
row(0xab, 'STOSW/D', 'Yv,eAX');
row(0xac, 'LODSB', 'AL,Xb');
row(0xad, 'LODSW/D', 'eAX,Xv');
row(0xae, 'SCASB', 'AL,Yb');
row(0xaf, 'SCASW/D', 'eAX,Yv');
for (let r = 0; r < 8; r++) row(0xb0 + r, 'MOV', 'Zb,Ib');
for (let r = 0; r < 8; r++) row(0xb8 + r, 'MOV', 'Zv,Iv');
const SHIFT = ['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SAL', 'SAR'];
function shiftUndef(m: string): number {
  return m === 'ROL' || m === 'ROR' || m === 'RCL' || m === 'RCR' ? U_ROT : U_SHIFT;
}
for (let i = 0; i < 8; i++) {
  const m = SHIFT[i]!;
  const note = i === 6 ? 'alias of SHL' : '';
  row(0xc0, m, 'Eb,Ib', { ext: i, undef: shiftUndef(m), note });
  row(0xc1, m, 'Ev,Ib', { ext: i, undef: shiftUndef(m), note });
  row(0xd0, m, 'Eb,1', { ext: i, undef: shiftUndef(m) & ~OF, note });
  row(0xd1, m, 'Ev,1', { ext: i, undef: shiftUndef(m) & ~OF, note });
  row(0xd2, m, 'Eb,CL', { ext: i, undef: shiftUndef(m), note });
  row(0xd3, m, 'Ev,CL', { ext: i, undef: shiftUndef(m), note });
}
row(0xc2, 'RET', 'Iw');
row(0xc3, 'RET', '');
row(0xc4, 'LES', 'Gz,Mp');
row(0xc5, 'LDS', 'Gz,Mp');
row(0xc6, 'MOV', 'Eb,Ib', { ext: 0 });
row(0xc7, 'MOV', 'Ev,Iz', { ext: 0 });
row(0xc8, 'ENTER', 'Iw,Ib');
row(0xc9, 'LEAVE', '');
row(0xca, 'RETF', 'Iw', { cls: S });
row(0xcb, 'RETF', '', { cls: S });
row(0xcc, 'INT3', '', { cls: S });
row(0xcd, 'INT', 'Ib', { cls: S });
row(0xce, 'INTO', '', { cls: S });
row(0xcf, 'IRET', '', { cls: S });
row(0xd4, 'AAM', 'Ib', { undef: OF | AF | CF });
row(0xd5, 'AAD', 'Ib', { undef: OF | AF | CF });
row(0xd6, 'SALC', '', { note: 'undocumented, present on P6' });
row(0xd7, 'XLAT', '');
for (let e = 0; e < 8; e++) row(0xd8 + e, `ESC${e}`, 'Ev', { note: 'x87 (src/fpu)' });
row(0xe0, 'LOOPNE', 'Jb');
row(0xe1, 'LOOPE', 'Jb');
row(0xe2, 'LOOP', 'Jb');
row(0xe3, 'JeCXZ', 'Jb');
row(0xe4, 'IN', 'AL,Ib', { cls: IO });
row(0xe5, 'IN', 'eAX,Ib', { cls: IO });
row(0xe6, 'OUT', 'Ib,AL', { cls: IO });
row(0xe7, 'OUT', 'Ib,eAX', { cls: IO });
row(0xe8, 'CALL', 'Jz');
row(0xe9, 'JMP', 'Jz');
row(0xea, 'JMPF', 'Ap', { cls: S });
row(0xeb, 'JMP', 'Jb');
row(0xec, 'IN', 'AL,DX', { cls: IO });
row(0xed, 'IN', 'eAX,DX', { cls: IO });
row(0xee, 'OUT', 'DX,AL', { cls: IO });
row(0xef, 'OUT', 'DX,eAX', { cls: IO });
row(0xf0, 'LOCK', '', { note: 'prefix' });
row(0xf1, 'INT1', '', { note: 'ICEBP' });
row(0xf2, 'REPNE', '', { note: 'prefix' });
row(0xf3, 'REP', '', { note: 'prefix' });
row(0xf4, 'HLT', '', { cls: P });
row(0xf5, 'CMC', '');
const GRP3 = ['TEST', 'TEST', 'NOT', 'NEG', 'MUL', 'IMUL', 'DIV', 'IDIV'];
const GRP3_UNDEF = [U_LOGIC, U_LOGIC, 0, 0, U_MUL, U_MUL, U_DIV, U_DIV];
for (let i = 0; i < 8; i++) {
  const imm = i < 2;
  const lock = i === 2 || i === 3;
  const note = i === 1 ? 'alias of /0' : '';
  row(0xf6, GRP3[i]!, imm ? 'Eb,Ib' : 'Eb', { ext: i, undef: GRP3_UNDEF[i]!, lock, note });
  row(0xf7, GRP3[i]!, imm ? 'Ev,Iz' : 'Ev', { ext: i, undef: GRP3_UNDEF[i]!, lock, note });
}
row(0xf8, 'CLC', '');
row(0xf9, 'STC', '');
row(0xfa, 'CLI', '', { cls: IO });
row(0xfb, 'STI', '', { cls: IO });
row(0xfc, 'CLD', '');
row(0xfd, 'STD', '');
row(0xfe, 'INC', 'Eb', { ext: 0, lock: true });
row(0xfe, 'DEC', 'Eb', { ext: 1, lock: true });
row(0xff, 'INC', 'Ev', { ext: 0, lock: true });
row(0xff, 'DEC', 'Ev', { ext: 1, lock: true });
row(0xff, 'CALL', 'Ev', { ext: 2 });
row(0xff, 'CALLF', 'Mp', { ext: 3, cls: S });
row(0xff, 'JMP', 'Ev', { ext: 4 });
row(0xff, 'JMPF', 'Mp', { ext: 5, cls: S });
row(0xff, 'PUSH', 'Ev', { ext: 6 });

// ---- Two-byte opcode map (SDM Vol. 2 Table A-3) ----
const GRP6 = ['SLDT', 'STR', 'LLDT', 'LTR', 'VERR', 'VERW'];
const GRP6_CLS = [S, S, P, P, S, S];
for (let i = 0; i < 6; i++) row(0x0f00, GRP6[i]!, i < 2 ? 'Ew' : 'Ew', { ext: i, cls: GRP6_CLS[i]!, note: '#UD in real and v8086 mode' });
row(0x0f01, 'SGDT', 'Ms', { ext: 0, cls: S });
row(0x0f01, 'SIDT', 'Ms', { ext: 1, cls: S });
row(0x0f01, 'LGDT', 'Ms', { ext: 2, cls: P });
row(0x0f01, 'LIDT', 'Ms', { ext: 3, cls: P });
row(0x0f01, 'SMSW', 'Ew', { ext: 4, cls: S });
row(0x0f01, 'LMSW', 'Ew', { ext: 6, cls: P });
row(0x0f01, 'INVLPG', 'Mb', { ext: 7, cls: P });
row(0x0f02, 'LAR', 'Gv,Ew', { cls: S });
row(0x0f03, 'LSL', 'Gv,Ew', { cls: S });
row(0x0f06, 'CLTS', '', { cls: P });
row(0x0f08, 'INVD', '', { cls: P });
row(0x0f09, 'WBINVD', '', { cls: P });
row(0x0f0b, 'UD2', '');
for (let i = 0; i < 8; i++) row(0x0f18, i < 4 ? 'HINT_NOP' : 'HINT_NOP', 'Ev', { ext: i, note: 'prefetch hint space: NOP' });
for (let op = 0x0f19; op <= 0x0f1f; op++) row(op, 'NOP', 'Ev', { note: 'multi-byte NOP (P6)' });
row(0x0f20, 'MOV', 'Rd,Cd', { cls: P });
row(0x0f21, 'MOV', 'Rd,Dd', { cls: P });
row(0x0f22, 'MOV', 'Cd,Rd', { cls: P });
row(0x0f23, 'MOV', 'Dd,Rd', { cls: P });
row(0x0f30, 'WRMSR', '', { cls: P });
row(0x0f31, 'RDTSC', '', { note: 'sensitive only with CR4.TSD' });
row(0x0f32, 'RDMSR', '', { cls: P });
row(0x0f33, 'RDPMC', '', { note: 'CPL 0 unless CR4.PCE' });
row(0x0f34, 'SYSENTER', '');
row(0x0f35, 'SYSEXIT', '', { cls: P });
for (let c = 0; c < 16; c++) row(0x0f40 + c, `CMOV${CC[c]}`, 'Gv,Ev');
for (let c = 0; c < 16; c++) row(0x0f80 + c, `J${CC[c]}`, 'Jz');
for (let c = 0; c < 16; c++) row(0x0f90 + c, `SET${CC[c]}`, 'Eb');
row(0x0fa0, 'PUSH', 'FS');
row(0x0fa1, 'POP', 'FS');
row(0x0fa2, 'CPUID', '');
row(0x0fa3, 'BT', 'Ev,Gv', { undef: U_BT });
row(0x0fa4, 'SHLD', 'Ev,Gv,Ib', { undef: AF | OF });
row(0x0fa5, 'SHLD', 'Ev,Gv,CL', { undef: AF | OF });
row(0x0fa8, 'PUSH', 'GS');
row(0x0fa9, 'POP', 'GS');
row(0x0faa, 'RSM', '', { implemented: false, note: '#UD outside SMM (no SMM)' });
row(0x0fab, 'BTS', 'Ev,Gv', { undef: U_BT, lock: true });
row(0x0fac, 'SHRD', 'Ev,Gv,Ib', { undef: AF | OF });
row(0x0fad, 'SHRD', 'Ev,Gv,CL', { undef: AF | OF });
row(0x0fae, 'FXSAVE', 'M', { ext: 0, note: 'x87 state (src/fpu)' });
row(0x0fae, 'FXRSTOR', 'M', { ext: 1, note: 'x87 state (src/fpu)' });
row(0x0faf, 'IMUL', 'Gv,Ev', { undef: U_MUL });
row(0x0fb0, 'CMPXCHG', 'Eb,Gb', { lock: true });
row(0x0fb1, 'CMPXCHG', 'Ev,Gv', { lock: true });
row(0x0fb2, 'LSS', 'Gz,Mp');
row(0x0fb3, 'BTR', 'Ev,Gv', { undef: U_BT, lock: true });
row(0x0fb4, 'LFS', 'Gz,Mp');
row(0x0fb5, 'LGS', 'Gz,Mp');
row(0x0fb6, 'MOVZX', 'Gv,Eb');
row(0x0fb7, 'MOVZX', 'Gv,Ew');
row(0x0fb9, 'UD1', 'Gv,Ev', { note: 'raises #UD' });
row(0x0fba, 'BT', 'Ev,Ib', { ext: 4, undef: U_BT });
row(0x0fba, 'BTS', 'Ev,Ib', { ext: 5, undef: U_BT, lock: true });
row(0x0fba, 'BTR', 'Ev,Ib', { ext: 6, undef: U_BT, lock: true });
row(0x0fba, 'BTC', 'Ev,Ib', { ext: 7, undef: U_BT, lock: true });
row(0x0fbb, 'BTC', 'Ev,Gv', { undef: U_BT, lock: true });
row(0x0fbc, 'BSF', 'Gv,Ev', { undef: U_BSF });
row(0x0fbd, 'BSR', 'Gv,Ev', { undef: U_BSF });
row(0x0fbe, 'MOVSX', 'Gv,Eb');
row(0x0fbf, 'MOVSX', 'Gv,Ew');
row(0x0fc0, 'XADD', 'Eb,Gb', { lock: true });
row(0x0fc1, 'XADD', 'Ev,Gv', { lock: true });
row(0x0fc7, 'CMPXCHG8B', 'Mq', { ext: 1, lock: true, undef: 0 });
for (let r = 0; r < 8; r++) row(0x0fc8 + r, 'BSWAP', 'Zd');
row(0x0fff, 'UD0', '', { note: 'raises #UD' });

// MMX (Pentium II): decoded for their lengths, not implemented. CPUID does not report MMX, so the
// P6 model here raises #UD for them, as a processor without MMX does.
const MMX: [number, string, string][] = [
  [0x60, 'PUNPCKLBW', 'Pq,Qd'], [0x61, 'PUNPCKLWD', 'Pq,Qd'], [0x62, 'PUNPCKLDQ', 'Pq,Qd'], [0x63, 'PACKSSWB', 'Pq,Qq'],
  [0x64, 'PCMPGTB', 'Pq,Qq'], [0x65, 'PCMPGTW', 'Pq,Qq'], [0x66, 'PCMPGTD', 'Pq,Qq'], [0x67, 'PACKUSWB', 'Pq,Qq'],
  [0x68, 'PUNPCKHBW', 'Pq,Qq'], [0x69, 'PUNPCKHWD', 'Pq,Qq'], [0x6a, 'PUNPCKHDQ', 'Pq,Qq'], [0x6b, 'PACKSSDW', 'Pq,Qq'],
  [0x6e, 'MOVD', 'Pd,Ed'], [0x6f, 'MOVQ', 'Pq,Qq'], [0x74, 'PCMPEQB', 'Pq,Qq'], [0x75, 'PCMPEQW', 'Pq,Qq'],
  [0x76, 'PCMPEQD', 'Pq,Qq'], [0x7e, 'MOVD', 'Ed,Pd'], [0x7f, 'MOVQ', 'Qq,Pq'], [0xd1, 'PSRLW', 'Pq,Qq'],
  [0xd2, 'PSRLD', 'Pq,Qq'], [0xd3, 'PSRLQ', 'Pq,Qq'], [0xd5, 'PMULLW', 'Pq,Qq'], [0xd8, 'PSUBUSB', 'Pq,Qq'],
  [0xd9, 'PSUBUSW', 'Pq,Qq'], [0xdb, 'PAND', 'Pq,Qq'], [0xdc, 'PADDUSB', 'Pq,Qq'], [0xdd, 'PADDUSW', 'Pq,Qq'],
  [0xdf, 'PANDN', 'Pq,Qq'], [0xe1, 'PSRAW', 'Pq,Qq'], [0xe2, 'PSRAD', 'Pq,Qq'], [0xe5, 'PMULHW', 'Pq,Qq'],
  [0xe8, 'PSUBSB', 'Pq,Qq'], [0xe9, 'PSUBSW', 'Pq,Qq'], [0xeb, 'POR', 'Pq,Qq'], [0xec, 'PADDSB', 'Pq,Qq'],
  [0xed, 'PADDSW', 'Pq,Qq'], [0xef, 'PXOR', 'Pq,Qq'], [0xf1, 'PSLLW', 'Pq,Qq'], [0xf2, 'PSLLD', 'Pq,Qq'],
  [0xf3, 'PSLLQ', 'Pq,Qq'], [0xf5, 'PMADDWD', 'Pq,Qq'], [0xf8, 'PSUBB', 'Pq,Qq'], [0xf9, 'PSUBW', 'Pq,Qq'],
  [0xfa, 'PSUBD', 'Pq,Qq'], [0xfc, 'PADDB', 'Pq,Qq'], [0xfd, 'PADDW', 'Pq,Qq'], [0xfe, 'PADDD', 'Pq,Qq'],
];
for (const [op, m, operands] of MMX) row(0x0f00 | op, m, operands, { implemented: false, note: 'MMX (not reported by CPUID: #UD)' });
for (const [op, forms] of [[0x71, ['PSRLW', 'PSRAW', 'PSLLW']], [0x72, ['PSRLD', 'PSRAD', 'PSLLD']], [0x73, ['PSRLQ', '', 'PSLLQ']]] as const) {
  forms.forEach((m, k) => {
    if (m !== '') row(0x0f00 | op, m, 'Nq,Ib', { ext: 2 + 2 * k, implemented: false, note: 'MMX (not reported by CPUID: #UD)' });
  });
}
row(0x0f77, 'EMMS', '', { implemented: false, note: 'MMX (not reported by CPUID: #UD)' });

/** Every instruction form, in opcode order. */
export const OPCODE_FORMS: readonly OpcodeForm[] = Object.freeze(
  rows.sort((a, b) => a.opcode - b.opcode || a.ext - b.ext).map((r) => Object.freeze(r)),
);

/** Per-opcode decoding facts, indexed by `opcode` (0–255) or `0x100 + second byte` for 0F xx. */
export interface OpcodeInfo {
  /** Whether the opcode exists on the P6 (undefined opcodes raise #UD). */
  readonly defined: boolean;
  /** Whether a ModRM byte follows. */
  readonly modrm: boolean;
  /** The immediate (for groups whose forms differ, F6/F7, that of /0; see {@link immediateOf}). */
  readonly imm: ImmediateKind;
  /** The forms of this opcode (one, or one per ModRM reg value for groups). */
  readonly forms: readonly OpcodeForm[];
}

/** Per-opcode information: index `op` for one-byte opcodes, `0x100 | op` for `0F op`. */
export const OPCODE_INFO: readonly OpcodeInfo[] = (() => {
  const out: OpcodeInfo[] = [];
  for (let i = 0; i < 512; i++) {
    const opcode = i < 256 ? i : 0x0f00 | (i & 0xff);
    const forms = OPCODE_FORMS.filter((f) => f.opcode === opcode);
    out.push(
      Object.freeze({
        defined: forms.length > 0,
        modrm: forms.length > 0 && forms[0]!.modrm,
        imm: forms.length > 0 ? forms[0]!.imm : '',
        forms: Object.freeze(forms),
      }),
    );
  }
  return Object.freeze(out);
})();

/** The form of each opcode index (see {@link OPCODE_INFO}) for each ModRM reg field: `index * 8 + reg`. */
const FORM_BY_REG: readonly (OpcodeForm | undefined)[] = (() => {
  const out: (OpcodeForm | undefined)[] = [];
  for (const info of OPCODE_INFO) {
    for (let reg = 0; reg < 8; reg++) {
      if (!info.defined) out.push(undefined);
      else if (info.forms.length === 1 && info.forms[0]!.ext < 0) out.push(info.forms[0]);
      else out.push(info.forms.find((f) => f.ext === reg));
    }
  }
  return Object.freeze(out);
})();

/** The form of opcode index `index` (see {@link OPCODE_INFO}) selected by ModRM `modrm`, if any. */
export function formOf(index: number, modrm: number): OpcodeForm | undefined {
  if (!(index >= 0 && index < 512)) return undefined;
  return FORM_BY_REG[(index << 3) | ((modrm >> 3) & 7)];
}

/** The immediate of a form, accounting for groups whose forms differ (F6/F7 /0 /1 take one). */
export function immediateOf(index: number, modrm: number): ImmediateKind {
  return formOf(index, modrm)?.imm ?? OPCODE_INFO[index]?.imm ?? '';
}

/** A compact per-index class table (the first form's class, or the most sensitive in a group). */
export const OPCODE_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(512);
  for (let i = 0; i < 512; i++) {
    let cls = 0;
    for (const f of OPCODE_INFO[i]!.forms) if (f.cls !== O && cls === 0) cls = f.cls;
    t[i] = cls;
  }
  return t;
})();
