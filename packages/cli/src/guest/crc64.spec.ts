import { describe, expect, it } from 'vitest';
import { Crc64 } from './crc64.js';
import { pseudoRandomBytes } from './test-fixtures.js';

/** Bit-by-bit CRC-64/XZ with BigInt, as an independent reference. */
function referenceCrc64(data: Uint8Array): bigint {
  const poly = 0xc96c5795d7870f42n;
  let crc = 0xffffffffffffffffn;
  for (const b of data) {
    crc ^= BigInt(b);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc ^ 0xffffffffffffffffn;
}

describe('Crc64', () => {
  it('matches the CRC-64/XZ check value', () => {
    expect(new Crc64().update(new TextEncoder().encode('123456789')).hex()).toBe('995dc9bbdf1939fa');
    expect(new Crc64().hex()).toBe('0000000000000000');
  });

  it('stores the digest little-endian', () => {
    const d = new Crc64().update(new TextEncoder().encode('123456789')).digest();
    expect(Buffer.from(d).toString('hex')).toBe('fa3919dfbbc95d99');
  });

  it('matches a bitwise reference over odd lengths and split updates', () => {
    for (const n of [1, 3, 4, 7, 8, 9, 100, 1027]) {
      const data = pseudoRandomBytes(n, n);
      const ref = referenceCrc64(data).toString(16).padStart(16, '0');
      expect(new Crc64().update(data).hex()).toBe(ref);
      const split = Math.floor(n / 3);
      expect(new Crc64().update(data, 0, split).update(data, split).hex()).toBe(ref);
    }
  });
});
