/**
 * The block compiler: decodes one guest basic block (one page at most, a bounded number of
 * instructions) and generates the source of a JavaScript function that executes it against the
 * `X86Cpu` state. Instruction lengths, forms and classes come from the opcode table (through
 * `decodeInstruction`); the forms this compiler specialises are generated inline, every other
 * form becomes a call into the interpreter for that one instruction.
 *
 * What the generated code assumes (the engine checks it before entering, and the block's mode
 * key records it): protected mode, 32-bit code and stack segments, CS flat (base 0, limit 4 GiB),
 * no data breakpoints, and the CPL the block was compiled for. ES, SS and DS are used inline when
 * they were flat at compile time (also part of the key); other segments go through the CPU's
 * checked accessors.
 *
 * Conventions inside a generated function:
 * - `r0`…`r7` hold EAX…EDI (int32) for the whole block; they are written back ("spilled") at
 *   every exit, before every interpreter call, and on a fault.
 * - Flags are produced lazily: an arithmetic instruction only leaves its operands and result in
 *   locals; a later reader in the block (Jcc, SETcc, CMOVcc, ADC, SBB, INC/DEC's carry) computes
 *   the condition it needs from them (a compare and a branch fuse into one JavaScript comparison),
 *   and the CPU's lazy-flag fields are written only where the block hands state back (exit,
 *   interpreter call, fault).
 * - Loads and stores inline the TLB fast path (`tlb[lin >>> 12] & flag`, then the frame pool);
 *   anything else (miss, MMIO, page crossing, a write to a traced code page, a fault) takes the
 *   CPU's slow path after `cur` records which instruction is executing, so a fault is precise.
 */
import { InstructionClass, decodeInstruction, type DecodedInstruction } from '@popek/cpu-x86';
import { MAX_BLOCK_INSTRUCTIONS, directTransfer, followsTakenSide, type BlockSite } from './block-shape.js';
import { OperandReader, isPrefix } from './operand-reader.js';

/**
 * After a store that took the slow path, the block leaves at the next instruction boundary when
 * the store wrote translated code, asked the machine to stop, or raised an interrupt the guest
 * accepts (a device register written through MMIO): there the engine looks, as the interpreter
 * would before the next instruction.
 */
const AFTER_SLOW_STORE = 'S.smc !== 0 || cpu.attention !== 0 || ((cpu.flags & 512) !== 0 && PIC.hasInterrupt())';

/** The placeholder of register write-back in generated code (see `#spill`). */
const SPILL = '/*spill*/';

/** The placeholder of register reload in generated code (see `#reload`). */
const RELOAD = '/*reload*/';

export { MAX_BLOCK_INSTRUCTIONS } from './block-shape.js';

/** Segment numbers (ModRM Sreg order). */
const ES = 0;
const SS = 2;
const DS = 3;

/** Mode-key bits. */
export const ModeBit = {
  /** Mask of the CPL (bits 0–1). */
  Cpl: 3,
  /** ES is flat (base 0, offsets 0–4 GiB readable and writable). */
  FlatEs: 4,
  /** SS is flat. */
  FlatSs: 8,
  /** DS is flat. */
  FlatDs: 16,
} as const;

/** How a block ends, for chaining. */
export const ExitKind = {
  /** A constant target (jump, taken or not-taken branch, fall-through, call): chainable. */
  Direct: 0,
  /** A computed target (RET, indirect JMP/CALL): looked up, with a one-entry cache. */
  Indirect: 1,
  /** The mode may have changed (a system instruction ran in the interpreter): full lookup. */
  Mode: 2,
  /**
   * The block left before an instruction it could not complete inline (WebAssembly backend):
   * EIP is that instruction, which the engine interprets next.
   */
  Bail: 3,
} as const;

/** One exit of a compiled block. */
export interface ExitSpec {
  /** {@link ExitKind}. */
  readonly kind: number;
  /** The target EIP of a direct exit (-1 otherwise). */
  readonly target: number;
}

/** What the compiler produced for one block. */
export interface CompiledSource {
  /** The function body's source (see {@link BlockCompiler}). */
  readonly source: string;
  /** Guest instructions in the block. */
  readonly count: number;
  /** Bytes of guest code covered (from the block's first byte). */
  readonly bytes: number;
  /** The exits, indexed by the value the function returns. */
  readonly exits: readonly ExitSpec[];
  /** Instructions generated inline. */
  readonly inlined: number;
  /** Instructions executed through the interpreter. */
  readonly interpreted: number;
}

type ProducerKind = 'add' | 'sub' | 'adc' | 'sbb' | 'inc' | 'dec' | 'logic' | 'shift';

/** A flag-producing instruction whose operands and result live in locals. */
interface Producer {
  readonly kind: ProducerKind;
  readonly size: number;
  readonly a: string;
  readonly b: string;
  readonly r: string;
  /** The carry-out variable (0/1) of ADC/SBB and shifts, the preserved carry of INC/DEC. */
  readonly c: string;
  /** A shift's OF variable (0 or the OF bit). */
  readonly o?: string;
}

/** A decoded r/m operand. */
interface RmOperand {
  /** Register number when mod = 3, else -1. */
  readonly reg: number;
  /** The offset expression (int32) for a memory operand. */
  readonly ea: string;
  /** The segment of a memory operand. */
  readonly seg: number;
}

const MASK: Record<number, string> = { 1: '255', 2: '65535', 4: '-1' };
const SIGN: Record<number, string> = { 1: '128', 2: '32768', 4: '-2147483648' };

/** Normalises an expression to an operand size: int32 for dwords, unsigned masked otherwise. */
function norm(expr: string, size: number): string {
  return size === 4 ? `((${expr}) | 0)` : `((${expr}) & ${MASK[size]})`;
}

/**
 * Compiles one block. Create one per translation: `compile(bytes, offset, eip, mode)`, where
 * `bytes` is the guest page holding the block's first instruction and `offset` that
 * instruction's offset in it.
 */
export class BlockCompiler {
  #out: string[] = [];
  #exits: ExitSpec[] = [];
  #producer: Producer | undefined;
  /** Per instruction index with a slow path or interpreter call: the catch-time store. */
  #faultSites = new Map<number, { eip: number; flags: string }>();
  #written = 0;
  #temps = new Set<string>();
  #k = 0;
  #eip = 0;
  #next = 0;
  #mode = 0;
  #user = false;
  #ended = false;
  #loops = false;
  #start = 0;
  #pageBase = 0;
  #redirect = 0;
  #redirected = false;
  #count = 0;
  #smcPending = false;
  #inlined = 0;
  #interpreted = 0;
  readonly #ops = new OperandReader();
  #insn!: DecodedInstruction;
  readonly #aligned: boolean;
  readonly #visits: ((eip: number) => number) | undefined;
  /** EIPs of the instructions already in the block. */
  readonly #visited = new Set<number>();

  /**
   * @param options - `aligned`: the host is little-endian and guest RAM starts on a dword
   *   boundary, so the generated code may read and write naturally aligned words and dwords
   *   through the engine's `ram16` and `ram32` views (default false: bytes only).
   *   `visits`: how often execution has reached a block starting at an EIP of the page so far
   *   (the engine's visit counts); with it, a conditional branch whose target in the page was
   *   reached more than twice as often as its fall-through continues the block at the target,
   *   and the fall-through becomes the side exit (without it, blocks always follow the
   *   fall-through)
   */
  constructor(options: { readonly aligned?: boolean; readonly visits?: (eip: number) => number } = {}) {
    this.#aligned = options.aligned ?? false;
    this.#visits = options.visits;
  }

  /**
   * Compiles the block starting at `bytes[offset]` (EIP `eip`) for mode key `mode`
   * ({@link ModeBit}). Returns undefined when the first instruction cannot be decoded within the
   * page (it crosses the page end): the engine interprets it.
   */
  compile(bytes: Uint8Array, offset: number, eip: number, mode: number): CompiledSource | undefined {
    this.#ops.bytes = bytes;
    this.#mode = mode;
    this.#user = (mode & ModeBit.Cpl) === 3;
    this.#start = eip | 0;
    this.#pageBase = (eip & ~0xfff) | 0;
    let off = offset;
    let pc = eip | 0;
    let count = 0;
    let covered = 0;
    const visited = this.#visited;
    visited.clear();
    for (; count < MAX_BLOCK_INSTRUCTIONS && !this.#ended; count++) {
      if (visited.has(pc)) {
        // The path came back to an instruction already in the block: loop or leave.
        this.#k = count - 1;
        if (pc === this.#start) this.#emit(this.#loopEdge(count));
        else this.#exitDirect(pc, count);
        break;
      }
      const insn = decodeInstruction(bytes, off, true);
      if (insn === undefined) break; // runs past the page end (or > 15 bytes): not in this block
      visited.add(pc);
      this.#insn = insn;
      this.#k = count;
      this.#eip = pc;
      this.#next = (pc + insn.length) | 0;
      this.#redirected = false;
      this.#emitInstruction(off);
      covered += insn.length;
      if (this.#redirected) {
        // A direct JMP or CALL within the page: the block goes on at its target.
        pc = this.#redirect;
        off = pc - this.#pageBase;
      } else {
        off += insn.length;
        pc = this.#next;
      }
    }
    if (count === 0) return undefined;
    if (!this.#ended) {
      this.#k = count - 1;
      this.#exitDirect(pc, count);
    }
    this.#count = count;
    return { source: this.#assemble(), count, bytes: covered, exits: this.#exits, inlined: this.#inlined, interpreted: this.#interpreted };
  }

  /**
   * The back edge of a loop to the block's first instruction, after `retired` instructions of
   * this iteration: the block runs another iteration inside the function when the next one fits
   * in the slice's budget and no event is waiting; otherwise it exits to its own start.
   */
  #loopEdge(retired: number): string {
    this.#loops = true;
    const check = `rc0 + ${retired} + COUNT > end || cpu.attention !== 0 || ((cpu.flags & 512) !== 0 && PIC.hasInterrupt()) || S.smc !== 0`;
    return `{ ${this.#storeFlags()} cpu.retiredCount = rc0 + ${retired}; if (${check}) ${this.#exitCode(String(this.#start), retired, ExitKind.Direct, this.#start)} rc0 += ${retired}; continue loop; }`;
  }

  /** A direct transfer to `target` after `retired` instructions: continue there, loop or exit. */
  #jumpTo(target: number, retired: number): void {
    const action = directTransfer(this.#site(), target, retired);
    if (action === 'loop') {
      this.#emit(this.#loopEdge(retired));
      this.#ended = true;
    } else if (action === 'follow') {
      this.#redirect = target;
      this.#redirected = true;
    } else {
      this.#exitDirect(target, retired);
    }
  }

  /** The block under compilation, for the shared shape decisions. */
  #site(): BlockSite {
    return { start: this.#start, pageBase: this.#pageBase, visited: this.#visited };
  }

  // ------------------------------------------------------------------------------------------
  // Assembly of the function
  // ------------------------------------------------------------------------------------------

  #assemble(): string {
    // Only the registers the block names (or writes back) are loaded.
    let used = this.#written;
    for (const line of this.#out) for (const m of line.matchAll(/\br([0-7])\b/g)) used |= 1 << Number(m[1]);
    const regs = [0, 1, 2, 3, 4, 5, 6, 7].filter((r) => (used & (1 << r)) !== 0);
    const temps = [...this.#temps];
    const lines: string[] = [];
    if (regs.length > 0) lines.push(`let ${regs.map((r) => `r${r} = R[${r}]`).join(', ')};`);
    lines.push('let rc0 = cpu.retiredCount;');
    lines.push('const RD = cpu.rdFlag, WR = cpu.wrFlag;');
    lines.push(`let cur = 0, a = 0, e = 0, o = 0, x = 0${temps.length > 0 ? ', ' + temps.map((t) => `${t} = 0`).join(', ') : ''};`);
    lines.push('S.smc = 0;');
    lines.push('try {');
    if (this.#loops) lines.push('loop: for (;;) {');
    lines.push(...this.#out);
    if (this.#loops) lines.push('}');
    lines.push('} catch (err) {');
    lines.push('if (cur < 65536) {');
    lines.push(this.#spill());
    lines.push('switch (cur) {');
    for (const [k, site] of this.#faultSites) {
      lines.push(`case ${k}: cpu.eip = ${site.eip}; ${site.flags} break;`);
    }
    lines.push('}');
    lines.push('cpu.retiredCount = rc0 + cur;');
    lines.push('}');
    lines.push('throw err;');
    lines.push('}');
    const spill = this.#finalSpill();
    const reload = regs.map((r) => `r${r} = R[${r}];`).join(' ');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.includes(SPILL)) lines[i] = lines[i]!.split(SPILL).join(spill);
      if (lines[i]!.includes(RELOAD)) lines[i] = lines[i]!.split(RELOAD).join(reload);
    }
    const head = '"use strict";\nconst cpu = S.cpu, R = cpu.regs, T = S.tlb, M = S.ram, M16 = S.ram16, M32 = S.ram32, P = S.parity, PIC = cpu.pic;\n';
    return `${head}const COUNT = ${this.#count};\nreturn function block(end) {\n${lines.join('\n')}\n};`;
  }

  /**
   * Where registers are written back. A placeholder, replaced when the function is assembled by
   * the stores of every register the block writes anywhere: in a block that loops, an exit early
   * in the body must also store what later instructions wrote in earlier iterations.
   */
  #spill(): string {
    return SPILL;
  }

  #finalSpill(): string {
    const w = this.#written;
    const parts: string[] = [];
    for (let r = 0; r < 8; r++) if ((w & (1 << r)) !== 0) parts.push(`R[${r}] = r${r};`);
    return parts.join(' ');
  }

  /** Where registers are read again (after an interpreter call): a placeholder, see {@link #assemble}. */
  #reload(): string {
    return RELOAD;
  }

  #emit(line: string): void {
    this.#out.push(line);
  }

  #temp(name: string): string {
    const t = `${name}${this.#k}`;
    this.#temps.add(t);
    return t;
  }

  /** Records that instruction `k` may fault here: the catch restores EIP and the flags. */
  #faultSite(): string {
    if (!this.#faultSites.has(this.#k)) this.#faultSites.set(this.#k, { eip: this.#eip, flags: this.#storeFlags() });
    return `cur = ${this.#k}; cpu.retiredCount = rc0 + ${this.#k};`;
  }

  // ------------------------------------------------------------------------------------------
  // Exits
  // ------------------------------------------------------------------------------------------

  #exitCode(target: string, retired: number, kind: number, staticTarget: number): string {
    const id = this.#exits.length;
    this.#exits.push({ kind, target: staticTarget });
    return `{ ${this.#spill()} ${this.#storeFlags()} cpu.eip = ${target}; cpu.retiredCount = rc0 + ${retired}; return ${id}; }`;
  }

  #exitDirect(target: number, retired: number): void {
    this.#emit(this.#exitCode(String(target | 0), retired, ExitKind.Direct, target | 0));
    this.#ended = true;
  }

  /** A store of this instruction took the slow path and may have written translated code. */
  #smcCheck(): void {
    this.#smcPending = true;
  }

  // ------------------------------------------------------------------------------------------
  // Flags
  // ------------------------------------------------------------------------------------------

  /** Code that writes the current producer's flags into the CPU's lazy-flag fields. */
  #storeFlags(): string {
    const p = this.#producer;
    if (p === undefined) return '';
    const m = MASK[p.size];
    const s = SIGN[p.size];
    switch (p.kind) {
      case 'add':
      case 'sub':
        return `cpu.lazy = 2261; cpu.lzOp = ${p.kind === 'add' ? 1 : 2}; cpu.lzA = ${p.a}; cpu.lzB = ${p.b}; cpu.lzRes = ${p.r}; cpu.lzMask = ${m}; cpu.lzSign = ${s};`;
      case 'adc':
      case 'sbb':
      case 'inc':
      case 'dec': {
        const op = p.kind === 'adc' || p.kind === 'inc' ? 1 : 2;
        return `cpu.flags = (cpu.flags & -2) | ${p.c}; cpu.lazy = 2260; cpu.lzOp = ${op}; cpu.lzA = ${p.a}; cpu.lzB = ${p.b}; cpu.lzRes = ${p.r}; cpu.lzMask = ${m}; cpu.lzSign = ${s};`;
      }
      case 'shift':
        return `cpu.flags = (cpu.flags & -2066) | ${p.c} | ${p.o}; cpu.lazy = 196; cpu.lzOp = 0; cpu.lzRes = ${p.r}; cpu.lzMask = ${m}; cpu.lzSign = ${s};`;
      default:
        return `cpu.flags &= -2066; cpu.lazy = 196; cpu.lzOp = 0; cpu.lzRes = ${p.r}; cpu.lzMask = ${m}; cpu.lzSign = ${s};`;
    }
  }

  /** Hands the flags to the CPU before a helper that reads or writes them. */
  #flagsToCpu(): void {
    const store = this.#storeFlags();
    if (store !== '') this.#emit(store);
    this.#producer = undefined;
  }

  /** CF as a 0/1 expression. */
  #cfExpr(): string {
    const p = this.#producer;
    if (p === undefined) return 'cpu.cf()';
    const s4 = p.size === 4;
    switch (p.kind) {
      case 'add':
        return s4 ? `((${p.r} >>> 0) < (${p.a} >>> 0) ? 1 : 0)` : `(${p.r} < ${p.a} ? 1 : 0)`;
      case 'sub':
        return s4 ? `((${p.a} >>> 0) < (${p.b} >>> 0) ? 1 : 0)` : `(${p.a} < ${p.b} ? 1 : 0)`;
      case 'logic':
        return '0';
      default:
        return p.c;
    }
  }

  /** Condition `cc` (0–15) as a boolean expression. */
  #condExpr(cc: number): string {
    const p = this.#producer;
    if (p === undefined) return `cpu.cond(${cc})`;
    const base = this.#condBase(p, cc >> 1);
    return (cc & 1) === 0 ? base : `!${base}`;
  }

  #condBase(p: Producer, c: number): string {
    const s4 = p.size === 4;
    const { a, b, r } = p;
    const zf = `(${r} === 0)`;
    const sf = s4 ? `(${r} < 0)` : `((${r} & ${SIGN[p.size]}) !== 0)`;
    const cf = `(${this.#cfExpr()} !== 0)`;
    let of: string;
    if (p.kind === 'logic') of = 'false';
    else if (p.kind === 'shift') of = `(${p.o} !== 0)`;
    else if (p.kind === 'add' || p.kind === 'adc' || p.kind === 'inc') of = s4 ? `(((${a} ^ ${r}) & (${b} ^ ${r})) < 0)` : `(((${a} ^ ${r}) & (${b} ^ ${r}) & ${SIGN[p.size]}) !== 0)`;
    else of = s4 ? `(((${a} ^ ${b}) & (${a} ^ ${r})) < 0)` : `(((${a} ^ ${b}) & (${a} ^ ${r}) & ${SIGN[p.size]}) !== 0)`;
    const sh = p.size === 1 ? 24 : 16;
    const sx = (v: string): string => (s4 ? v : `((${v} << ${sh}) >> ${sh})`);
    switch (c) {
      case 0:
        return of;
      case 1:
        if (p.kind === 'logic') return 'false';
        return cf;
      case 2:
        return p.kind === 'sub' ? `(${a} === ${b})` : zf;
      case 3:
        if (p.kind === 'sub') return s4 ? `((${a} >>> 0) <= (${b} >>> 0))` : `(${a} <= ${b})`;
        if (p.kind === 'logic') return zf;
        return `(${cf} || ${zf})`;
      case 4:
        return sf;
      case 5:
        return `(P[${r} & 255] !== 0)`;
      case 6:
        if (p.kind === 'sub') return `(${sx(a)} < ${sx(b)})`;
        if (p.kind === 'logic') return sf;
        return `(${sf} !== ${of})`;
      default:
        if (p.kind === 'sub') return `(${sx(a)} <= ${sx(b)})`;
        if (p.kind === 'logic') return `(${zf} || ${sf})`;
        return `(${zf} || ${sf} !== ${of})`;
    }
  }

  /** Makes the result of `op` (0–7: ADD OR ADC SBB AND SUB XOR CMP) in a local; returns it. */
  #alu(op: number, size: number, aExpr: string, bExpr: string): string {
    const a = this.#temp('fa');
    const b = this.#temp('fb');
    const r = this.#temp('fr');
    this.#emit(`${a} = ${aExpr}; ${b} = ${bExpr};`);
    switch (op) {
      case 0:
        this.#emit(`${r} = ${norm(`${a} + ${b}`, size)};`);
        this.#producer = { kind: 'add', size, a, b, r, c: '' };
        break;
      case 1:
        this.#emit(`${r} = ${a} | ${b};`);
        this.#producer = { kind: 'logic', size, a, b, r, c: '' };
        break;
      case 2:
      case 3: {
        const c = this.#temp('fc');
        const cin = this.#temp('fi');
        this.#emit(`${cin} = ${this.#cfExpr()};`);
        if (op === 2) {
          this.#emit(`${r} = ${norm(`${a} + ${b} + ${cin}`, size)};`);
          this.#emit(size === 4 ? `${c} = (${cin} !== 0 ? (${r} >>> 0) <= (${a} >>> 0) : (${r} >>> 0) < (${a} >>> 0)) ? 1 : 0;` : `${c} = (${cin} !== 0 ? ${r} <= ${a} : ${r} < ${a}) ? 1 : 0;`);
        } else {
          this.#emit(`${r} = ${norm(`${a} - ${b} - ${cin}`, size)};`);
          this.#emit(size === 4 ? `${c} = (${cin} !== 0 ? (${a} >>> 0) <= (${b} >>> 0) : (${a} >>> 0) < (${b} >>> 0)) ? 1 : 0;` : `${c} = (${cin} !== 0 ? ${a} <= ${b} : ${a} < ${b}) ? 1 : 0;`);
        }
        this.#producer = { kind: op === 2 ? 'adc' : 'sbb', size, a, b, r, c };
        break;
      }
      case 4:
        this.#emit(`${r} = ${a} & ${b};`);
        this.#producer = { kind: 'logic', size, a, b, r, c: '' };
        break;
      case 6:
        this.#emit(`${r} = ${a} ^ ${b};`);
        this.#producer = { kind: 'logic', size, a, b, r, c: '' };
        break;
      default:
        this.#emit(`${r} = ${norm(`${a} - ${b}`, size)};`);
        this.#producer = { kind: 'sub', size, a, b, r, c: '' };
        break;
    }
    return r;
  }

  /** INC (`dec` false) or DEC of a value in a local: CF preserved. Returns the result local. */
  #incDec(dec: boolean, size: number, aExpr: string): string {
    const a = this.#temp('fa');
    const b = this.#temp('fb');
    const r = this.#temp('fr');
    const c = this.#temp('fc');
    this.#emit(`${c} = ${this.#cfExpr()}; ${a} = ${aExpr}; ${b} = 1; ${r} = ${norm(`${a} ${dec ? '-' : '+'} 1`, size)};`);
    this.#producer = { kind: dec ? 'dec' : 'inc', size, a, b, r, c };
    return r;
  }

  // ------------------------------------------------------------------------------------------
  // Operands
  // ------------------------------------------------------------------------------------------

  /** Decodes ModRM (and SIB/displacement) with 32-bit addressing at the cursor. */
  #modrm(): { mod: number; reg: number; rm: RmOperand } {
    const f = this.#ops.modrm(this.#insn.segment);
    if (f.mod === 3) return { mod: f.mod, reg: f.reg, rm: { reg: f.rm, ea: '', seg: -1 } };
    const terms: string[] = [];
    if (f.base >= 0) terms.push(`r${f.base}`);
    if (f.index >= 0) terms.push(f.scale === 0 ? `r${f.index}` : `(r${f.index} << ${f.scale})`);
    if (f.disp !== 0 || terms.length === 0) terms.push(String(f.disp | 0));
    const ea = terms.length === 1 && /^-?\d+$/.test(terms[0]!) ? terms[0]! : `((${terms.join(' + ')}) | 0)`;
    return { mod: f.mod, reg: f.reg, rm: { reg: -1, ea, seg: f.seg } };
  }


  #flat(seg: number): boolean {
    if (seg === ES) return (this.#mode & ModeBit.FlatEs) !== 0;
    if (seg === SS) return (this.#mode & ModeBit.FlatSs) !== 0;
    if (seg === DS) return (this.#mode & ModeBit.FlatDs) !== 0;
    return false;
  }

  /** A register of `size` bytes as a normalised expression. */
  #reg(r: number, size: number): string {
    if (size === 4) return `r${r}`;
    if (size === 2) return `(r${r} & 65535)`;
    return r < 4 ? `(r${r} & 255)` : `((r${r - 4} >> 8) & 255)`;
  }

  /** Writes a normalised value to a register of `size` bytes. */
  #setReg(r: number, size: number, v: string): void {
    if (size === 4) {
      this.#written |= 1 << r;
      this.#emit(`r${r} = ${v};`);
    } else if (size === 2) {
      this.#written |= 1 << r;
      this.#emit(`r${r} = (r${r} & -65536) | ((${v}) & 65535);`);
    } else if (r < 4) {
      this.#written |= 1 << r;
      this.#emit(`r${r} = (r${r} & -256) | ((${v}) & 255);`);
    } else {
      this.#written |= 1 << (r - 4);
      this.#emit(`r${r - 4} = (r${r - 4} & -65281) | (((${v}) & 255) << 8);`);
    }
  }

  /**
   * The extra condition (` && …`, or nothing) on the linear address `a` under which an access
   * of `size` bytes whose TLB entry allows it takes the inline path: on an aligned host, a
   * naturally aligned access (one host load or store; it cannot cross the page); otherwise any
   * access within the page. Everything else (unaligned words and dwords included) takes the
   * CPU's slow path.
   */
  #inPage(size: number): string {
    if (size === 1) return '';
    return this.#aligned ? ` && (a & ${size - 1}) === 0` : ` && (a & 4095) <= ${4096 - size}`;
  }

  /** The host-memory read at `o` of `size` bytes (normalised), under {@link #inPage}. */
  #ramLoad(size: number): string {
    if (size === 1) return 'M[o]';
    if (this.#aligned) return size === 2 ? 'M16[o >> 1]' : 'M32[o >> 2]';
    if (size === 2) return '(M[o] | (M[o + 1] << 8))';
    return '(M[o] | (M[o + 1] << 8) | (M[o + 2] << 16) | (M[o + 3] << 24))';
  }

  #ramStore(size: number, v: string): string {
    if (size === 1) return `M[o] = ${v};`;
    if (this.#aligned) return size === 2 ? `M16[o >> 1] = ${v};` : `M32[o >> 2] = ${v};`;
    if (size === 2) return `M[o] = ${v}; M[o + 1] = ${v} >> 8;`;
    return `M[o] = ${v}; M[o + 1] = ${v} >> 8; M[o + 2] = ${v} >> 16; M[o + 3] = ${v} >> 24;`;
  }

  /** Loads a memory operand of `size` bytes into a new local; returns its name. */
  #load(rm: RmOperand, size: number): string {
    const v = this.#temp(`m${size}_`);
    const U = this.#user ? 'true' : 'false';
    if (this.#flat(rm.seg)) {
      this.#emit(`a = ${rm.ea}; e = T[a >>> 12];`);
      this.#emit(
        `if ((e & RD) !== 0${this.#inPage(size)}) { o = (e & -4096) | (a & 4095); ${v} = ${this.#ramLoad(size)}; } else { ${this.#faultSite()} ${v} = cpu.readSlow(a, ${size}, ${U})${size === 4 ? ' | 0' : ''}; }`,
      );
    } else {
      this.#emit(`${this.#faultSite()} ${v} = cpu.rd${size * 8}(${rm.seg}, ${rm.ea});`);
    }
    return v;
  }

  /** The value of an r/m operand of `size` bytes: the register, or a load into a new local. */
  #rmRead(rm: RmOperand, size: number): string {
    return rm.reg >= 0 ? this.#reg(rm.reg, size) : this.#load(rm, size);
  }

  /** Stores a normalised value (a local or constant) to a memory operand. */
  #store(rm: RmOperand, size: number, v: string): void {
    const U = this.#user ? 'true' : 'false';
    if (this.#flat(rm.seg)) {
      this.#emit(`a = ${rm.ea}; e = T[a >>> 12];`);
      this.#emit(
        `if ((e & WR) !== 0${this.#inPage(size)}) { o = (e & -4096) | (a & 4095); ${this.#ramStore(size, v)} } else { ${this.#faultSite()} cpu.writeSlow(a, ${size}, ${v}, ${U}); if (${AFTER_SLOW_STORE}) x = 1; }`,
      );
    } else {
      this.#emit(`${this.#faultSite()} cpu.wr${size * 8}(${rm.seg}, ${rm.ea}, ${v}); if (${AFTER_SLOW_STORE}) x = 1;`);
    }
    this.#smcCheck();
  }

  /**
   * A read-modify-write of a flat memory operand: `compute(value)` emits the operation and
   * returns the local holding the result to store (or undefined to store nothing).
   */
  #rmw(rm: RmOperand, size: number, compute: (v: string) => string | undefined): void {
    const U = this.#user ? 'true' : 'false';
    const v = this.#temp(`m${size}_`);
    if (this.#flat(rm.seg)) this.#emit(`a = ${rm.ea};`);
    else this.#emit(`${this.#faultSite()} a = S.segLinW(${rm.seg}, ${rm.ea}, ${size});`);
    this.#emit('e = T[a >>> 12];');
    this.#emit(
      `if ((e & WR) !== 0 && (e & RD) !== 0${this.#inPage(size)}) { o = (e & -4096) | (a & 4095); ${v} = ${this.#ramLoad(size)}; } else { o = -1; ${this.#faultSite()} cpu.probeWriteLin(a, ${size}, ${U}); ${v} = cpu.readSlow(a, ${size}, ${U})${size === 4 ? ' | 0' : ''}; }`,
    );
    const r = compute(v);
    if (r === undefined) return;
    this.#emit(`if (o >= 0) { ${this.#ramStore(size, r)} } else { cpu.writeSlow(a, ${size}, ${r}, ${U}); if (${AFTER_SLOW_STORE}) x = 1; }`);
    this.#smcCheck();
  }

  /** Pushes a dword (flat 32-bit SS checked by the caller). */
  #push32(v: string): void {
    const t = this.#temp('sp');
    this.#emit(`${t} = (r4 - 4) | 0;`);
    this.#store({ reg: -1, ea: t, seg: SS }, 4, v);
    this.#setReg(4, 4, t);
  }

  // ------------------------------------------------------------------------------------------
  // Instructions
  // ------------------------------------------------------------------------------------------

  /** Falls back to the interpreter for the current instruction. */
  #interpret(): void {
    const insn = this.#insn;
    const cls = insn.form?.cls ?? InstructionClass.Ordinary;
    this.#interpreted++;
    this.#written = 0xff;
    this.#emit(`${this.#spill()} ${this.#storeFlags()}`);
    this.#producer = undefined;
    const counter = cls === InstructionClass.Ordinary ? 'S.cFallback' : `S.cMonitor[${cls}]`;
    this.#emit(`cur = ${65536 + this.#k}; cpu.eip = ${this.#eip}; cpu.retiredCount = rc0 + ${this.#k}; ${counter}.value++; cpu.executeOne(); ${this.#reload()}`);
    if (endsBlockWhenInterpreted(insn)) {
      this.#emit(`{ cpu.retiredCount = rc0 + ${this.#k + 1}; return ${this.#exits.length}; }`);
      this.#exits.push({ kind: ExitKind.Mode, target: -1 });
      this.#ended = true;
      return;
    }
    this.#emit(`if (cpu.eip !== ${this.#next} || ${AFTER_SLOW_STORE}) { cpu.retiredCount = rc0 + ${this.#k + 1}; return ${this.#exits.length}; }`);
    this.#exits.push({ kind: ExitKind.Mode, target: -1 });
  }

  /**
   * One string instruction without REP (MOVS, CMPS, STOS, LODS, SCAS; 32-bit addressing, which
   * the caller checked): one element, then ESI and/or EDI stepped by the size, down when DF is
   * set. The index registers change only after every access has succeeded, so a fault leaves
   * them as they were. (REP forms run in the interpreter, which splits them into chunks.)
   */
  #string(index: number, size: number): boolean {
    const src: RmOperand = { reg: -1, ea: 'r6', seg: this.#insn.segment >= 0 ? this.#insn.segment : DS };
    const dst: RmOperand = { reg: -1, ea: 'r7', seg: ES };
    const step = this.#temp('sd');
    // DF is never held lazily: CLD and STD run in the interpreter, which writes cpu.flags.
    this.#emit(`${step} = (cpu.flags & 1024) !== 0 ? ${-size} : ${size};`);
    const stepSi = (): void => this.#setReg(6, 4, `(r6 + ${step}) | 0`);
    const stepDi = (): void => this.#setReg(7, 4, `(r7 + ${step}) | 0`);
    switch (index & ~1) {
      case 0xa4: {
        const v = this.#load(src, size);
        this.#store(dst, size, v);
        stepSi();
        stepDi();
        return true;
      }
      case 0xa6: {
        // Both loads get the instruction's one load local: keep the first in its own.
        const a = this.#temp('cs');
        this.#emit(`${a} = ${this.#load(src, size)};`);
        const b = this.#load(dst, size);
        this.#alu(7, size, a, b);
        stepSi();
        stepDi();
        return true;
      }
      case 0xaa: {
        const t = this.#temp('mv');
        this.#emit(`${t} = ${this.#reg(0, size)};`);
        this.#store(dst, size, t);
        stepDi();
        return true;
      }
      case 0xac:
        this.#setReg(0, size, this.#load(src, size));
        stepSi();
        return true;
      default: {
        const m = this.#load(dst, size);
        this.#alu(7, size, this.#reg(0, size), m);
        stepDi();
        return true;
      }
    }
  }

  #emitInstruction(off: number): void {
    const insn = this.#insn;
    const form = insn.form;
    // Prefix bytes precede the opcode; the cursor starts after the opcode byte(s).
    const opLen = insn.index >= 0x100 ? 2 : 1;
    let prefixes = 0;
    while (isPrefix(this.#ops.bytes[off + prefixes]!)) prefixes++;
    this.#ops.pos = off + prefixes + opLen;
    const pause = insn.index === 0x90 && insn.rep === 2; // PAUSE (F3 90): a NOP here
    const simple = form !== undefined && form.implemented && insn.addrsize32 && !insn.lock && (insn.rep === 0 || pause);
    const mark = this.#out.length;
    const temps = new Set(this.#temps);
    const producer = this.#producer;
    const written = this.#written;
    const exits = this.#exits.length;
    this.#smcPending = false;
    if (!simple || !this.#inline(insn.index, insn.opsize32 ? 4 : 2)) {
      // Nothing of a form the compiler gave up on survives: back to the state before it.
      this.#out.length = mark;
      this.#temps = temps;
      this.#producer = producer;
      this.#written = written;
      this.#exits.length = exits;
      this.#ended = false;
      this.#faultSites.delete(this.#k);
      this.#smcPending = false;
      this.#interpret();
      return;
    }
    this.#inlined++;
    if (this.#smcPending && !this.#ended) {
      // A slow-path store may have hit translated code (this block's page included): leave.
      const after = this.#redirected ? this.#redirect : this.#next;
      this.#emit(`if (x !== 0) ${this.#exitCode(String(after), this.#k + 1, ExitKind.Mode, -1)}`);
    }
  }

  /** Generates `index` inline if it is a form this compiler specialises; false otherwise. */
  #inline(index: number, osz: number): boolean {
    const ssFlat = this.#flat(SS);
    if (index < 0x40) {
      const lo = index & 7;
      if (lo > 5) return false;
      const op = (index >> 3) & 7;
      if (lo === 4 || lo === 5) {
        const size = lo === 4 ? 1 : osz;
        const imm = this.#ops.immN(size);
        const r = this.#alu(op, size, this.#reg(0, size), String(imm));
        if (op !== 7) this.#setReg(0, size, r);
        return true;
      }
      const size = (lo & 1) === 0 ? 1 : osz;
      const { reg, rm } = this.#modrm();
      const toRm = lo < 2;
      if (rm.reg >= 0) {
        const d = toRm ? rm.reg : reg;
        const s = toRm ? reg : rm.reg;
        const r = this.#alu(op, size, this.#reg(d, size), this.#reg(s, size));
        if (op !== 7) this.#setReg(d, size, r);
        return true;
      }
      if (!toRm || op === 7) {
        const m = this.#load(rm, size);
        const r = toRm ? this.#alu(op, size, m, this.#reg(reg, size)) : this.#alu(op, size, this.#reg(reg, size), m);
        if (op !== 7) this.#setReg(reg, size, r);
        return true;
      }
      this.#rmw(rm, size, (v) => this.#alu(op, size, v, this.#reg(reg, size)));
      return true;
    }
    if (index < 0x50) {
      const r = this.#incDec(index >= 0x48, osz, this.#reg(index & 7, osz));
      this.#setReg(index & 7, osz, r);
      return true;
    }
    if (index < 0x58) {
      if (osz !== 4 || !ssFlat) return false;
      const t = this.#temp('pv');
      this.#emit(`${t} = r${index & 7};`);
      this.#push32(t);
      return true;
    }
    if (index < 0x60) {
      if (osz !== 4 || !ssFlat) return false;
      const v = this.#load({ reg: -1, ea: 'r4', seg: SS }, 4);
      this.#setReg(4, 4, '(r4 + 4) | 0');
      this.#setReg(index & 7, 4, v);
      return true;
    }
    if (index === 0x68 || index === 0x6a) {
      if (osz !== 4 || !ssFlat) return false;
      const imm = index === 0x68 ? this.#ops.imm32() : this.#ops.imm8s();
      this.#push32(String(imm));
      return true;
    }
    if (index >= 0x70 && index < 0x80) {
      if (osz !== 4) return false; // the interpreter truncates the target to 16 bits
      const d = this.#ops.imm8s();
      this.#branch(index & 15, (this.#next + d) | 0);
      return true;
    }
    if (index >= 0x180 && index < 0x190) {
      if (osz !== 4) return false;
      const d = this.#ops.imm32();
      this.#branch(index & 15, (this.#next + d) | 0);
      return true;
    }
    if (index >= 0x140 && index < 0x150) {
      const { reg, rm } = this.#modrm();
      const v = this.#rmRead(rm, osz);
      const t = this.#temp('cv');
      this.#emit(`${t} = ${v};`);
      this.#emit(`if (${this.#condExpr(index & 15)}) {`);
      this.#setReg(reg, osz, t);
      this.#emit('}');
      return true;
    }
    if (index >= 0x190 && index < 0x1a0) {
      const { rm } = this.#modrm();
      const t = this.#temp('sc');
      this.#emit(`${t} = ${this.#condExpr(index & 15)} ? 1 : 0;`);
      if (rm.reg >= 0) this.#setReg(rm.reg, 1, t);
      else this.#store(rm, 1, t);
      return true;
    }
    if (index >= 0xb0 && index < 0xb8) {
      this.#setReg(index & 7, 1, String(this.#ops.byte()));
      return true;
    }
    if (index >= 0xb8 && index < 0xc0) {
      this.#setReg(index & 7, osz, String(this.#ops.immN(osz)));
      return true;
    }
    if (index >= 0x91 && index < 0x98) {
      if (osz !== 4) return false;
      const r = index & 7;
      const t = this.#temp('xv');
      this.#emit(`${t} = r0;`);
      this.#setReg(0, 4, `r${r}`);
      this.#setReg(r, 4, t);
      return true;
    }
    if (index === 0xc0 || index === 0xc1 || (index >= 0xd0 && index <= 0xd3)) return this.#group2(index, osz);
    if (index === 0x1af || index === 0x69 || index === 0x6b) return this.#imul(index, osz);
    switch (index) {
      case 0x131:
        // RDTSC at CPL 0 (elsewhere CR4.TSD decides: the interpreter runs it).
        if ((this.#mode & ModeBit.Cpl) !== 0) return false;
        {
          const t = this.#temp('ts');
          this.#emit(`cpu.retiredCount = rc0 + ${this.#k}; ${t} = cpu.tscNow() + cpu.tscOffset;`);
          this.#setReg(0, 4, `(${t} % 4294967296) | 0`);
          this.#setReg(2, 4, `Math.floor(${t} / 4294967296) | 0`);
        }
        return true;
      case 0x80:
      case 0x81:
      case 0x83: {
        const size = index === 0x80 ? 1 : osz;
        const { reg: op, rm } = this.#modrm();
        const rmIsReg = rm.reg >= 0;
        // The immediate follows the displacement: read it after the ModRM operand.
        const imm = index === 0x83 ? this.#ops.imm8s() & Number(MASK[size]) : this.#ops.immN(size);
        const immStr = String(size === 4 ? imm | 0 : imm);
        if (rmIsReg) {
          const r = this.#alu(op, size, this.#reg(rm.reg, size), immStr);
          if (op !== 7) this.#setReg(rm.reg, size, r);
        } else if (op === 7) {
          const m = this.#load(rm, size);
          this.#alu(op, size, m, immStr);
        } else {
          this.#rmw(rm, size, (v) => this.#alu(op, size, v, immStr));
        }
        return true;
      }
      case 0x84:
      case 0x85: {
        const size = index === 0x84 ? 1 : osz;
        const { reg, rm } = this.#modrm();
        const v = this.#rmRead(rm, size);
        this.#alu(4, size, v, this.#reg(reg, size));
        return true;
      }
      case 0xa8:
      case 0xa9: {
        const size = index === 0xa8 ? 1 : osz;
        const imm = this.#ops.immN(size);
        this.#alu(4, size, this.#reg(0, size), String(imm));
        return true;
      }
      case 0x86:
      case 0x87: {
        const size = index === 0x86 ? 1 : osz;
        const { reg, rm } = this.#modrm();
        if (rm.reg < 0) return false;
        const t = this.#temp('xv');
        this.#emit(`${t} = ${this.#reg(rm.reg, size)};`);
        this.#setReg(rm.reg, size, this.#reg(reg, size));
        this.#setReg(reg, size, t);
        return true;
      }
      case 0x88:
      case 0x89: {
        const size = index === 0x88 ? 1 : osz;
        const { reg, rm } = this.#modrm();
        const src = this.#temp('mv');
        this.#emit(`${src} = ${this.#reg(reg, size)};`);
        if (rm.reg >= 0) this.#setReg(rm.reg, size, src);
        else this.#store(rm, size, src);
        return true;
      }
      case 0x8a:
      case 0x8b: {
        const size = index === 0x8a ? 1 : osz;
        const { reg, rm } = this.#modrm();
        const v = this.#rmRead(rm, size);
        this.#setReg(reg, size, v);
        return true;
      }
      case 0x8d: {
        const { reg, rm } = this.#modrm();
        if (rm.reg >= 0) return false; // #UD: the interpreter raises it
        this.#setReg(reg, osz, osz === 4 ? rm.ea : `(${rm.ea}) & 65535`);
        return true;
      }
      case 0x90:
        return true;
      case 0x98:
        if (osz !== 4) return false;
        this.#setReg(0, 4, '(r0 << 16) >> 16');
        return true;
      case 0x99:
        if (osz !== 4) return false;
        this.#setReg(2, 4, 'r0 >> 31');
        return true;
      case 0xa0:
      case 0xa1:
      case 0xa2:
      case 0xa3: {
        const size = (index & 1) === 0 ? 1 : osz;
        const rm: RmOperand = { reg: -1, ea: String(this.#ops.imm32()), seg: this.#insn.segment >= 0 ? this.#insn.segment : DS };
        if (index < 0xa2) this.#setReg(0, size, this.#load(rm, size));
        else {
          const t = this.#temp('mv');
          this.#emit(`${t} = ${this.#reg(0, size)};`);
          this.#store(rm, size, t);
        }
        return true;
      }
      case 0xa4:
      case 0xa5:
      case 0xa6:
      case 0xa7:
      case 0xaa:
      case 0xab:
      case 0xac:
      case 0xad:
      case 0xae:
      case 0xaf:
        return this.#string(index, (index & 1) === 0 ? 1 : osz);
      case 0xc6:
      case 0xc7: {
        const size = index === 0xc6 ? 1 : osz;
        const { reg, rm } = this.#modrm();
        if (reg !== 0) return false;
        const imm = this.#ops.immN(size);
        if (rm.reg >= 0) this.#setReg(rm.reg, size, String(imm));
        else this.#store(rm, size, String(imm));
        return true;
      }
      case 0xc3:
      case 0xc2: {
        if (osz !== 4 || !ssFlat) return false;
        const n = index === 0xc2 ? this.#ops.imm16() : 0;
        const t = this.#load({ reg: -1, ea: 'r4', seg: SS }, 4);
        this.#setReg(4, 4, `(r4 + ${4 + n}) | 0`);
        this.#emit(this.#exitCode(t, this.#k + 1, ExitKind.Indirect, -1));
        this.#ended = true;
        return true;
      }
      case 0xc9: {
        if (osz !== 4 || !ssFlat) return false;
        const v = this.#load({ reg: -1, ea: 'r5', seg: SS }, 4);
        this.#setReg(4, 4, '(r5 + 4) | 0');
        this.#setReg(5, 4, v);
        return true;
      }
      case 0xe8: {
        if (osz !== 4 || !ssFlat) return false;
        const d = this.#ops.imm32();
        this.#push32(String(this.#next));
        this.#jumpTo((this.#next + d) | 0, this.#k + 1);
        return true;
      }
      case 0xe9: {
        if (osz !== 4) return false;
        const d = this.#ops.imm32();
        this.#jumpTo((this.#next + d) | 0, this.#k + 1);
        return true;
      }
      case 0xeb: {
        if (osz !== 4) return false;
        const d = this.#ops.imm8s();
        this.#jumpTo((this.#next + d) | 0, this.#k + 1);
        return true;
      }
      case 0xf6:
      case 0xf7: {
        const size = index === 0xf6 ? 1 : osz;
        const { reg: op, rm } = this.#modrm();
        if (op === 0) {
          const v = this.#rmRead(rm, size);
          this.#alu(4, size, v, String(this.#ops.immN(size)));
          return true;
        }
        if (op >= 4) return this.#mulDiv(op, size, rm);
        if (op !== 2 && op !== 3) return false;
        const apply = (v: string): string => {
          if (op === 3) return this.#alu(5, size, '0', v);
          const t = this.#temp('nt');
          this.#emit(`${t} = ${norm(`~${v}`, size)};`);
          return t;
        };
        if (rm.reg >= 0) this.#setReg(rm.reg, size, apply(this.#reg(rm.reg, size)));
        else this.#rmw(rm, size, apply);
        return true;
      }
      case 0xfe:
      case 0xff: {
        const size = index === 0xfe ? 1 : osz;
        const save = this.#ops.pos;
        const { reg: op, rm } = this.#modrm();
        if (op === 0 || op === 1) {
          if (rm.reg >= 0) this.#setReg(rm.reg, size, this.#incDec(op === 1, size, this.#reg(rm.reg, size)));
          else this.#rmw(rm, size, (v) => this.#incDec(op === 1, size, v));
          return true;
        }
        if (index === 0xfe || osz !== 4) return false;
        if (op === 2 || op === 4) {
          if (op === 2 && !ssFlat) return false;
          const v = this.#rmRead(rm, 4);
          const t = this.#temp('jt');
          this.#emit(`${t} = ${v};`);
          if (op === 2) this.#push32(String(this.#next));
          this.#emit(this.#exitCode(t, this.#k + 1, ExitKind.Indirect, -1));
          this.#ended = true;
          return true;
        }
        if (op === 6) {
          if (!ssFlat) return false;
          const v = this.#rmRead(rm, 4);
          const t = this.#temp('pv');
          this.#emit(`${t} = ${v};`);
          this.#push32(t);
          return true;
        }
        this.#ops.pos = save;
        return false;
      }
      case 0x1b6:
      case 0x1b7:
      case 0x1be:
      case 0x1bf: {
        const src = (index & 1) === 0 ? 1 : 2;
        const { reg, rm } = this.#modrm();
        const v = this.#rmRead(rm, src);
        const sh = src === 1 ? 24 : 16;
        const value = index >= 0x1be ? `((${v} << ${sh}) >> ${sh})` : v;
        this.#setReg(reg, osz, osz === 4 ? value : `(${value}) & 65535`);
        return true;
      }
      default:
        return false;
    }
  }

  /** Group 2 (C0 C1 D0 D1 D2 D3): shifts and rotates. */
  #group2(index: number, osz: number): boolean {
    const size = (index & 1) === 0 ? 1 : osz;
    const { reg: op, rm } = this.#modrm();
    const constant = index <= 0xd1;
    const count = index <= 0xc1 ? this.#ops.byte() & 31 : index <= 0xd1 ? 1 : -1;
    const apply = (v: string): string => {
      if (constant && count === 0) return v;
      const r = this.#temp('sr');
      if (size === 4 && constant && (op === 4 || op === 5 || op === 6 || op === 7)) {
        // SHL/SHR/SAR by a constant 1–31: inline, flags as the interpreter's `shift` leaves them.
        const u = this.#temp('su');
        const c = this.#temp('sc');
        const o = this.#temp('so');
        this.#emit(`${u} = ${v};`);
        if (op === 4 || op === 6) {
          this.#emit(`${r} = ${u} << ${count}; ${c} = (${u} >>> ${32 - count}) & 1; ${o} = ((${r} >>> 31) ^ ${c}) !== 0 ? 2048 : 0;`);
        } else if (op === 5) {
          this.#emit(`${r} = (${u} >>> ${count}) | 0; ${c} = (${u} >>> ${count - 1}) & 1; ${o} = ${count === 1 ? `${u} < 0 ? 2048 : 0` : '0'};`);
        } else {
          this.#emit(`${r} = ${u} >> ${count}; ${c} = (${u} >> ${count - 1}) & 1; ${o} = 0;`);
        }
        this.#producer = { kind: 'shift', size: 4, a: u, b: u, r, c, o };
        return r;
      }
      this.#flagsToCpu();
      this.#emit(`${r} = S.shift(cpu, ${op}, ${v}, ${constant ? count : '(r1 & 31)'}, ${size});`);
      return r;
    };
    if (rm.reg >= 0) this.#setReg(rm.reg, size, apply(this.#reg(rm.reg, size)));
    else this.#rmw(rm, size, apply);
    return true;
  }

  /** IMUL Gv,Ev (0F AF), IMUL Gv,Ev,Iz (69), IMUL Gv,Ev,Ib (6B). */
  #imul(index: number, osz: number): boolean {
    const { reg, rm } = this.#modrm();
    const v = this.#rmRead(rm, osz);
    const b = index === 0x1af ? this.#reg(reg, osz) : String(index === 0x69 ? this.#ops.immN(osz) : this.#ops.imm8s());
    this.#flagsToCpu();
    const r = this.#temp('mr');
    this.#emit(`${r} = S.imul(cpu, ${v}, ${b}, ${osz});`);
    this.#setReg(reg, osz, r);
    return true;
  }

  /** MUL, IMUL, DIV, IDIV of EDX:EAX (group 3 /4–/7) through the interpreter's arithmetic. */
  #mulDiv(op: number, size: number, rm: RmOperand): boolean {
    const v = this.#rmRead(rm, size);
    const t = this.#temp('dv');
    this.#emit(`${t} = ${v};`);
    this.#flagsToCpu();
    this.#emit('R[0] = r0; R[2] = r2;');
    if (op >= 6) this.#emit(this.#faultSite());
    this.#emit(`S.${op >= 6 ? 'divAcc' : 'mulAcc'}(cpu, ${t}, ${size}, ${op === 5 || op === 7}); r0 = R[0]; r2 = R[2];`);
    this.#written |= 5;
    return true;
  }

  /**
   * Whether the block should go on at a conditional branch's target rather than at its
   * fall-through: the target is in the page, not yet in the block, within the bound, and was
   * reached more than twice as often as the fall-through while both were cold.
   */
  #followTaken(target: number, retired: number): boolean {
    return followsTakenSide(this.#site(), this.#visits, target, this.#next, retired);
  }

  /**
   * A conditional branch: a side exit on one side, and the block goes on at the other (or ends
   * with two direct exits).
   */
  #branch(cc: number, target: number): void {
    const retired = this.#k + 1;
    if (this.#followTaken(target, retired)) {
      // The taken side is the hot one: leave when the branch is not taken, go on at the target.
      this.#emit(`if (${this.#condExpr(cc ^ 1)}) ${this.#exitCode(String(this.#next), retired, ExitKind.Direct, this.#next)}`);
      this.#redirect = target;
      this.#redirected = true;
      return;
    }
    const taken = target === this.#start ? this.#loopEdge(retired) : this.#exitCode(String(target), retired, ExitKind.Direct, target);
    this.#emit(`if (${this.#condExpr(cc)}) ${taken}`);
    // Not taken: the block goes on with the next instruction (within the page and the bound).
    if ((this.#next & ~0xfff) !== this.#pageBase || retired >= MAX_BLOCK_INSTRUCTIONS) {
      this.#emit(this.#exitCode(String(this.#next), retired, ExitKind.Direct, this.#next));
      this.#ended = true;
    }
  }
}

/**
 * Sensitive or I/O-sensitive instructions after which the block may go on when EIP is the next
 * instruction, nothing needs attention and no interrupt the guest accepts is pending (the checks
 * the engine makes between blocks): PUSHF only reads, CLI only masks interrupts, and IN and OUT
 * change device state, which those checks see (a device raising its IRQ, a reset or power-off
 * request). Everything else of those classes may change the mode and ends the block.
 */
const CONTINUES_AFTER_MONITOR_CALL: ReadonlySet<number> = new Set([0x9c, 0xfa, 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef]);

/**
 * Whether a block may go on after the interpreter (or the monitor) ran `insn` for it, once EIP
 * is the next instruction and nothing needs the engine: ordinary instructions and those of
 * {@link CONTINUES_AFTER_MONITOR_CALL}, except the ordinary ones that change what the block
 * assumed: MOV Sreg, POP Sreg, LDS/LES/LSS/LFS/LGS, STI and POPF (far transfers are system or
 * sensitive already).
 */
export function goesOnAfterInterpreter(insn: DecodedInstruction): boolean {
  const i = insn.index;
  const cls = insn.form?.cls ?? InstructionClass.Ordinary;
  if (cls !== InstructionClass.Ordinary && !CONTINUES_AFTER_MONITOR_CALL.has(i)) return false;
  return !(i === 0x8e || i === 0x07 || i === 0x17 || i === 0x1f || i === 0x1a1 || i === 0x1a9 || i === 0xc4 || i === 0xc5 || i === 0x1b2 || i === 0x1b4 || i === 0x1b5 || i === 0xfb || i === 0x9d);
}

/**
 * Whether the JavaScript backend ends the block after the interpreter ran `insn` for it: where
 * {@link goesOnAfterInterpreter} says no, and for string instructions with REP (they run in
 * chunks).
 */
function endsBlockWhenInterpreted(insn: DecodedInstruction): boolean {
  return insn.rep !== 0 || !goesOnAfterInterpreter(insn);
}

/** One-byte and 0F opcodes that transfer control (they end a block). */
const TRANSFERS: ReadonlySet<number> = new Set([0xc2, 0xc3, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xe0, 0xe1, 0xe2, 0xe3, 0xe8, 0xe9, 0xea, 0xeb, 0x9a, 0x134, 0x135]);

/** Whether `insn` transfers control: those of {@link TRANSFERS}, Jcc, and CALL/JMP through FF or FE /2–/7. */
export function transfersControl(insn: DecodedInstruction): boolean {
  const i = insn.index;
  if (TRANSFERS.has(i) || (i >= 0x70 && i < 0x80) || (i >= 0x180 && i < 0x190)) return true;
  return (i === 0xff || i === 0xfe) && insn.modrm >= 0 && ((insn.modrm >> 3) & 7) >= 2;
}

/**
 * How many instructions the block at `bytes[offset]` would hold, without compiling it (for cold
 * blocks, which the engine interprets that many instructions at a time). 0 when the first
 * instruction crosses the page end.
 */
export function scanBlock(bytes: Uint8Array, offset: number): number {
  let off = offset;
  let n = 0;
  while (n < MAX_BLOCK_INSTRUCTIONS) {
    const insn = decodeInstruction(bytes, off, true);
    if (insn === undefined) break;
    n++;
    off += insn.length;
    if (transfersControl(insn) || endsBlockWhenInterpreted(insn)) break;
  }
  return n;
}
