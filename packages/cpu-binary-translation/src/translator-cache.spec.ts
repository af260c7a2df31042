/**
 * The translation cache under a code footprint far larger than its capacity: a chain of 3000
 * distinct blocks spread over a dozen pages in a shuffled order, run several times with room for
 * 256 blocks.
 */
import { SliceExit } from '@popek/core';
import { seededRandom } from '@popek/testing';
import { describe, expect, it } from 'vitest';
import { CODE, WARMUP, archState, hasNasm, makeRig, regs, twin } from '../test/support/rig.js';
import { coldEntry } from './translator.js';
import { wasmHost } from './wasm-module.js';

const STUBS = 3000;
const STUB_BASE = 0x80000; // from the start of the image: the stubs go to 0x90000–0x9BB7F
const ROUNDS = 5;

/**
 * Runs `body` counting the tables of functions the host's WebAssembly API makes meanwhile (the
 * API's `Table` constructor is wrapped for the while).
 */
function countingTables(body: () => void): number {
  const host = wasmHost as unknown as { Table: new (descriptor: object) => object } | undefined;
  if (host === undefined) {
    body();
    return 0;
  }
  const Original = host.Table;
  let made = 0;
  host.Table = class extends Original {
    constructor(descriptor: object) {
      super(descriptor);
      made++;
    }
  };
  try {
    body();
  } finally {
    host.Table = Original;
  }
  return made;
}

/** A deterministic permutation of 0..n-1 (Fisher–Yates over a seeded xorshift32). */
function permutation(n: number, seed: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  const next = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/**
 * Stub k (in execution order) sits in slot order[k] (16 bytes each) and is
 * `add eax, k * 7 + 1` then a jump to stub k + 1; the last one counts the rounds down.
 */
function program(): { source: string; expectedEax: number } {
  const order = permutation(STUBS, 0x9e3779b9);
  const lines = [`${WARMUP}`, `    mov ecx, ${ROUNDS}`, '    xor eax, eax', 'jmp s0', `    times ${STUB_BASE} - ($ - $$) db 0xcc`];
  const bySlot: string[] = new Array<string>(STUBS);
  let sum = 0;
  for (let k = 0; k < STUBS; k++) {
    const imm = k * 7 + 1;
    sum = (sum + imm) >>> 0;
    const next = k + 1 < STUBS ? `jmp s${k + 1}` : 'dec ecx\n    jnz s0\n    hlt';
    bySlot[order[k]!] = `s${k}: add eax, ${imm}\n    ${next}`;
  }
  for (let slot = 0; slot < STUBS; slot++) lines.push(`    align 16, db 0xcc`, bySlot[slot]!);
  return { source: lines.join('\n'), expectedEax: (sum * ROUNDS) >>> 0 };
}

describe.skipIf(!hasNasm)('binary translator: cache capacity', () => {
  it('3000 blocks over a dozen pages with room for 256: right result, capacity flushes, never more than 256 cached, new tables of WebAssembly blocks and helpers at each flush', () => {
    const { source, expectedEax } = program();
    const { bt, ref } = twin((r) => r.load(source), { bt: { maxBlocks: 256 } });
    expect(ref.run()).toBe(SliceExit.Halted);
    expect(regs(ref).eax).toBe(expectedEax);
    const tr = bt.translator!;
    let maxCached = 0;
    const tables = countingTables(() => {
      for (;;) {
        const r = bt.cpu.runSlice(997);
        maxCached = Math.max(maxCached, tr.cachedBlocks);
        if (r === SliceExit.Halted) break;
      }
    });
    expect(regs(bt).eax).toBe(expectedEax);
    expect(archState(bt)).toEqual(archState(ref));
    expect(maxCached).toBeLessThanOrEqual(256);
    expect(tr.cachedBlocks).toBeLessThanOrEqual(256);
    // The cache filled up and was flushed again and again. (Each flush untraces the pages, and
    // tracing a page again flushes the TLB, after which the engine interprets a chunk: so a good
    // part of this run is interpreted, but far more than 256 blocks are translated.)
    expect(bt.metrics.value('bt.invalidations', { cause: 'capacity' })).toBeGreaterThanOrEqual(4);
    expect(bt.metrics.value('bt.translations')).toBeGreaterThan(4 * 256);
    expect(bt.metrics.value('bt.blocks_invalidated')).toBeGreaterThanOrEqual(4 * 256);
    // The modules of dropped WebAssembly blocks go with their tables (which the host would keep
    // them alive with): a table of blocks and a helper table from the first slice on, and a new
    // pair at every flush.
    if (bt.metrics.value('bt.wasm.blocks') > 0) expect(tables).toBe(2 * (1 + bt.metrics.value('bt.invalidations', { cause: 'capacity' })));
  });

  it('blocks not yet hot do not fill the cache: 3000 blocks run five times each flush nothing', () => {
    // With a threshold of 50 visits no stub is ever translated; their visit counters (four times
    // the capacity at most) are dropped on their own, and the translated warm-up loop stays.
    const { source, expectedEax } = program();
    const r = makeRig('bt', { bt: { maxBlocks: 256, hotThreshold: 50 } });
    r.load(source);
    expect(r.run()).toBe(SliceExit.Halted);
    expect(regs(r).eax).toBe(expectedEax);
    expect(r.metrics.value('bt.invalidations', { cause: 'capacity' })).toBe(0);
    expect(r.translator!.cachedBlocks).toBeGreaterThan(0);
    expect(r.translator!.cachedBlocks).toBeLessThan(10);
  });

  it('with a cache large enough, the second and later rounds run from the cache', () => {
    const { source, expectedEax } = program();
    const r = makeRig('bt', { bt: { maxBlocks: 4096 } });
    r.load(source);
    expect(r.run()).toBe(SliceExit.Halted);
    expect(regs(r).eax).toBe(expectedEax);
    expect(r.metrics.value('bt.invalidations', { cause: 'capacity' })).toBe(0);
    expect(r.metrics.value('bt.translations')).toBeLessThan(STUBS + 100);
    expect(r.translator!.cachedBlocks).toBeGreaterThan(STUBS / 2);
    expect(r.translator!.tracedPages).toBeGreaterThanOrEqual(11);
  });
});

describe.skipIf(!hasNasm)('binary translator: the cold-block cache', () => {
  it('keeps the visits of two blocks that share an entry: the one called three times as often is translated after a third of the calls', () => {
    // Routine A at 0x20000 and routine B at 0x30001 map to the same entry (RAM offset = physical
    // address here), so each call of B evicts A and the next call of A evicts B.
    const a = 0x20000;
    const b = 0x30001;
    expect(coldEntry(b)).toBe(coldEntry(a));
    const hot = 64;
    const source = `
    ${WARMUP}
    xor esi, esi
    xor edi, edi
    mov ecx, ${hot / 2}
again:
    call ra
    call ra
    call ra
    call rb
    dec ecx
    jnz again
    hlt
    times ${a - CODE} - ($ - $$) db 0xcc
ra: inc esi
    ret
    times ${b - CODE} - ($ - $$) db 0xcc
rb: inc edi
    ret
`;
    const r = makeRig('bt', { bt: { backend: 'js', hotThreshold: hot } });
    r.load(source);
    expect(r.run()).toBe(SliceExit.Halted);
    expect(regs(r).esi).toBe((3 * hot) / 2);
    expect(regs(r).edi).toBe(hot / 2);
    // A (96 calls) is translated on its 64th; B and the loop (32 visits each) are not: the pages
    // with translations are the warm-up loop's and A's.
    expect(r.translator!.tracedPages).toBe(2);
  });

  it('counts every visit of cold blocks that run one after another, as a lookup: a loop of three blocks stays interpreted until its head has had 64 visits, and is translated (as one superblock) on the 64th', () => {
    // Three blocks that jump to one another, interpreted back to back while cold. The loop's
    // head is visited as a block from the second round on (the first round enters it from above).
    const source = (rounds: number): string => `
    ${WARMUP}
    xor eax, eax
    xor ebx, ebx
    xor esi, esi
    mov ecx, ${rounds}
top:
    inc eax
    jmp b1
b1: inc ebx
    jmp b2
b2: inc esi
    dec ecx
    jnz top
    hlt
`;
    const hot = 64;
    const run = (rounds: number): { translations: number; lookups: number } => {
      const r = makeRig('bt', { bt: { backend: 'js', hotThreshold: hot } });
      r.load(source(rounds));
      expect(r.run()).toBe(SliceExit.Halted);
      expect([regs(r).eax, regs(r).ebx, regs(r).esi]).toEqual([rounds, rounds, rounds]);
      return { translations: r.metrics.value('bt.translations'), lookups: r.metrics.value('bt.transfers', { kind: 'lookup' }) };
    };
    const before = run(hot - 1);
    const cold = run(hot);
    const hotRun = run(hot + 1);
    // One more round: three more visits, each looked up; nothing translated until the head's 64th.
    expect(cold.lookups - before.lookups).toBe(3);
    expect(cold.translations).toBe(before.translations);
    expect(hotRun.translations).toBe(cold.translations + 1);
    // Translated, the loop runs as one block, chained to itself: no more lookups.
    expect(hotRun.lookups).toBe(cold.lookups);
  });
});
