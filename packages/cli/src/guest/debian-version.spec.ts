import { describe, expect, it } from 'vitest';
import { compareDebianVersions, parseDebianVersion, satisfiesRelation } from './debian-version.js';
import { GuestImageError } from './guest-error.js';

describe('parseDebianVersion', () => {
  it('splits epoch, upstream and revision like dpkg', () => {
    expect(parseDebianVersion('1:1.35.0-4+deb12u1+b1')).toEqual({ epoch: 1, upstream: '1.35.0', revision: '4+deb12u1+b1' });
    expect(parseDebianVersion('6.1.190-1')).toEqual({ epoch: 0, upstream: '6.1.190', revision: '1' });
    expect(parseDebianVersion('2.0')).toEqual({ epoch: 0, upstream: '2.0', revision: '' });
    // The revision is after the last hyphen; the upstream part may contain hyphens.
    expect(parseDebianVersion('1.2-beta-3')).toEqual({ epoch: 0, upstream: '1.2-beta', revision: '3' });
  });

  it('rejects malformed versions', () => {
    for (const bad of ['', 'a:1.0', '1:', '1.0-', ':1.0', '1.0 2', '1.0_1']) {
      expect(() => parseDebianVersion(bad), bad).toThrow(GuestImageError);
    }
  });
});

describe('compareDebianVersions', () => {
  const ordered: Array<[string, string]> = [
    ['1.0', '1.1'],
    ['1.0~rc1', '1.0'],
    ['1.0~~', '1.0~'],
    ['1.0~', '1.0'],
    ['1.0', '1.0+b1'],
    ['1.0', '1.0a'],
    ['1.0a', '1.0+'], // letters sort before other characters
    ['1.0', '1.0.1'],
    ['1.2', '1.10'], // digit runs compare numerically
    ['2.4', '2.30'],
    ['1.0-1', '1.0-2'],
    ['1.0-9', '1.0-10'],
    ['1.0-1', '1.0-1.1'],
    ['9.9', '1:0.1'], // the epoch wins
    ['1:1.35.0-4+deb12u1', '1:1.35.0-4+deb12u1+b1'],
    ['6.1.176-1', '6.1.190-1'],
    ['6.1.19-1', '6.1.176-1'],
    ['a', 'b'],
    ['1.0-0~bpo1', '1.0-0'],
  ];

  it.each(ordered)('%s < %s', (a, b) => {
    expect(compareDebianVersions(a, b)).toBeLessThan(0);
    expect(compareDebianVersions(b, a)).toBeGreaterThan(0);
  });

  it.each([
    ['1.0', '1.0'],
    ['1.0', '1.0-0'], // an absent revision equals "0"
    ['1.001', '1.1'], // leading zeros do not count
    ['0:1.0', '1.0'],
    ['1.0-00', '1.0-0'],
  ])('%s == %s', (a, b) => {
    expect(compareDebianVersions(a, b)).toBe(0);
    expect(compareDebianVersions(b, a)).toBe(0);
  });

  it('sorts a list into dpkg order', () => {
    const list = ['1.0', '1:0.5', '1.0~beta', '1.0-1', '0.9', '1.0+dfsg', '1.0a'];
    expect([...list].sort(compareDebianVersions)).toEqual(['0.9', '1.0~beta', '1.0', '1.0-1', '1.0a', '1.0+dfsg', '1:0.5']);
  });
});

describe('satisfiesRelation', () => {
  it('evaluates all relations', () => {
    expect(satisfiesRelation('6.1.190-1', '=', '6.1.190-1')).toBe(true);
    expect(satisfiesRelation('6.1.190-2', '=', '6.1.190-1')).toBe(false);
    expect(satisfiesRelation('1.0', '>=', '1.0')).toBe(true);
    expect(satisfiesRelation('1.0', '>>', '1.0')).toBe(false);
    expect(satisfiesRelation('1.1', '>>', '1.0')).toBe(true);
    expect(satisfiesRelation('1.0', '<=', '1.0')).toBe(true);
    expect(satisfiesRelation('1.0', '<<', '1.0')).toBe(false);
    expect(satisfiesRelation('1.0~rc1', '<<', '1.0')).toBe(true);
    expect(satisfiesRelation('1.0', '<', '1.0')).toBe(true); // obsolete "<" means "<="
    expect(satisfiesRelation('1.0', '>', '1.0')).toBe(true);
  });
});
