import { describe, expect, it } from 'vitest';
import { PopekError } from './errors.js';
import { HOST_ARENA_MAX_PAGES, WasmHostArena } from './wasm-host-arena.js';

describe('WasmHostArena', () => {
  it('is one shared memory of one page that may grow to 2 GiB', () => {
    const arena = new WasmHostArena();
    expect(arena.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(arena.memory.buffer.byteLength).toBe(0x1_0000);
    expect(arena.maximumPages).toBe(HOST_ARENA_MAX_PAGES);
  });

  it('aligns every region (4096 by default) and never overlaps two', () => {
    const arena = new WasmHostArena({ maximumPages: 16 });
    const a = arena.allocate(10);
    const b = arena.allocate(3, 8);
    const c = arena.allocate(5);
    const d = arena.allocate(32, 8);
    const e = arena.allocate(1, 1);
    expect(a).toBe(0);
    expect(b).toBe(16);
    expect(c).toBe(4096);
    expect(d).toBe(4104);
    expect(e).toBe(4136);
    expect(arena.allocate(0, 64)).toBe(4160);
  });

  it('hands out zeroed regions', () => {
    const arena = new WasmHostArena({ maximumPages: 16 });
    for (const size of [100, 70_000, 4096 * 3]) {
      const at = arena.allocate(size);
      const bytes = new Uint8Array(arena.memory.buffer, at, size);
      expect(bytes.every((x) => x === 0)).toBe(true);
      bytes.fill(0xa5);
    }
  });

  it('grows as needed and keeps the views taken before valid, aliasing the grown buffer', () => {
    const arena = new WasmHostArena({ maximumPages: 64 });
    const at = arena.allocate(16, 8);
    const early = new Int32Array(arena.memory.buffer, at, 4);
    const big = arena.allocate(1 << 20);
    expect(arena.memory.buffer.byteLength).toBeGreaterThanOrEqual(big + (1 << 20));
    early[2] = 0x1234_5678;
    const now = new DataView(arena.memory.buffer);
    expect(now.getInt32(at + 8, true)).toBe(0x1234_5678);
    now.setInt32(at + 4, -7, true);
    expect(early[1]).toBe(-7);
    const late = new Uint8Array(arena.memory.buffer, big, 1 << 20);
    late[(1 << 20) - 1] = 9;
    expect(new Uint8Array(arena.memory.buffer)[big + (1 << 20) - 1]).toBe(9);
  });

  it('refuses a region beyond its maximum with a memory-unavailable error that says what to do', () => {
    const arena = new WasmHostArena({ maximumPages: 4 });
    arena.allocate(3 * 0x1_0000);
    let error: unknown;
    try {
      arena.allocate(0x1_0001);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PopekError);
    expect((error as PopekError).code).toBe('memory-unavailable');
    expect((error as Error).message).toMatch(/Give the machine less memory\.$/);
    // The failed request took nothing: the last page is still there.
    expect(arena.allocate(0x1_0000)).toBe(3 * 0x1_0000);
    expect(arena.memory.buffer.byteLength).toBe(4 * 0x1_0000);
  });

  it('refuses nonsensical sizes, alignments and maximums', () => {
    const arena = new WasmHostArena({ maximumPages: 2 });
    expect(() => arena.allocate(-1)).toThrow(RangeError);
    expect(() => arena.allocate(1.5)).toThrow(RangeError);
    expect(() => arena.allocate(8, 3)).toThrow(RangeError);
    expect(() => arena.allocate(8, 0)).toThrow(RangeError);
    expect(() => new WasmHostArena({ maximumPages: 0 })).toThrow(RangeError);
    expect(() => new WasmHostArena({ maximumPages: HOST_ARENA_MAX_PAGES + 1 })).toThrow(RangeError);
  });
});
