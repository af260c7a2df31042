/**
 * The WebAssembly block compiler: the second backend of the translator. It decodes one guest
 * block as the JavaScript {@link BlockCompiler} does (loops to the block's start, direct jumps
 * within the page followed, the hot side of a branch followed), except that where both sides of
 * a conditional branch were reached often it compiles both, one inside an `if` (a tree of paths,
 * bounded by {@link MAX_TREE_INSTRUCTIONS}), and emits a
 * WebAssembly function that runs it over the machine's {@link HostArena}, where guest RAM, the
 * TLB, the registers and the segment state live ({@link blockModule} puts several such
 * functions in one module). WebAssembly needs no type feedback: the host compiles a new module at
 * once with its baseline compiler and optimizes the busiest functions in the background.
 *
 * The function is `(budget, fl) → exit` (-1 for a bail-out, -2 for a refusal to run): `budget`
 * is how many instructions the slice still allows, `fl` EFLAGS.DF (bit 0) and whether to poll
 * for events (bit 1: IF is set and the interrupt controller's request may change with guest time
 * alone); its data accesses check the TLB flags of its privilege. It reports through a mailbox in the
 * arena: the next EIP, the instructions retired, and the lazy flags it left (see
 * {@link MailboxWord}). Every exit goes through one shared epilogue that writes the mailbox and
 * the registers.
 *
 * It handles a subset of the forms: integer moves, ALU operations, shifts, rotates by constants,
 * IMUL, MUL and IMUL of EAX by a dword, BSWAP, CMPXCHG, string instructions without REP, stack operations
 * and control transfers, with memory operands in any segment. Any memory access that misses the
 * TLB's inline path (miss, MMIO, page crossing, a write to a traced code page, no permission, an
 * offset outside the segment) leaves the block *before* the instruction changes anything (a
 * bail-out exit), and the engine interprets that one instruction: faults and device accesses are
 * the interpreter's. A form the backend does not handle ends the block before it (an ordinary
 * direct exit); a block whose first instruction is such a form is not compiled here (the
 * JavaScript backend takes it).
 */
import { decodeInstruction, type DecodedInstruction } from '@popek/cpu-x86';
import { TlbFlag } from '@popek/mmu';
import { ExitKind, ModeBit, goesOnAfterInterpreter, transfersControl, type ExitSpec } from './block-compiler.js';
import { MAX_BLOCK_INSTRUCTIONS, directTransfer, followsTakenSide, newInBlock, type BlockSite } from './block-shape.js';
import { OperandReader, isPrefix } from './operand-reader.js';
import { I32, Op, VOID, bin, buildModule, eqz, get, k, load32, loadAt, memarg, select, typeIndexOf, uleb, type Code, type FunctionSpec } from './wasm-module.js';

/** Where the block's state lives in the arena (byte offsets). */
export interface WasmLayout {
  /** The TLB (one int32 per linear page). */
  readonly tlb: number;
  /** Guest RAM (the frame pool; TLB entries hold offsets relative to it). */
  readonly ram: number;
  /** The eight general registers (int32 each). */
  readonly regs: number;
  /**
   * The segment state: bases (six int32), then the lowest valid offsets, the highest valid for
   * reads and the highest valid for writes (six doubles each), as `X86Cpu` lays them out.
   */
  readonly segments: number;
  /** The mailbox ({@link MailboxWord}). */
  readonly mailbox: number;
  /** The arena's maximum size in 64 KiB pages. */
  readonly maximumPages: number;
  /** The dispatcher's link words: `LINKS_PER_SLOT` per table slot, the slot each exit chains to (0: none). */
  readonly links: number;
  /** The dispatcher's hash table of blocks by EIP. */
  readonly hash: number;
  /** One word per table slot: bit x set when exit x of the block is a direct one (linkable). */
  readonly direct: number;
}

/** Words (int32) of the mailbox a block writes when it exits. */
export const MailboxWord = {
  /** The next EIP. */
  Eip: 0,
  /** Instructions retired by this call. */
  Retired: 1,
  /** 0: the block left the flags as they were; otherwise a {@link FlagState}. */
  Flags: 2,
  /** 1 for an addition, 2 for a subtraction (FlagState.Arith and .Carry). */
  Op: 3,
  /** First operand. */
  A: 4,
  /** Second operand. */
  B: 5,
  /** Result. */
  Res: 6,
  /** Operand size in bytes. */
  Size: 7,
  /** CF (0 or 1) where the state carries it. */
  Cf: 8,
  /** OF (0 or the OF bit) where the state carries it. */
  Of: 9,
  /**
   * Instructions retired by the chain of blocks before the running one: a block that goes on to
   * the next through a tail call adds its own; the dispatcher adds those of a block that returns.
   */
  Total: 10,
  /** The table slot of the last block that returned to the dispatcher (each writes its own). */
  Slot: 11,
  /**
   * Transfers from block to block through a link, without returning to the engine: a block's
   * tail call, or the dispatcher following the link of a block that returned.
   */
  Chained: 12,
  /**
   * Transfers from block to block through the hash table, without returning to the engine: a
   * block's tail call at an indirect exit, or the dispatcher's lookup after a block returned.
   */
  LookedUp: 13,
  /**
   * Set (to 1) by a block that leaves before an access whose widened page check failed when its
   * own would have passed (see `WasmBlockOptions.shareChecks`); the engine clears it.
   */
  SharedCheckFailed: 14,
} as const;

/**
 * Exits per block that can be linked (exit ids 0–31, as many as the bits of a slot's mask of
 * direct exits); later exits go through the dispatcher's hash table.
 */
export const LINKS_PER_SLOT = 32;

/** Entries of the hash table of WebAssembly blocks by EIP (a power of two). */
export const HASH_ENTRIES = 16_384;

/** Bytes per hash table entry: EIP, mode key, slot (0: empty), unused. */
export const HASH_ENTRY_BYTES = 16;

/** The int32 index, in the hash table, of the entry for `eip` ({@link hashOffset} hashes alike). */
export function hashEntry(eip: number): number {
  return (((eip ^ (eip >>> 12)) & (HASH_ENTRIES - 1)) * HASH_ENTRY_BYTES) >>> 2;
}

/** The byte offset, in the hash table, of the entry for the EIP `eip` computes. */
export function hashOffset(eip: Code): Code {
  return bin(Op.i32Shl, bin(Op.i32And, bin(Op.i32Xor, eip, bin(Op.i32ShrU, eip, k(12))), k(HASH_ENTRIES - 1)), k(Math.log2(HASH_ENTRY_BYTES)));
}

/** The mailbox word `word` (for the blocks and the dispatcher). */
export function mailboxWord(layout: WasmLayout, word: number): Code {
  return load32(layout.mailbox + word * 4);
}

/** Stores `v` in the mailbox word `word`. */
export function mailboxWrite(layout: WasmLayout, word: number, v: Code): Code {
  const c = [...k(0), ...v, Op.i32Store];
  memarg(c, layout.mailbox + word * 4);
  return c;
}

/** Bytes of the mailbox. */
export const MAILBOX_BYTES = 64;

/** The result of a block (and of the dispatcher) that left before an instruction it could not complete inline. */
export const BAIL = -1;

/**
 * The result of a block that refused to run when the dispatcher chained to it: the slice's
 * budget cannot hold it, or its page is no longer mapped as when it was compiled (EIP is
 * its start; nothing ran).
 */
export const REFUSED = -2;

/**
 * The result of a block (and of the dispatcher) that left after an instruction the interpreter
 * ran for it (see `interp` in {@link BLOCK_HELPERS}) because the engine has to look: EIP is not
 * the next instruction (a transfer, a REP string instruction not finished in one chunk), an
 * event is waiting, or translations were dropped. The state is complete, EIP included.
 */
export const LEFT = -3;

/** The most bytes an x86 instruction may have. */
export const MAX_INSTRUCTION_BYTES = 15;

/** The signature of a block function: (budget, fl) → exit. */
export const BLOCK_TYPE = { params: 2, results: 1 } as const;

/** How the lazy flags a block leaves are described in the mailbox. */
export const FlagState = {
  /** ADD, SUB, CMP (all six flags from operands and result). */
  Arith: 1,
  /** ADC, SBB, INC, DEC (CF given; the others from operands and result). */
  Carry: 2,
  /** Shifts (CF and OF given; ZF, SF, PF from the result; AF cleared). */
  Shift: 3,
  /** Logic (CF, OF, AF cleared; ZF, SF, PF from the result). */
  Logic: 4,
} as const;

/** The helpers, by their index in the helper table. */
const HELPER_COND = 0;
const HELPER_CF = 1;
const HELPER_POLL = 2;
const HELPER_ROT = 3;
const HELPER_INTERP = 4;
/**
 * The functions a block calls through the helper table a block module imports (see
 * {@link blockModule}), by their index in it: `cond(cc)` and `cf()`, the incoming flags;
 * `poll(retired)`, whether an event waits at a loop edge; `rot(bits)`, CF and OF of ROL and ROR
 * over the incoming flags; `interp(eip, next, retired, class)`, the interpreter runs the
 * instruction at `eip` (registers and flags in memory and the mailbox) and leaves EIP in the
 * mailbox: 0 when the block may go on at `next`, else 1. All are WebAssembly functions.
 */
export const BLOCK_HELPERS = [
  { name: 'cond', type: { params: 1, results: 1 } },
  { name: 'cf', type: { params: 0, results: 1 } },
  { name: 'poll', type: { params: 1, results: 1 } },
  { name: 'rot', type: { params: 1, results: 0 } },
  { name: 'interp', type: { params: 4, results: 1 } },
] as const;

/**
 * The one function a block module imports, `next(budget, fl, slot)`: the dispatcher's entry that
 * tail-calls the block in table slot `slot` (function 0).
 */
export const BLOCK_NEXT = { name: 'next', type: { params: 3, results: 1 } } as const;

/** The types a block module declares besides its import's: the blocks' own, then the helpers'. */
const BLOCK_MODULE_TYPES = [BLOCK_TYPE, ...BLOCK_HELPERS.map((f) => f.type)];

/** Per helper, the index of its type in a block module. */
const HELPER_TYPE = BLOCK_HELPERS.map((f) => typeIndexOf({ imports: [BLOCK_NEXT], functions: [], extraTypes: BLOCK_MODULE_TYPES }, f.type));

/** Calls helper `i` through the helper table (its arguments on the stack). */
function helper(i: number): Code {
  return [...k(i), Op.callIndirect, HELPER_TYPE[i]!, 0];
}


/**
 * Most guest instructions compiled into one block on all its paths (a conditional branch whose
 * sides are both taken often enough compiles both, see {@link WasmBlockCompiler}'s `#forkSide`).
 */
export const MAX_TREE_INSTRUCTIONS = 128;

/** Instructions the block must have room for to take both sides of a branch. */
const MIN_FORK_ROOM = 8;

/** A branch's sides are both compiled when the rarer was reached at least 1/FORK_RATIO as often. */
const FORK_RATIO = 16;

/** Locals: parameters, registers, scratch. */
const P_BUDGET = 0;
/**
 * EFLAGS.DF in bit 0, and in bit 1 whether loop edges poll for events (EFLAGS.IF set, and an
 * interrupt controller whose request may change with guest time alone): constant within a call
 * (CLD, STD, CLI, STI, POPF and IRET end blocks).
 */
const P_FL = 1;
const PARAMS = BLOCK_TYPE.params;
const L_REG = 2; // r0…r7: 2…9
const L_X = 10; // exit id
const L_DONE = 11; // instructions retired by earlier loop iterations
const L_LIM = 12; // budget - COUNT: the loop goes on while done + retired <= lim
const L_A = 13;
const L_E = 14;
const L_O = 15;
// What an exit hands to the shared epilogue: the next EIP, instructions retired in this
// iteration, and the lazy flags (a descriptor, 0 for none, and the producer's values, which
// every producer copies here).
const L_EIP = 16;
const L_RET = 17;
const L_FDESC = 18;
const L_FA = 19;
const L_FB = 20;
const L_FR = 21;
const L_FC = 22;
const L_FO = 23;
/**
 * Host offsets of accesses whose page checks later accesses on the same path reuse (see
 * {@link CheckedPage}).
 */
const L_PAGE = 24;
const PAGE_SLOTS = 8;
const FIRST_TEMP = L_PAGE + PAGE_SLOTS;
/**
 * The widest range of bytes one page check covers (see {@link PageCheck}): the wider, the likelier
 * that an access's neighbours straddle a page end and the block leaves before it.
 */
const MAX_CHECK_SPAN = 256;

/**
 * What an inline access does ({@link WasmBlockCompiler}'s `#access`): data reads and writes
 * need the TLB flags of the block's privilege, constants in its code (see
 * {@link WasmBlockCompiler.compile}). The engine runs no block while the CPU's data fast paths
 * are closed (alignment checks, data breakpoints).
 */
const RD = 1;
const WR = 2;

const ES = 0;
const SS = 2;
const DS = 3;

/** After the bail-out of an access (see `#accessHead`): `end`, then the host offset in `L_O`. */
const ACCESS_TAIL: readonly number[] = [Op.end, ...bin(Op.i32Or, bin(Op.i32And, get(L_E), k(-4096)), bin(Op.i32And, get(L_A), k(4095))), Op.localSet, L_O];

/** The parts of `[base + disp]` (`base` -1: the offset `disp` alone). */
function basePlus(base: number, disp: number): AddressParts {
  return { base, index: -1, scale: 0, disp };
}

/** The bytes of `#accessHead` by layout (compilers come and go, one per block). */
const ACCESS_HEADS = new WeakMap<WasmLayout, Map<number, readonly number[]>>();

const MASK: Record<number, number> = { 1: 255, 2: 65535, 4: -1 };
const SIGN: Record<number, number> = { 1: 128, 2: 32768, 4: -2147483648 };

type ProducerKind = 'add' | 'sub' | 'adc' | 'sbb' | 'inc' | 'dec' | 'logic' | 'shift';

interface Producer {
  readonly kind: ProducerKind;
  readonly size: number;
  readonly a: number;
  readonly b: number;
  readonly r: number;
  /**
   * CF local (0/1) of ADC/SBB/INC/DEC/shifts, else -1; {@link DEFERRED_CF} for an INC or DEC that
   * keeps the incoming CF the block has not read yet.
   */
  readonly c: number;
  /** OF local (0 or 2048) of shifts, else -1. */
  readonly o: number;
}

interface RmOperand {
  readonly reg: number;
  readonly ea: Code;
  readonly seg: number;
  /** What the offset is made of, when it is `base + (index << scale) + disp` (see {@link CheckedPage}). */
  readonly parts?: AddressParts;
}

/** An offset `base + (index << scale) + disp`; -1 for a register that is not there. */
interface AddressParts {
  readonly base: number;
  readonly index: number;
  readonly scale: number;
  readonly disp: number;
}

/**
 * What the TLB check of an access whose page later accesses stand on (see {@link CheckedPage})
 * verifies: that the bytes `lo` to `hi` (from the access's address; `lo` <= 0 < `hi`) are on one
 * page whose TLB entry has the flags `mask`. Each later access widens it to cover its own bytes
 * and permissions; the later access itself is then made with no check at all. The check's
 * constants depend on the widening, so the output leaves them out (`maskAt` and `offsetAt` are
 * where they go) until the block is assembled (see `WasmBlockCompiler.#finalChecks`). When the
 * check fails the block leaves before the first access, and the interpreter makes it.
 */
interface PageCheck {
  lo: number;
  hi: number;
  mask: number;
  /** Where `i32.const mask` goes in the output. */
  readonly maskAt: number;
  /** Where `i32.const lo; i32.add` (when `lo` is not 0) and `i32.const span` go in the output. */
  readonly offsetAt: number;
  /** The access's own size and permissions (the check before any widening). */
  readonly size: number;
  readonly want: number;
  /** Where the code that reports a failed widened check is in the output (start and end). */
  readonly reportAt: number;
  readonly reportEnd: number;
}

/**
 * An access earlier on the block's path whose TLB check a later access may stand on: the later
 * one, made of the same registers with no write to them in between (a constant added to one, as
 * PUSH, POP, CALL and RET add to ESP, is taken into account), is a known distance `delta` away; once the
 * earlier access's check covers its bytes and permissions too, its host offset is the earlier
 * one's plus `delta`. Nothing on a path changes the TLB but a call to the interpreter, after
 * which the compiler forgets every page; the loop back to the block's start reaches code
 * compiled with none known; the other side of a branch starts with what the compiler knew at the
 * branch (a check widened on one side stays wide: the block only leaves more often).
 */
interface CheckedPage {
  readonly base: number;
  readonly index: number;
  readonly scale: number;
  /** The registers' versions when the access was made (see `WasmBlockCompiler.#regVersion`). */
  readonly baseVersion: number;
  readonly indexVersion: number;
  /** The constants added to the registers until then (see `WasmBlockCompiler.#regShift`). */
  readonly baseShift: number;
  readonly indexShift: number;
  readonly disp: number;
  readonly check: PageCheck;
  /** The slot whose local holds its host offset. */
  readonly slot: number;
}

/** The compiler's knowledge of registers and checked pages at one point of a path. */
interface PageState {
  readonly pages: readonly (CheckedPage | undefined)[];
  readonly versions: readonly number[];
  readonly shifts: readonly number[];
  readonly nextSlot: number;
}

/**
 * The CF of an INC or DEC that found no producer in the block (or another such INC or DEC): the
 * incoming CF, which the `cf` helper evaluates from the state in the mailbox only when something
 * reads it. The mailbox still holds that state then: every write of the mailbox's flags first
 * evaluates a deferred CF (see `#flagsToMailbox`), and afterwards holds the INC's own CF. A loop
 * whose head is an INC or DEC, its CF overwritten unread, so makes no call per iteration.
 */
const DEFERRED_CF = -2;

/** A form this backend does not handle: the block ends before the instruction. */
class Unsupported extends Error {}

const UNSUPPORTED = new Unsupported('form not handled by the WebAssembly backend');

function unsupported(): never {
  throw UNSUPPORTED;
}

/** The little-endian bytes of a double (for `f64.const`). */
function f64Bytes(v: number): readonly number[] {
  let b = F64_BYTES.get(v);
  if (b === undefined) {
    b = [...new Uint8Array(new Float64Array([v]).buffer)];
    F64_BYTES.set(v, b);
  }
  return b;
}

/** {@link f64Bytes} by value (a block asks for the same few constants). */
const F64_BYTES = new Map<number, readonly number[]>();

/** Bytes of the buffer that function bodies are carved from (see {@link bodyBytes}). */
const BODY_POOL_BYTES = 1 << 18;
let bodyPool = new Uint8Array(BODY_POOL_BYTES);
let bodyPoolUsed = 0;

/**
 * `n` bytes for a function body: a view of a shared buffer (a new buffer when this one is used
 * up; the views keep theirs alive), as a fresh array per block costs the host an allocation and
 * a collection each.
 */
function bodyBytes(n: number): Uint8Array {
  if (n > BODY_POOL_BYTES >>> 2) return new Uint8Array(n);
  if (bodyPoolUsed + n > BODY_POOL_BYTES) {
    bodyPool = new Uint8Array(BODY_POOL_BYTES);
    bodyPoolUsed = 0;
  }
  const b = bodyPool.subarray(bodyPoolUsed, bodyPoolUsed + n);
  bodyPoolUsed += n;
  return b;
}

/**
 * `block block (cond br_if 0)* br 1 end`: what follows runs when any of `conds` holds (up to
 * the outer block's `end`, which the caller writes), with one branch per condition (a combined
 * boolean costs the host a register and a set per test).
 */
function anyOf(conds: readonly Code[]): number[] {
  const c: number[] = [Op.block, VOID, Op.block, VOID];
  for (const cond of conds) {
    append(c, cond);
    c.push(Op.brIf, 0);
  }
  c.push(Op.br, 1, Op.end);
  return c;
}

/**
 * The conditions under which an access of `size` bytes at `L_A`, whose page's TLB entry is in
 * `L_E`, cannot be made inline: the entry lacks a flag of `want`; the access crosses its page
 * (for `size` > 1).
 */
function accessRefusals(want: number, size: number): Code[] {
  const single = (want & (want - 1)) === 0;
  const denied = single ? eqz(bin(Op.i32And, get(L_E), k(want))) : bin(Op.i32Ne, bin(Op.i32And, get(L_E), k(want)), k(want));
  return size === 1 ? [denied] : [denied, bin(Op.i32GtU, bin(Op.i32And, get(L_A), k(4095)), k(4096 - size))];
}

/** Appends `code` to `out`. */
function append(out: number[], code: readonly number[]): void {
  for (let i = 0; i < code.length; i++) out.push(code[i]!);
}

/** Bits of a packed bail-out's EIP, as an offset from the block's page (see {@link packBail}). */
const PACK_EIP_BITS = 13;
/** Bits of a packed bail-out's count of instructions retired. */
const PACK_RETIRED_BITS = 6;

/**
 * A bail-out's EIP (`offset` from the block's page), instructions retired and flags descriptor
 * (`#flagsDescriptor`) as one int32 constant, or undefined when one does not fit: bits 0–12 the
 * offset (this page or the next), 13–18 the instructions, 19–26 the descriptor (state in 3
 * bits, operation in 2, size in 3). A bail-out then costs a constant and a branch instead of
 * four locals set.
 */
function packBail(offset: number, retired: number, descriptor: number): number | undefined {
  const state = descriptor & 255;
  const op = (descriptor >>> 8) & 255;
  const size = descriptor >>> 16;
  if (offset < 0 || offset >= 1 << PACK_EIP_BITS || retired < 0 || retired >= 1 << PACK_RETIRED_BITS) return undefined;
  if (state > 7 || op > 3 || size > 7) return undefined;
  const fd = state | (op << 3) | (size << 5);
  return offset | (retired << PACK_EIP_BITS) | (fd << (PACK_EIP_BITS + PACK_RETIRED_BITS));
}

/** Normalises to an operand size: dwords wrap, bytes and words are masked. */
function norm(v: Code, size: number): Code {
  return size === 4 ? v : bin(Op.i32And, v, k(MASK[size]!));
}

/**
 * A module defining the block functions `blocks` (compiled by {@link WasmBlockCompiler}s for
 * `layout`), exported under their index (see {@link exportName}). It imports the memory,
 * {@link BLOCK_NEXT} and the helper table `e.t`, whose entries are the {@link BLOCK_HELPERS}: a
 * block given its slot goes on to a linked block with a tail call to `next`, the dispatcher's own
 * tail call through the table of blocks. V8 in Node 20 compiles a wrapper for each imported
 * function's signature with every module (about 0.3 ms a module for six helpers, as much again
 * as the rest of a module of 23 blocks), and keeps a copy of an imported table per instance, so
 * that instantiating a module would cost in proportion to the table of blocks, and setting an
 * entry or growing it in proportion to the modules; the helpers, called less often than `next`,
 * go through the small table. The host's cost of a module is mostly per module, not per function:
 * blocks are cheaper compiled together.
 */
export function blockModule(layout: WasmLayout, blocks: readonly FunctionSpec[]): Uint8Array {
  return buildModule({ memoryMaximumPages: layout.maximumPages, tableMinimum: BLOCK_HELPERS.length, imports: [BLOCK_NEXT], extraTypes: BLOCK_MODULE_TYPES, functions: blocks });
}

/** What {@link WasmBlockCompiler.compile} produced. */
export interface CompiledWasm {
  /** The block's function (see {@link blockModule}). */
  readonly function: FunctionSpec;
  /**
   * Guest instructions on the block's longest path: at most this many run before it leaves or
   * goes round its loop (the budget a call needs).
   */
  readonly count: number;
  /** Guest instructions compiled, on all the block's paths. */
  readonly instructions: number;
  /** Bytes of guest code compiled, on all the block's paths. */
  readonly bytes: number;
  /** The exits, indexed by the function's result. */
  readonly exits: readonly ExitSpec[];
  /** Rotates whose CF and OF the block leaves out because later instructions overwrite them unread. */
  readonly deadRotateFlags: number;
  /** Accesses made with no check of their own, on an earlier access's widened check. */
  readonly sharedChecks: number;
  /**
   * Whether the block runs an instruction that crosses into the next page inline, on the bytes
   * it found there (see {@link WasmBlockCompiler.compile}'s `nextHostPage`): a write to that page
   * must drop the block as a write to its own does.
   */
  readonly crossesPage: boolean;
}

/** Options of {@link WasmBlockCompiler}. */
export interface WasmBlockOptions {
  /**
   * Whether an access may stand on an earlier access's page check, widening it (default true).
   * A block whose widened checks keep failing (neighbouring accesses that straddle a page end,
   * say) leaves before its first access each time; the engine compiles it again without.
   */
  readonly shareChecks?: boolean;
}

/**
 * Compiles one block into a WebAssembly module. Create one per translation:
 * `compile(bytes, offset, eip, mode)` as for {@link BlockCompiler}.
 */
export class WasmBlockCompiler {
  #out: number[] = [];
  /**
   * The length {@link WasmBlockCompiler.#out} had right after the last `local.set` of
   * {@link WasmBlockCompiler.#setLocal} that {@link WasmBlockCompiler.#set} emitted (-1: none
   * to merge with).
   */
  #setEnd = -1;
  #setLocal = -1;
  #exits: ExitSpec[] = [];
  #producer: Producer | undefined;
  #locals = FIRST_TEMP;
  #maxLocals = FIRST_TEMP;
  #used = 0;
  #written = 0;
  #depth = 0;
  #k = 0;
  #eip = 0;
  #next = 0;
  #mode = 0;
  #ended = false;
  #start = 0;
  #pageBase = 0;
  #redirect = 0;
  #redirected = false;
  readonly #ops = new OperandReader();
  #hostPage = 0;
  #exFlag = 0;
  /** The first bytes of the page after the block's, when it was executable RAM at compile time. */
  #nextPage: Uint8Array | undefined;
  /** The host offset of the next page's RAM at compile time, or -1: crossing instructions go through the interpreter. */
  #nextHostPage = -1;
  /** An instruction crossing into the next page was compiled inline. */
  #crossed = false;
  /** The block's table slot (0: none, the block always returns to the dispatcher). */
  #slot = 0;
  /** {@link #accessHead}'s bytes by permission flags and size, for this layout. */
  readonly #accessHeads: Map<number, readonly number[]>;
  /** The TLB flag a data read at the block's privilege needs. */
  #rdFlag: number = TlbFlag.ReadSupervisor;
  /** The TLB flag a write at the block's privilege needs. */
  #wrFlag: number = TlbFlag.WriteSupervisor;
  #insn!: DecodedInstruction;
  readonly #layout: WasmLayout;
  readonly #visits: ((eip: number) => number) | undefined;
  /** EIPs of the instructions on the path under compilation (see {@link WasmBlockCompiler.#path}). */
  #visited = new Set<number>();
  /** Instructions compiled on all paths so far. */
  #total = 0;
  /** The value of {@link WasmBlockCompiler.#total} at which the path under compilation must end. */
  #limit = 0;
  /** Instructions on the block's longest path. */
  #longest = 0;
  /** Bytes of guest code compiled on all paths. */
  #covered = 0;
  /** Whether a rotate may leave out CF and OF that later instructions overwrite unread. */
  #deadFlags = true;
  /**
   * While not -1: the EIP of the instruction that overwrites the CF and OF a rotate left out
   * (see {@link WasmBlockCompiler.#rotateFlagsDead}); the block must reach it with no exit and no
   * call in between.
   */
  #deadUntil = -1;
  /** An exit or a call came while {@link WasmBlockCompiler.#deadUntil} was pending. */
  #deadBroken = false;
  /** Rotates whose flags were left out. */
  #deadRotates = 0;
  /** Checked pages by slot (see {@link CheckedPage}). */
  #pages: (CheckedPage | undefined)[] = new Array<CheckedPage | undefined>(PAGE_SLOTS).fill(undefined);
  /** The slot the next checked page takes when none is free. */
  #nextSlot = 0;
  /** Per register, a number that changes at every write of it but those that add a constant. */
  #regVersion: number[] = [0, 1, 2, 3, 4, 5, 6, 7];
  #versions = 8;
  /** Per register, the sum of the constants added to it since its version changed. */
  #regShift: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  /** The nesting depth of the current instruction's start: the path's straight line. */
  #lineDepth = 0;
  /** Whether accesses may stand on earlier ones' page checks (see {@link WasmBlockOptions}). */
  readonly #shareChecks: boolean;
  /** Accesses compiled with no check of their own. */
  #sharedChecks = 0;
  /** The patchable page checks in the output, in its order (see `#finalChecks`). */
  readonly #checks: PageCheck[] = [];

  /**
   * @param layout - where the TLB, RAM, registers and mailbox are in the arena
   * @param visits - the engine's visit counts (see {@link BlockCompiler})
   */
  constructor(layout: WasmLayout, visits?: (eip: number) => number, options: WasmBlockOptions = {}) {
    this.#layout = layout;
    this.#visits = visits;
    this.#shareChecks = options.shareChecks ?? true;
    let heads = ACCESS_HEADS.get(layout);
    if (heads === undefined) {
      heads = new Map();
      ACCESS_HEADS.set(layout, heads);
    }
    this.#accessHeads = heads;
  }

  /**
   * Compiles the block at `bytes[offset]` (EIP `eip`, mode key `mode`). Returns undefined when
   * the first instruction is a form this backend does not handle, or crosses the page end while
   * `nextPage` is not given.
   *
   * `nextPage`, when given, holds at least the first {@link MAX_INSTRUCTION_BYTES} bytes of the
   * page that follows in the guest's linear order, read when it was executable RAM: an
   * instruction that crosses the page end is then decoded with them, as the block's last
   * instruction (see `#acrossPage`). With `nextHostPage`, the host offset of that page's RAM,
   * the block runs it inline on those bytes after checking that the TLB still maps the page there
   * (else it leaves before it), and reports {@link CompiledWasm.crossesPage} (the engine must then
   * drop the block on a write to that page); without, or for a control transfer, the interpreter
   * runs it from inside the block.
   *
   * `slot`, when not 0, is the table slot the block will be installed in: a direct exit whose
   * link the dispatcher has set ({@link WasmLayout.links}), and an indirect exit (RET, JMP or CALL
   * through a register or memory) to an EIP the hash table ({@link WasmLayout.hash}) holds for
   * the block's mode key, then go on to the next block with a tail call (to the imported `next`,
   * which tail-calls the table's slot), as long as no event poll is asked for (bit 1 of `fl`),
   * instead of returning to the dispatcher.
   * The block adds its instructions to {@link MailboxWord.Total} and counts the transfer in
   * {@link MailboxWord.Chained} or {@link MailboxWord.LookedUp} first, as the dispatcher would;
   * the next block checks on entry that it may run, as when the dispatcher calls it.
   */
  compile(bytes: Uint8Array, offset: number, eip: number, mode: number, hostPage: number, exFlag: number, nextPage?: Uint8Array, slot = 0, nextHostPage = -1): CompiledWasm | undefined {
    this.#slot = slot;
    this.#hostPage = hostPage;
    this.#exFlag = exFlag;
    this.#nextPage = nextPage;
    this.#nextHostPage = nextPage !== undefined ? nextHostPage : -1;
    // Data accesses need the flags of the block's privilege (CPL 3: user; else supervisor), as
    // constants. (The CPU's own flags are 0 while alignment checks or data breakpoints close its
    // fast paths; the engine then runs no WebAssembly block.)
    const user = (mode & ModeBit.Cpl) === 3;
    this.#rdFlag = user ? TlbFlag.ReadUser : TlbFlag.ReadSupervisor;
    this.#wrFlag = user ? TlbFlag.WriteUser : TlbFlag.WriteSupervisor;
    this.#ops.bytes = bytes;
    this.#mode = mode;
    this.#start = eip | 0;
    this.#pageBase = (eip & ~0xfff) | 0;
    this.#visited.clear();
    this.#limit = MAX_TREE_INSTRUCTIONS;
    if (this.#path(offset, eip | 0, 0) === 0) return undefined;
    if (this.#deadUntil !== -1 || this.#deadBroken) {
      // A rotate's flags were left out on a promise the block did not keep: compile it again
      // with every rotate's flags.
      const again = new WasmBlockCompiler(this.#layout, this.#visits, { shareChecks: this.#shareChecks });
      again.#deadFlags = false;
      return again.compile(bytes, offset, eip, mode, hostPage, exFlag, nextPage, slot, nextHostPage);
    }
    const count = this.#longest;
    return {
      function: this.#assemble(count),
      count,
      instructions: this.#total,
      bytes: this.#covered,
      exits: this.#exits,
      deadRotateFlags: this.#deadRotates,
      sharedChecks: this.#sharedChecks,
      crossesPage: this.#crossed,
    };
  }

  /**
   * Compiles one path of the block, from the instruction at `pc` (`off` in the page) with
   * `count` instructions before it on the path, until it leaves the block; returns the path's
   * length in instructions (0 when not even its first instruction is handled: nothing emitted).
   */
  #path(off: number, pc: number, count: number): number {
    const bytes = this.#ops.bytes;
    const visited = this.#visited;
    for (; count < MAX_BLOCK_INSTRUCTIONS && this.#total < this.#limit && !this.#ended; count++) {
      if (visited.has(pc)) {
        this.#k = count - 1;
        if (pc === this.#start) this.#loopEdge(count);
        else this.#exitDirect(pc, count);
        this.#ended = true;
        break;
      }
      let insn = decodeInstruction(bytes, off, true);
      const across = insn === undefined;
      if (across) insn = this.#acrossPage(off);
      if (insn === undefined) break;
      this.#insn = insn;
      this.#k = count;
      this.#eip = pc;
      this.#next = (pc + insn.length) | 0;
      this.#redirected = false;
      // Not handled: the path ends before it. (One that crosses the page end, the interpreter runs.)
      if (!(across ? this.#acrossInline(off) || this.#viaInterpreter() : this.#instruction(off))) break;
      if (pc === this.#deadUntil) this.#deadUntil = -1;
      visited.add(pc);
      this.#total++;
      this.#covered += insn.length;
      if (across) {
        // The path ends after an instruction that crosses the page end.
        pc = this.#next;
        count++;
        break;
      }
      if (this.#redirected) {
        pc = this.#redirect;
        off = pc - this.#pageBase;
      } else {
        off += insn.length;
        pc = this.#next;
      }
    }
    if (count === 0) return 0;
    if (!this.#ended) {
      this.#k = count - 1;
      this.#exitDirect(pc, count);
    }
    if (count > this.#longest) this.#longest = count;
    return count;
  }

  /**
   * The instruction at `off`, which did not decode within the page, when it crosses into the next
   * page (decoded with the first bytes of that page the engine gave); undefined otherwise. The
   * interpreter runs it through the `interp` import and the path ends after it. The block depends
   * on the next page's bytes only through the instruction's length: the interpreter fetches the
   * bytes that are there when it runs, through the TLB (a fault on the next page unwinds the
   * block), and the block goes on only when EIP is then the instruction after it (else it
   * leaves, see {@link LEFT}); so a write to the next page or a new mapping of it needs no
   * invalidation.
   */
  #acrossPage(off: number): DecodedInstruction | undefined {
    const bytes = this.#ops.bytes;
    const next = this.#nextPage;
    const head = bytes.length - off;
    if (next === undefined || head <= 0 || head >= MAX_INSTRUCTION_BYTES) return undefined;
    const spliced = new Uint8Array(MAX_INSTRUCTION_BYTES);
    spliced.set(bytes.subarray(off));
    spliced.set(next.subarray(0, MAX_INSTRUCTION_BYTES - head), head);
    const insn = decodeInstruction(spliced, 0, true);
    return insn !== undefined && insn.length > head ? insn : undefined;
  }

  /**
   * Compiles the current instruction, which crosses into the next page, inline on the bytes the
   * next page held at compile time (instructions that transfer control excepted): first a check
   * that the TLB still maps the next page, executable, to the RAM the bytes came from, or the
   * block leaves before the instruction and the interpreter fetches it afresh (a fault, a new
   * mapping); the engine drops the block when the next page is written. False: not compiled
   * (nothing emitted), the interpreter runs it from inside the block.
   */
  #acrossInline(off: number): boolean {
    const next = this.#nextPage;
    if (next === undefined || this.#nextHostPage < 0 || transfersControl(this.#insn)) return false;
    const page = this.#ops.bytes;
    const spliced = new Uint8Array(page.length + MAX_INSTRUCTION_BYTES);
    spliced.set(page);
    spliced.set(next.subarray(0, MAX_INSTRUCTION_BYTES), page.length);
    const ex = this.#exFlag;
    const nextEntry = load32(this.#layout.tlb + ((((this.#pageBase >>> 12) + 1) & 0xf_ffff) << 2));
    this.#if(bin(Op.i32Ne, bin(Op.i32And, nextEntry, k(0x7fff_f000 | ex)), k(this.#nextHostPage | ex)), () => this.#bail());
    this.#ops.bytes = spliced;
    let done: boolean;
    try {
      done = this.#instruction(off);
    } finally {
      this.#ops.bytes = page;
    }
    // Not handled after all: the interpreter runs it after the check (which stays: leaving before
    // the instruction is right either way).
    if (done) this.#crossed = true;
    return done;
  }

  /**
   * Compiles, inside the `if` the current conditional branch opened, the path that starts at
   * `pc` with `retired` instructions before it, and then puts the compiler back at the branch
   * (producer, position, the instructions on the path so far) for the other side. The nested
   * path may use half of the instructions the block has left.
   */
  #nestedPath(pc: number, retired: number): void {
    const producer = this.#producer;
    const insn = this.#insn;
    const eip = this.#eip;
    const next = this.#next;
    const kk = this.#k;
    const deadUntil = this.#deadUntil;
    const visited = this.#visited;
    const limit = this.#limit;
    const pages = this.#pageState();
    this.#visited = new Set(visited);
    this.#limit = this.#total + ((limit - this.#total) >> 1);
    this.#path(pc - this.#pageBase, pc, retired);
    this.#producer = producer;
    this.#insn = insn;
    this.#eip = eip;
    this.#next = next;
    this.#k = kk;
    this.#deadUntil = deadUntil;
    this.#visited = visited;
    this.#limit = limit;
    this.#restorePages(pages);
    this.#ended = false;
    this.#redirected = false;
  }

  #assemble(count: number): FunctionSpec {
    const head: number[] = [];
    const { regs, tlb } = this.#layout;
    // Entered by the dispatcher (or the engine): refuse unless the budget holds the block, EIP is
    // its start and its page is still mapped, executable, at the host page it was compiled from.
    const tlbEntry = load32(tlb + (this.#start >>> 12) * 4);
    const eipNow = mailboxWord(this.#layout, MailboxWord.Eip);
    append(
      head,
      anyOf([
        bin(Op.i32LtS, get(P_BUDGET), k(count)),
        bin(Op.i32Ne, eipNow, k(this.#start)),
        bin(Op.i32Ne, bin(Op.i32And, tlbEntry, k(0x7fff_f000 | this.#exFlag)), k(this.#hostPage | this.#exFlag)),
      ]),
    );
    append(head, mailboxWrite(this.#layout, MailboxWord.Retired, k(0)));
    append(head, k(REFUSED));
    head.push(Op.return, Op.end);
    // A register the block writes is loaded too: an exit before the write stores it back.
    const loaded = this.#used | this.#written;
    for (let r = 0; r < 8; r++) {
      if ((loaded & (1 << r)) === 0) continue;
      head.push(Op.i32Const, 0, Op.i32Load);
      memarg(head, regs + r * 4);
      head.push(Op.localSet);
      uleb(head, L_REG + r);
    }
    append(head, bin(Op.i32Sub, get(P_BUDGET), k(count)));
    head.push(Op.localSet);
    uleb(head, L_LIM);
    // The epilogue's block, the block of packed bail-outs (their constant is its result), the loop.
    head.push(Op.block, VOID, Op.block, I32, Op.loop, VOID);
    // A packed bail-out's constant unpacked into the epilogue's locals (see packBail).
    const tail: number[] = [Op.end, Op.br, 1, Op.end, Op.localSet, L_X];
    const unpack = (l: number, v: Code): void => {
      append(tail, v);
      tail.push(Op.localSet, l);
    };
    const field = (shift: number, bits: number): Code => bin(Op.i32And, shift === 0 ? get(L_X) : bin(Op.i32ShrU, get(L_X), k(shift)), k((1 << bits) - 1));
    unpack(L_EIP, bin(Op.i32Add, field(0, PACK_EIP_BITS), k(this.#pageBase)));
    unpack(L_RET, field(PACK_EIP_BITS, PACK_RETIRED_BITS));
    unpack(L_FDESC, field(PACK_EIP_BITS + PACK_RETIRED_BITS, 8));
    const fd = get(L_FDESC);
    unpack(L_FDESC, bin(Op.i32Or, bin(Op.i32Or, bin(Op.i32And, fd, k(7)), bin(Op.i32Shl, bin(Op.i32And, fd, k(0x18)), k(5))), bin(Op.i32Shl, bin(Op.i32ShrU, fd, k(5)), k(16))));
    unpack(L_X, k(BAIL));
    // The shared epilogue of every exit: the mailbox, then the registers.
    tail.push(Op.end);
    const store = (word: number, v: Code): void => append(tail, mailboxWrite(this.#layout, word, v));
    store(MailboxWord.Eip, get(L_EIP));
    // From here on L_RET holds all the block retired, earlier loop iterations included.
    store(MailboxWord.Retired, [...bin(Op.i32Add, get(L_DONE), get(L_RET)), Op.localTee, L_RET]);
    append(tail, get(L_FDESC));
    tail.push(Op.if, VOID);
    store(MailboxWord.Flags, bin(Op.i32And, get(L_FDESC), k(255)));
    store(MailboxWord.Op, bin(Op.i32And, bin(Op.i32ShrU, get(L_FDESC), k(8)), k(255)));
    store(MailboxWord.Size, bin(Op.i32ShrU, get(L_FDESC), k(16)));
    store(MailboxWord.A, get(L_FA));
    store(MailboxWord.B, get(L_FB));
    store(MailboxWord.Res, get(L_FR));
    store(MailboxWord.Cf, get(L_FC));
    store(MailboxWord.Of, get(L_FO));
    tail.push(Op.end);
    for (let r = 0; r < 8; r++) {
      if ((this.#written & (1 << r)) === 0) continue;
      tail.push(Op.i32Const, 0);
      append(tail, get(L_REG + r));
      tail.push(Op.i32Store);
      memarg(tail, regs + r * 4);
    }
    if (this.#slot !== 0) this.#tailCall(tail, store);
    store(MailboxWord.Slot, k(this.#slot));
    append(tail, get(L_X));
    // The body as bytes: the prologue, the instructions, the epilogue.
    const out = this.#finalChecks();
    const body = bodyBytes(head.length + out.length + tail.length);
    body.set(head);
    body.set(out, head.length);
    body.set(tail, head.length + out.length);
    return { type: BLOCK_TYPE, locals: this.#maxLocals - PARAMS, body, name: `block_${(this.#start >>> 0).toString(16).padStart(8, '0')}` };
  }

  /**
   * The epilogue's way on to the next block (see {@link compile}'s `slot`) when no event poll is
   * asked for: at a direct exit with a link, and at an indirect exit whose EIP the hash table
   * holds for the block's mode key, the chain's total and transfer count go to the mailbox, then
   * the next block is tail-called with the budget left, through the imported `next`. (The chain
   * stays in WebAssembly, without the dispatcher's loop; the decompressor of a Debian boot ran as
   * fast through `next` as with a tail call through the table from each block.) Exits past the
   * first {@link LINKS_PER_SLOT} return to the dispatcher. `store` appends a mailbox
   * store to `tail`.
   */
  #tailCall(tail: number[], store: (word: number, v: Code) => void): void {
    const mb = (word: number): Code => mailboxWord(this.#layout, word);
    const { hash, links } = this.#layout;
    const call = (counter: number): void => {
      tail.push(Op.localGet, L_A, Op.if, VOID);
      store(MailboxWord.Total, bin(Op.i32Add, mb(MailboxWord.Total), get(L_RET)));
      store(counter, bin(Op.i32Add, mb(counter), k(1)));
      append(tail, bin(Op.i32Sub, get(P_BUDGET), get(L_RET)));
      append(tail, get(P_FL));
      append(tail, get(L_A));
      tail.push(Op.returnCall, 0, Op.end);
    };
    let indirect = 0;
    for (let x = 0; x < Math.min(this.#exits.length, LINKS_PER_SLOT); x++) if (this.#exits[x]!.kind === ExitKind.Indirect) indirect |= 1 << x;
    append(tail, bin(Op.i32And, bin(Op.i32LtU, get(L_X), k(LINKS_PER_SLOT)), eqz(bin(Op.i32And, get(P_FL), k(2)))));
    tail.push(Op.if, VOID);
    if (indirect !== 0) {
      // An indirect exit: the hash table's entry for the EIP, if it is for this mode key.
      append(tail, bin(Op.i32And, bin(Op.i32ShrU, k(indirect), get(L_X)), k(1)));
      tail.push(Op.if, VOID);
      append(tail, hashOffset(get(L_EIP)));
      tail.push(Op.localSet, L_E);
      const field = (offset: number): Code => loadAt(get(L_E), hash + offset);
      append(tail, bin(Op.i32And, bin(Op.i32Eq, field(0), get(L_EIP)), bin(Op.i32Eq, field(4), k(this.#mode))));
      tail.push(Op.if, VOID);
      append(tail, field(8));
      tail.push(Op.localSet, L_A);
      call(MailboxWord.LookedUp);
      tail.push(Op.end, Op.else);
    }
    // A direct exit: its link.
    append(tail, loadAt(bin(Op.i32Shl, get(L_X), k(2)), links + this.#slot * LINKS_PER_SLOT * 4));
    tail.push(Op.localSet, L_A);
    call(MailboxWord.Chained);
    if (indirect !== 0) tail.push(Op.end);
    tail.push(Op.end);
  }

  // ------------------------------------------------------------------------------------------
  // Emission helpers
  // ------------------------------------------------------------------------------------------

  #emit(code: readonly number[]): void {
    const out = this.#out;
    if (out.length === this.#setEnd && code[0] === Op.localGet && code[1] === this.#setLocal) {
      // `local.set x` then `local.get x` is `local.tee x`: one instruction less for the host.
      out[out.length - 2] = Op.localTee;
      for (let i = 2; i < code.length; i++) out.push(code[i]!);
      return;
    }
    append(out, code);
  }

  /** A temporary for the current instruction (temporaries are reused from one instruction to the next). */
  #temp(): number {
    const l = this.#locals++;
    if (this.#locals > this.#maxLocals) this.#maxLocals = this.#locals;
    return l;
  }

  #set(l: number, v: Code): void {
    this.#emit(v);
    const out = this.#out;
    out.push(Op.localSet);
    uleb(out, l);
    // A one-byte index: a `local.get` of it right after may become a `local.tee` (see #emit).
    if (l < 0x80) {
      this.#setEnd = out.length;
      this.#setLocal = l;
    }
  }

  /** `if (cond) { then() }` with the nesting depth tracked for exits. */
  #if(cond: Code, then: () => void): void {
    this.#emit(cond);
    this.#out.push(Op.if, VOID);
    this.#depth++;
    then();
    this.#depth--;
    this.#out.push(Op.end);
  }

  /**
   * `if (any of conds) { then() }`, one branch per condition (no boolean combined in a
   * register), `then` emitted once.
   */
  #ifAny(conds: readonly Code[], then: () => void): void {
    if (conds.length === 1) {
      this.#if(conds[0]!, then);
      return;
    }
    this.#emit(anyOf(conds));
    this.#depth++;
    then();
    this.#depth--;
    this.#out.push(Op.end);
  }

  #store32(address: number, v: Code): void {
    this.#emit(k(0));
    this.#emit(v);
    this.#out.push(Op.i32Store);
    memarg(this.#out, address);
  }

  // ------------------------------------------------------------------------------------------
  // Exits
  // ------------------------------------------------------------------------------------------

  /**
   * The current producer as a descriptor word: its {@link FlagState} in bits 0–7, 1 (add) or 2
   * (subtract) in bits 8–15, its size in bits 16–23; 0 when the block has produced no flags.
   */
  #flagsDescriptor(): number {
    const p = this.#producer;
    if (p === undefined) return 0;
    let state: number;
    let op = 0;
    switch (p.kind) {
      case 'add':
      case 'sub':
        state = FlagState.Arith;
        op = p.kind === 'add' ? 1 : 2;
        break;
      case 'adc':
      case 'sbb':
      case 'inc':
      case 'dec':
        state = FlagState.Carry;
        op = p.kind === 'adc' || p.kind === 'inc' ? 1 : 2;
        break;
      case 'shift':
        state = FlagState.Shift;
        break;
      default:
        state = FlagState.Logic;
    }
    return state | (op << 8) | (p.size << 16);
  }

  /**
   * Makes `p` (whose values are in the instruction's temporaries) the current producer: its
   * values move to the flag locals, where later readers and the shared epilogue find them (the
   * temporaries are reused by the next instruction).
   */
  #produce(p: Producer): void {
    this.#set(L_FA, get(p.a));
    this.#set(L_FB, get(p.b));
    this.#set(L_FR, get(p.r));
    if (p.c >= 0) this.#set(L_FC, get(p.c));
    if (p.o >= 0) this.#set(L_FO, get(p.o));
    this.#producer = { kind: p.kind, size: p.size, a: L_FA, b: L_FB, r: L_FR, c: p.c >= 0 ? L_FC : p.c, o: p.o >= 0 ? L_FO : -1 };
  }

  /**
   * Forgets the current producer (its flags went to the mailbox): the flag locals become 0, so
   * that their old values are not live into later code (the shared epilogue reads them on every
   * path, and a loop would carry them round).
   */
  #dropProducer(): void {
    this.#producer = undefined;
    this.#clearFlagLocals();
  }

  /** Sets the flag locals to 0 (see {@link #dropProducer}). */
  #clearFlagLocals(): void {
    for (const l of [L_FA, L_FB, L_FR, L_FC, L_FO]) this.#set(l, k(0));
  }

  /** Writes the current producer's lazy flags into the mailbox (nothing when there is none). */
  #flagsToMailbox(): void {
    const p = this.#producer;
    if (p === undefined) return;
    // A deferred CF comes from the mailbox's state: read before it is overwritten.
    let cf = p.c;
    if (cf === DEFERRED_CF) {
      cf = this.#temp();
      this.#set(cf, helper(HELPER_CF));
    }
    const mb = this.#layout.mailbox;
    const w = (word: number, v: Code): void => this.#store32(mb + word * 4, v);
    switch (p.kind) {
      case 'add':
      case 'sub':
        w(MailboxWord.Flags, k(FlagState.Arith));
        w(MailboxWord.Op, k(p.kind === 'add' ? 1 : 2));
        w(MailboxWord.A, get(p.a));
        w(MailboxWord.B, get(p.b));
        break;
      case 'adc':
      case 'sbb':
      case 'inc':
      case 'dec':
        w(MailboxWord.Flags, k(FlagState.Carry));
        w(MailboxWord.Op, k(p.kind === 'adc' || p.kind === 'inc' ? 1 : 2));
        w(MailboxWord.A, get(p.a));
        w(MailboxWord.B, get(p.b));
        w(MailboxWord.Cf, get(cf));
        break;
      case 'shift':
        w(MailboxWord.Flags, k(FlagState.Shift));
        w(MailboxWord.Cf, get(p.c));
        w(MailboxWord.Of, get(p.o));
        break;
      default:
        w(MailboxWord.Flags, k(FlagState.Logic));
        break;
    }
    w(MailboxWord.Res, get(p.r));
    w(MailboxWord.Size, k(p.size));
  }

  /**
   * Leaves the block: the exit id (-1 for a bail-out), the next EIP (a number when constant),
   * the instructions retired and the flags go to the shared epilogue, which writes the mailbox.
   */
  #exit(eip: Code | number, retired: number, kind: number, target: number): void {
    let id = -1;
    if (kind !== ExitKind.Bail) {
      id = this.#exits.length;
      this.#exits.push({ kind, target });
    }
    this.#toEpilogue(eip, retired, id);
  }

  /**
   * Jumps to the shared epilogue with the next EIP `eip` (a number when constant), `retired`
   * instructions retired in this iteration, the current producer's flags and the result
   * `result`. A bail-out (with its EIP near the block's page, see {@link packBail}) passes its
   * EIP, instructions and flags as one constant, which the epilogue unpacks; the other exits set
   * the epilogue's locals.
   */
  #toEpilogue(eip: Code | number, retired: number, result: number): void {
    if (this.#deadUntil !== -1) this.#deadBroken = true;
    // The epilogue writes CF from its local: a deferred one is evaluated now.
    if (this.#producer?.c === DEFERRED_CF) this.#set(L_FC, helper(HELPER_CF));
    // Only bail-outs are packed: they are many (one per memory access) and rarely taken, while
    // unpacking would cost every taken exit a dozen host instructions.
    const packed = typeof eip === 'number' && result === BAIL ? packBail(eip - this.#pageBase, retired, this.#flagsDescriptor()) : undefined;
    if (packed !== undefined) {
      this.#emit(k(packed));
      this.#out.push(Op.br);
      uleb(this.#out, this.#depth + 1);
      return;
    }
    this.#set(L_EIP, typeof eip === 'number' ? k(eip) : eip);
    this.#set(L_RET, k(retired));
    this.#set(L_FDESC, k(this.#flagsDescriptor()));
    this.#set(L_X, k(result));
    this.#out.push(Op.br);
    uleb(this.#out, this.#depth + 2);
  }

  #exitDirect(target: number, retired: number): void {
    this.#exit(target, retired, ExitKind.Direct, target | 0);
    this.#ended = true;
  }

  /** Leaves before the current instruction, which the engine then interprets. */
  #bail(): void {
    this.#exit(this.#eip, this.#k, ExitKind.Bail, -1);
  }

  /** The back edge to the block's start after `retired` instructions of this iteration. */
  #loopEdge(retired: number): void {
    // The next iteration reads incoming flags through the helpers, which take them from the mailbox.
    this.#flagsToMailbox();
    // Another iteration must fit in the budget, and no event may be waiting (the helper sees
    // the guest time of this boundary).
    const n = bin(Op.i32Add, get(L_DONE), k(retired));
    this.#if(bin(Op.i32GtS, n, get(L_LIM)), () => this.#exit(this.#start, retired, ExitKind.Direct, this.#start));
    // Bit 1 of `fl` is clear when no interrupt can start waiting inside a call (see P_FL).
    this.#if(bin(Op.i32And, get(P_FL), k(2)), () => this.#if([...n, ...helper(HELPER_POLL)], () => this.#exit(this.#start, retired, ExitKind.Direct, this.#start)));
    this.#set(L_DONE, bin(Op.i32Add, get(L_DONE), k(retired)));
    // The next iteration starts with no producer (see #dropProducer). (The compiler keeps its
    // own: the other side of a conditional back edge goes on with it.)
    this.#clearFlagLocals();
    this.#out.push(Op.br);
    uleb(this.#out, this.#depth);
  }

  #jumpTo(target: number, retired: number): void {
    const action = directTransfer(this.#site(), target, retired);
    if (action === 'loop') {
      this.#loopEdge(retired);
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
  // Flags
  // ------------------------------------------------------------------------------------------

  #cf(): Code {
    const p = this.#producer;
    if (p === undefined) return helper(HELPER_CF);
    switch (p.kind) {
      case 'add':
        return bin(Op.i32LtU, get(p.r), get(p.a));
      case 'sub':
        return bin(Op.i32LtU, get(p.a), get(p.b));
      case 'logic':
        return k(0);
      default:
        return p.c === DEFERRED_CF ? helper(HELPER_CF) : get(p.c);
    }
  }

  /** Condition `cc` as 0/1. */
  #cond(cc: number): Code {
    const p = this.#producer;
    if (p === undefined) return [...k(cc), ...helper(HELPER_COND)];
    const base = this.#condBase(p, cc >> 1);
    return (cc & 1) === 0 ? base : eqz(base);
  }

  #condBase(p: Producer, c: number): Code {
    const s4 = p.size === 4;
    const a = get(p.a);
    const b = get(p.b);
    const r = get(p.r);
    const zf = eqz(r);
    const sf = s4 ? bin(Op.i32LtS, r, k(0)) : bin(Op.i32Ne, bin(Op.i32And, r, k(SIGN[p.size]!)), k(0));
    const cf = this.#cf();
    let of: Code;
    const signOf = (v: Code): Code => (s4 ? bin(Op.i32LtS, v, k(0)) : bin(Op.i32Ne, bin(Op.i32And, v, k(SIGN[p.size]!)), k(0)));
    if (p.kind === 'logic') of = k(0);
    else if (p.kind === 'shift') of = bin(Op.i32Ne, get(p.o), k(0));
    else if (p.kind === 'add' || p.kind === 'adc' || p.kind === 'inc') of = signOf(bin(Op.i32And, bin(Op.i32Xor, a, r), bin(Op.i32Xor, b, r)));
    else of = signOf(bin(Op.i32And, bin(Op.i32Xor, a, b), bin(Op.i32Xor, a, r)));
    const sx = (v: Code): Code => (s4 ? v : [...v, p.size === 1 ? Op.i32Extend8S : Op.i32Extend16S]);
    switch (c) {
      case 0:
        return of;
      case 1:
        return p.kind === 'logic' ? k(0) : cf;
      case 2:
        return p.kind === 'sub' ? bin(Op.i32Eq, a, b) : zf;
      case 3:
        if (p.kind === 'sub') return bin(Op.i32LeU, a, b);
        if (p.kind === 'logic') return zf;
        return bin(Op.i32Or, cf, zf);
      case 4:
        return sf;
      case 5:
        // PF: an even number of set bits in the low byte.
        return eqz(bin(Op.i32And, [...bin(Op.i32And, r, k(255)), 0x69 /* i32.popcnt */], k(1)));
      case 6:
        if (p.kind === 'sub') return bin(Op.i32LtS, sx(a), sx(b));
        if (p.kind === 'logic') return sf;
        return bin(Op.i32Ne, sf, of);
      default:
        if (p.kind === 'sub') return bin(Op.i32LeS, sx(a), sx(b));
        if (p.kind === 'logic') return bin(Op.i32Or, zf, sf);
        return bin(Op.i32Or, zf, bin(Op.i32Ne, sf, of));
    }
  }

  /**
   * `v` itself when it is a constant or a local that no flag producer writes (it can be read
   * again, unchanged, until the instruction writes its destination); else a new temporary
   * holding it.
   */
  #operand(v: Code): Code {
    if (v.length === 2 && v[0] === Op.localGet && (v[1]! < L_FA || v[1]! > L_FO)) return v;
    if (v[0] === Op.i32Const && v.length <= 6) {
      let end = 1;
      while ((v[end]! & 0x80) !== 0) end++;
      if (end + 1 === v.length) return v;
    }
    const t = this.#temp();
    this.#set(t, v);
    return get(t);
  }

  /**
   * ALU operation `op` (ADD OR ADC SBB AND SUB XOR CMP); returns the local holding the result
   * (the producer's, for ADD, SUB, CMP and the logic operations: valid until the next producer).
   */
  #alu(op: number, size: number, aCode: Code, bCode: Code): number {
    if (op !== 2 && op !== 3) {
      // The operands go straight into the flag locals (the logic operations' flags need the
      // result only).
      const a = this.#operand(aCode);
      const b = this.#operand(bCode);
      const logic = op === 1 || op === 4 || op === 6;
      const value = logic ? bin(op === 1 ? Op.i32Or : op === 4 ? Op.i32And : Op.i32Xor, a, b) : norm(bin(op === 0 ? Op.i32Add : Op.i32Sub, a, b), size);
      this.#set(L_FR, value);
      if (!logic) {
        this.#set(L_FA, a);
        this.#set(L_FB, b);
      }
      this.#producer = { kind: logic ? 'logic' : op === 0 ? 'add' : 'sub', size, a: L_FA, b: L_FB, r: L_FR, c: -1, o: -1 };
      return L_FR;
    }
    // ADC, SBB.
    const a = this.#temp();
    const b = this.#temp();
    const r = this.#temp();
    const c = this.#temp();
    const cin = this.#temp();
    this.#set(a, aCode);
    this.#set(b, bCode);
    this.#set(cin, this.#cf());
    if (op === 2) {
      this.#set(r, norm(bin(Op.i32Add, bin(Op.i32Add, get(a), get(b)), get(cin)), size));
      this.#set(c, [...bin(Op.i32LeU, get(r), get(a)), ...bin(Op.i32LtU, get(r), get(a)), ...get(cin), Op.select]);
    } else {
      this.#set(r, norm(bin(Op.i32Sub, bin(Op.i32Sub, get(a), get(b)), get(cin)), size));
      this.#set(c, [...bin(Op.i32LeU, get(a), get(b)), ...bin(Op.i32LtU, get(a), get(b)), ...get(cin), Op.select]);
    }
    this.#produce({ kind: op === 2 ? 'adc' : 'sbb', size, a, b, r, c, o: -1 });
    return r;
  }

  /**
   * BT, BTS, BTR and BTC of a dword (0F A3 AB B3 BB with the bit offset in a register, 0F BA /4–/7
   * with it in an immediate): CF takes the bit and the other flags stay as the block's producer
   * left them, so the producer becomes one that carries its CF (ADD and SUB become ADC and SBB, a
   * logic operation a shift with OF clear, as the interpreter's lazy flags read them). With no
   * producer in the block the interpreter runs it. A register bit offset into memory is signed
   * and picks the dword it falls in: the operand's offset moves by `(offset >> 5) * 4`.
   */
  #bitTest(index: number, osz: number): void {
    const p = this.#producer;
    if (osz !== 4 || p === undefined) unsupported();
    const { reg, rm } = this.#modrm();
    const bit = this.#temp();
    let op: number; // BT, BTS, BTR, BTC
    let at = rm;
    if (index === 0x1ba) {
      if (reg < 4) unsupported();
      op = reg - 4;
      this.#set(bit, k(this.#ops.byte() & 31));
    } else {
      op = index === 0x1a3 ? 0 : index === 0x1ab ? 1 : index === 0x1b3 ? 2 : 3;
      const offset = this.#temp();
      this.#set(offset, this.#reg(reg, 4));
      this.#set(bit, bin(Op.i32And, get(offset), k(31)));
      if (rm.reg < 0) at = { reg: -1, ea: bin(Op.i32Add, rm.ea, bin(Op.i32Shl, bin(Op.i32ShrS, get(offset), k(5)), k(2))), seg: rm.seg };
    }
    // Called once the operand is read (an access that bails out leaves before it, with the old flags).
    const apply = (v: Code): number => {
      const value = this.#temp();
      this.#set(value, v);
      this.#set(L_FC, bin(Op.i32And, bin(Op.i32ShrU, get(value), get(bit)), k(1)));
      if (op === 0) return value;
      const mask = bin(Op.i32Shl, k(1), get(bit));
      const r = this.#temp();
      this.#set(r, op === 1 ? bin(Op.i32Or, get(value), mask) : op === 2 ? bin(Op.i32And, get(value), bin(Op.i32Xor, mask, k(-1))) : bin(Op.i32Xor, get(value), mask));
      return r;
    };
    if (rm.reg >= 0) {
      const r = apply(this.#reg(rm.reg, 4));
      if (op !== 0) this.#setReg(rm.reg, 4, get(r));
    } else if (op === 0) {
      apply(get(this.#load(at, 4)));
    } else {
      this.#rmw(at, 4, apply);
    }
    const kind: ProducerKind = p.kind === 'add' ? 'adc' : p.kind === 'sub' ? 'sbb' : p.kind === 'logic' ? 'shift' : p.kind;
    if (p.kind === 'logic') this.#set(L_FO, k(0));
    this.#producer = { kind, size: p.size, a: L_FA, b: L_FB, r: L_FR, c: L_FC, o: kind === 'shift' ? L_FO : -1 };
  }

  /** XADD (0F C0 C1): the destination takes the sum (flags as ADD), the register the destination's old value. */
  #xadd(size: number): void {
    const { reg, rm } = this.#modrm();
    const src = this.#temp();
    this.#set(src, this.#reg(reg, size));
    const add = (v: Code): number => {
      const dst = this.#temp();
      this.#set(dst, v);
      const sum = this.#alu(0, size, get(dst), get(src));
      this.#setReg(reg, size, get(dst));
      return sum;
    };
    if (rm.reg >= 0) {
      const sum = add(this.#reg(rm.reg, size));
      this.#setReg(rm.reg, size, get(sum));
      return;
    }
    this.#rmw(rm, size, add);
  }

  #incDec(dec: boolean, size: number, aCode: Code): number {
    const p = this.#producer;
    const deferred = p === undefined || p.c === DEFERRED_CF;
    const a = this.#temp();
    const b = this.#temp();
    const r = this.#temp();
    const c = deferred ? DEFERRED_CF : this.#temp();
    if (!deferred) this.#set(c, this.#cf());
    this.#set(a, aCode);
    this.#set(b, k(1));
    this.#set(r, norm(bin(dec ? Op.i32Sub : Op.i32Add, get(a), k(1)), size));
    this.#produce({ kind: dec ? 'dec' : 'inc', size, a, b, r, c, o: -1 });
    return r;
  }

  // ------------------------------------------------------------------------------------------
  // Operands
  // ------------------------------------------------------------------------------------------

  /** ModRM at the cursor, its memory operand as an offset expression. */
  #modrm(): { reg: number; rm: RmOperand } {
    const f = this.#ops.modrm(this.#insn.segment);
    if (f.mod === 3) return { reg: f.reg, rm: { reg: f.rm, ea: [], seg: -1 } };
    let ea: Code | undefined;
    const add = (t: Code): void => {
      ea = ea === undefined ? t : bin(Op.i32Add, ea, t);
    };
    if (f.base >= 0) add(this.#regCode(f.base));
    if (f.index >= 0) add(f.scale === 0 ? this.#regCode(f.index) : bin(Op.i32Shl, this.#regCode(f.index), k(f.scale)));
    if (f.disp !== 0 || ea === undefined) add(k(f.disp));
    return { reg: f.reg, rm: { reg: -1, ea: ea!, seg: f.seg, parts: { base: f.base, index: f.index, scale: f.scale, disp: f.disp | 0 } } };
  }

  #flat(seg: number): boolean {
    if (seg === ES) return (this.#mode & ModeBit.FlatEs) !== 0;
    if (seg === SS) return (this.#mode & ModeBit.FlatSs) !== 0;
    if (seg === DS) return (this.#mode & ModeBit.FlatDs) !== 0;
    return false;
  }

  #regCode(r: number): Code {
    this.#used |= 1 << r;
    return get(L_REG + r);
  }

  /** A register of `size` bytes, normalised. */
  #reg(r: number, size: number): Code {
    if (size === 4) return this.#regCode(r);
    if (size === 2) return bin(Op.i32And, this.#regCode(r), k(65535));
    if (r < 4) return bin(Op.i32And, this.#regCode(r), k(255));
    return bin(Op.i32And, bin(Op.i32ShrU, this.#regCode(r - 4), k(8)), k(255));
  }

  #setReg(r: number, size: number, v: Code): void {
    const whole = size === 1 && r >= 4 ? r - 4 : r;
    this.#regVersion[whole] = this.#versions++;
    this.#regShift[whole] = 0;
    if (size === 4) {
      this.#written |= 1 << r;
      this.#used |= 1 << r;
      this.#set(L_REG + r, v);
    } else if (size === 2) {
      this.#written |= 1 << r;
      this.#set(L_REG + r, bin(Op.i32Or, bin(Op.i32And, this.#regCode(r), k(-65536)), bin(Op.i32And, v, k(65535))));
    } else if (r < 4) {
      this.#written |= 1 << r;
      this.#set(L_REG + r, bin(Op.i32Or, bin(Op.i32And, this.#regCode(r), k(-256)), bin(Op.i32And, v, k(255))));
    } else {
      this.#written |= 1 << (r - 4);
      this.#set(L_REG + r - 4, bin(Op.i32Or, bin(Op.i32And, this.#regCode(r - 4), k(-65281)), bin(Op.i32Shl, bin(Op.i32And, v, k(255)), k(8))));
    }
  }

  /**
   * The inline TLB path for an access of `size` bytes at the flat offset `ea` needing the
   * permissions `perms` (RD and/or WR): leaves the host offset in `o`, or bails out
   * (before the instruction changed anything) when the access cannot be made inline.
   */
  #access(rm: RmOperand, size: number, perms: readonly number[]): void {
    let want = 0;
    for (const p of perms) want |= p === RD ? this.#rdFlag : this.#wrFlag;
    const parts = this.#shareChecks && rm.parts !== undefined && this.#flat(rm.seg) ? rm.parts : undefined;
    const known = parts === undefined ? undefined : this.#knownPage(parts, size);
    if (known !== undefined) {
      const { page, delta } = known;
      const c = page.check;
      c.lo = Math.min(c.lo, delta);
      c.hi = Math.max(c.hi, delta + size);
      c.mask |= want;
      const local = L_PAGE + page.slot;
      this.#sharedChecks++;
      this.#set(L_O, delta === 0 ? get(local) : bin(Op.i32Add, get(local), k(delta)));
      return;
    }
    // Only an access on the path's straight line is made whenever later ones are.
    if (parts === undefined || this.#depth !== this.#lineDepth) {
      this.#checkedAccess(rm, size, want);
      return;
    }
    // The TLB path, its constants left for #finalChecks: `L_E` = the entry; leave unless
    // (L_E & mask) == mask and (L_A & 4095) + lo <= 4096 - (hi - lo); the host offset.
    this.#set(L_A, rm.ea);
    this.#set(L_E, this.#tlbEntry());
    const out = this.#out;
    // block block; br_if 0 when ~L_E & mask; br_if 0 when (L_A & 4095) + lo >u 4096 - span; br 1; end
    out.push(Op.block, VOID, Op.block, VOID, Op.localGet, L_E, Op.i32Const, 0x7f, Op.i32Xor);
    const maskAt = out.length;
    out.push(Op.i32And, Op.brIf, 0);
    append(out, bin(Op.i32And, get(L_A), k(4095)));
    const offsetAt = out.length;
    out.push(Op.i32GtU, Op.brIf, 0, Op.br, 1, Op.end);
    // The widened check failed: tell the engine when the access's own check passes.
    const reportAt = out.length;
    out.push(Op.block, VOID);
    for (const refused of accessRefusals(want, size)) append(out, [...refused, Op.brIf, 0]);
    append(out, mailboxWrite(this.#layout, MailboxWord.SharedCheckFailed, k(1)));
    out.push(Op.end);
    const check: PageCheck = { lo: 0, hi: size, mask: want, maskAt, offsetAt, size, want, reportAt, reportEnd: out.length };
    this.#checks.push(check);
    this.#bailOrHostOffset();
    this.#remember(parts, check);
  }

  /**
   * The output with each page check's constants where they go (see {@link PageCheck}), in as few
   * bytes as they take, the offset's `+ lo` left out when 0, and, for a check no later access
   * widened, no report of a failed widened check (it is the access's own).
   */
  #finalChecks(): number[] {
    const out = this.#out;
    if (this.#checks.length === 0) return out;
    const r: number[] = [];
    let at = 0;
    const copyTo = (end: number): void => {
      for (; at < end; at++) r.push(out[at]!);
    };
    for (const c of this.#checks) {
      copyTo(c.maskAt);
      append(r, k(c.mask));
      copyTo(c.offsetAt);
      if (c.lo !== 0) append(r, [...k(c.lo), Op.i32Add]);
      append(r, k(4096 - (c.hi - c.lo)));
      if (c.lo === 0 && c.hi === c.size && c.mask === c.want) {
        copyTo(c.reportAt);
        at = c.reportEnd;
      }
    }
    copyTo(out.length);
    return r;
  }

  /** The TLB entry of `L_A`'s page. */
  #tlbEntry(): number[] {
    const h = bin(Op.i32Shl, bin(Op.i32ShrU, get(L_A), k(12)), k(2));
    h.push(Op.i32Load);
    memarg(h, this.#layout.tlb);
    return h;
  }

  /**
   * A checked page that an access of `size` bytes at `parts` may stand on, and its distance from
   * it; undefined when there is none, or when covering the access would make its check too wide.
   */
  #knownPage(parts: AddressParts, size: number): { page: CheckedPage; delta: number } | undefined {
    for (const page of this.#pages) {
      if (page === undefined || page.base !== parts.base || page.index !== parts.index || page.scale !== parts.scale || this.#stale(page)) continue;
      const baseShift = parts.base >= 0 ? this.#regShift[parts.base]! - page.baseShift : 0;
      const indexShift = parts.index >= 0 ? (this.#regShift[parts.index]! - page.indexShift) << parts.scale : 0;
      const delta = (parts.disp + baseShift + indexShift - page.disp) | 0;
      const c = page.check;
      if (Math.max(c.hi, delta + size) - Math.min(c.lo, delta) <= MAX_CHECK_SPAN) return { page, delta };
    }
    return undefined;
  }

  /** Whether a register of the page's access was written since (other than by adding a constant). */
  #stale(page: CheckedPage): boolean {
    return (page.base >= 0 && this.#regVersion[page.base] !== page.baseVersion) || (page.index >= 0 && this.#regVersion[page.index] !== page.indexVersion);
  }

  /** Keeps the page of the access just checked (its host offset in `L_O`) for later accesses. */
  #remember(parts: AddressParts, check: PageCheck): void {
    let slot = this.#pages.findIndex((p) => p === undefined || this.#stale(p));
    if (slot < 0) {
      slot = this.#nextSlot;
      this.#nextSlot = (slot + 1) % PAGE_SLOTS;
    }
    const { base, index, scale, disp } = parts;
    this.#pages[slot] = {
      base,
      index,
      scale,
      baseVersion: base >= 0 ? this.#regVersion[base]! : 0,
      indexVersion: index >= 0 ? this.#regVersion[index]! : 0,
      baseShift: base >= 0 ? this.#regShift[base]! : 0,
      indexShift: index >= 0 ? this.#regShift[index]! : 0,
      disp,
      check,
      slot,
    };
    this.#set(L_PAGE + slot, get(L_O));
  }

  #pageState(): PageState {
    return { pages: [...this.#pages], versions: [...this.#regVersion], shifts: [...this.#regShift], nextSlot: this.#nextSlot };
  }

  #restorePages(state: PageState): void {
    this.#pages = [...state.pages];
    this.#regVersion = [...state.versions];
    this.#regShift = [...state.shifts];
    this.#nextSlot = state.nextSlot;
  }

  #forgetPages(): void {
    this.#pages.fill(undefined);
  }

  /**
   * The full TLB path of {@link #access}: leaves the host offset in `L_O`, or bails out.
   */
  #checkedAccess(rm: RmOperand, size: number, want: number): void {
    this.#set(L_A, rm.ea);
    if (!this.#flat(rm.seg)) {
      // The segment's offset window (the CPU keeps it in the arena as doubles), then its base.
      const s = rm.seg;
      const seg = this.#layout.segments;
      const f64 = (address: number): Code => {
        const c = [...k(0), 0x2b /* f64.load */, 0];
        uleb(c, address);
        return c;
      };
      const off = [...get(L_A), 0xb8 /* f64.convert_i32_u */];
      const end = size === 1 ? off : [...off, 0x44 /* f64.const */, ...f64Bytes(size - 1), 0xa0 /* f64.add */];
      const hi = (want & this.#wrFlag) !== 0 ? seg + 120 : seg + 72;
      this.#ifAny([bin(0x63 /* f64.lt */, off, f64(seg + 24 + s * 8)), bin(0x64 /* f64.gt */, end, f64(hi + s * 8))], () => this.#bail());
      const base = [...k(0), Op.i32Load, 0];
      uleb(base, seg + s * 4);
      this.#set(L_A, bin(Op.i32Add, get(L_A), base));
    }
    // The bytes around the bail-out depend only on the layout, the size and the permissions
    // (this runs for most instructions a block holds: they are written, not built).
    this.#emit(this.#accessHead(want, size));
    this.#bailOrHostOffset();
  }

  /** Inside an access's failed check: the bail-out, `end`, then the host offset in `L_O`. */
  #bailOrHostOffset(): void {
    this.#depth++;
    this.#bail();
    this.#depth--;
    append(this.#out, ACCESS_TAIL);
    // ACCESS_TAIL ends with `local.set` of the host offset, which a load or store reads next.
    this.#setEnd = this.#out.length;
    this.#setLocal = L_O;
  }

  /**
   * The TLB path of {@link #access} up to its bail-out: the entry of `L_A`'s page in `L_E`, then
   * `if` the permission flags `want` are missing; for `size` > 1, `block block` with a `br_if 0`
   * for that and one for the access crossing its page, `br 1`, `end` instead. (Each condition has
   * its own branch: a combined boolean costs the host a register and a set per test.)
   */
  #accessHead(want: number, size: number): readonly number[] {
    const key = size === 1 ? want : want | (size << 8);
    let c = this.#accessHeads.get(key);
    if (c !== undefined) return c;
    const h = this.#tlbEntry();
    h.push(Op.localSet, L_E);
    const refusals = accessRefusals(want, size);
    if (size === 1) {
      append(h, refusals[0]!);
      h.push(Op.if, VOID);
    } else {
      append(h, anyOf(refusals));
    }
    c = h;
    this.#accessHeads.set(key, c);
    return c;
  }

  /** The value at host offset `o` (after {@link #access}). */
  #ramLoad(size: number): Code {
    const c = get(L_O);
    c.push(size === 1 ? Op.i32Load8U : size === 2 ? Op.i32Load16U : Op.i32Load);
    memarg(c, this.#layout.ram);
    return c;
  }

  #ramStore(size: number, v: Code): void {
    this.#emit(get(L_O));
    this.#emit(v);
    this.#out.push(size === 1 ? Op.i32Store8 : size === 2 ? Op.i32Store16 : Op.i32Store);
    memarg(this.#out, this.#layout.ram);
  }

  #load(rm: RmOperand, size: number): number {
    this.#access(rm, size, [RD]);
    const v = this.#temp();
    this.#set(v, this.#ramLoad(size));
    return v;
  }

  #rmRead(rm: RmOperand, size: number): Code {
    return rm.reg >= 0 ? this.#reg(rm.reg, size) : get(this.#load(rm, size));
  }

  #store(rm: RmOperand, size: number, v: Code): void {
    this.#access(rm, size, [WR]);
    this.#ramStore(size, v);
  }

  /** Read-modify-write: `compute(value)` returns the local holding what to store. */
  #rmw(rm: RmOperand, size: number, compute: (v: Code) => number): void {
    this.#access(rm, size, [RD, WR]);
    const v = this.#temp();
    this.#set(v, this.#ramLoad(size));
    const r = compute(get(v));
    this.#ramStore(size, get(r));
  }

  #push32(v: Code): void {
    const t = this.#temp();
    this.#set(t, bin(Op.i32Sub, this.#regCode(4), k(4)));
    this.#store({ reg: -1, ea: get(t), seg: SS, parts: basePlus(4, -4) }, 4, v);
    this.#addToReg(4, -4, get(t));
  }

  /** `r = v`, where `v` is `r + c` (32 bits): accesses made of `r` keep their checked pages. */
  #addToReg(r: number, c: number, v: Code): void {
    const version = this.#regVersion[r]!;
    const shift = this.#regShift[r]!;
    this.#setReg(r, 4, v);
    this.#regVersion[r] = version;
    this.#regShift[r] = (shift + c) | 0;
  }

  // ------------------------------------------------------------------------------------------
  // Instructions
  // ------------------------------------------------------------------------------------------

  /** Emits the current instruction; false (and nothing emitted) when it is not handled. */
  #instruction(off: number): boolean {
    const insn = this.#insn;
    const form = insn.form;
    const opLen = insn.index >= 0x100 ? 2 : 1;
    let prefixes = 0;
    while (isPrefix(this.#ops.bytes[off + prefixes]!)) prefixes++;
    this.#ops.pos = off + prefixes + opLen;
    const pause = insn.index === 0x90 && insn.rep === 2;
    const simple = form !== undefined && form.implemented && insn.addrsize32 && !insn.lock && (insn.rep === 0 || pause);
    if (!simple) return this.#viaInterpreter();
    this.#locals = FIRST_TEMP;
    this.#lineDepth = this.#depth;
    const mark = this.#out.length;
    const producer = this.#producer;
    const written = this.#written;
    const used = this.#used;
    const exits = this.#exits.length;
    const locals = this.#locals;
    const depth = this.#depth;
    try {
      this.#inline(insn.index, insn.opsize32 ? 4 : 2);
      return true;
    } catch (e) {
      if (e !== UNSUPPORTED) throw e;
      this.#out.length = mark;
      while (this.#checks.length > 0 && this.#checks[this.#checks.length - 1]!.maskAt >= mark) this.#checks.pop();
      this.#setEnd = -1;
      this.#producer = producer;
      this.#written = written;
      this.#used = used;
      this.#exits.length = exits;
      this.#locals = locals;
      this.#ended = false;
      this.#redirected = false;
      this.#depth = depth;
      // Pages the attempt checked are gone with its code (the interpreter call forgets the rest).
      this.#forgetPages();
      return this.#viaInterpreter();
    }
  }

  /**
   * Has the interpreter run the current instruction, which the block does not handle inline,
   * through the `interp` import: the registers and the lazy flags go to memory and the mailbox
   * first, and the registers come back after. The block goes on when EIP is the
   * next instruction and nothing needs the engine; else it leaves with {@link LEFT}. Only for
   * instructions after which a block can go on (see `goesOnAfterInterpreter`); a transfer ends
   * the block. False when not possible.
   */
  #viaInterpreter(): boolean {
    const insn = this.#insn;
    const form = insn.form;
    if (form === undefined || !form.implemented) return false;
    if (!goesOnAfterInterpreter(insn)) return false;
    if (this.#deadUntil !== -1) this.#deadBroken = true;
    this.#flagsToMailbox();
    // Every register goes to memory (the block loads them all on entry: in a loop, a register
    // written further on holds its newest value in the local when the call comes round again).
    this.#used = 0xff;
    const regs = this.#layout.regs;
    for (let r = 0; r < 8; r++) this.#store32(regs + r * 4, get(L_REG + r));
    this.#emit([...k(this.#eip), ...k(this.#next), ...bin(Op.i32Add, get(L_DONE), k(this.#k)), ...k(form.cls), ...helper(HELPER_INTERP)]);
    const go = this.#temp();
    this.#out.push(Op.localSet);
    uleb(this.#out, go);
    for (let r = 0; r < 8; r++) this.#set(L_REG + r, load32(regs + r * 4));
    // The interpreter may have changed the TLB (and every register).
    this.#forgetPages();
    // The flags are the CPU's now: later readers ask through the helpers.
    this.#dropProducer();
    if (transfersControl(insn)) {
      this.#leave();
      this.#ended = true;
    } else {
      this.#if(get(go), () => this.#leave());
    }
    return true;
  }

  /**
   * Leaves with {@link LEFT} after the current instruction, at the EIP the interpreter left in
   * the mailbox (no producer: the flags are the CPU's).
   */
  #leave(): void {
    this.#toEpilogue(mailboxWord(this.#layout, MailboxWord.Eip), this.#k + 1, LEFT);
  }

  #inline(index: number, osz: number): void {
    const ssFlat = this.#flat(SS);
    if (index < 0x40) {
      const lo = index & 7;
      if (lo > 5) unsupported();
      const op = (index >> 3) & 7;
      if (lo === 4 || lo === 5) {
        const size = lo === 4 ? 1 : osz;
        const imm = this.#ops.immN(size);
        const r = this.#alu(op, size, this.#reg(0, size), k(imm));
        if (op !== 7) this.#setReg(0, size, get(r));
        return;
      }
      const size = (lo & 1) === 0 ? 1 : osz;
      const { reg, rm } = this.#modrm();
      const toRm = lo < 2;
      if (rm.reg >= 0) {
        const d = toRm ? rm.reg : reg;
        const s = toRm ? reg : rm.reg;
        const r = this.#alu(op, size, this.#reg(d, size), this.#reg(s, size));
        if (op !== 7) this.#setReg(d, size, get(r));
        return;
      }
      if (!toRm || op === 7) {
        const m = get(this.#load(rm, size));
        const r = toRm ? this.#alu(op, size, m, this.#reg(reg, size)) : this.#alu(op, size, this.#reg(reg, size), m);
        if (op !== 7) this.#setReg(reg, size, get(r));
        return;
      }
      this.#rmw(rm, size, (v) => this.#alu(op, size, v, this.#reg(reg, size)));
      return;
    }
    if (index < 0x50) {
      const r = this.#incDec(index >= 0x48, osz, this.#reg(index & 7, osz));
      this.#setReg(index & 7, osz, get(r));
      return;
    }
    if (index < 0x58) {
      if (osz !== 4 || !ssFlat) unsupported();
      // PUSH ESP pushes the value before the push: #push32 stores before it moves ESP.
      this.#push32(this.#regCode(index & 7));
      return;
    }
    if (index < 0x60) {
      if (osz !== 4 || !ssFlat) unsupported();
      const v = this.#load({ reg: -1, ea: this.#regCode(4), seg: SS, parts: basePlus(4, 0) }, 4);
      this.#addToReg(4, 4, bin(Op.i32Add, this.#regCode(4), k(4)));
      this.#setReg(index & 7, 4, get(v));
      return;
    }
    if (index === 0x68 || index === 0x6a) {
      if (osz !== 4 || !ssFlat) unsupported();
      const imm = index === 0x68 ? this.#ops.imm32() : this.#ops.imm8s();
      this.#push32(k(imm));
      return;
    }
    if ((index >= 0x70 && index < 0x80) || (index >= 0x180 && index < 0x190)) {
      if (osz !== 4) unsupported();
      const d = index < 0x80 ? this.#ops.imm8s() : this.#ops.imm32();
      this.#branch(index & 15, (this.#next + d) | 0);
      return;
    }
    if (index >= 0x140 && index < 0x150) {
      const { reg, rm } = this.#modrm();
      const v = this.#temp();
      this.#set(v, this.#rmRead(rm, osz));
      if (osz === 4) this.#setReg(reg, 4, [...get(v), ...this.#regCode(reg), ...this.#cond(index & 15), Op.select]);
      else this.#setReg(reg, 2, [...get(v), ...this.#reg(reg, 2), ...this.#cond(index & 15), Op.select]);
      return;
    }
    if (index >= 0x190 && index < 0x1a0) {
      const { rm } = this.#modrm();
      const t = this.#temp();
      this.#set(t, this.#cond(index & 15));
      if (rm.reg >= 0) this.#setReg(rm.reg, 1, get(t));
      else this.#store(rm, 1, get(t));
      return;
    }
    if (index >= 0xb0 && index < 0xb8) {
      this.#setReg(index & 7, 1, k(this.#ops.byte()));
      return;
    }
    if (index >= 0xb8 && index < 0xc0) {
      this.#setReg(index & 7, osz, k(this.#ops.immN(osz)));
      return;
    }
    if (index >= 0x1c8 && index < 0x1d0) {
      // BSWAP (of a word: undefined, left to the interpreter). No flags.
      if (osz !== 4) unsupported();
      const r = index & 7;
      const v = this.#temp();
      this.#set(v, this.#regCode(r));
      const even = bin(Op.i32And, bin(0x77 /* i32.rotl */, get(v), k(8)), k(0x00ff_00ff));
      const odd = bin(Op.i32And, bin(0x78 /* i32.rotr */, get(v), k(8)), k(0xff00_ff00 | 0));
      this.#setReg(r, 4, bin(Op.i32Or, even, odd));
      return;
    }
    if (index >= 0x91 && index < 0x98) {
      if (osz !== 4) unsupported();
      const r = index & 7;
      const t = this.#temp();
      this.#set(t, this.#regCode(0));
      this.#setReg(0, 4, this.#regCode(r));
      this.#setReg(r, 4, get(t));
      return;
    }
    if (index === 0xc0 || index === 0xc1 || (index >= 0xd0 && index <= 0xd3)) {
      this.#group2(index, osz);
      return;
    }
    if (index === 0x1af || index === 0x69 || index === 0x6b) {
      this.#imul(index, osz);
      return;
    }
    if (index >= 0xa4 && index <= 0xaf && index !== 0xa8 && index !== 0xa9) {
      this.#string(index, (index & 1) === 0 ? 1 : osz);
      return;
    }
    switch (index) {
      case 0x80:
      case 0x81:
      case 0x83: {
        const size = index === 0x80 ? 1 : osz;
        const { reg: op, rm } = this.#modrm();
        const imm = index === 0x83 ? this.#ops.imm8s() & MASK[size]! : this.#ops.immN(size);
        const immCode = k(size === 4 ? imm | 0 : imm);
        if (rm.reg >= 0) {
          const r = this.#alu(op, size, this.#reg(rm.reg, size), immCode);
          if (op !== 7) this.#setReg(rm.reg, size, get(r));
        } else if (op === 7) {
          const m = get(this.#load(rm, size));
          this.#alu(op, size, m, immCode);
        } else {
          this.#rmw(rm, size, (v) => this.#alu(op, size, v, immCode));
        }
        return;
      }
      case 0x84:
      case 0x85: {
        const size = index === 0x84 ? 1 : osz;
        const { reg, rm } = this.#modrm();
        const v = this.#rmRead(rm, size);
        this.#alu(4, size, v, this.#reg(reg, size));
        return;
      }
      case 0xa8:
      case 0xa9: {
        const size = index === 0xa8 ? 1 : osz;
        this.#alu(4, size, this.#reg(0, size), k(this.#ops.immN(size)));
        return;
      }
      case 0x86:
      case 0x87: {
        const size = index === 0x86 ? 1 : osz;
        const { reg, rm } = this.#modrm();
        if (rm.reg < 0) unsupported();
        const t = this.#temp();
        this.#set(t, this.#reg(rm.reg, size));
        this.#setReg(rm.reg, size, this.#reg(reg, size));
        this.#setReg(reg, size, get(t));
        return;
      }
      case 0x88:
      case 0x89: {
        const size = index === 0x88 ? 1 : osz;
        const { reg, rm } = this.#modrm();
        const src = this.#operand(this.#reg(reg, size));
        if (rm.reg >= 0) this.#setReg(rm.reg, size, src);
        else this.#store(rm, size, src);
        return;
      }
      case 0x8a:
      case 0x8b: {
        const size = index === 0x8a ? 1 : osz;
        const { reg, rm } = this.#modrm();
        if (rm.reg >= 0) this.#setReg(reg, size, this.#reg(rm.reg, size));
        else {
          // Loaded straight into the register (the access cannot fail after its check).
          this.#access(rm, size, [RD]);
          this.#setReg(reg, size, this.#ramLoad(size));
        }
        return;
      }
      case 0x8d: {
        const { reg, rm } = this.#modrm();
        if (rm.reg >= 0) unsupported();
        this.#setReg(reg, osz, osz === 4 ? rm.ea : bin(Op.i32And, rm.ea, k(65535)));
        return;
      }
      case 0x90:
        return;
      case 0x98:
        if (osz !== 4) unsupported();
        this.#setReg(0, 4, [...this.#regCode(0), Op.i32Extend16S]);
        return;
      case 0x99:
        if (osz !== 4) unsupported();
        this.#setReg(2, 4, bin(Op.i32ShrS, this.#regCode(0), k(31)));
        return;
      case 0xa0:
      case 0xa1:
      case 0xa2:
      case 0xa3: {
        const size = (index & 1) === 0 ? 1 : osz;
        const moffs = this.#ops.imm32() | 0;
        const rm: RmOperand = { reg: -1, ea: k(moffs), seg: this.#insn.segment >= 0 ? this.#insn.segment : DS, parts: basePlus(-1, moffs) };
        if (index < 0xa2) this.#setReg(0, size, get(this.#load(rm, size)));
        else {
          const t = this.#temp();
          this.#set(t, this.#reg(0, size));
          this.#store(rm, size, get(t));
        }
        return;
      }
      case 0xc6:
      case 0xc7: {
        const size = index === 0xc6 ? 1 : osz;
        const { reg, rm } = this.#modrm();
        if (reg !== 0) unsupported();
        const imm = this.#ops.immN(size);
        if (rm.reg >= 0) this.#setReg(rm.reg, size, k(imm));
        else this.#store(rm, size, k(imm));
        return;
      }
      case 0xc2:
      case 0xc3: {
        if (osz !== 4 || !ssFlat) unsupported();
        const n = index === 0xc2 ? this.#ops.imm16() : 0;
        const t = this.#load({ reg: -1, ea: this.#regCode(4), seg: SS, parts: basePlus(4, 0) }, 4);
        this.#addToReg(4, 4 + n, bin(Op.i32Add, this.#regCode(4), k(4 + n)));
        this.#exit(get(t), this.#k + 1, ExitKind.Indirect, -1);
        this.#ended = true;
        return;
      }
      case 0xc9: {
        if (osz !== 4 || !ssFlat) unsupported();
        const v = this.#load({ reg: -1, ea: this.#regCode(5), seg: SS, parts: basePlus(5, 0) }, 4);
        this.#setReg(4, 4, bin(Op.i32Add, this.#regCode(5), k(4)));
        this.#setReg(5, 4, get(v));
        return;
      }
      case 0xe8: {
        if (osz !== 4 || !ssFlat) unsupported();
        const d = this.#ops.imm32();
        this.#push32(k(this.#next));
        this.#jumpTo((this.#next + d) | 0, this.#k + 1);
        return;
      }
      case 0xe9:
      case 0xeb: {
        if (osz !== 4) unsupported();
        const d = index === 0xe9 ? this.#ops.imm32() : this.#ops.imm8s();
        this.#jumpTo((this.#next + d) | 0, this.#k + 1);
        return;
      }
      case 0xf6:
      case 0xf7: {
        const size = index === 0xf6 ? 1 : osz;
        const { reg: op, rm } = this.#modrm();
        if (op === 0) {
          const v = this.#rmRead(rm, size);
          this.#alu(4, size, v, k(this.#ops.immN(size)));
          return;
        }
        if ((op === 4 || op === 5) && size === 4) {
          this.#mulAccumulator(rm, op === 5);
          return;
        }
        if (op !== 2 && op !== 3) unsupported();
        const apply = (v: Code): number => {
          if (op === 3) return this.#alu(5, size, k(0), v);
          const t = this.#temp();
          this.#set(t, norm(bin(Op.i32Xor, v, k(-1)), size));
          return t;
        };
        if (rm.reg >= 0) this.#setReg(rm.reg, size, get(apply(this.#reg(rm.reg, size))));
        else this.#rmw(rm, size, apply);
        return;
      }
      case 0xfe:
      case 0xff: {
        const size = index === 0xfe ? 1 : osz;
        const { reg: op, rm } = this.#modrm();
        if (op === 0 || op === 1) {
          if (rm.reg >= 0) this.#setReg(rm.reg, size, get(this.#incDec(op === 1, size, this.#reg(rm.reg, size))));
          else this.#rmw(rm, size, (v) => this.#incDec(op === 1, size, v));
          return;
        }
        if (index === 0xfe || osz !== 4) unsupported();
        if (op === 2 || op === 4) {
          if (op === 2 && !ssFlat) unsupported();
          const t = this.#temp();
          this.#set(t, this.#rmRead(rm, 4));
          if (op === 2) this.#push32(k(this.#next));
          this.#exit(get(t), this.#k + 1, ExitKind.Indirect, -1);
          this.#ended = true;
          return;
        }
        if (op === 6) {
          if (!ssFlat) unsupported();
          const t = this.#temp();
          this.#set(t, this.#rmRead(rm, 4));
          this.#push32(get(t));
          return;
        }
        unsupported();
        return;
      }
      case 0x1a3:
      case 0x1ab:
      case 0x1b3:
      case 0x1bb:
      case 0x1ba:
        this.#bitTest(index, osz);
        return;
      case 0x1c0:
      case 0x1c1:
        this.#xadd(index === 0x1c0 ? 1 : osz);
        return;
      case 0x1b0:
      case 0x1b1: {
        // CMPXCHG: flags as CMP of the accumulator with the destination; equal, the destination
        // takes the source, else the accumulator takes the destination (written back unchanged
        // when in memory, as the CPU does).
        const size = index === 0x1b0 ? 1 : osz;
        const { reg, rm } = this.#modrm();
        const acc = this.#temp();
        const src = this.#temp();
        this.#set(acc, this.#reg(0, size));
        this.#set(src, this.#reg(reg, size));
        const exchange = (dst: number): number => {
          const eq = this.#temp();
          this.#alu(7, size, get(acc), get(dst));
          this.#set(eq, bin(Op.i32Eq, get(acc), get(dst)));
          this.#setReg(0, size, get(dst)); // the accumulator's own value when equal
          const out = this.#temp();
          this.#set(out, select(get(src), get(dst), get(eq)));
          return out;
        };
        if (rm.reg >= 0) {
          const dst = this.#temp();
          this.#set(dst, this.#reg(rm.reg, size));
          this.#setReg(rm.reg, size, get(exchange(dst)));
          return;
        }
        this.#rmw(rm, size, (v) => {
          const dst = this.#temp();
          this.#set(dst, v);
          return exchange(dst);
        });
        return;
      }
      case 0x1b6:
      case 0x1b7:
      case 0x1be:
      case 0x1bf: {
        const src = (index & 1) === 0 ? 1 : 2;
        const { reg, rm } = this.#modrm();
        const v = this.#rmRead(rm, src);
        const value = index >= 0x1be ? [...v, src === 1 ? Op.i32Extend8S : Op.i32Extend16S] : v;
        this.#setReg(reg, osz, osz === 4 ? value : bin(Op.i32And, value, k(65535)));
        return;
      }
      default:
        unsupported();
    }
  }

  /**
   * Whether the CF and OF that the rotate being compiled writes are dead: the instructions that
   * follow it in a straight line, in this block, overwrite both before anything reads them, and
   * none of them can fault, leave the block or call out (register forms only, see
   * {@link flagEffect}), so no interrupt, exception or interpreter sees the flags in between.
   * When so, {@link WasmBlockCompiler.#deadUntil} is the EIP of the instruction that completes
   * the overwrite; {@link WasmBlockCompiler.compile} checks that the block reached it.
   */
  #rotateFlagsDead(): boolean {
    // This rotate may be the instruction that overwrites an earlier one's flags.
    if (this.#deadUntil === this.#eip) this.#deadUntil = -1;
    if (!this.#deadFlags || this.#deadUntil !== -1) return false;
    const bytes = this.#ops.bytes;
    let pc = this.#next;
    let pending = FLAG_EFFECT_CF | FLAG_EFFECT_OF;
    for (let n = this.#k + 1; n < MAX_BLOCK_INSTRUCTIONS && n <= this.#k + DEAD_FLAG_LOOKAHEAD; n++) {
      const off = pc - this.#pageBase;
      // The block's start is in the visited set, or is the rotate itself, behind the scan.
      if (off < 0 || off >= 4096 || this.#visited.has(pc)) return false;
      const insn = decodeInstruction(bytes, off, true);
      if (insn === undefined || off + insn.length > 4096) return false;
      const effect = flagEffect(insn, bytes, off);
      if (effect < 0) return false;
      pending &= ~effect;
      if (pending === 0) {
        this.#deadUntil = pc;
        this.#deadRotates++;
        return true;
      }
      pc = (pc + insn.length) | 0;
    }
    return false;
  }

  /**
   * Group 2. SHL, SHR and SAR of a dword by a constant or by CL (a count of zero at run time
   * changes nothing, flags included: the block leaves after the instruction, or bails out to the
   * interpreter before it when the operand is in memory); SHL, SHR
   * and SAR of a byte or word by a constant; ROL and ROR of a dword by a constant. RCL, RCR and
   * the other forms by CL are not handled here.
   */
  #group2(index: number, osz: number): void {
    const size = (index & 1) === 0 ? 1 : osz;
    const { reg: op, rm } = this.#modrm();
    const constant = index <= 0xd1;
    const count = index <= 0xc1 ? this.#ops.byte() & 31 : index <= 0xd1 ? 1 : -1;
    if (op === 2 || op === 3) unsupported();
    if (!constant && (size !== 4 || op < 4)) unsupported();
    if (op < 4 && size !== 4) unsupported();
    if (constant && count === 0) return; // no change at all, flags included
    const bits = size * 8;
    const apply = (v: Code): number => {
      const u = this.#temp();
      const r = this.#temp();
      const c = this.#temp();
      const o = this.#temp();
      this.#set(u, v);
      if (op < 4) {
        // ROL, ROR: CF and OF change, the other flags stay as they were.
        this.#set(r, bin(op === 0 ? 0x77 /* i32.rotl */ : 0x78 /* i32.rotr */, get(u), k(count)));
        if (this.#rotateFlagsDead()) return r;
        if (op === 0) {
          this.#set(c, bin(Op.i32And, get(r), k(1)));
          this.#set(o, bin(Op.i32Xor, bin(Op.i32ShrU, get(r), k(31)), get(c)));
        } else {
          this.#set(c, bin(Op.i32ShrU, get(r), k(31)));
          this.#set(o, bin(Op.i32Xor, get(c), bin(Op.i32And, bin(Op.i32ShrU, get(r), k(30)), k(1))));
        }
        this.#flagsToMailbox();
        this.#dropProducer();
        this.#emit([...bin(Op.i32Or, get(c), bin(Op.i32Shl, get(o), k(11))), ...helper(HELPER_ROT)]);
        return r;
      }
      let n: Code;
      if (constant) n = k(count);
      else {
        const nl = this.#temp();
        this.#set(nl, bin(Op.i32And, this.#regCode(1), k(31)));
        n = get(nl);
      }
      const of = (cond: Code): Code => [...k(2048), ...k(0), ...cond, Op.select];
      if (size === 4) {
        if (op === 4 || op === 6) {
          this.#set(r, bin(Op.i32Shl, get(u), n));
          this.#set(c, bin(Op.i32And, bin(Op.i32ShrU, get(u), bin(Op.i32Sub, k(32), n)), k(1)));
          this.#set(o, of(bin(Op.i32Xor, bin(Op.i32ShrU, get(r), k(31)), get(c))));
        } else if (op === 5) {
          this.#set(r, bin(Op.i32ShrU, get(u), n));
          this.#set(c, bin(Op.i32And, bin(Op.i32ShrU, get(u), bin(Op.i32Sub, n, k(1))), k(1)));
          this.#set(o, of(bin(Op.i32And, bin(Op.i32Eq, n, k(1)), bin(Op.i32LtS, get(u), k(0)))));
        } else {
          this.#set(r, bin(Op.i32ShrS, get(u), n));
          this.#set(c, bin(Op.i32And, bin(Op.i32ShrS, get(u), bin(Op.i32Sub, n, k(1))), k(1)));
          this.#set(o, k(0));
        }
      } else if (op === 4 || op === 6) {
        // Byte and word shifts by a constant 1–31 (counts past the width shift everything out).
        this.#set(r, norm(bin(Op.i32Shl, get(u), k(count)), size));
        this.#set(c, count <= bits ? bin(Op.i32And, bin(Op.i32ShrU, get(u), k(bits - count)), k(1)) : k(0));
        this.#set(o, of(bin(Op.i32Xor, bin(Op.i32ShrU, get(r), k(bits - 1)), get(c))));
      } else if (op === 5) {
        this.#set(r, bin(Op.i32ShrU, get(u), k(count)));
        this.#set(c, count <= bits ? bin(Op.i32And, bin(Op.i32ShrU, get(u), k(count - 1)), k(1)) : k(0));
        this.#set(o, count === 1 ? of(bin(Op.i32Ne, bin(Op.i32And, get(u), k(SIGN[size]!)), k(0))) : k(0));
      } else {
        const sx = [...get(u), size === 1 ? Op.i32Extend8S : Op.i32Extend16S];
        this.#set(r, norm(bin(Op.i32ShrS, sx, k(Math.min(count, 31))), size));
        this.#set(c, bin(Op.i32And, bin(Op.i32ShrS, sx, k(Math.min(count - 1, 31))), k(1)));
        this.#set(o, k(0));
      }
      this.#produce({ kind: 'shift', size, a: u, b: u, r, c, o });
      return r;
    };
    if (!constant) {
      // A zero count leaves everything as it was, flags included. A register operand: the block
      // leaves after the instruction with the flags it had before (a linkable exit, so a chain goes
      // on). A memory operand: the interpreter runs that case (it reads the operand all the same).
      const zero = eqz(bin(Op.i32And, this.#regCode(1), k(31)));
      if (rm.reg >= 0) this.#if(zero, () => this.#exit(this.#next, this.#k + 1, ExitKind.Direct, this.#next));
      else this.#if(zero, () => this.#bail());
    }
    if (rm.reg >= 0) this.#setReg(rm.reg, size, get(apply(this.#reg(rm.reg, size))));
    else this.#rmw(rm, size, apply);
  }

  /**
   * MUL (F7 /4) and IMUL (F7 /5) of EAX by a dword: EDX:EAX = the 64-bit product; CF = OF = the
   * high half is more than the low half's extension, ZF, SF and PF from the low half (as the
   * interpreter leaves them).
   */
  #mulAccumulator(rm: RmOperand, signed: boolean): void {
    const v = this.#rmRead(rm, 4);
    const a = this.#temp();
    const b = this.#temp();
    const r = this.#temp();
    const hi = this.#temp();
    const c = this.#temp();
    const o = this.#temp();
    this.#set(a, this.#regCode(0));
    this.#set(b, v);
    this.#set(r, bin(Op.i32Mul, get(a), get(b)));
    const extend = signed ? 0xac /* i64.extend_i32_s */ : 0xad; /* i64.extend_i32_u */
    const high = [...get(a), extend, ...get(b), extend, 0x7e /* i64.mul */, 0x42, 32 /* i64.const 32 */, 0x88 /* i64.shr_u */, 0xa7 /* i32.wrap_i64 */];
    this.#set(hi, high);
    this.#set(c, bin(Op.i32Ne, get(hi), signed ? bin(Op.i32ShrS, get(r), k(31)) : k(0)));
    this.#set(o, [...k(2048), ...k(0), ...get(c), Op.select]);
    this.#produce({ kind: 'shift', size: 4, a, b, r, c, o });
    this.#setReg(0, 4, get(r));
    this.#setReg(2, 4, get(hi));
  }

  /**
   * IMUL Gv,Ev (0F AF), IMUL Gv,Ev,Iz (69), IMUL Gv,Ev,Ib (6B): the truncated product, CF = OF
   * = it did not fit, ZF, SF and PF from the result (as the interpreter leaves them).
   */
  #imul(index: number, osz: number): void {
    const { reg, rm } = this.#modrm();
    const v = this.#rmRead(rm, osz);
    const bCode = index === 0x1af ? this.#reg(reg, osz) : k(index === 0x69 ? this.#ops.immN(osz) : this.#ops.imm8s());
    const a = this.#temp();
    const b = this.#temp();
    const r = this.#temp();
    const c = this.#temp();
    const o = this.#temp();
    this.#set(a, v);
    this.#set(b, bCode);
    if (osz === 4) {
      this.#set(r, bin(Op.i32Mul, get(a), get(b)));
      // The high half of the 64-bit product against the sign of the low half.
      const hi = [...get(a), 0xac /* i64.extend_i32_s */, ...get(b), 0xac, 0x7e /* i64.mul */, 0x42, 32 /* i64.const 32 */, 0x87 /* i64.shr_s */, 0xa7 /* i32.wrap_i64 */];
      this.#set(c, bin(Op.i32Ne, hi, bin(Op.i32ShrS, get(r), k(31))));
    } else {
      const p = this.#temp();
      this.#set(p, bin(Op.i32Mul, [...get(a), Op.i32Extend16S], [...get(b), Op.i32Extend16S]));
      this.#set(r, bin(Op.i32And, get(p), k(65535)));
      this.#set(c, bin(Op.i32Ne, get(p), [...get(r), Op.i32Extend16S]));
    }
    this.#set(o, [...k(2048), ...k(0), ...get(c), Op.select]);
    this.#produce({ kind: 'shift', size: osz, a, b, r, c, o });
    this.#setReg(reg, osz, get(r));
  }

  /**
   * One string instruction without REP (MOVS, CMPS, STOS, LODS, SCAS) over flat segments: one
   * element, then ESI and/or EDI stepped by the size (down when DF is set). Every access is
   * checked before anything is written, so a bail-out leaves the registers as they were.
   */
  #string(index: number, size: number): void {
    const src: RmOperand = { reg: -1, ea: this.#regCode(6), seg: this.#insn.segment >= 0 ? this.#insn.segment : DS, parts: basePlus(6, 0) };
    const dst: RmOperand = { reg: -1, ea: this.#regCode(7), seg: ES, parts: basePlus(7, 0) };
    const step = (r: number): void => this.#setReg(r, 4, bin(Op.i32Add, this.#regCode(r), [...k(-size), ...k(size), ...bin(Op.i32And, get(P_FL), k(1)), Op.select]));
    switch (index & ~1) {
      case 0xa4: {
        const v = this.#load(src, size);
        this.#store(dst, size, get(v));
        step(6);
        step(7);
        return;
      }
      case 0xa6: {
        const a = this.#load(src, size);
        const b = this.#load(dst, size);
        this.#alu(7, size, get(a), get(b));
        step(6);
        step(7);
        return;
      }
      case 0xaa: {
        const t = this.#temp();
        this.#set(t, this.#reg(0, size));
        this.#store(dst, size, get(t));
        step(7);
        return;
      }
      case 0xac:
        this.#setReg(0, size, get(this.#load(src, size)));
        step(6);
        return;
      default: {
        const m = this.#load(dst, size);
        this.#alu(7, size, this.#reg(0, size), get(m));
        step(7);
      }
    }
  }

  #followTaken(target: number, retired: number): boolean {
    return followsTakenSide(this.#site(), this.#visits, target, this.#next, retired);
  }

  #branch(cc: number, target: number): void {
    const retired = this.#k + 1;
    const nested = this.#forkSide(target, retired);
    if (nested !== 0) {
      // Both sides stay in the block: the less visited one inside an `if`, then the other.
      const taken = nested === target;
      this.#if(this.#cond(taken ? cc : cc ^ 1), () => this.#nestedPath(nested, retired));
      if (!taken) {
        this.#redirect = target;
        this.#redirected = true;
      }
      return;
    }
    if (this.#followTaken(target, retired)) {
      this.#if(this.#cond(cc ^ 1), () => this.#exit(this.#next, retired, ExitKind.Direct, this.#next));
      this.#redirect = target;
      this.#redirected = true;
      return;
    }
    this.#if(this.#cond(cc), () => {
      if (target === this.#start) this.#loopEdge(retired);
      else this.#exit(target, retired, ExitKind.Direct, target);
    });
    if ((this.#next & ~0xfff) !== this.#pageBase || retired >= MAX_BLOCK_INSTRUCTIONS) {
      this.#exitDirect(this.#next, retired);
    }
  }

  /**
   * Whether a conditional branch after `retired` instructions takes both its sides into the
   * block: both are in the page and new on the path, the block has room, and the engine saw
   * each side reached at least 1/{@link FORK_RATIO} as often as the other while they were
   * cold. Returns the side to compile first, nested in an `if` (the less visited one), or 0.
   */
  #forkSide(target: number, retired: number): number {
    const visits = this.#visits;
    const next = this.#next;
    if (visits === undefined || retired >= MAX_BLOCK_INSTRUCTIONS || this.#limit - this.#total < MIN_FORK_ROOM) return 0;
    const site = this.#site();
    if (!newInBlock(site, target) || !newInBlock(site, next)) return 0;
    const t = visits(target);
    const n = visits(next);
    if (Math.min(t, n) === 0 || Math.min(t, n) * FORK_RATIO < Math.max(t, n)) return 0;
    return t < n ? target : next;
  }
}

/** {@link flagEffect}: the instruction writes CF. */
const FLAG_EFFECT_CF = 1;
/** {@link flagEffect}: the instruction writes OF. */
const FLAG_EFFECT_OF = 2;
/** How many instructions past a rotate {@link WasmBlockCompiler} looks for those that overwrite its flags. */
const DEAD_FLAG_LOOKAHEAD = 8;

/**
 * What the instruction at `bytes[off]` (32-bit code, decoded as `insn`) does to CF and OF, for
 * the dead-flag analysis of rotates: -1 when it may read either flag, touch memory, fault,
 * transfer control or is not known here; otherwise {@link FLAG_EFFECT_CF} and
 * {@link FLAG_EFFECT_OF} for the flags it always overwrites (0: it neither reads nor writes
 * them). Only register forms without prefixes qualify.
 */
function flagEffect(insn: DecodedInstruction, bytes: Uint8Array, off: number): number {
  if (isPrefix(bytes[off]!)) return -1;
  const op = insn.index;
  const mod3 = insn.modrm >= 0xc0;
  const reg = (insn.modrm >> 3) & 7;
  const both = FLAG_EFFECT_CF | FLAG_EFFECT_OF;
  if (op < 0x40 && (op & 7) < 6) {
    // ADD, OR, AND, SUB, XOR, CMP (ADC and SBB read CF).
    const group = op >> 3;
    if (group === 2 || group === 3) return -1;
    return (op & 7) >= 4 || mod3 ? both : -1;
  }
  if (op >= 0x40 && op <= 0x4f) return FLAG_EFFECT_OF; // INC, DEC keep CF
  if (op === 0x80 || op === 0x81 || op === 0x83) return mod3 && reg !== 2 && reg !== 3 ? both : -1;
  if (op === 0x84 || op === 0x85) return mod3 ? both : -1;
  if (op === 0xa8 || op === 0xa9) return both;
  if (op >= 0x88 && op <= 0x8b) return mod3 ? 0 : -1; // MOV between registers
  if (op === 0x8d) return mod3 ? -1 : 0; // LEA computes an address, reads nothing
  if ((op >= 0xb0 && op <= 0xbf) || op === 0x90) return 0;
  if (op === 0xc1 || op === 0xd1) {
    if (!mod3 || reg === 2 || reg === 3) return -1; // RCL and RCR read CF
    const count = op === 0xd1 ? 1 : bytes[off + insn.length - 1]! & 31;
    return count === 0 ? 0 : both;
  }
  if (op === 0xf7) return mod3 && reg === 2 ? 0 : mod3 && reg === 3 ? both : -1; // NOT, NEG
  if (op >= 0x1c8 && op <= 0x1cf) return 0; // BSWAP
  if (op === 0x1b6 || op === 0x1b7 || op === 0x1be || op === 0x1bf) return mod3 ? 0 : -1; // MOVZX, MOVSX
  return -1;
}
