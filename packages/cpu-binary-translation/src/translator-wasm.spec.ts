/**
 * The WebAssembly backend's own machinery: the dispatcher's links and hash table, the lazy flags
 * handed from block to block through the mailbox, bail-outs to the interpreter, and event polls
 * inside chains. Every test compares with the interpreter.
 */
import { MetricsRegistry, PopekError, SliceExit } from '@popek/core';
import { DirectStrategy, Mmu } from '@popek/mmu';
import { describe, expect, it } from 'vitest';
import { makeCpu } from '../../cpu-x86/test/support/machine.js';
import { WARMUP, archState, hasNasm, makeRig, metric, twin } from '../test/support/rig.js';
import { BinaryTranslationMode } from './bt-mode.js';
import { BinaryTranslator } from './translator.js';

const DATA = 0x80000;
const WASM = { bt: { backend: 'wasm' as const } };

/** Flag producers, each followed by a block boundary where a SETcc reads what it left. */
const PRODUCERS = ['add eax, ebx', 'sub eax, ebx', 'cmp al, bl', 'adc eax, ebx', 'sbb ax, bx', 'inc eax', 'dec bl', 'and eax, ebx', 'xor al, bl', 'shl eax, 3', 'shr eax, 1', 'sar bx, 5', 'imul eax, ebx', 'neg eax'];
const OPERANDS: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 0xffffffff],
  [0x7fffffff, 1],
  [0x80000000, 0x80000000],
  [0x12345678, 0x9abcdef0],
  [0xff, 0x80],
];

/**
 * A loop of 20 000 iterations whose two blocks sit on two pages (each iteration makes two direct
 * transfers); `inSecond` goes into the second block, before its loop branch.
 */
function twoPageLoop(inSecond: string): string {
  return `
    ${WARMUP}
    xor eax, eax
    mov ecx, 20000
top:
    add eax, ecx
    rol eax, 3
    jmp other
    align 4096
other:
    xor eax, 0x5a5a${inSecond}
    dec ecx
    jnz top
    hlt
`;
}

describe.skipIf(!hasNasm)('binary translator, WebAssembly backend', () => {
  it('reads every condition at the start of a block the dispatcher chained to, after every kind of flag producer, as the interpreter does', () => {
    // Each case: operands, STC or CLC (carry in), the producer, then an indirect jump (the block
    // ends; the dispatcher finds the next block in its hash table) to SETcc for all 16
    // conditions. The whole program runs three times, so the second and third runs go through
    // chains of compiled blocks.
    let body = '';
    let slot = 0;
    for (const p of PRODUCERS) {
      for (const [a, b] of OPERANDS) {
        for (const carry of ['stc', 'clc']) {
          body += `    mov eax, ${a}\n    mov ebx, ${b}\n    ${carry}\n    ${p}\n    mov edx, .c${slot}\n    jmp edx\n.c${slot}:\n`;
          for (let cc = 0; cc < 16; cc++) body += `    set${CC[cc]} byte [${DATA} + ${slot * 16 + cc}]\n`;
          slot++;
        }
      }
    }
    const src = `${WARMUP}\n    mov esi, 3\nround:\n${body}    dec esi\n    jnz round\n    hlt\n`;
    const { bt, ref } = twin((r) => r.load(src), WASM);
    expect(ref.run(10_000_000)).toBe(SliceExit.Halted);
    expect(bt.run(10_000_000)).toBe(SliceExit.Halted);
    expect(archState(bt)).toEqual(archState(ref));
    expect(bt.bus.ram.subarray(DATA, DATA + slot * 16)).toEqual(ref.bus.ram.subarray(DATA, DATA + slot * 16));
    expect(metric(bt, 'bt.wasm.blocks')).toBeGreaterThan(0);
    // The third run's indirect jumps were all found by the dispatcher.
    expect(metric(bt, 'bt.transfers', { kind: 'lookup' })).toBeGreaterThan(slot);
  });

  it('compiles warm blocks in batches, many blocks to a module, and runs them as the interpreter does', () => {
    // Twelve functions, each a block of its own, called in turn from a loop: they all become warm
    // together, and the queue is compiled four blocks at a time.
    let fns = '';
    let calls = '';
    for (let f = 0; f < 12; f++) {
      fns += `f${f}:\n    add eax, ${f * 7 + 1}\n    rol eax, ${(f % 5) + 1}\n    xor ebx, eax\n    ret\n`;
      calls += `    call f${f}\n`;
    }
    const src = `${WARMUP}\n    xor eax, eax\n    xor ebx, ebx\n    mov ecx, 300\ntop:\n${calls}    dec ecx\n    jnz top\n    hlt\n${fns}`;
    const options = { bt: { backend: 'wasm' as const, hotThreshold: 40, batch: 4 } };
    const { bt, ref } = twin((r) => r.load(src), options);
    ref.run();
    bt.run();
    expect(archState(bt)).toEqual(archState(ref));
    const blocks = metric(bt, 'bt.wasm.blocks');
    const modules = metric(bt, 'bt.wasm.modules');
    expect(blocks).toBeGreaterThanOrEqual(12);
    expect(modules).toBeGreaterThan(0);
    expect(modules).toBeLessThanOrEqual(Math.ceil(blocks / 3));
  });

  it('follows links between blocks without returning to the engine, and ends where the interpreter does', () => {
    // The loop's two blocks sit on two pages, so each iteration makes two direct transfers.
    const { bt, ref } = twin((r) => r.load(twoPageLoop('')), WASM);
    ref.run();
    bt.run();
    expect(archState(bt)).toEqual(archState(ref));
    expect(metric(bt, 'bt.transfers', { kind: 'chained' })).toBeGreaterThan(19_000);
    // Back in the engine only for the first visits, to link.
    expect(metric(bt, 'bt.transfers', { kind: 'lookup' })).toBeLessThan(100);
  });

  it('links again to a block translated anew after a write dropped it, instead of coming back to the engine at every pass', () => {
    // Halfway through, the loop writes to the second block's page: that block is dropped and,
    // once hot again, translated into another slot. The first block's link to the old slot must
    // not stay: through it every later iteration would stop at a refusing slot and come back
    // to the engine for a lookup (about 10 000 of them).
    const write = `
    cmp ecx, 10000
    jne .on
    mov byte [scratch], 1
.on:`;
    const { bt, ref } = twin((r) => r.load(`${twoPageLoop(write)}scratch: db 0\n`), WASM);
    ref.run();
    bt.run();
    expect(archState(bt)).toEqual(archState(ref));
    expect(metric(bt, 'bt.invalidations', { cause: 'write' })).toBeGreaterThanOrEqual(1);
    expect(metric(bt, 'bt.transfers', { kind: 'chained' })).toBeGreaterThan(35_000);
    expect(metric(bt, 'bt.transfers', { kind: 'lookup' })).toBeLessThan(1000);
  });

  it('bails out to the interpreter on a TLB miss and continues in WebAssembly, as the interpreter would', () => {
    // Reads one dword from each of 256 pages of a fresh mapping, twice: each first touch of a
    // page misses the TLB inside a compiled block.
    const src = `
    ${WARMUP}
    xor eax, eax
    mov edi, 2
again:
    mov esi, 0x400000
    mov ecx, 256
walk:
    add eax, [esi]
    rol eax, 1
    add esi, 4096
    dec ecx
    jnz walk
    mov cr3, ebx
    dec edi
    jnz again
    hlt
`;
    const { bt, ref } = twin((r) => {
      r.load(src);
      const pt = r.enablePaging();
      pt.mapRange(0x400000, 0x400000, 256, 3);
      for (let i = 0; i < 256; i++) r.setU32(0x400000 + i * 4096, Math.imul(i + 7, 0x9e3779b9) >>> 0);
      r.cpu.regs[3] = r.cpu.cr3;
    }, WASM);
    expect(ref.run()).toBe(SliceExit.Halted);
    expect(bt.run()).toBe(SliceExit.Halted);
    expect(archState(bt)).toEqual(archState(ref));
    expect(metric(bt, 'bt.wasm.bailouts')).toBeGreaterThanOrEqual(200);
  });

  it('takes an interrupt asserted from a given guest time within one block in a loop of blocks the dispatcher chains', () => {
    for (const raiseAt of [5_000, 5_013]) {
      const r = makeRig('bt', WASM);
      r.load(`${WARMUP}\n    sti\nl:  inc eax\n    call f\n    jmp l\nf:  add ebx, eax\n    ret`);
      r.load('hlt\njmp $ - 1', 0x18000);
      r.setGate(0x20, 0x18000);
      let acked = -1;
      r.pic.hasInterrupt = () => acked < 0 && r.cpu.retired() >= raiseAt;
      r.pic.acknowledge = () => {
        acked = r.cpu.retired();
        return 0x20;
      };
      expect(r.run(20_000)).toBe(SliceExit.Halted);
      expect(acked - raiseAt).toBeGreaterThanOrEqual(0);
      expect(acked - raiseAt).toBeLessThanOrEqual(48);
    }
  });

  it('asks an event-driven interrupt controller only between chains, and a time-driven one at every boundary', () => {
    const asked = (eventDriven: boolean): { calls: number; eax: number } => {
      const r = makeRig('bt', WASM);
      r.load(`${WARMUP}\n    sti\nl:  inc eax\n    call f\n    cmp eax, 3000\n    jne l\n    hlt\nf:  add ebx, eax\n    ret`);
      r.pic.eventDriven = eventDriven;
      let calls = 0;
      r.pic.hasInterrupt = () => {
        calls++;
        return false;
      };
      expect(r.run(100_000)).toBe(SliceExit.Halted);
      return { calls, eax: r.cpu.regs[0]! };
    };
    const timed = asked(false);
    const driven = asked(true);
    expect(driven.eax).toBe(3000);
    expect(timed.eax).toBe(3000);
    // 3000 iterations of three chained blocks: polled at (nearly) every transfer, or almost never.
    expect(timed.calls).toBeGreaterThan(6000);
    expect(driven.calls).toBeLessThan(timed.calls / 20);
  });

  it("refuses the 'wasm' backend with a clear error when RAM, the TLB and the registers are not in a host arena", () => {
    const t = makeCpu(1 << 20, {}, (bus) => new Mmu(bus, new DirectStrategy(), new MetricsRegistry()));
    const translator = new BinaryTranslator(t.bus, t.bus, t.metrics, { backend: 'wasm' });
    t.cpu.setPolicy(new BinaryTranslationMode(translator));
    let error: unknown;
    try {
      translator.runSlice(t.cpu, 1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PopekError);
    expect((error as PopekError).code).toBe('bt-backend-unavailable');
  });
});

const CC = ['o', 'no', 'b', 'nb', 'z', 'nz', 'be', 'nbe', 's', 'ns', 'p', 'np', 'l', 'nl', 'le', 'nle'];
