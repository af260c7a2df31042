/*
 * A small AML decoder for tests, written from ACPI 6.5 §20.2 independently of the writer: it
 * understands exactly the objects Popek's DSDT may hold (Name, Scope, Package, integers,
 * strings) and fails on anything else, so a test that decodes the DSDT checks its grammar.
 */

/** A decoded AML object. */
export type AmlNode =
  | { op: 'Name'; name: string; value: AmlNode }
  | { op: 'Scope'; name: string; terms: AmlNode[] }
  | { op: 'Package'; numElements: number; elements: AmlNode[] }
  | { op: 'Integer'; value: bigint }
  | { op: 'String'; value: string };

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.at >= this.bytes.length) throw new Error(`AML ends early at ${this.at}`);
    return this.bytes[this.at++]!;
  }
  le(n: number): bigint {
    let v = 0n;
    for (let i = 0; i < n; i++) v |= BigInt(this.byte()) << BigInt(8 * i);
    return v;
  }
  /** PkgLength (§20.2.4): returns the end offset of the object it starts. */
  pkgEnd(): number {
    const start = this.at;
    const lead = this.byte();
    const follow = lead >> 6;
    if (follow === 0) return start + (lead & 0x3f);
    if ((lead & 0x30) !== 0) throw new Error('PkgLength lead byte has reserved bits set');
    let length = lead & 0x0f;
    for (let i = 0; i < follow; i++) length |= this.byte() << (4 + 8 * i);
    return start + length;
  }
  nameSeg(): string {
    let s = '';
    for (let i = 0; i < 4; i++) {
      const c = this.byte();
      const ok = c === 0x5f || (c >= 0x41 && c <= 0x5a) || (i > 0 && c >= 0x30 && c <= 0x39);
      if (!ok) throw new Error(`bad NameSeg character 0x${c.toString(16)}`);
      s += String.fromCharCode(c);
    }
    return s;
  }
  nameString(): string {
    let prefix = '';
    let c = this.bytes[this.at]!;
    if (c === 0x5c) {
      prefix = '\\';
      this.at++;
    } else {
      while (c === 0x5e) {
        prefix += '^';
        this.at++;
        c = this.bytes[this.at]!;
      }
    }
    c = this.bytes[this.at]!;
    let count = 1;
    if (c === 0x00) {
      this.at++;
      count = 0;
    } else if (c === 0x2e) {
      this.at++;
      count = 2;
    } else if (c === 0x2f) {
      this.at++;
      count = this.byte();
    }
    const segs: string[] = [];
    for (let i = 0; i < count; i++) segs.push(this.nameSeg());
    return prefix + segs.join('.');
  }
}

function dataObject(r: Reader): AmlNode {
  const op = r.byte();
  switch (op) {
    case 0x00:
      return { op: 'Integer', value: 0n };
    case 0x01:
      return { op: 'Integer', value: 1n };
    case 0xff:
      return { op: 'Integer', value: 0xffff_ffff_ffff_ffffn };
    case 0x0a:
      return { op: 'Integer', value: r.le(1) };
    case 0x0b:
      return { op: 'Integer', value: r.le(2) };
    case 0x0c:
      return { op: 'Integer', value: r.le(4) };
    case 0x0e:
      return { op: 'Integer', value: r.le(8) };
    case 0x0d: {
      let s = '';
      for (let c = r.byte(); c !== 0; c = r.byte()) s += String.fromCharCode(c);
      return { op: 'String', value: s };
    }
    case 0x12: {
      const end = r.pkgEnd();
      const numElements = r.byte();
      const elements: AmlNode[] = [];
      while (r.at < end) elements.push(dataObject(r));
      if (r.at !== end) throw new Error('Package overruns its PkgLength');
      return { op: 'Package', numElements, elements };
    }
    default:
      throw new Error(`unexpected AML opcode 0x${op.toString(16)} at ${r.at - 1}`);
  }
}

function term(r: Reader): AmlNode {
  const op = r.bytes[r.at]!;
  if (op === 0x08) {
    r.at++;
    const name = r.nameString();
    return { op: 'Name', name, value: dataObject(r) };
  }
  if (op === 0x10) {
    r.at++;
    const end = r.pkgEnd();
    const name = r.nameString();
    const terms: AmlNode[] = [];
    while (r.at < end) terms.push(term(r));
    return { op: 'Scope', name, terms };
  }
  throw new Error(`unexpected AML term opcode 0x${op.toString(16)} at ${r.at}`);
}

/** Decodes a TermList (the AML after a definition block's 36-byte header). */
export function decodeAml(bytes: Uint8Array): AmlNode[] {
  const r = new Reader(bytes);
  const out: AmlNode[] = [];
  while (r.at < bytes.length) out.push(term(r));
  return out;
}
