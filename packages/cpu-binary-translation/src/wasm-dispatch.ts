/**
 * The WebAssembly backend's dispatcher and its helpers. The dispatcher is one function,
 * `run(slot, budget, fl, mode)`, that calls the block in table slot `slot` and then, as
 * long as the block it ran leaves through a linked exit (a link word in the arena) or to an EIP
 * its hash table holds, and no interrupt is waiting, the next block, without returning to
 * JavaScript. (A block compiled for its slot follows a link, or a hash entry at an indirect
 * exit, itself, with a tail call, and returns to the dispatcher only at other exits.) The engine
 * makes the links (as it chains its JavaScript blocks) and the hash entries, and reads the
 * outcome from the mailbox: the last slot, the instructions retired, the transfers made. Each
 * block checks on entry that it may run (see {@link REFUSED}), so a link never needs to be
 * undone: a block dropped from the cache has its slot pointed at the refusing function. The
 * helpers evaluate, for blocks, the lazy flags the chain left in the mailbox.
 */
import { BLOCK_TYPE, FlagState, LINKS_PER_SLOT, MailboxWord, REFUSED, hashOffset, mailboxWord, mailboxWrite, type WasmLayout } from './wasm-block-compiler.js';
import { Op, VOID, bin, buildModule, eqz, get, k, loadAt, memarg, select, typeIndexOf, type Code, type I32Signature, type ModuleSpec } from './wasm-module.js';

export { HASH_ENTRIES, HASH_ENTRY_BYTES, LINKS_PER_SLOT, hashEntry } from './wasm-block-compiler.js';

/** log2 of the bytes of one slot's link words. */
const LINK_SHIFT = Math.log2(LINKS_PER_SLOT * 4);

const P_SLOT = 0;
const P_BUDGET = 1;
const P_FL = 2;

const IMPORT_POLL = 0;

/**
 * The dispatcher module: imports `e.m`, `e.t` (the block table) and `e.poll`; exports
 * `run(slot, budget, fl, mode) → exit` (as `"0"`) and `next(budget, fl, slot) → exit` (as `"1"`).
 * After a direct exit `run` follows the exit's link; after an indirect one (or a direct one not
 * linked yet) it looks the new EIP up in the hash table, whose entries the engine writes for
 * every WebAssembly block (EIP and mode key must match; the block itself checks its page).
 * `next` tail-calls the block in slot `slot`: the way a block goes on to a linked one (the block
 * modules import `next`, not the table, which so has one importer).
 */
export function dispatcherModule(layout: WasmLayout): Uint8Array {
  const imports = [{ name: 'poll', type: { params: 1, results: 1 } }];
  const b: number[] = [];
  // next(budget, fl, slot): table[slot](budget, fl), as a tail call.
  const nextBody: number[] = [];
  const spec: ModuleSpec = {
    memoryMaximumPages: layout.maximumPages,
    tableMinimum: 1,
    imports,
    extraTypes: [BLOCK_TYPE],
    functions: [
      { type: { params: 4, results: 1 }, locals: 5, body: b },
      { type: { params: 3, results: 1 }, locals: 0, body: nextBody },
    ],
  };
  const blockType = typeIndexOf(spec, BLOCK_TYPE);
  nextBody.push(...get(0), ...get(1), ...get(2), Op.returnCallIndirect, blockType, 0);
  const P_MODE = 3;
  const X = 4;
  const TOTAL = 5;
  const NEXT = 6;
  const EIP = 7;
  const H = 8;
  const set = (l: number, v: Code): Code => [...v, Op.localSet, l];
  const mb = (word: number): Code => mailboxWord(layout, word);
  const mbStore = (word: number, v: Code): Code => mailboxWrite(layout, word, v);
  const at = loadAt;
  const linkWord = bin(Op.i32Add, bin(Op.i32Shl, get(P_SLOT), k(LINK_SHIFT)), bin(Op.i32Shl, get(X), k(2)));
  b.push(...mbStore(MailboxWord.Total, k(0)), Op.loop, VOID);
  // x = table[slot](budget - total, fl)
  b.push(...bin(Op.i32Sub, get(P_BUDGET), get(TOTAL)), ...get(P_FL), ...get(P_SLOT), Op.callIndirect, blockType, 0);
  b.push(...set(X, []));
  // The block that returned (it may have gone on to others with tail calls, which added their
  // instructions to the mailbox's total) adds its own; the mailbox keeps the total for the event
  // polls and the interpreter calls of the blocks.
  b.push(...set(TOTAL, bin(Op.i32Add, mb(MailboxWord.Total), mb(MailboxWord.Retired))), ...mbStore(MailboxWord.Total, get(TOTAL)));
  b.push(...set(P_SLOT, mb(MailboxWord.Slot)));
  b.push(Op.block, VOID);
  // A bail-out or a refusal goes back to the engine.
  b.push(...bin(Op.i32LtS, get(X), k(0)), Op.brIf, 0);
  // A linked exit: links[slot * LINKS_PER_SLOT + x].
  b.push(...set(NEXT, k(0)));
  b.push(...bin(Op.i32LtS, get(X), k(LINKS_PER_SLOT)), Op.if, VOID);
  b.push(...set(NEXT, at(linkWord, layout.links)), Op.end);
  b.push(...eqz(get(NEXT)), Op.if, VOID);
  {
    // Not linked: the hash table, by EIP and mode key.
    b.push(...set(EIP, mb(MailboxWord.Eip)));
    b.push(...set(H, hashOffset(get(EIP))));
    b.push(...bin(Op.i32Ne, at(get(H), layout.hash), get(EIP)), Op.brIf, 1);
    b.push(...bin(Op.i32Ne, at(get(H), layout.hash + 4), get(P_MODE)), Op.brIf, 1);
    b.push(...set(NEXT, at(get(H), layout.hash + 8)), ...eqz(get(NEXT)), Op.brIf, 1);
    b.push(...mbStore(MailboxWord.LookedUp, bin(Op.i32Add, mb(MailboxWord.LookedUp), k(1))));
    // A direct exit (bit x of the slot's mask) found this way is linked for next time.
    const linkable = bin(Op.i32And, bin(Op.i32ShrU, at(bin(Op.i32Shl, get(P_SLOT), k(2)), layout.direct), get(X)), bin(Op.i32LtU, get(X), k(LINKS_PER_SLOT)));
    b.push(...linkable, Op.if, VOID);
    b.push(...linkWord, ...get(NEXT), Op.i32Store);
    memarg(b, layout.links);
    b.push(Op.end);
  }
  b.push(Op.else, ...mbStore(MailboxWord.Chained, bin(Op.i32Add, mb(MailboxWord.Chained), k(1))), Op.end);
  // An interrupt waiting (at this boundary's guest time) goes back to the engine too. Bit 1 of
  // `fl` is clear when none can start waiting inside a call: IF is clear, or the interrupt
  // controller's request changes only while devices run, and none runs inside a call.
  b.push(...bin(Op.i32And, get(P_FL), k(2)), Op.if, VOID, ...k(0), Op.call, IMPORT_POLL, Op.brIf, 1, Op.end);
  b.push(...set(P_SLOT, get(NEXT)), Op.br, 1, Op.end);
  b.push(...get(X), Op.return, Op.end, Op.unreachable);
  return buildModule(spec);
}

/**
 * WebAssembly functions that call the host functions `helpers` (imported as `e.<name>`), exported
 * in their order: what the blocks' helper table holds in their place (see `blockModule`). The
 * wrappers for the host calls are then compiled once, with this module, and not with every module
 * of blocks.
 */
export function forwardingModule(layout: WasmLayout, helpers: readonly { readonly name: string; readonly type: I32Signature }[]): Uint8Array {
  const functions = helpers.map((f, i) => {
    const body: number[] = [];
    for (let p = 0; p < f.type.params; p++) body.push(...get(p));
    body.push(Op.returnCall, i);
    return { type: f.type, locals: 0, body };
  });
  return buildModule({ memoryMaximumPages: layout.maximumPages, imports: helpers, functions });
}

/** A block function that always refuses (the slot of a block dropped from the cache). */
export function refusingModule(layout: WasmLayout): Uint8Array {
  const b = [...mailboxWrite(layout, MailboxWord.Retired, k(0)), ...k(REFUSED)];
  return buildModule({ memoryMaximumPages: layout.maximumPages, imports: [], functions: [{ type: BLOCK_TYPE, locals: 0, body: b }] });
}

/**
 * The carry flag, for blocks that read the flags before they produce any: from the state the
 * mailbox holds for the chain so far (blocks leave their lazy flags there), or, when it holds
 * none, from the CPU through the imported `e.j`. A module exporting `b: () → i32`.
 */
export function carryModule(layout: WasmLayout): Uint8Array {
  const body = [...pendingOrCpu(layout, [Op.call, 0]), ...carryFrom(layout), Op.return];
  return buildModule({ memoryMaximumPages: layout.maximumPages, imports: [{ name: 'j', type: { params: 0, results: 1 } }], functions: [{ type: { params: 0, results: 1 }, locals: 0, body }] });
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
  const mb = (word: number): Code => mailboxWord(layout, word);
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
  return buildModule({ memoryMaximumPages: layout.maximumPages, imports: [{ name: 'j', type: { params: 1, results: 1 } }], functions: [{ type: { params: 1, results: 1 }, locals: 6, body }] });
}

/** `if (mailbox holds no state) return <fromCpu>`. */
function pendingOrCpu(layout: WasmLayout, fromCpu: Code): Code {
  return [...eqz(mailboxWord(layout, MailboxWord.Flags)), Op.if, VOID, ...fromCpu, Op.return, Op.end];
}

/** CF (0/1) of the mailbox's state. */
function carryFrom(layout: WasmLayout): Code {
  const mb = (word: number): Code => mailboxWord(layout, word);
  const kind = mb(MailboxWord.Flags);
  const arithCf = select(bin(Op.i32LtU, mb(MailboxWord.Res), mb(MailboxWord.A)), bin(Op.i32LtU, mb(MailboxWord.A), mb(MailboxWord.B)), bin(Op.i32Eq, mb(MailboxWord.Op), k(1)));
  return select(arithCf, select(k(0), mb(MailboxWord.Cf), bin(Op.i32Eq, kind, k(FlagState.Logic))), bin(Op.i32Eq, kind, k(FlagState.Arith)));
}
