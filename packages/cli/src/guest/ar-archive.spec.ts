import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArFormatError, readArArchive } from './ar-archive.js';
import { GuestImageError } from './guest-error.js';
import { buildAr, hasCommand } from './test-fixtures.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);

describe('readArArchive', () => {
  it('reads dpkg-style members with odd sizes and padding', () => {
    const ar = buildAr([
      { name: 'debian-binary', data: '2.0\n' },
      { name: 'control.tar.xz', data: 'abc' },
      { name: 'data.tar.xz', data: 'hello' },
    ]);
    const members = readArArchive(ar);
    expect(members.map((m) => m.name)).toEqual(['debian-binary', 'control.tar.xz', 'data.tar.xz']);
    expect(members.map((m) => text(m.data))).toEqual(['2.0\n', 'abc', 'hello']);
    expect(members[0]!.mode).toBe(0o100644);
    expect(members[0]!.mtime).toBe(1700000000);
    expect(members[0]!.offset).toBe(8);
    // The data is a view into the archive, not a copy.
    expect(members[2]!.data.buffer).toBe(ar.buffer);
  });

  it('resolves GNU names, the long-name table and skips the symbol table', () => {
    const ar = buildAr(
      [
        { name: 'short.o', data: 'x' },
        { name: 'a-very-long-member-name.o', data: 'yy' },
        { name: 'another-long-member-name.o', data: 'zzz' },
      ],
      'gnu',
    );
    const members = readArArchive(ar);
    expect(members.map((m) => m.name)).toEqual(['short.o', 'a-very-long-member-name.o', 'another-long-member-name.o']);
    expect(members.map((m) => text(m.data))).toEqual(['x', 'yy', 'zzz']);
  });

  it('resolves BSD #1/N names stored before the data', () => {
    const ar = buildAr([{ name: 'a-long-bsd-name.txt', data: 'body' }, { name: 'odd', data: 'q' }], 'bsd');
    const members = readArArchive(ar);
    expect(members.map((m) => m.name)).toEqual(['a-long-bsd-name.txt', 'odd']);
    expect(members.map((m) => text(m.data))).toEqual(['body', 'q']);
  });

  it('tolerates a missing pad byte after the last member', () => {
    const ar = buildAr([{ name: 'x', data: 'abc' }]);
    expect(readArArchive(ar.subarray(0, ar.length - 1)).map((m) => text(m.data))).toEqual(['abc']);
  });

  it('rejects a missing magic', () => {
    expect(() => readArArchive(new TextEncoder().encode('PK\x03\x04 not an ar file'))).toThrow(ArFormatError);
    expect(() => readArArchive(new Uint8Array(0))).toThrow(/missing "!<arch>" magic/);
  });

  it('rejects truncation at every offset with a typed error, never an out-of-bounds read', () => {
    const ar = buildAr([
      { name: 'debian-binary', data: '2.0\n' },
      { name: 'data.tar.xz', data: 'some content here' },
    ]);
    for (let cut = 1; cut < ar.length - 1; cut++) {
      const truncated = ar.subarray(0, cut);
      let error: unknown;
      try {
        const members = readArArchive(truncated);
        // Cutting exactly at a member boundary is a valid, shorter archive.
        for (const m of members) expect(m.data.byteOffset + m.data.length).toBeLessThanOrEqual(cut);
      } catch (e) {
        error = e;
      }
      if (error !== undefined) {
        expect(error).toBeInstanceOf(ArFormatError);
        expect(error).toBeInstanceOf(GuestImageError);
      }
    }
    expect(() => readArArchive(ar.subarray(0, 8 + 30))).toThrow(/truncated member header/);
    expect(() => readArArchive(ar.subarray(0, 8 + 60 + 2))).toThrow(/claims 4 bytes but only 2 remain/);
  });

  it('rejects corrupt headers', () => {
    const ar = buildAr([{ name: 'x', data: 'abc' }]);
    const badTerminator = ar.slice();
    badTerminator[8 + 58] = 0x41;
    expect(() => readArArchive(badTerminator)).toThrow(/terminator/);
    const badSize = ar.slice();
    badSize.set(new TextEncoder().encode('12x'), 8 + 48);
    expect(() => readArArchive(badSize)).toThrow(/bad size field/);
    const hugeSize = ar.slice();
    hugeSize.set(new TextEncoder().encode('9999999999'), 8 + 48);
    expect(() => readArArchive(hugeSize)).toThrow(ArFormatError);
    const gnuRef = buildAr([{ name: 'x', data: 'a' }]);
    gnuRef.set(new TextEncoder().encode('/5 '), 8);
    expect(() => readArArchive(gnuRef)).toThrow(/no "\/\/" table/);
  });

  it.skipIf(!hasCommand('ar'))('reads an archive made by the system ar', () => {
    const dir = mkdtempSync(join(tmpdir(), 'popek-ar-'));
    try {
      writeFileSync(join(dir, 'a-rather-long-file-name.txt'), 'first\n');
      writeFileSync(join(dir, 'b.bin'), Buffer.from([1, 2, 3]));
      execFileSync('ar', ['rc', 'out.a', 'a-rather-long-file-name.txt', 'b.bin'], { cwd: dir });
      const members = readArArchive(new Uint8Array(readFileSync(join(dir, 'out.a'))));
      expect(members.map((m) => m.name)).toEqual(['a-rather-long-file-name.txt', 'b.bin']);
      expect(text(members[0]!.data)).toBe('first\n');
      expect([...members[1]!.data]).toEqual([1, 2, 3]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
