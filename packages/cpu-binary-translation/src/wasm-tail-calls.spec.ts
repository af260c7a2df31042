/**
 * How a WebAssembly block compiled for its table slot goes on to the next block: a tail call to
 * the dispatcher's `next`, which tail-calls the table's slot, with the chain's total and transfer count in the mailbox, at a direct exit
 * with a link or an indirect exit whose EIP the hash table holds for the block's mode key, unless
 * an event poll is asked for. Two blocks run here outside a machine, called straight from the
 * test as the dispatcher would call the first.
 */
import { WasmHostArena } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { BLOCK_HOST_PAGE, BLOCK_LAYOUT, BLOCK_MODE, CODE, compileWasmBlock, hasNasm } from '../test/support/rig.js';
import { BLOCK_HELPERS, LINKS_PER_SLOT, MailboxWord, REFUSED, blockModule, hashEntry, type CompiledWasm } from './wasm-block-compiler.js';
import { dispatcherModule, forwardingModule } from './wasm-dispatch.js';
import { exportName, wasmHost } from './wasm-module.js';

/** Block A at {@link CODE} (slot 1) adds to EAX and jumps to block B on the next page (slot 2), which adds EAX to EBX and jumps on. */
const SOURCE = `
    add eax, 5
    jmp b
    align 4096
b:
    add ebx, eax
    jmp ${CODE + 0x2000}
`;

/** The same two blocks, A leaving through an indirect jump (to ECX, which {@link Chain.reset} points at B). */
const INDIRECT = SOURCE.replace('jmp b', 'jmp ecx');

type Block = (budget: number, fl: number) => number;

interface Chain {
  readonly a: Block;
  readonly i32: Int32Array;
  readonly compiledA: CompiledWasm;
  readonly compiledB: CompiledWasm;
  /** Sets the registers and the mailbox as the dispatcher leaves them before its first call. */
  readonly reset: () => void;
  readonly mailbox: (word: number) => number;
  readonly reg: (r: number) => number;
}

/**
 * Blocks A (slot 1) and B (slot 2) of `source`, A's exit 0 linked to B when `linked`, and the
 * hash table's entry for B's EIP holding `hashed` (EIP, mode key, slot) when given.
 */
function chain(linked: boolean, source = SOURCE, hashed?: readonly [number, number, number]): Chain {
  const compiledA = compileWasmBlock(source, undefined, { slot: 1 })!;
  const compiledB = compileWasmBlock(source, undefined, { slot: 2, at: 0x1000 })!;
  const api = wasmHost!;
  const arena = new WasmHostArena();
  // The memory reaches past the layout's TLB entries for the two code pages.
  arena.allocate(BLOCK_LAYOUT.tlb + 0x1000, 16);
  const memory = arena.memory;
  const table = new api.Table({ element: 'anyfunc', initial: 4 });
  const unexpected = (): never => {
    throw new Error('no helper is called by these blocks');
  };
  // The helper table's helpers throw; `next` is the dispatcher's, on the table of blocks.
  const throwing = new api.Instance(new api.Module(forwardingModule(BLOCK_LAYOUT, BLOCK_HELPERS)), { e: { m: memory, ...Object.fromEntries(BLOCK_HELPERS.map((f) => [f.name, unexpected])) } }).exports;
  const helpers = new api.Table({ element: 'anyfunc', initial: BLOCK_HELPERS.length });
  BLOCK_HELPERS.forEach((_, i) => helpers.set(i, throwing[exportName(i)]));
  const next = new api.Instance(new api.Module(dispatcherModule(BLOCK_LAYOUT)), { e: { m: memory, t: table, poll: unexpected } }).exports[exportName(1)];
  const e: Record<string, unknown> = { m: memory, t: helpers, next };
  const exports = new api.Instance(new api.Module(blockModule(BLOCK_LAYOUT, [compiledA.function, compiledB.function])), { e }).exports;
  const a = exports[exportName(0)] as Block;
  table.set(1, a);
  table.set(2, exports[exportName(1)]);
  const i32 = new Int32Array(memory.buffer);
  // Both code pages mapped (the blocks check their TLB entries on entry), A's exit 0 linked to B.
  i32[(BLOCK_LAYOUT.tlb + (CODE >>> 12) * 4) >>> 2] = BLOCK_HOST_PAGE;
  i32[(BLOCK_LAYOUT.tlb + ((CODE >>> 12) + 1) * 4) >>> 2] = BLOCK_HOST_PAGE + 0x1000;
  i32[(BLOCK_LAYOUT.links >>> 2) + LINKS_PER_SLOT] = linked ? 2 : 0;
  if (hashed !== undefined) i32.set(hashed, (BLOCK_LAYOUT.hash >>> 2) + hashEntry(CODE + 0x1000));
  const mailbox = (word: number): number => i32[(BLOCK_LAYOUT.mailbox >>> 2) + word]!;
  const reset = (): void => {
    i32.fill(0, BLOCK_LAYOUT.mailbox >>> 2, (BLOCK_LAYOUT.mailbox >>> 2) + 16);
    i32[(BLOCK_LAYOUT.mailbox >>> 2) + MailboxWord.Eip] = CODE;
    i32[BLOCK_LAYOUT.regs >>> 2] = 1;
    i32[(BLOCK_LAYOUT.regs >>> 2) + 1] = CODE + 0x1000;
    i32[(BLOCK_LAYOUT.regs >>> 2) + 3] = 100;
  };
  return { a, i32, compiledA, compiledB, reset, mailbox, reg: (r) => i32[(BLOCK_LAYOUT.regs >>> 2) + r]! };
}

/**
 * Expects A to have gone on to B with a tail call counted in mailbox word
 * `counter` ({@link MailboxWord.Chained} or {@link MailboxWord.LookedUp}), and B to have returned
 * its exit 0 (which has no link) to the caller of A.
 */
function expectWentOn(c: Chain, counter: number): void {
  c.reset();
  expect(c.a(1000, 0)).toBe(0);
  expect(c.reg(0)).toBe(6);
  expect(c.reg(3)).toBe(106);
  expect(c.mailbox(MailboxWord.Eip)).toBe(CODE + 0x2000);
  expect(c.mailbox(MailboxWord.Total)).toBe(c.compiledA.count);
  expect(c.mailbox(MailboxWord.Retired)).toBe(c.compiledB.count);
  expect(c.mailbox(counter)).toBe(1);
  expect(c.mailbox(MailboxWord.Chained) + c.mailbox(MailboxWord.LookedUp)).toBe(1);
  expect(c.mailbox(MailboxWord.Slot)).toBe(2);
}

/** Expects A (called with `fl`) to have returned its exit 0 to its caller, no transfer counted. */
function expectReturned(c: Chain, fl: number): void {
  c.reset();
  expect(c.a(1000, fl)).toBe(0);
  expect(c.reg(0)).toBe(6);
  expect(c.reg(3)).toBe(100);
  expect(c.mailbox(MailboxWord.Eip)).toBe(CODE + 0x1000);
  expect(c.mailbox(MailboxWord.Total)).toBe(0);
  expect(c.mailbox(MailboxWord.Retired)).toBe(c.compiledA.count);
  expect(c.mailbox(MailboxWord.Chained)).toBe(0);
  expect(c.mailbox(MailboxWord.LookedUp)).toBe(0);
  expect(c.mailbox(MailboxWord.Slot)).toBe(1);
}

describe.skipIf(!hasNasm)('tail calls between WebAssembly blocks', () => {
  it('compiles A with a direct exit to B, or an indirect one', () => {
    expect(chain(true).compiledA.exits[0]).toEqual({ kind: 0, target: CODE + 0x1000 });
    expect(chain(false, INDIRECT).compiledA.exits[0]).toEqual({ kind: 1, target: -1 });
  });

  it('goes on to the linked block without returning, adding its instructions to the total and counting the transfer', () => {
    expectWentOn(chain(true), MailboxWord.Chained);
  });

  it('returns to the dispatcher at an exit without a link, or when an event poll is asked for', () => {
    for (const [linked, fl] of [
      [false, 0],
      [true, 2],
    ] as const) {
      expectReturned(chain(linked), fl);
    }
  });

  it('passes on the budget left, so that a linked block the budget cannot hold refuses to run', () => {
    const c = chain(true);
    c.reset();
    expect(c.a(c.compiledA.count + c.compiledB.count - 1, 0)).toBe(REFUSED);
    // A ran and handed over; B ran nothing and left the state at its start.
    expect(c.reg(0)).toBe(6);
    expect(c.reg(3)).toBe(100);
    expect(c.mailbox(MailboxWord.Eip)).toBe(CODE + 0x1000);
    expect(c.mailbox(MailboxWord.Total)).toBe(c.compiledA.count);
    expect(c.mailbox(MailboxWord.Retired)).toBe(0);
  });

  it('goes on at an indirect exit to the block the hash table holds for the EIP and mode key, counting a lookup', () => {
    expectWentOn(chain(false, INDIRECT, [CODE + 0x1000, BLOCK_MODE, 2]), MailboxWord.LookedUp);
  });

  it('returns to the dispatcher at an indirect exit whose hash entry is for another EIP or mode key, or empty, or when an event poll is asked for', () => {
    for (const [hashed, fl] of [
      [[CODE + 0x1001, BLOCK_MODE, 2], 0],
      [[CODE + 0x1000, BLOCK_MODE | 3, 2], 0],
      [[CODE + 0x1000, BLOCK_MODE, 0], 0],
      [[CODE + 0x1000, BLOCK_MODE, 2], 2],
    ] as const) {
      // A's exit 0 linked as well: an indirect exit does not follow the link.
      expectReturned(chain(true, INDIRECT, hashed), fl);
    }
  });
});
