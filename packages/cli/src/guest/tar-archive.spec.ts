import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GuestImageError } from './guest-error.js';
import { normalizeTarPath, readTar, TarFormatError, type TarEntry } from './tar-archive.js';
import { buildTar, concatBytes, hasCommand, paxRecord, pseudoRandomBytes, tarHeader } from './test-fixtures.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);

interface Read {
  readonly entry: Omit<TarEntry, 'read'>;
  readonly data: string | undefined;
}

async function readAll(source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, withData = true): Promise<Read[]> {
  const out: Read[] = [];
  for await (const entry of readTar(source)) {
    const { read, ...rest } = entry;
    out.push({ entry: rest, data: withData && entry.type === 'file' ? text(await read()) : undefined });
  }
  return out;
}

function chunked(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

describe('readTar', () => {
  const basic = buildTar([
    { path: './', type: '5', mode: 0o755 },
    { path: './bin/', type: '5', mode: 0o755 },
    { path: './bin/busybox', data: 'ELF!', mode: 0o755 },
    { path: './bin/sh', type: '2', linkPath: 'busybox', mode: 0o777 },
    { path: './bin/ash', type: '1', linkPath: './bin/busybox' },
    { path: './empty', data: '' },
    { path: './exactly-512', data: 'x'.repeat(512) },
    { path: './dev/console', type: '3', mode: 0o600 },
  ]);

  it('reads files, directories, symlinks and hard links', async () => {
    const entries = await readAll([basic]);
    expect(entries.map((e) => [e.entry.path, e.entry.type])).toEqual([
      ['./', 'directory'],
      ['./bin/', 'directory'],
      ['./bin/busybox', 'file'],
      ['./bin/sh', 'symlink'],
      ['./bin/ash', 'hardlink'],
      ['./empty', 'file'],
      ['./exactly-512', 'file'],
      ['./dev/console', 'character-device'],
    ]);
    const busybox = entries[2]!;
    expect(busybox.data).toBe('ELF!');
    expect(busybox.entry).toMatchObject({ mode: 0o755, size: 4, uid: 0, uname: 'root', mtime: 1700000000, typeflag: '0' });
    expect(entries[3]!.entry.linkPath).toBe('busybox');
    expect(entries[4]!.entry.linkPath).toBe('./bin/busybox');
    expect(entries[5]!.data).toBe('');
    expect(entries[6]!.data).toBe('x'.repeat(512));
  });

  it('gives the same result for any chunking of the input, down to single bytes', async () => {
    const expected = await readAll([basic]);
    for (const size of [1, 7, 511, 512, 513, 4096]) {
      expect(await readAll(chunked(basic, size)), `chunk size ${size}`).toEqual(expected);
    }
  });

  it('skips unread content without changing what follows', async () => {
    const names: string[] = [];
    for await (const e of readTar(chunked(basic, 100))) names.push(e.path);
    expect(names).toHaveLength(8);
    expect(await readAll([basic], false)).toHaveLength(8);
  });

  it('joins the ustar prefix and applies GNU long names and long link names', async () => {
    const long = `./usr/share/${'deep/'.repeat(30)}file.txt`;
    const longLink = `../${'x'.repeat(150)}`;
    const tar = buildTar([
      { path: 'name.txt', prefix: 'some/prefix', data: 'p' },
      { path: '././@LongLink', type: 'L', data: `${long}\0`, format: 'gnu' },
      { path: long.slice(0, 99), data: 'long', format: 'gnu' },
      { path: '././@LongLink', type: 'K', data: `${longLink}\0`, format: 'gnu' },
      { path: 'link', type: '2', linkPath: 'truncated', format: 'gnu' },
      // GNU magic: the prefix area is not a prefix.
      { path: 'gnu.txt', prefix: 'not-a-prefix', data: 'g', format: 'gnu' },
    ]);
    const entries = await readAll(chunked(tar, 300));
    expect(entries.map((e) => e.entry.path)).toEqual(['some/prefix/name.txt', long, 'link', 'gnu.txt']);
    expect(entries[1]!.data).toBe('long');
    expect(entries[2]!.entry.linkPath).toBe(longLink);
  });

  it('applies pax path, linkpath, size and other records, and pax globals', async () => {
    const big = pseudoRandomBytes(1500, 9);
    const pax = paxRecord('path', './päx/ünïcode-name') + paxRecord('linkpath', 'tärget') + paxRecord('uid', '4242');
    const sizePax = paxRecord('size', String(big.length)) + paxRecord('mtime', '1700000000.5');
    const global = paxRecord('uname', 'globaluser');
    const tar = concatBytes([
      buildTar([{ path: 'pax_global_header', type: 'g', data: global }], { trailer: false }),
      buildTar([{ path: 'PaxHeaders/x', type: 'x', data: pax }], { trailer: false }),
      buildTar([{ path: 'short', type: '2', linkPath: 'short' }], { trailer: false }),
      buildTar([{ path: 'PaxHeaders/y', type: 'x', data: sizePax }], { trailer: false }),
      // The size field lies (0); the pax size record is what counts.
      tarHeader({ path: 'big.bin', sizeField: 0 }, 0),
      big,
      new Uint8Array(512 - (big.length % 512)),
      buildTar([{ path: 'after', data: 'ok' }]),
    ]);
    const entries: Array<{ path: string; linkPath: string; uid: number; uname: string; size: number; mtime: number; data?: Uint8Array }> = [];
    for await (const e of readTar([tar])) {
      entries.push({ path: e.path, linkPath: e.linkPath, uid: e.uid, uname: e.uname, size: e.size, mtime: e.mtime, ...(e.type === 'file' ? { data: await e.read() } : {}) });
    }
    expect(entries.map((e) => e.path)).toEqual(['./päx/ünïcode-name', 'big.bin', 'after']);
    expect(entries[0]).toMatchObject({ linkPath: 'tärget', uid: 4242, uname: 'globaluser' });
    expect(entries[1]).toMatchObject({ size: 1500, mtime: 1700000000.5, uname: 'globaluser' });
    expect(entries[1]!.data).toEqual(big);
    expect(text(entries[2]!.data!)).toBe('ok');
  });

  it('reads GNU base-256 sizes', async () => {
    const data = new TextEncoder().encode('base256');
    const tar = concatBytes([tarHeader({ path: 'f', base256Size: true }, data.length), data, new Uint8Array(505), new Uint8Array(1024)]);
    const [entry] = await readAll([tar]);
    expect(entry!.entry.size).toBe(7);
    expect(entry!.data).toBe('base256');
  });

  it('verifies header checksums', async () => {
    const corrupt = basic.slice();
    corrupt[512 * 2 + 10] ^= 0x01; // inside the third header's name
    await expect(readAll([corrupt])).rejects.toThrow(TarFormatError);
    await expect(readAll([corrupt])).rejects.toThrow(/header checksum mismatch at offset 1024/);
    const garbage = pseudoRandomBytes(2048, 5);
    await expect(readAll([garbage])).rejects.toBeInstanceOf(GuestImageError);
  });

  it('reports truncation inside a header or content as a typed error', async () => {
    const tar = buildTar([{ path: 'a', data: 'x'.repeat(1000) }, { path: 'b', data: 'y' }]);
    for (const cut of [100, 512 + 10, 512 + 999, 512 + 1024 + 300]) {
      await expect(readAll([tar.subarray(0, cut)]), `cut ${cut}`).rejects.toThrow(/truncated/);
    }
    // Ending on a header boundary without the zero blocks is accepted.
    expect(await readAll([tar.subarray(0, 512 + 1024)])).toHaveLength(1);
  });

  it('rejects malformed pax records', async () => {
    const tar = buildTar([{ path: 'x', type: 'x', data: '99 path=foo\n' }, { path: 'f', data: 'a' }]);
    await expect(readAll([tar])).rejects.toThrow(/malformed pax/);
    const bad = buildTar([{ path: 'x', type: 'x', data: paxRecord('size', '-5') }, { path: 'f', data: 'a' }]);
    await expect(readAll([bad])).rejects.toThrow(/bad pax size/);
  });

  it('stops reading the source as soon as the consumer stops', async () => {
    const tar = buildTar([
      { path: 'first', data: 'a' },
      { path: 'wanted', data: 'b' },
      ...Array.from({ length: 50 }, (_, i) => ({ path: `later-${i}`, data: 'z'.repeat(1000) })),
    ]);
    let pulled = 0;
    let returned = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (const c of chunked(tar, 512)) {
          pulled++;
          yield c;
        }
      } finally {
        returned = true;
      }
    }
    let found: string | undefined;
    for await (const e of readTar(source())) {
      if (e.path === 'wanted') {
        found = text(await e.read());
        break;
      }
    }
    expect(found).toBe('b');
    expect(returned).toBe(true);
    expect(pulled).toBeLessThanOrEqual(4);
  });

  it('refuses to read content after the iteration advanced', async () => {
    const entries: TarEntry[] = [];
    for await (const e of readTar([basic])) entries.push(e);
    await expect(entries[2]!.read()).rejects.toThrow(/after the iteration advanced/);
  });

  it('normalizes paths', () => {
    expect(normalizeTarPath('./boot/vmlinuz-6.1.0-54-686')).toBe('boot/vmlinuz-6.1.0-54-686');
    expect(normalizeTarPath('/bin/')).toBe('bin');
    expect(normalizeTarPath('./')).toBe('');
    expect(normalizeTarPath('a/b')).toBe('a/b');
  });

  it.skipIf(!hasCommand('tar'))('reads archives written by the system tar in gnu, pax and ustar formats', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'popek-tar-'));
    try {
      const root = join(dir, 'root');
      const deep = join(root, 'a'.repeat(60), 'b'.repeat(60));
      mkdirSync(deep, { recursive: true });
      const content = pseudoRandomBytes(70_000, 3);
      writeFileSync(join(deep, `${'c'.repeat(90)}.bin`), content);
      writeFileSync(join(root, 'small.txt'), 'small\n');
      symlinkSync('small.txt', join(root, 'link'));
      linkSync(join(root, 'small.txt'), join(root, 'hard'));
      for (const format of ['gnu', 'pax', 'ustar']) {
        const archive = join(dir, `${format}.tar`);
        const args = ['--format', format, '-C', root, '-cf', archive, '.'];
        try {
          execFileSync('tar', args, { stdio: 'pipe' });
        } catch {
          if (format === 'ustar') continue; // path too long for plain ustar on some tars
          throw new Error(`tar --format ${format} failed`);
        }
        const bytes = new Uint8Array(readFileSync(archive));
        const seen = new Map<string, { type: string; data?: Uint8Array; link: string }>();
        for await (const e of readTar(chunked(bytes, 10_000))) {
          seen.set(normalizeTarPath(e.path), { type: e.type, link: e.linkPath, ...(e.type === 'file' ? { data: await e.read() } : {}) });
        }
        const long = `${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(90)}.bin`;
        expect(seen.get(long)?.data, format).toEqual(content);
        expect(text(seen.get('small.txt')!.data!)).toBe('small\n');
        expect(seen.get('link')).toMatchObject({ type: 'symlink', link: 'small.txt' });
        const hard = seen.get('hard')!.type === 'hardlink' ? seen.get('hard')! : seen.get('small.txt')!;
        expect(['hardlink', 'file']).toContain(hard.type);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
