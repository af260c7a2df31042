import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf4_3926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(new TextEncoder().encode('The quick brown fox jumps over the lazy dog'))).toBe(0x414f_a339);
  });

  it('continues across pieces of any length', () => {
    const data = Uint8Array.from({ length: 1001 }, (_, i) => (i * 31 + 7) & 0xff);
    for (const cut of [0, 1, 3, 4, 5, 500, 1000]) {
      expect(crc32(data.subarray(cut), crc32(data.subarray(0, cut)))).toBe(crc32(data));
    }
  });
});
