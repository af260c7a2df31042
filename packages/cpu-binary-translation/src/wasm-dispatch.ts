/**
 * The WebAssembly backend's dispatcher: one function, `run(slot, budget, rd, wr, fl)`, that calls
 * the block in table slot `slot` and then, as long as the exit it took is linked to another
 * block (a link word in the arena) and no event is waiting, the block linked there, without
 * returning to JavaScript. The engine makes the links (as it chains its JavaScript blocks) and
 * reads the outcome from the mailbox: the last slot, the instructions retired, the transfers made.
 * Each block checks on entry that it may run (see {@link REFUSED}), so a link never needs to be
 * undone: a block dropped from the cache has its slot pointed at the refusing function.
 */
import { BAIL, BLOCK_TYPE, MailboxWord, REFUSED, type WasmLayout } from './wasm-block-compiler.js';
import { Op, VOID, bin, buildModule, eqz, get, k, load32, select, sleb, typeIndexOf, uleb, type Code, type ModuleSpec } from './wasm-module.js';
import { FlagState } from './wasm-block-compiler.js';

/** Exits per block that can be linked (exit ids 0–7); later exits return to the engine. */
export const LINKS_PER_SLOT = 8;

const P_SLOT = 0;
const P_BUDGET = 1;
const P_RD = 2;
const P_WR = 3;
const P_FL = 4;
const L_X = 5;
const L_TOTAL = 6;
const L_NEXT = 7;

const IMPORT_POLL = 0;

function op(out: number[], code: number, ...immediates: number[]): void {
  out.push(code);
  for (const i of immediates) uleb(out, i);
}

function constant(out: number[], v: number): void {
  out.push(Op.i32Const);
  sleb(out, v);
}

function mailboxStore(out: number[], layout: WasmLayout, word: number, value: () => void): void {
  constant(out, 0);
  value();
  op(out, Op.i32Store, 0, layout.mailbox + word * 4);
}

function mailboxLoad(out: number[], layout: WasmLayout, word: number): void {
  constant(out, 0);
  op(out, Op.i32Load, 0, layout.mailbox + word * 4);
}

/** The dispatcher module: imports `e.m`, `e.t` (the block table) and `e.poll`; exports `b`. */
export function dispatcherModule(layout: WasmLayout): Uint8Array {
  const imports = [{ name: 'poll', type: { params: 1, results: 1 } }];
  const type = { params: 5, results: 1 };
  const spec: Pick<ModuleSpec, 'imports' | 'type' | 'extraTypes'> = { imports, type, extraTypes: [BLOCK_TYPE] };
  const blockType = typeIndexOf(spec, BLOCK_TYPE);
  const b: number[] = [];
  mailboxStore(b, layout, MailboxWord.Total, () => constant(b, 0));
  b.push(Op.loop, VOID);
  // x = table[slot](budget - total, rd, wr, df)
  op(b, Op.localGet, P_BUDGET);
  op(b, Op.localGet, L_TOTAL);
  b.push(Op.i32Sub);
  op(b, Op.localGet, P_RD);
  op(b, Op.localGet, P_WR);
  op(b, Op.localGet, P_FL);
  op(b, Op.localGet, P_SLOT);
  op(b, Op.callIndirect, blockType, 0);
  op(b, Op.localSet, L_X);
  // total += retired; the mailbox keeps the total for the loop edges' event polls.
  op(b, Op.localGet, L_TOTAL);
  mailboxLoad(b, layout, MailboxWord.Retired);
  b.push(Op.i32Add);
  op(b, Op.localSet, L_TOTAL);
  mailboxStore(b, layout, MailboxWord.Total, () => op(b, Op.localGet, L_TOTAL));
  b.push(Op.block, VOID);
  // A bail-out, a refusal or an exit past the linkable ones goes back to the engine.
  op(b, Op.localGet, L_X);
  constant(b, 0);
  b.push(Op.i32LtS);
  op(b, Op.brIf, 0);
  op(b, Op.localGet, L_X);
  constant(b, LINKS_PER_SLOT);
  b.push(Op.i32GeS);
  op(b, Op.brIf, 0);
  // next = links[slot * 8 + x]; 0 is no link.
  op(b, Op.localGet, P_SLOT);
  constant(b, 5);
  b.push(Op.i32Shl);
  op(b, Op.localGet, L_X);
  constant(b, 2);
  b.push(Op.i32Shl);
  b.push(Op.i32Add);
  op(b, Op.i32Load, 0, layout.links);
  op(b, Op.localTee, L_NEXT);
  b.push(Op.i32Eqz);
  op(b, Op.brIf, 0);
  // An interrupt waiting (at this boundary's guest time) goes back to the engine too; with IF
  // clear none can be taken, and nothing else can start waiting inside a call.
  op(b, Op.localGet, P_FL);
  constant(b, 2);
  b.push(Op.i32And);
  b.push(Op.if, VOID);
  constant(b, 0);
  op(b, Op.call, IMPORT_POLL);
  op(b, Op.brIf, 1);
  b.push(Op.end);
  mailboxStore(b, layout, MailboxWord.Chained, () => {
    mailboxLoad(b, layout, MailboxWord.Chained);
    constant(b, 1);
    b.push(Op.i32Add);
  });
  op(b, Op.localGet, L_NEXT);
  op(b, Op.localSet, P_SLOT);
  op(b, Op.br, 1);
  b.push(Op.end);
  mailboxStore(b, layout, MailboxWord.Slot, () => op(b, Op.localGet, P_SLOT));
  op(b, Op.localGet, L_X);
  b.push(Op.return, Op.end, Op.unreachable);
  return buildModule({ memoryMaximumPages: layout.maximumPages, tableMinimum: 1, imports, type, extraTypes: [BLOCK_TYPE], locals: 3, body: b });
}

/** A block function that always refuses (the slot of a block dropped from the cache). */
export function refusingModule(layout: WasmLayout): Uint8Array {
  const b: number[] = [];
  mailboxStore(b, layout, MailboxWord.Retired, () => constant(b, 0));
  constant(b, REFUSED);
  return buildModule({ memoryMaximumPages: layout.maximumPages, imports: [], type: BLOCK_TYPE, locals: 0, body: b });
}

/**
 * The carry flag, for blocks that read the flags before they produce any: from the state the
 * mailbox holds for the chain so far (blocks leave their lazy flags there), or, when it holds
 * none, from the CPU through the imported `e.j`. A module exporting `b: () → i32`.
 */
export function carryModule(layout: WasmLayout): Uint8Array {
  const body = [...pendingOrCpu(layout, [Op.call, 0]), ...carryFrom(layout), Op.return];
  return buildModule({ memoryMaximumPages: layout.maximumPages, imports: [{ name: 'j', type: { params: 0, results: 1 } }], type: { params: 0, results: 1 }, locals: 0, body });
}

/**
 * Condition `cc` (0–15), as {@link carryModule} gives the carry: `b: (cc) → 0/1`, from the
 * mailbox's state or through the imported `e.j(cc)`.
 */
export function conditionModule(layout: WasmLayout): Uint8Array {
  const CC = 0;
  const SIGN = 1;
  const R = 2;
  const OF = 3;
  const SF = 4;
  const ZF = 5;
  const CF = 6;
  const mb = (word: number): Code => load32(layout.mailbox + word * 4);
  const set = (l: number, v: Code): Code => [...v, Op.localSet, l];
  const size = mb(MailboxWord.Size);
  const a = mb(MailboxWord.A);
  const bv = mb(MailboxWord.B);
  const kind = mb(MailboxWord.Flags);
  const add = bin(Op.i32Eq, mb(MailboxWord.Op), k(1));
  const arith = bin(Op.i32LeU, kind, k(FlagState.Carry)); // Arith or Carry
  const body: number[] = [
    ...pendingOrCpu(layout, [...get(CC), Op.call, 0]),
    ...set(SIGN, select(k(-0x8000_0000), select(k(0x8000), k(0x80), bin(Op.i32Eq, size, k(2))), bin(Op.i32Eq, size, k(4)))),
    ...set(R, mb(MailboxWord.Res)),
    ...set(CF, carryFrom(layout)),
    ...set(ZF, eqz(get(R))),
    ...set(SF, bin(Op.i32Ne, bin(Op.i32And, get(R), get(SIGN)), k(0))),
    ...set(
      OF,
      select(
        bin(
          Op.i32Ne,
          bin(Op.i32And, select(bin(Op.i32And, bin(Op.i32Xor, a, get(R)), bin(Op.i32Xor, bv, get(R))), bin(Op.i32And, bin(Op.i32Xor, a, bv), bin(Op.i32Xor, a, get(R))), add), get(SIGN)),
          k(0),
        ),
        select(bin(Op.i32Ne, mb(MailboxWord.Of), k(0)), k(0), bin(Op.i32Eq, kind, k(FlagState.Shift))),
        arith,
      ),
    ),
  ];
  const sfNeOf = bin(Op.i32Ne, get(SF), get(OF));
  const pf = eqz(bin(Op.i32And, [...bin(Op.i32And, get(R), k(255)), 0x69 /* i32.popcnt */], k(1)));
  const byCond = [get(OF), get(CF), get(ZF), bin(Op.i32Or, get(CF), get(ZF)), get(SF), pf, sfNeOf, bin(Op.i32Or, get(ZF), sfNeOf)];
  const c = bin(Op.i32ShrU, get(CC), k(1));
  let v: Code = byCond[7]!;
  for (let i = 6; i >= 0; i--) v = select(byCond[i]!, v, bin(Op.i32Eq, c, k(i)));
  body.push(...bin(Op.i32Xor, v, bin(Op.i32And, get(CC), k(1))), Op.return);
  return buildModule({ memoryMaximumPages: layout.maximumPages, imports: [{ name: 'j', type: { params: 1, results: 1 } }], type: { params: 1, results: 1 }, locals: 6, body });
}

/** `if (mailbox holds no state) return <fromCpu>`. */
function pendingOrCpu(layout: WasmLayout, fromCpu: Code): Code {
  return [...eqz(load32(layout.mailbox + MailboxWord.Flags * 4)), Op.if, VOID, ...fromCpu, Op.return, Op.end];
}

/** CF (0/1) of the mailbox's state. */
function carryFrom(layout: WasmLayout): Code {
  const mb = (word: number): Code => load32(layout.mailbox + word * 4);
  const kind = mb(MailboxWord.Flags);
  const arithCf = select(bin(Op.i32LtU, mb(MailboxWord.Res), mb(MailboxWord.A)), bin(Op.i32LtU, mb(MailboxWord.A), mb(MailboxWord.B)), bin(Op.i32Eq, mb(MailboxWord.Op), k(1)));
  return select(arithCf, select(k(0), mb(MailboxWord.Cf), bin(Op.i32Eq, kind, k(FlagState.Logic))), bin(Op.i32Eq, kind, k(FlagState.Arith)));
}

export { BAIL, REFUSED };
