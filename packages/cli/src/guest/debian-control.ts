import { GuestImageError } from './guest-error.js';
import type { DebianRelation } from './debian-version.js';

/**
 * One paragraph of a Debian control file (a `Packages` index entry, a `Release` file, ...): field
 * names mapped to values. Look fields up with {@link controlField}, which ignores case as Debian
 * does. Multi-line values keep their continuation lines, separated by `\n`, with the single
 * leading space of each removed and a lone `.` standing for an empty line.
 */
export type ControlStanza = ReadonlyMap<string, string>;

/**
 * Parses a control file (deb822 format) into its paragraphs. Paragraphs are separated by blank
 * lines; a line starting with a space or tab continues the previous field; lines starting with
 * `#` are comments.
 *
 * @param text - the whole file
 * @returns the paragraphs, with field names lower-cased
 * @throws {@link GuestImageError} (`format`) on a line that is neither a field nor a continuation
 */
export function parseControlStanzas(text: string): ControlStanza[] {
  const stanzas: ControlStanza[] = [];
  let current = new Map<string, string>();
  let lastKey: string | undefined;
  let lineNo = 0;
  for (const rawLine of text.split('\n')) {
    lineNo++;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      lastKey = undefined;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (lastKey === undefined) {
        throw new GuestImageError('format', `control file line ${lineNo}: continuation line without a field`);
      }
      const cont = line.slice(1);
      current.set(lastKey, `${current.get(lastKey)}\n${cont.trim() === '.' ? '' : cont}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new GuestImageError('format', `control file line ${lineNo}: expected "Field: value"`);
    const key = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(key)) {
      throw new GuestImageError('format', `control file line ${lineNo}: bad field name "${line.slice(0, colon)}"`);
    }
    current.set(key, line.slice(colon + 1).trim());
    lastKey = key;
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

/**
 * Reads a field of a control paragraph, ignoring case.
 *
 * @returns the value, or `undefined` if absent
 */
export function controlField(stanza: ControlStanza, name: string): string | undefined {
  return stanza.get(name.toLowerCase());
}

/** One alternative of a dependency: a package name with an optional version constraint. */
export interface DebianDependency {
  /** Package name. */
  readonly name: string;
  /** Architecture qualifier (`foo:any`), if any. */
  readonly arch?: string;
  /** Version relation, if constrained. */
  readonly relation?: DebianRelation;
  /** Version the relation refers to. */
  readonly version?: string;
}

/**
 * Parses a relationship field such as `Depends`: a comma-separated list of groups, each a
 * `|`-separated list of alternatives like `linux-image-6.1.0-54-686 (= 6.1.190-1)`. Architecture
 * restrictions in brackets and build profiles in angle brackets are dropped.
 *
 * @returns the groups; every group lists its alternatives in order of preference
 * @throws {@link GuestImageError} (`format`) on a malformed relation
 */
export function parseRelationField(value: string): DebianDependency[][] {
  const groups: DebianDependency[][] = [];
  for (const groupText of value.split(',')) {
    if (groupText.trim() === '') continue;
    const group: DebianDependency[] = [];
    for (const altText of groupText.split('|')) {
      let cleaned = altText.replace(/\[[^\]]*\]/g, '').trim();
      // Build profiles (`<!nocheck> <stage1>`) come last; strip them from the end only, since a
      // relation such as `(<<2.37)` also contains angle brackets.
      for (let prev = ''; prev !== cleaned; ) {
        prev = cleaned;
        cleaned = cleaned.replace(/\s*<[^<>()]*>$/, '').trim();
      }
      const m = /^([a-z0-9][a-z0-9+.-]*)(?::([a-z0-9-]+))?\s*(?:\(\s*(<<|<=|=|>=|>>|<|>)\s*([^\s)]+)\s*\))?$/.exec(cleaned);
      if (m === null) throw new GuestImageError('format', `malformed package relation "${altText.trim()}"`);
      const [, name, arch, rel, version] = m;
      let relation: DebianRelation | undefined;
      if (rel !== undefined) relation = rel === '<' ? '<=' : rel === '>' ? '>=' : (rel as DebianRelation);
      group.push({
        name: name!,
        ...(arch !== undefined ? { arch } : {}),
        ...(relation !== undefined ? { relation, version: version! } : {}),
      });
    }
    groups.push(group);
  }
  return groups;
}
