import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { GuestImageError } from './guest-error.js';
import { LzmaDataError } from './lzma-decoder.js';
import { concatBytes, hasCommand, pseudoRandomBytes } from './test-fixtures.js';
import { XzDecoder, XzFormatError, xzDecompress, xzDecompressStream } from './xz-decoder.js';

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const text = (d: Uint8Array): string => new TextDecoder().decode(d);

// Produced once with XZ Utils 5.4.1: printf 'Hello, Popek! Hello, Popek! Hello, Popek!\n' | xz -9 --check=<type>
const HELLO = 'Hello, Popek! Hello, Popek! Hello, Popek!\n';
const VECTORS: Record<string, string> = {
  crc32:
    'fd377a585a0000016922de36020021011c00000010cf58cce0002900165d00241949986f160288320553fd21dae7ce621010318000000000be64786900012e2ad1753af09042990d010000000001595a',
  crc64:
    'fd377a585a000004e6d6b446020021011c00000010cf58cce0002900165d00241949986f160288320553fd21dae7ce621010318000000000580cf8e7184a14790001322a8c284d161fb6f37d010000000004595a',
  sha256:
    'fd377a585a00000ae1fb0ca1020021011c00000010cf58cce0002900165d00241949986f160288320553fd21dae7ce6210103180000000009581e9204966cc04a078bcbea4dcb01544974c66bd6f73c312828a417c0c20eb00014a2a72dbabf1189b4b9a01000000000a595a',
  none: 'fd377a585a000000ff12d941020021011c00000010cf58cce0002900165d00241949986f160288320553fd21dae7ce62101031800000000000012a2ad5b0569406729e7a010000000000595a',
};
// `printf '' | xz`: a stream with no blocks.
const EMPTY = 'fd377a585a000004e6d6b446000000001cdf44211fb6f37d010000000004595a';

const HAVE_XZ = hasCommand('xz');

function xz(input: Uint8Array, args: string[]): Uint8Array {
  return new Uint8Array(execFileSync('xz', ['-c', ...args], { input, maxBuffer: 1 << 30 }));
}

/** Text-like data with matches at short and long distances, plus a stretch of noise. */
function sampleData(length: number, seed = 1): Uint8Array {
  const words = ['popek', 'virtual', 'machine', 'monitor', 'trap', 'emulate', 'shadow', 'page', 'table', '\n'];
  const noise = pseudoRandomBytes(length, seed);
  const out = new Uint8Array(length);
  let i = 0;
  while (i < length) {
    const r = noise[i]!;
    if (r < 8 && i > 100_000) {
      // repeat a block from far back
      const from = (noise[i + 1]! * 977 + noise[i + 2]! * 131) % (i - 1000);
      const n = Math.min(300, length - i);
      out.set(out.subarray(from, from + n), i);
      i += n;
    } else if (r < 40) {
      out[i++] = noise[(i * 7) % length]!;
    } else {
      const w = words[r % words.length]!;
      for (let k = 0; k < w.length && i < length; k++) out[i++] = w.charCodeAt(k);
      if (i < length) out[i++] = 0x20;
    }
  }
  return out;
}

describe('xzDecompress (embedded vectors)', () => {
  it.each(Object.keys(VECTORS))('decodes the %s vector', (check) => {
    expect(text(xzDecompress(hex(VECTORS[check]!)))).toBe(HELLO);
  });

  it('decodes a stream without blocks to nothing', () => {
    expect(xzDecompress(hex(EMPTY))).toHaveLength(0);
  });

  it('decodes concatenated streams with stream padding', () => {
    const joined = concatBytes([hex(VECTORS['crc32']!), new Uint8Array(8), hex(VECTORS['sha256']!), new Uint8Array(4)]);
    expect(text(xzDecompress(joined))).toBe(HELLO + HELLO);
  });

  it('rejects stream padding that is not a multiple of four', () => {
    const joined = concatBytes([hex(VECTORS['crc32']!), new Uint8Array(3)]);
    expect(() => xzDecompress(joined)).toThrow(/stream padding/);
  });

  it('detects a corrupted check value', () => {
    for (const check of ['crc32', 'crc64', 'sha256']) {
      const data = hex(VECTORS[check]!);
      // The check field sits right before the index (which starts with 0x00 0x01 here).
      const checkSize = check === 'crc32' ? 4 : check === 'crc64' ? 8 : 32;
      const indexAt = data.length - 12 - 8; // footer (12) + index (8 bytes: 00 01 <unpadded> <size> + CRC32)
      const corrupt = data.slice();
      corrupt[indexAt - checkSize] ^= 0x01;
      expect(() => xzDecompress(corrupt), check).toThrow(new RegExp(`${check === 'sha256' ? 'SHA-256' : check.toUpperCase()} check of block 1 failed`));
    }
  });

  it('rejects bad magic, header CRCs and reserved flags with typed errors', () => {
    expect(() => xzDecompress(new TextEncoder().encode('not xz at all, definitely'))).toThrow(/missing xz magic/);
    const data = hex(VECTORS['crc64']!);
    const badHeaderCrc = data.slice();
    badHeaderCrc[8] ^= 1;
    expect(() => xzDecompress(badHeaderCrc)).toThrow(/stream header CRC32/);
    const badBlockHeader = data.slice();
    badBlockHeader[12 + 3] ^= 1;
    expect(() => xzDecompress(badBlockHeader)).toThrow(/block header CRC32/);
    const badFooter = data.slice();
    badFooter[data.length - 1] = 0;
    expect(() => xzDecompress(badFooter)).toThrow(/footer magic/);
    expect(() => xzDecompress(new Uint8Array(0))).toThrow(/empty input/);
  });

  it('reports truncation at every length as a typed error', () => {
    const data = hex(VECTORS['crc64']!);
    for (let cut = 0; cut < data.length; cut++) {
      expect(() => xzDecompress(data.subarray(0, cut)), `cut at ${cut}`).toThrow(GuestImageError);
    }
  });

  it('never throws anything but a typed error on single-byte corruption', () => {
    const data = hex(VECTORS['crc64']!);
    for (let i = 0; i < data.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const corrupt = data.slice();
        corrupt[i] ^= mask;
        try {
          xzDecompress(corrupt);
          throw new Error(`corruption at byte ${i} (mask ${mask}) went unnoticed`);
        } catch (e) {
          expect(e, `byte ${i} mask ${mask}: ${(e as Error).message}`).toBeInstanceOf(GuestImageError);
        }
      }
    }
  });

  it('accepts input in pieces of any size', () => {
    const data = hex(VECTORS['sha256']!);
    for (const size of [1, 2, 3, 5, 13]) {
      const d = new XzDecoder();
      const out: Uint8Array[] = [];
      for (let i = 0; i < data.length; i += size) {
        d.write(data.subarray(i, i + size));
        for (let p = d.read(); p !== null; p = d.read()) out.push(p);
      }
      expect(d.finished).toBe(false);
      d.end();
      for (let p = d.read(); p !== null; p = d.read()) out.push(p);
      expect(d.finished).toBe(true);
      expect(text(concatBytes(out))).toBe(HELLO);
    }
  });
});

describe.skipIf(!HAVE_XZ)('xzDecompress against the xz command', () => {
  // Skipped when `xz` is not installed: these inputs are made with it at test time.
  const data = sampleData(1_500_000);

  it.each([
    ['default preset', ['-6']],
    ['fastest preset', ['-0']],
    ['extreme preset', ['-9e']],
    ['CRC32', ['--check=crc32']],
    ['SHA-256', ['--check=sha256']],
    ['no check', ['--check=none']],
    ['lc=0 lp=4 pb=0', ['--lzma2=preset=6,lc=0,lp=4,pb=0']],
    ['lc=4 lp=0 pb=4', ['--lzma2=preset=6,lc=4,lp=0,pb=4']],
    ['small dictionary (window wraps)', ['--lzma2=preset=6,dict=64KiB']],
    ['several blocks with sizes in the headers', ['--block-size=400000', '-T1']],
    ['multithreaded encoder', ['-T2', '--block-size=1000000']],
  ])('%s', (_name, args) => {
    const out = xzDecompress(xz(data, args));
    expect(out.length).toBe(data.length);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
  });

  it('handles incompressible data (uncompressed LZMA2 chunks)', () => {
    const noise = pseudoRandomBytes(300_000, 77);
    const mixed = concatBytes([noise, sampleData(100_000, 3), noise.subarray(0, 70_000)]);
    expect(Buffer.from(xzDecompress(xz(mixed, ['-6']))).equals(Buffer.from(mixed))).toBe(true);
  });

  it('reports filters other than LZMA2 as unsupported', () => {
    const bcj = xz(data.subarray(0, 10_000), ['--x86', '--lzma2']);
    expect(() => xzDecompress(bcj)).toThrow(XzFormatError);
    expect(() => xzDecompress(bcj)).toThrow(/filter x86 BCJ is not supported/);
    try {
      xzDecompress(bcj);
    } catch (e) {
      expect((e as GuestImageError).code).toBe('unsupported');
    }
  });

  it('rejects legacy .lzma files as not xz', () => {
    expect(() => xzDecompress(xz(data.subarray(0, 1000), ['--format=lzma']))).toThrow(/missing xz magic/);
  });

  it('detects corruption inside the compressed data', () => {
    const compressed = xz(data.subarray(0, 200_000), ['-6']);
    let detected = 0;
    for (let k = 0; k < 40; k++) {
      const corrupt = compressed.slice();
      const at = 64 + Math.floor(((k * 7919) % 997) / 997 * (compressed.length - 200));
      corrupt[at] ^= 1 << k % 8;
      try {
        xzDecompress(corrupt);
      } catch (e) {
        expect(e).toBeInstanceOf(GuestImageError);
        expect([XzFormatError, LzmaDataError].some((c) => e instanceof c)).toBe(true);
        detected++;
      }
    }
    expect(detected).toBe(40);
  });

  describe('on a 16 MB input', () => {
    let big: Uint8Array;
    let compressed: Uint8Array;
    beforeAll(() => {
      big = sampleData(16_000_000, 5);
      compressed = xz(big, ['-6', '-T2']);
    });

    it('decodes lazily: one piece at a time, stopping when the consumer stops', async () => {
      const d = new XzDecoder();
      d.write(compressed);
      d.end();
      const first = d.read()!;
      expect(first.length).toBeGreaterThan(0);
      expect(first.length).toBeLessThanOrEqual(2 * 1024 * 1024);
      expect(Buffer.from(first).equals(Buffer.from(big.subarray(0, first.length)))).toBe(true);

      let pieces = 0;
      let bytes = 0;
      for await (const piece of xzDecompressStream([compressed])) {
        pieces++;
        bytes += piece.length;
        if (bytes >= 3_000_000) break;
      }
      expect(pieces).toBeGreaterThan(1);
      expect(bytes).toBeLessThan(big.length / 2);
    });

    it('decodes at a reasonable speed', () => {
      const t0 = performance.now();
      const out = xzDecompress(compressed);
      const seconds = (performance.now() - t0) / 1000;
      const mbps = big.length / 1048576 / seconds;
      console.log(`xz decode: ${(big.length / 1048576).toFixed(1)} MiB in ${seconds.toFixed(2)} s = ${mbps.toFixed(1)} MiB/s`);
      expect(Buffer.from(out).equals(Buffer.from(big))).toBe(true);
      expect(mbps).toBeGreaterThan(5);
    });
  });
});
