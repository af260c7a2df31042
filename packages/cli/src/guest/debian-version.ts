import { GuestImageError } from './guest-error.js';

/** A Debian package version split into its parts: `[epoch:]upstream[-revision]`. */
export interface DebianVersion {
  /** The epoch (0 when absent). */
  readonly epoch: number;
  /** The upstream version. */
  readonly upstream: string;
  /** The Debian revision ('' when absent, which compares equal to '0'). */
  readonly revision: string;
}

/**
 * Splits a Debian version string as dpkg does: the epoch is everything before the first `:`, the
 * revision everything after the last `-`.
 *
 * @throws {@link GuestImageError} (`format`) for an empty version, a non-numeric epoch, an empty
 *   upstream part or characters dpkg rejects
 */
export function parseDebianVersion(version: string): DebianVersion {
  const v = version.trim();
  if (v === '') throw new GuestImageError('format', 'empty Debian version');
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) throw new GuestImageError('format', `bad epoch in Debian version "${version}"`);
    epoch = Number.parseInt(e, 10);
    rest = v.slice(colon + 1);
  }
  let upstream = rest;
  let revision = '';
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) {
    upstream = rest.slice(0, dash);
    revision = rest.slice(dash + 1);
    if (revision === '') throw new GuestImageError('format', `empty revision in Debian version "${version}"`);
  }
  if (upstream === '') throw new GuestImageError('format', `empty upstream part in Debian version "${version}"`);
  if (!/^[A-Za-z0-9.+~:-]+$/.test(upstream) || !/^[A-Za-z0-9.+~]*$/.test(revision)) {
    throw new GuestImageError('format', `invalid character in Debian version "${version}"`);
  }
  return { epoch, upstream, revision };
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** dpkg's character weight: digits 0 (handled apart), `~` below everything, letters, then the rest. */
function order(c: number): number {
  if (Number.isNaN(c) || isDigit(c)) return 0;
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) return c;
  if (c === 0x7e) return -1;
  return c + 256;
}

/** Compares two upstream or revision strings the way dpkg's `verrevcmp` does. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 0x30) i++;
    while (b.charCodeAt(j) === 0x30) j++;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/**
 * Compares two Debian versions with dpkg's algorithm: epochs numerically, then the upstream
 * versions and the revisions, each by alternating non-digit runs (compared character by
 * character, letters before other characters, `~` before even the end of the string) and digit
 * runs (compared numerically). So `1.0~rc1 < 1.0 < 1.0+b1 < 1.0a < 1:0.1`.
 *
 * @returns a negative number if `a` is older, 0 if equal, a positive number if `a` is newer
 * @throws {@link GuestImageError} if either version is malformed
 */
export function compareDebianVersions(a: string, b: string): number {
  const va = parseDebianVersion(a);
  const vb = parseDebianVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  const up = compareFragment(va.upstream, vb.upstream);
  if (up !== 0) return Math.sign(up);
  return Math.sign(compareFragment(va.revision, vb.revision));
}

/** A version relation of a dependency (`<<`, `<=`, `=`, `>=`, `>>`). */
export type DebianRelation = '<<' | '<=' | '=' | '>=' | '>>';

/**
 * Tells whether `version` satisfies `relation reference`, e.g. `6.1.190-1` satisfies `= 6.1.190-1`.
 * The obsolete `<` and `>` are read as `<=` and `>=`, as dpkg does.
 */
export function satisfiesRelation(version: string, relation: DebianRelation | '<' | '>', reference: string): boolean {
  const c = compareDebianVersions(version, reference);
  switch (relation) {
    case '<<':
      return c < 0;
    case '<=':
    case '<':
      return c <= 0;
    case '=':
      return c === 0;
    case '>=':
    case '>':
      return c >= 0;
    case '>>':
      return c > 0;
  }
}
