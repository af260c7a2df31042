import { WasmHostArena } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { Op, VOID, buildModule, exportName, sleb, uleb, wasmHost } from './wasm-module.js';

function enc(f: (out: number[], v: number) => void, v: number): number[] {
  const out: number[] = [];
  f(out, v);
  return out;
}

describe('WebAssembly module writer', () => {
  it('encodes LEB128 as the binary format specifies', () => {
    expect(enc(uleb, 0)).toEqual([0]);
    expect(enc(uleb, 127)).toEqual([0x7f]);
    expect(enc(uleb, 128)).toEqual([0x80, 0x01]);
    expect(enc(uleb, 0xffff_ffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(enc(sleb, 0)).toEqual([0]);
    expect(enc(sleb, 63)).toEqual([0x3f]);
    expect(enc(sleb, 64)).toEqual([0xc0, 0x00]);
    expect(enc(sleb, -1)).toEqual([0x7f]);
    expect(enc(sleb, -65)).toEqual([0xbf, 0x7f]);
    expect(enc(sleb, -0x8000_0000)).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });

  it('builds a module the host validates, over an imported shared memory and helpers', () => {
    // b(x, y, z) = helper(x) + load32(8) + y*z, and stores x at 4; loops once through a block.
    const body: number[] = [];
    body.push(Op.i32Const, 4, Op.localGet, 0, Op.i32Store, 0, 0);
    body.push(Op.block, VOID, Op.loop, VOID, Op.br, 1, Op.end, Op.end);
    body.push(Op.localGet, 0, Op.call, 0, Op.i32Const, 0, Op.i32Load, 0, 8, Op.i32Add);
    body.push(Op.localGet, 1, Op.localGet, 2, Op.i32Mul, Op.i32Add);
    const bytes = buildModule({
      memoryMaximumPages: 16,
      imports: [{ name: 'h', type: { params: 1, results: 1 } }],
      functions: [{ type: { params: 3, results: 1 }, locals: 2, body }],
    });
    const api = wasmHost!;
    expect(api.validate(bytes)).toBe(true);
    const memory = new WasmHostArena({ maximumPages: 4 }).memory;
    new Int32Array(memory.buffer)[2] = 1000;
    const instance = new api.Instance(new api.Module(bytes), { e: { m: memory, h: (x: number) => x * 10 } });
    const b = instance.exports[exportName(0)] as (x: number, y: number, z: number) => number;
    expect(b(3, 4, 5)).toBe(30 + 1000 + 20);
    expect(new Int32Array(memory.buffer)[1]).toBe(3);
  });

  it('defines several functions in one module, each exported under its index and calling the imports', () => {
    // Function i returns helper(i) + its own constant; a large body checks the size prefixes.
    const functions = [0, 1, 2].map((i) => {
      const body: number[] = [];
      for (let n = 0; n < 100 * i; n++) body.push(Op.i32Const, 0, Op.drop);
      body.push(Op.i32Const, i, Op.call, 0, Op.i32Const, 10 + i, Op.i32Add);
      return { type: { params: 0, results: 1 }, locals: i, body };
    });
    const bytes = buildModule({ memoryMaximumPages: 16, imports: [{ name: 'h', type: { params: 1, results: 1 } }], functions });
    const api = wasmHost!;
    expect(api.validate(bytes)).toBe(true);
    const memory = new WasmHostArena({ maximumPages: 4 }).memory;
    const exports = new api.Instance(new api.Module(bytes), { e: { m: memory, h: (x: number) => x * 1000 } }).exports;
    expect([0, 1, 2].map((i) => (exports[exportName(i)] as () => number)())).toEqual([10, 1011, 2012]);
  });

  it('names functions in a name section that the host reports, leaving unnamed ones out', () => {
    const body = [Op.i32Const, 7];
    const functions = [
      { type: { params: 0, results: 1 }, locals: 0, body, name: 'block_c1000000' },
      { type: { params: 0, results: 1 }, locals: 0, body },
      { type: { params: 0, results: 1 }, locals: 0, body, name: 'block_c1000010' },
    ];
    const bytes = buildModule({ memoryMaximumPages: 16, imports: [{ name: 'h', type: { params: 1, results: 1 } }], functions });
    const api = wasmHost!;
    expect(api.validate(bytes)).toBe(true);
    const module = new api.Module(bytes);
    const host = (globalThis as unknown as { WebAssembly: { Module: { customSections(m: object, name: string): ArrayBuffer[] } } }).WebAssembly;
    const sections = host.Module.customSections(module, 'name');
    expect(sections).toHaveLength(1);
    // Subsection 1 (function names): two entries, by function index (the import is function 0).
    const names = new Uint8Array(sections[0]!);
    const text = new TextDecoder().decode(names);
    expect(names[0]).toBe(1);
    expect(names[2]).toBe(2);
    expect(names[3]).toBe(1);
    expect(text).toContain('block_c1000000');
    expect(text).toContain('block_c1000010');
    // Named or not, every function is still exported under its index.
    const exports = new api.Instance(module, { e: { m: new WasmHostArena({ maximumPages: 4 }).memory, h: (x: number) => x } }).exports;
    expect((exports[exportName(1)] as () => number)()).toBe(7);
  });
});
