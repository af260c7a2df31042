import { ACPI_TABLE_HEADER_BYTES, fixChecksum, POPEK_ACPI_IDS, writeTableHeader, type AcpiIds } from './acpi-header.js';

/**
 * AML opcodes and prefixes the writer emits (ACPI 6.5 §20.2, "AML Grammar Definition";
 * §20.3 lists the encodings).
 */
export const AmlOp = {
  /** ZeroOp (§20.2.3). */
  Zero: 0x00,
  /** OneOp (§20.2.3). */
  One: 0x01,
  /** NameOp: DefName := NameOp NameString DataRefObject (§20.2.5.1). */
  Name: 0x08,
  /** BytePrefix ByteData (§20.2.3). */
  BytePrefix: 0x0a,
  /** WordPrefix WordData (§20.2.3). */
  WordPrefix: 0x0b,
  /** DWordPrefix DWordData (§20.2.3). */
  DWordPrefix: 0x0c,
  /** StringPrefix AsciiCharList NullChar (§20.2.3). */
  StringPrefix: 0x0d,
  /** QWordPrefix QWordData (§20.2.3); needs a table of revision 2 or more. */
  QWordPrefix: 0x0e,
  /** ScopeOp: DefScope := ScopeOp PkgLength NameString TermList (§20.2.5.1). */
  Scope: 0x10,
  /** PackageOp: DefPackage := PackageOp PkgLength NumElements PackageElementList (§20.2.5.4). */
  Package: 0x12,
  /** DualNamePrefix NameSeg NameSeg (§20.2.2). */
  DualNamePrefix: 0x2e,
  /** MultiNamePrefix SegCount NameSeg(SegCount) (§20.2.2). */
  MultiNamePrefix: 0x2f,
  /** RootChar '\' (§20.2.2). */
  RootChar: 0x5c,
  /** ParentPrefixChar '^' (§20.2.2). */
  ParentPrefix: 0x5e,
  /** OnesOp (§20.2.3). */
  Ones: 0xff,
} as const;

/** Largest PkgLength: 28 bits (§20.2.4). */
export const AML_MAX_PKG_LENGTH = 0x0fff_ffff;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function littleEndian(value: bigint, bytes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) out.push(Number((value >> BigInt(8 * i)) & 0xffn));
  return out;
}

/**
 * Encodes an integer constant in the shortest form (§20.2.3): ZeroOp, OneOp, then Byte, Word,
 * DWord or QWord prefixes. (OnesOp is not used for all-ones: its width depends on the table
 * revision, an explicit constant does not.)
 *
 * @throws RangeError for a negative or non-integer value, or one above 2^64 − 1
 */
export function amlInteger(value: number | bigint): Uint8Array {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`AML integer ${value} is not a safe integer`);
  const v = BigInt(value);
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`AML integer ${v} is out of range`);
  if (v === 0n) return Uint8Array.of(AmlOp.Zero);
  if (v === 1n) return Uint8Array.of(AmlOp.One);
  if (v <= 0xffn) return Uint8Array.of(AmlOp.BytePrefix, Number(v));
  if (v <= 0xffffn) return Uint8Array.of(AmlOp.WordPrefix, ...littleEndian(v, 2));
  if (v <= 0xffff_ffffn) return Uint8Array.of(AmlOp.DWordPrefix, ...littleEndian(v, 4));
  return Uint8Array.of(AmlOp.QWordPrefix, ...littleEndian(v, 8));
}

/**
 * Encodes a string constant (§20.2.3): StringPrefix, ASCII characters 0x01–0x7F, NUL.
 *
 * @throws RangeError for a character outside 0x01–0x7F
 */
export function amlString(text: string): Uint8Array {
  const out = new Uint8Array(text.length + 2);
  out[0] = AmlOp.StringPrefix;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x01 || c > 0x7f) throw new RangeError(`AML strings hold ASCII 0x01-0x7F; ${JSON.stringify(text)} does not`);
    out[i + 1] = c;
  }
  return out;
}

/**
 * Encodes one NameSeg (§20.2.2): a lead character `A`–`Z` or `_`, then up to three of
 * `A`–`Z`, `0`–`9`, `_`, padded with `_` to four bytes (`_S5` becomes `_S5_`).
 */
export function amlNameSeg(segment: string): Uint8Array {
  if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(segment)) throw new RangeError(`'${segment}' is not an AML NameSeg`);
  const padded = segment.padEnd(4, '_');
  return Uint8Array.from(padded, (c) => c.charCodeAt(0));
}

/**
 * Encodes a NameString (§20.2.2): an optional root `\` or parent `^` prefixes, then zero, one
 * (NameSeg), two (DualNamePrefix) or more (MultiNamePrefix) segments separated by dots:
 * `\_S5`, `\_SB.PCI0`, `^FOO`.
 */
export function amlNameString(path: string): Uint8Array {
  let rest = path;
  const prefix: number[] = [];
  if (rest.startsWith('\\')) {
    prefix.push(AmlOp.RootChar);
    rest = rest.slice(1);
  } else {
    while (rest.startsWith('^')) {
      prefix.push(AmlOp.ParentPrefix);
      rest = rest.slice(1);
    }
  }
  const segments = rest === '' ? [] : rest.split('.').map(amlNameSeg);
  if (segments.length > 255) throw new RangeError(`AML name '${path}' has more than 255 segments`);
  let head: number[];
  if (segments.length === 0) head = [0x00]; // NullName
  else if (segments.length === 1) head = [];
  else if (segments.length === 2) head = [AmlOp.DualNamePrefix];
  else head = [AmlOp.MultiNamePrefix, segments.length];
  return concat([Uint8Array.from([...prefix, ...head]), ...segments]);
}

/**
 * Encodes the PkgLength of an object whose body (what follows the PkgLength) is `bodyLength`
 * bytes (§20.2.4). The encoded length counts the PkgLength bytes themselves: one byte holds up to
 * 63; otherwise bits 7–6 of the lead byte give the number of following bytes (1–3), bits 3–0 the
 * low nibble, and each following byte the next eight bits.
 */
export function amlPkgLength(bodyLength: number): Uint8Array {
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) throw new RangeError(`bad AML body length ${bodyLength}`);
  if (bodyLength + 1 <= 0x3f) return Uint8Array.of(bodyLength + 1);
  for (let extra = 1; extra <= 3; extra++) {
    const total = bodyLength + 1 + extra;
    if (total < 2 ** (4 + 8 * extra)) {
      const out = new Uint8Array(1 + extra);
      out[0] = (extra << 6) | (total & 0x0f);
      for (let i = 1; i <= extra; i++) out[i] = Math.floor(total / 2 ** (4 + 8 * (i - 1))) & 0xff;
      return out;
    }
  }
  throw new RangeError(`AML object of ${bodyLength} bytes exceeds the largest PkgLength (${AML_MAX_PKG_LENGTH})`);
}

/** Encodes `Package () { elements }` (§20.2.5.4): at most 255 elements, each already encoded. */
export function amlPackage(elements: readonly Uint8Array[]): Uint8Array {
  if (elements.length > 255) throw new RangeError('an AML Package holds at most 255 elements (VarPackage is not supported)');
  const body = concat([Uint8Array.of(elements.length), ...elements]);
  return concat([Uint8Array.of(AmlOp.Package), amlPkgLength(body.length), body]);
}

/** Encodes `Name (path, value)` (§20.2.5.1); `value` is an encoded data object. */
export function amlName(path: string, value: Uint8Array): Uint8Array {
  return concat([Uint8Array.of(AmlOp.Name), amlNameString(path), value]);
}

/** Encodes `Scope (path) { terms }` (§20.2.5.1). */
export function amlScope(path: string, terms: readonly Uint8Array[]): Uint8Array {
  const body = concat([amlNameString(path), ...terms]);
  return concat([Uint8Array.of(AmlOp.Scope), amlPkgLength(body.length), body]);
}

/** The header fields of a DefinitionBlock (ASL's `DefinitionBlock ("", "DSDT", 2, ...)`). */
export interface DefinitionBlockHeader {
  /** Table signature: `DSDT` or `SSDT`. */
  readonly signature: 'DSDT' | 'SSDT';
  /** Compliance revision: 1 means 32-bit integers, 2 or more 64-bit (ACPI 6.5 §5.2.11.1). */
  readonly revision: number;
  /** OEM and creator identification; Popek's by default. */
  readonly ids?: AcpiIds;
}

/**
 * Builds a definition block: the table header followed by the AML terms, with its checksum set
 * (ACPI 6.5 §5.2.11.1 DSDT, §5.2.11.2 SSDT).
 */
export function amlDefinitionBlock(header: DefinitionBlockHeader, terms: readonly Uint8Array[]): Uint8Array {
  const body = concat(terms);
  const table = new Uint8Array(ACPI_TABLE_HEADER_BYTES + body.length);
  writeTableHeader(table, header.signature, header.revision, header.ids ?? POPEK_ACPI_IDS);
  table.set(body, ACPI_TABLE_HEADER_BYTES);
  fixChecksum(table);
  return table;
}
