import type { StateRecord, StateValue } from './state.js';

/*
 * A compact, canonical binary encoding of state values. Canonical means one value has one
 * encoding: record keys are written in sorted order and integers always take the same form, so a
 * snapshot taken right after a restore is byte-identical to the one restored.
 *
 * Each value is a tag byte followed by its payload, little-endian:
 *   NULL | FALSE | TRUE
 *   INT32 i32 | FLOAT64 f64 | BIGINT u32 len, len bytes of two's complement
 *   STRING u32 len, UTF-8 | U8/U16/U32/I32/F64 ARRAY u32 count, elements
 *   ARRAY u32 count, values | RECORD u32 count, (u32 len, UTF-8 key, value)*
 */
const Tag = {
  Null: 0,
  False: 1,
  True: 2,
  Int32: 3,
  Float64: 4,
  BigInt: 5,
  String: 6,
  U8: 7,
  U16: 8,
  U32: 9,
  I32: 10,
  F64: 11,
  Array: 12,
  Record: 13,
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

class Writer {
  bytes = new Uint8Array(256);
  view = new DataView(this.bytes.buffer);
  length = 0;

  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.reserve(1);
    this.bytes[this.length++] = v;
  }

  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  raw(src: Uint8Array): void {
    this.reserve(src.length);
    this.bytes.set(src, this.length);
    this.length += src.length;
  }

  string(s: string): void {
    const utf8 = encoder.encode(s);
    this.u32(utf8.length);
    this.raw(utf8);
  }
}

function writeTyped(w: Writer, tag: number, array: Uint16Array | Uint32Array | Int32Array | Float64Array): void {
  w.u8(tag);
  w.u32(array.length);
  const size = array.BYTES_PER_ELEMENT;
  w.reserve(array.length * size);
  for (let i = 0; i < array.length; i++) {
    const at = w.length + i * size;
    if (array instanceof Uint16Array) w.view.setUint16(at, array[i]!, true);
    else if (array instanceof Uint32Array) w.view.setUint32(at, array[i]!, true);
    else if (array instanceof Int32Array) w.view.setInt32(at, array[i]!, true);
    else w.view.setFloat64(at, array[i]!, true);
  }
  w.length += array.length * size;
}

function writeValue(w: Writer, value: StateValue, path: string): void {
  if (value === null) return w.u8(Tag.Null);
  switch (typeof value) {
    case 'boolean':
      return w.u8(value ? Tag.True : Tag.False);
    case 'number':
      if (Number.isInteger(value) && value >= -0x8000_0000 && value <= 0x7fff_ffff && !Object.is(value, -0)) {
        w.u8(Tag.Int32);
        w.reserve(4);
        w.view.setInt32(w.length, value, true);
        w.length += 4;
      } else {
        w.u8(Tag.Float64);
        w.reserve(8);
        w.view.setFloat64(w.length, value, true);
        w.length += 8;
      }
      return;
    case 'bigint': {
      w.u8(Tag.BigInt);
      const bytes: number[] = [];
      let v = value;
      // Two's complement, little-endian, minimal length.
      for (;;) {
        const byte = Number(v & 0xffn);
        bytes.push(byte);
        v >>= 8n;
        if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
      }
      w.u32(bytes.length);
      w.raw(Uint8Array.from(bytes));
      return;
    }
    case 'string':
      w.u8(Tag.String);
      return w.string(value);
    case 'object':
      break;
    default:
      throw new TypeError(`snapshot state at ${path} holds a ${typeof value}, which is not a plain state value`);
  }
  if (value instanceof Uint8Array) {
    w.u8(Tag.U8);
    w.u32(value.length);
    return w.raw(value);
  }
  if (value instanceof Uint16Array) return writeTyped(w, Tag.U16, value);
  if (value instanceof Uint32Array) return writeTyped(w, Tag.U32, value);
  if (value instanceof Int32Array) return writeTyped(w, Tag.I32, value);
  if (value instanceof Float64Array) return writeTyped(w, Tag.F64, value);
  if (Array.isArray(value)) {
    w.u8(Tag.Array);
    w.u32(value.length);
    value.forEach((item: StateValue, i: number) => writeValue(w, item, `${path}[${i}]`));
    return;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`snapshot state at ${path} is a class instance, not a plain state value`);
  }
  const record = value as StateRecord;
  const keys = Object.keys(record).sort();
  w.u8(Tag.Record);
  w.u32(keys.length);
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) throw new TypeError(`snapshot state at ${path}.${key} is undefined`);
    w.string(key);
    writeValue(w, item, `${path}.${key}`);
  }
}

/** Encodes a state value canonically. Throws a `TypeError` naming the path of a non-plain value. */
export function encodeState(value: StateValue): Uint8Array {
  const w = new Writer();
  writeValue(w, value, 'state');
  return w.bytes.slice(0, w.length);
}

/** Raised when encoded state is truncated or malformed. */
export class StateDecodeError extends Error {
  /** @param message - what is malformed */
  constructor(message: string) {
    super(message);
    this.name = 'StateDecodeError';
  }
}

class Reader {
  at = 0;
  readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n: number): void {
    if (n < 0 || this.at + n > this.bytes.length) throw new StateDecodeError(`encoded state is truncated at byte ${this.at}`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }

  string(): string {
    const n = this.u32();
    this.need(n);
    const s = decoder.decode(this.bytes.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
}

function readTyped<T extends Uint16Array | Uint32Array | Int32Array | Float64Array>(
  r: Reader,
  make: (n: number) => T,
  get: (view: DataView, at: number) => number,
): T {
  const count = r.u32();
  const out = make(count);
  const size = out.BYTES_PER_ELEMENT;
  r.need(count * size);
  for (let i = 0; i < count; i++) out[i] = get(r.view, r.at + i * size);
  r.at += count * size;
  return out;
}

function readValue(r: Reader, depth: number): StateValue {
  if (depth > 64) throw new StateDecodeError('encoded state is nested too deeply');
  const tag = r.u8();
  switch (tag) {
    case Tag.Null:
      return null;
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Int32: {
      r.need(4);
      const v = r.view.getInt32(r.at, true);
      r.at += 4;
      return v;
    }
    case Tag.Float64: {
      r.need(8);
      const v = r.view.getFloat64(r.at, true);
      r.at += 8;
      return v;
    }
    case Tag.BigInt: {
      const bytes = r.take(r.u32());
      if (bytes.length === 0) throw new StateDecodeError('empty bigint in encoded state');
      let v = 0n;
      for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
      if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(bytes.length * 8);
      return v;
    }
    case Tag.String:
      return r.string();
    case Tag.U8:
      return r.take(r.u32());
    case Tag.U16:
      return readTyped(r, (n) => new Uint16Array(n), (v, at) => v.getUint16(at, true));
    case Tag.U32:
      return readTyped(r, (n) => new Uint32Array(n), (v, at) => v.getUint32(at, true));
    case Tag.I32:
      return readTyped(r, (n) => new Int32Array(n), (v, at) => v.getInt32(at, true));
    case Tag.F64:
      return readTyped(r, (n) => new Float64Array(n), (v, at) => v.getFloat64(at, true));
    case Tag.Array: {
      const count = r.u32();
      r.need(count); // every element takes at least one byte
      const out: StateValue[] = [];
      for (let i = 0; i < count; i++) out.push(readValue(r, depth + 1));
      return out;
    }
    case Tag.Record: {
      const count = r.u32();
      r.need(count * 5);
      const out: Record<string, StateValue> = {};
      for (let i = 0; i < count; i++) {
        const key = r.string();
        if (key === '__proto__') throw new StateDecodeError('encoded state uses a reserved key');
        out[key] = readValue(r, depth + 1);
      }
      return out;
    }
    default:
      throw new StateDecodeError(`unknown tag ${tag} in encoded state at byte ${r.at - 1}`);
  }
}

/** Decodes a state value; throws {@link StateDecodeError} on malformed input. */
export function decodeState(bytes: Uint8Array): StateValue {
  const r = new Reader(bytes);
  const value = readValue(r, 0);
  if (r.at !== bytes.length) throw new StateDecodeError(`${bytes.length - r.at} trailing bytes after encoded state`);
  return value;
}
