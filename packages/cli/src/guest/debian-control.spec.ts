import { describe, expect, it } from 'vitest';
import { controlField, parseControlStanzas, parseRelationField } from './debian-control.js';
import { GuestImageError } from './guest-error.js';

describe('parseControlStanzas', () => {
  it('splits paragraphs and joins continuation lines', () => {
    const text = [
      'Package: busybox-static',
      'Version: 1:1.35.0-4+deb12u1+b1',
      'Description: Standalone rescue shell',
      ' with tons of builtin utilities',
      ' .',
      ' More text.',
      'SHA256: 725ef9e6',
      '',
      '',
      'Package: linux-image-686',
      'Depends: linux-image-6.1.0-54-686 (= 6.1.190-1)',
      '',
    ].join('\n');
    const stanzas = parseControlStanzas(text);
    expect(stanzas).toHaveLength(2);
    expect(controlField(stanzas[0]!, 'Package')).toBe('busybox-static');
    expect(controlField(stanzas[0]!, 'description')).toBe('Standalone rescue shell\nwith tons of builtin utilities\n\nMore text.');
    expect(controlField(stanzas[0]!, 'SHA256')).toBe('725ef9e6');
    expect(controlField(stanzas[1]!, 'DEPENDS')).toBe('linux-image-6.1.0-54-686 (= 6.1.190-1)');
    expect(controlField(stanzas[1]!, 'Version')).toBeUndefined();
  });

  it('handles CRLF, comments, whitespace-only separators and a missing final newline', () => {
    const text = '# comment\r\nA: 1\r\nB:2\r\n  \t\r\nC:   three  \r\n\tfour';
    const stanzas = parseControlStanzas(text);
    expect(stanzas.map((s) => Object.fromEntries(s))).toEqual([{ a: '1', b: '2' }, { c: 'three\nfour' }]);
  });

  it('parses a Release file SHA256 list', () => {
    const text = 'Origin: Debian\nSHA256:\n abc 10 main/binary-i386/Packages\n def 5 main/binary-i386/Packages.gz\n';
    const [release] = parseControlStanzas(text);
    expect(controlField(release!, 'SHA256')!.split('\n').filter((l) => l !== '')).toEqual([
      'abc 10 main/binary-i386/Packages',
      'def 5 main/binary-i386/Packages.gz',
    ]);
  });

  it('rejects malformed lines', () => {
    expect(() => parseControlStanzas(' leading continuation')).toThrow(GuestImageError);
    expect(() => parseControlStanzas('Package busybox')).toThrow(/expected "Field: value"/);
    expect(() => parseControlStanzas(': value')).toThrow(GuestImageError);
  });
});

describe('parseRelationField', () => {
  it('parses groups, alternatives, versions and qualifiers', () => {
    expect(
      parseRelationField(
        'kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool, libc6:any (<<2.37) [i386 amd64] <!nocheck>',
      ),
    ).toEqual([
      [{ name: 'kmod' }],
      [{ name: 'linux-base', relation: '>=', version: '4.3~' }],
      [{ name: 'initramfs-tools', relation: '>=', version: '0.120+deb8u2' }, { name: 'linux-initramfs-tool' }],
      [{ name: 'libc6', arch: 'any', relation: '<<', version: '2.37' }],
    ]);
  });

  it('reads the obsolete < and > as <= and >=', () => {
    expect(parseRelationField('a (< 1), b (> 2)')).toEqual([
      [{ name: 'a', relation: '<=', version: '1' }],
      [{ name: 'b', relation: '>=', version: '2' }],
    ]);
  });

  it('accepts an empty field and rejects garbage', () => {
    expect(parseRelationField('')).toEqual([]);
    expect(() => parseRelationField('foo (== 1)')).toThrow(GuestImageError);
    expect(() => parseRelationField('Foo Bar')).toThrow(/malformed package relation/);
  });
});
