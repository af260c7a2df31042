import { WasmHostArena } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { FramePool } from './frame-pool.js';

describe('FramePool', () => {
  it('owns a buffer of its frames alone, starting at byte 0, without an arena', () => {
    const pool = new FramePool(4, false);
    expect(pool.buffer).toBeInstanceOf(ArrayBuffer);
    expect(pool.buffer.byteLength).toBe(4 * 4096);
    expect(pool.bytes.byteOffset).toBe(0);
    expect(pool.shared).toBe(false);
  });

  describe('in a host arena', () => {
    /** A pool that does not start at offset 0 of the arena's memory. */
    function pooled(): { arena: WasmHostArena; pool: FramePool } {
      const arena = new WasmHostArena({ maximumPages: 64 });
      arena.allocate(100);
      return { arena, pool: new FramePool(8, false, arena) };
    }

    it('takes its frames from one page-aligned region of the shared memory', () => {
      const { arena, pool } = pooled();
      expect(pool.shared).toBe(true);
      expect(pool.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(pool.bytes.buffer).toBe(pool.buffer);
      expect(pool.bytes.byteOffset).toBe(4096);
      expect(pool.bytes.length).toBe(8 * 4096);
      pool.bytes[3 * 4096 + 5] = 0x77;
      expect(new Uint8Array(arena.memory.buffer)[pool.bytes.byteOffset + 3 * 4096 + 5]).toBe(0x77);
    });

    it('tests and zeroes frames at their place in the region, not at the start of the memory', () => {
      const { arena, pool } = pooled();
      const memory = new Uint8Array(arena.memory.buffer);
      memory[50] = 1; // in the region before the pool: no frame of the pool
      expect(pool.isZero(0)).toBe(true);
      pool.bytes[2 * 4096 + 4095] = 9;
      expect(pool.isZero(2)).toBe(false);
      expect(pool.isZero(1)).toBe(true);
      pool.zero(2);
      expect(pool.isZero(2)).toBe(true);
      expect(memory[50]).toBe(1);
    });

    it('stays valid when the arena grows for later regions', () => {
      const { arena, pool } = pooled();
      pool.bytes[0] = 0x42;
      const later = arena.allocate(1 << 20);
      expect(arena.memory.buffer.byteLength).toBeGreaterThan(pool.buffer.byteLength);
      expect(new Uint8Array(arena.memory.buffer)[pool.bytes.byteOffset]).toBe(0x42);
      expect(later).toBeGreaterThanOrEqual(pool.bytes.byteOffset + pool.bytes.length);
      expect(pool.isZero(0)).toBe(false);
    });

    it('passes on the arena\'s memory-unavailable error', () => {
      const arena = new WasmHostArena({ maximumPages: 1 });
      expect(() => new FramePool(32, true, arena)).toThrow(/Give the machine less memory\./);
    });
  });
});
