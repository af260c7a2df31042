import { describe, expect, it } from 'vitest';
import { CpioFileType, CpioFormatError, CpioNewcWriter, cpioFileType, parseCpioNewc } from './cpio-newc.js';
import { GuestImageError } from './guest-error.js';

const ascii = (d: Uint8Array): string => Buffer.from(d).toString('latin1');

describe('CpioNewcWriter', () => {
  it('writes the exact newc layout: header, padded name, padded data, trailer', () => {
    const archive = new CpioNewcWriter().addFile('init', 'echo\n', { mode: 0o755, mtime: 0x12345678 }).finish();
    const s = ascii(archive);
    // Hand-checked: magic, ino 1, mode 0100755, uid 0, gid 0, nlink 1, mtime, size 5, dev 0/0,
    // rdev 0/0, namesize 5 ("init" + NUL), check 0.
    const header =
      '070701' +
      '00000001' +
      '000081ED' +
      '00000000' +
      '00000000' +
      '00000001' +
      '12345678' +
      '00000005' +
      '00000000' +
      '00000000' +
      '00000000' +
      '00000000' +
      '00000005' +
      '00000000';
    expect(s.slice(0, 110)).toBe(header);
    // 110 + 5 = 115 -> padded to 116; then 5 data bytes padded to 8.
    expect(s.slice(110, 116)).toBe('init\0\0');
    expect(s.slice(116, 124)).toBe('echo\n\0\0\0');
    const trailer = s.slice(124);
    expect(trailer.slice(0, 6)).toBe('070701');
    expect(trailer.slice(6 + 8 * 4, 6 + 8 * 5)).toBe('00000001'); // nlink
    expect(trailer.slice(6 + 8 * 11, 6 + 8 * 12)).toBe('0000000B'); // namesize 11
    expect(trailer.slice(110, 121)).toBe('TRAILER!!!\0');
    expect(archive.length % 4).toBe(0);
    expect(archive.length).toBe(124 + 124);
  });

  it('pads names of every length to a 4-byte boundary', () => {
    for (let n = 1; n <= 8; n++) {
      const name = 'x'.repeat(n);
      const archive = new CpioNewcWriter().addFile(name, 'abc').finish();
      const dataAt = (110 + n + 1 + 3) & ~3;
      expect(ascii(archive.subarray(dataAt, dataAt + 3)), `name length ${n}`).toBe('abc');
      expect(parseCpioNewc(archive)[0]!.path).toBe(name);
    }
  });

  it('writes directories, symlinks and device nodes that read back', () => {
    const archive = new CpioNewcWriter()
      .addDirectory('dev')
      .addCharacterDevice('dev/console', 5, 1)
      .addBlockDevice('dev/sda', 8, 0, { mode: 0o660 })
      .addDirectory('bin', { mode: 0o700, uid: 1000, gid: 100 })
      .addFile('bin/busybox', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1]), { mode: 0o755 })
      .addSymlink('bin/sh', 'busybox')
      .finish();
    const entries = parseCpioNewc(archive);
    expect(entries.map((e) => e.path)).toEqual(['dev', 'dev/console', 'dev/sda', 'bin', 'bin/busybox', 'bin/sh']);
    const [dev, console, sda, bin, busybox, sh] = entries;
    expect(dev).toMatchObject({ mode: CpioFileType.directory | 0o755, nlink: 2 });
    expect(console).toMatchObject({ mode: CpioFileType.characterDevice | 0o600, rdevMajor: 5, rdevMinor: 1 });
    expect(sda).toMatchObject({ mode: CpioFileType.blockDevice | 0o660, rdevMajor: 8, rdevMinor: 0 });
    expect(bin).toMatchObject({ uid: 1000, gid: 100, mode: 0o040700 });
    expect([...busybox!.data]).toEqual([0x7f, 0x45, 0x4c, 0x46, 1]);
    expect(cpioFileType(sh!.mode)).toBe(CpioFileType.symlink);
    expect(new TextDecoder().decode(sh!.data)).toBe('busybox');
    // Every entry has its own inode number.
    expect(new Set(entries.map((e) => e.ino)).size).toBe(entries.length);
  });

  it('validates what it writes', () => {
    const w = new CpioNewcWriter().addFile('a', 'x');
    expect(() => w.addFile('a', 'y')).toThrow(/duplicate path/);
    expect(() => w.addFile('', 'y')).toThrow(CpioFormatError);
    expect(() => w.addFile('nul\0name', 'y')).toThrow(CpioFormatError);
    expect(() => w.addFile('TRAILER!!!', 'y')).toThrow(CpioFormatError);
    expect(() => w.addSymlink('s', '')).toThrow(/empty target/);
    expect(() => w.addFile('big-uid', 'y', { uid: 2 ** 32 })).toThrow(/does not fit/);
    expect(() => w.addFile('bad-mode', 'y', { mode: 0o10000 })).toThrow(/permission bits/);
    expect(() => w.addCharacterDevice('neg', -1, 0)).toThrow(CpioFormatError);
    w.finish();
    expect(() => w.addFile('late', 'x')).toThrow(/finished/);
    expect(() => w.finish()).toThrow(/finished/);
  });
});

describe('parseCpioNewc', () => {
  const archive = new CpioNewcWriter().addDirectory('d').addFile('d/f', 'hello world').finish();

  it('rejects truncation at every length with a typed error', () => {
    for (let cut = 0; cut < archive.length - 4; cut++) {
      expect(() => parseCpioNewc(archive.subarray(0, cut)), `cut ${cut}`).toThrow(GuestImageError);
    }
  });

  it('rejects bad magic and non-hex fields', () => {
    const badMagic = archive.slice();
    badMagic[5] = 0x37; // 070707 is the old portable format
    expect(() => parseCpioNewc(badMagic)).toThrow(/bad magic/);
    const badField = archive.slice();
    badField[10] = 0x47; // 'G'
    expect(() => parseCpioNewc(badField)).toThrow(/bad header field/);
  });
});
