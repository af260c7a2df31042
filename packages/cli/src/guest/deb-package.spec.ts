import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { extractDebFiles, readDebArchive } from './deb-package.js';
import { GuestImageError } from './guest-error.js';
import { buildAr, buildDeb, buildTar, hasCommand, pseudoRandomBytes } from './test-fixtures.js';

const text = (d: Uint8Array): string => new TextDecoder().decode(d);

const entries = [
  { path: './', type: '5' },
  { path: './boot/', type: '5' },
  { path: './boot/config-6.1.0-99-686', data: 'CONFIG_X86=y\n' },
  { path: './boot/vmlinuz-6.1.0-99-686', data: 'kernel image' },
  { path: './lib/modules/', type: '5' },
  ...Array.from({ length: 20 }, (_, i) => ({ path: `./lib/modules/m${i}.ko`, data: pseudoRandomBytes(3000, i + 1) })),
];

describe('extractDebFiles', () => {
  it.each(['gz', 'none'] as const)('finds a file in a data.tar.%s member', async (compression) => {
    const deb = buildDeb(entries, { compression });
    const [vmlinuz] = await extractDebFiles(deb, (p) => p.startsWith('boot/vmlinuz-'));
    expect(vmlinuz!.header.path).toBe('./boot/vmlinuz-6.1.0-99-686');
    expect(text(vmlinuz!.data)).toBe('kernel image');
  });

  it('collects several matches and stops at the count', async () => {
    const deb = buildDeb(entries);
    const files = await extractDebFiles(deb, (p) => p.startsWith('lib/modules/m'), 3);
    expect(files.map((f) => f.header.path)).toEqual(['./lib/modules/m0.ko', './lib/modules/m1.ko', './lib/modules/m2.ko']);
    expect(await extractDebFiles(deb, (p) => p === 'missing')).toEqual([]);
  });

  it.skipIf(!hasCommand('xz'))('reads a data.tar.xz member, as Debian bookworm packages use', async () => {
    const tar = buildTar(entries);
    const xz = new Uint8Array(execFileSync('xz', ['-c'], { input: tar }));
    const deb = buildAr([
      { name: 'debian-binary', data: '2.0\n' },
      { name: 'control.tar.xz', data: new Uint8Array(execFileSync('xz', ['-c'], { input: buildTar([{ path: './control', data: 'Package: x\n' }]) })) },
      { name: 'data.tar.xz', data: xz },
    ]);
    const [file] = await extractDebFiles(deb, (p) => p === 'lib/modules/m19.ko');
    expect(file!.data).toEqual(pseudoRandomBytes(3000, 20));
    const control: string[] = [];
    for await (const e of readDebArchive(deb, 'control')) control.push(e.path);
    expect(control).toEqual(['./control']);
  });

  it('reports unsupported member compression clearly', () => {
    const deb = buildDeb(entries, { compression: 'zst' });
    expect(() => readDebArchive(deb)).toThrow(/data\.tar\.zst uses zst compression, which Popek cannot unpack/);
    try {
      readDebArchive(deb);
    } catch (e) {
      expect((e as GuestImageError).code).toBe('unsupported');
    }
  });

  it('rejects files that are not Debian binary packages', () => {
    expect(() => readDebArchive(buildDeb(entries, { version: '3.0' }))).toThrow(/format version "3.0"/);
    expect(() => readDebArchive(buildAr([{ name: 'other', data: 'x' }]))).toThrow(/not a Debian package/);
    expect(() => readDebArchive(buildAr([{ name: 'debian-binary', data: '2.0\n' }]))).toThrow(/no data\.tar member/);
    expect(() => readDebArchive(new Uint8Array(10))).toThrow(GuestImageError);
  });

  it('reports a corrupt data member as a typed error', async () => {
    const deb = buildDeb(entries, { compression: 'none' });
    const corrupt = deb.slice();
    // Break the first tar header's checksum inside the data member (the last member).
    const at = corrupt.length - buildTar(entries).length + 3;
    corrupt[at] ^= 0xff;
    await expect(extractDebFiles(corrupt, () => true)).rejects.toThrow(/checksum mismatch/);
  });
});
