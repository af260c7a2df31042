// CRC-64/XZ: reflected ECMA-182 polynomial 0xC96C5795D7870F42, init and xorout all ones. A 64-bit
// value is kept as two unsigned 32-bit halves so that no BigInt arithmetic runs per byte.
const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;

// Slicing-by-4 tables: entry k * 256 + n is the CRC register after byte n followed by k zero
// bytes; LO holds the low 32 bits and HI the high 32 bits.
const TABLE_LO = new Uint32Array(1024);
const TABLE_HI = new Uint32Array(1024);
for (let n = 0; n < 256; n++) {
  let lo = n;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  TABLE_LO[n] = lo;
  TABLE_HI[n] = hi;
}
for (let k = 1; k < 4; k++) {
  for (let n = 0; n < 256; n++) {
    const lo = TABLE_LO[(k - 1) * 256 + n]!;
    const hi = TABLE_HI[(k - 1) * 256 + n]!;
    const idx = lo & 0xff;
    TABLE_LO[k * 256 + n] = (((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx]!) >>> 0;
    TABLE_HI[k * 256 + n] = ((hi >>> 8) ^ TABLE_HI[idx]!) >>> 0;
  }
}

/**
 * An incremental CRC-64 as used by the xz container (check type 0x04, "CRC64").
 */
export class Crc64 {
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  /**
   * Adds bytes to the checksum.
   *
   * @param data - the bytes to add
   * @param start - first index of `data` to include
   * @param end - index after the last byte to include
   */
  update(data: Uint8Array, start = 0, end = data.length): this {
    const tlo = TABLE_LO;
    const thi = TABLE_HI;
    let lo = this.lo;
    let hi = this.hi;
    let i = start;
    for (; i + 4 <= end; i += 4) {
      lo ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
      const a = 768 + (lo & 0xff);
      const b = 512 + ((lo >>> 8) & 0xff);
      const c = 256 + ((lo >>> 16) & 0xff);
      const d = lo >>> 24;
      lo = hi ^ tlo[a]! ^ tlo[b]! ^ tlo[c]! ^ tlo[d]!;
      hi = thi[a]! ^ thi[b]! ^ thi[c]! ^ thi[d]!;
    }
    for (; i < end; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ tlo[idx]!;
      hi = (hi >>> 8) ^ thi[idx]!;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** The checksum as 8 bytes in little-endian order, the way xz stores it. */
  digest(): Uint8Array {
    const out = new Uint8Array(8);
    const lo = ~this.lo >>> 0;
    const hi = ~this.hi >>> 0;
    for (let i = 0; i < 4; i++) {
      out[i] = (lo >>> (8 * i)) & 0xff;
      out[4 + i] = (hi >>> (8 * i)) & 0xff;
    }
    return out;
  }

  /** The checksum as a 16-digit lower-case hexadecimal string (most significant digit first). */
  hex(): string {
    const lo = ~this.lo >>> 0;
    const hi = ~this.hi >>> 0;
    return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
  }
}
