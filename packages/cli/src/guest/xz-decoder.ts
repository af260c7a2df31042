import { createHash, type Hash } from 'node:crypto';
import { crc32 } from '@popek/core';
import { Crc64 } from './crc64.js';
import { GuestImageError } from './guest-error.js';
import { LzmaDecoder } from './lzma-decoder.js';

/** A malformed, truncated or corrupt `.xz` stream, or one using a feature this decoder lacks. */
export class XzFormatError extends GuestImageError {
  /**
   * @param message - what is wrong
   * @param unsupported - true if the stream is valid but uses an unsupported feature
   */
  constructor(message: string, unsupported = false) {
    super(unsupported ? 'unsupported' : 'format', `${unsupported ? 'unsupported' : 'invalid'} xz data: ${message}`);
  }
}

/** Options of {@link XzDecoder}. */
export interface XzDecoderOptions {
  /**
   * The largest dictionary window the decoder agrees to allocate, in bytes (default 256 MiB;
   * `xz -9` uses 64 MiB and Debian packages 8 MiB).
   */
  readonly maxWindowSize?: number;
}

const STREAM_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FOOTER_MAGIC = [0x59, 0x5a];
const FILTER_LZMA2 = 0x21;
const FILTER_NAMES: Record<number, string> = {
  0x03: 'delta',
  0x04: 'x86 BCJ',
  0x05: 'PowerPC BCJ',
  0x06: 'IA-64 BCJ',
  0x07: 'ARM BCJ',
  0x08: 'ARM-Thumb BCJ',
  0x09: 'SPARC BCJ',
  0x0a: 'ARM64 BCJ',
  0x0b: 'RISC-V BCJ',
};
const CHECK_NAMES: Record<number, string> = { 0: 'None', 1: 'CRC32', 4: 'CRC64', 10: 'SHA-256' };

function checkSize(checkType: number): number {
  if (checkType === 0) return 0;
  return 4 << Math.floor((checkType - 1) / 3);
}

/** Thrown internally when a step needs more input than is buffered. */
const NEED_MORE: unique symbol = Symbol('need more input');

/** Buffered compressed input: a queue of chunks read through an offset relative to its head. */
class InputQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  available = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  byteAt(at: number): number {
    if (at >= this.available) throw NEED_MORE;
    let i = 0;
    let off = this.head + at;
    while (off >= this.chunks[i]!.length) {
      off -= this.chunks[i]!.length;
      i++;
    }
    return this.chunks[i]![off]!;
  }

  /** `n` bytes from offset `at` as one contiguous array: a view when possible, else a copy. */
  view(at: number, n: number): Uint8Array {
    if (at + n > this.available) throw NEED_MORE;
    let i = 0;
    let off = this.head + at;
    while (i < this.chunks.length && off >= this.chunks[i]!.length) {
      off -= this.chunks[i]!.length;
      i++;
    }
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[i]!;
    if (off + n <= first.length) return first.subarray(off, off + n);
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[i++]!;
      const take = Math.min(n - filled, c.length - off);
      out.set(c.subarray(off, off + take), filled);
      filled += take;
      off = 0;
    }
    return out;
  }

  consume(n: number): void {
    this.available -= n;
    let off = this.head + n;
    while (this.chunks.length > 0 && off >= this.chunks[0]!.length) {
      off -= this.chunks[0]!.length;
      this.chunks.shift();
    }
    this.head = off;
  }
}

/** Reads fields from the queue at increasing offsets; throws {@link NEED_MORE} past the end. */
class Cursor {
  pos = 0;
  constructor(private readonly queue: InputQueue) {}

  u8(): number {
    return this.queue.byteAt(this.pos++);
  }

  bytes(n: number): Uint8Array {
    const v = this.queue.view(this.pos, n);
    this.pos += n;
    return v;
  }

  /** A multibyte integer as in the xz format: 7 bits per byte, least significant first. */
  vli(what: string): number {
    let value = 0;
    for (let i = 0; i < 9; i++) {
      const b = this.u8();
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) throw new XzFormatError(`${what} is not minimally encoded`);
        if (!Number.isSafeInteger(value)) throw new XzFormatError(`${what} is too large`);
        return value;
      }
    }
    throw new XzFormatError(`${what} is longer than 9 bytes`);
  }
}

type Phase = 'stream-header' | 'block-or-index' | 'lzma2' | 'block-end' | 'footer' | 'stream-padding';

interface BlockRecord {
  readonly unpaddedSize: number;
  readonly uncompressedSize: number;
}

function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/**
 * An incremental decoder for the `.xz` container format (xz file format 1.x) with the LZMA2
 * filter, the one Debian uses for `data.tar.xz` and `Packages.xz`.
 *
 * Feed compressed bytes with {@link XzDecoder.write} and pull decompressed pieces with
 * {@link XzDecoder.read}: decoding happens only when output is pulled, one LZMA2 chunk (at most
 * 2 MiB) at a time, so a caller that stops pulling stops the work. Handles concatenated streams,
 * stream padding, block and index validation against each other, and the CRC32, CRC64 and
 * SHA-256 integrity checks (each verified at the end of its block). Filters other than LZMA2
 * (BCJ, delta) are reported as unsupported.
 */
export class XzDecoder {
  private readonly input = new InputQueue();
  private readonly output: Uint8Array[] = [];
  private readonly maxWindowSize: number;
  private ended = false;
  private done = false;
  private phase: Phase = 'stream-header';
  private streamCount = 0;

  // Per stream.
  private streamFlags = 0;
  private checkType = 0;
  private records: BlockRecord[] = [];

  // Per block.
  private lzma: LzmaDecoder | undefined;
  private blockHeaderSize = 0;
  private declaredCompressed = -1;
  private declaredUncompressed = -1;
  private compressed = 0;
  private uncompressed = 0;
  private needDictReset = true;
  private needProps = true;
  private crc32 = 0;
  private crc64: Crc64 | undefined;
  private sha256: Hash | undefined;

  /**
   * @param options - resource limits
   */
  constructor(options: XzDecoderOptions = {}) {
    this.maxWindowSize = options.maxWindowSize ?? 256 * 1024 * 1024;
  }

  /** True once a complete stream (and any padding) has been decoded and the input has ended. */
  get finished(): boolean {
    return this.done;
  }

  /** Appends compressed input. The bytes are not copied: do not modify them afterwards. */
  write(chunk: Uint8Array): void {
    if (this.ended) throw new Error('XzDecoder.write() after end()');
    this.input.push(chunk);
  }

  /** Declares that no more input follows. */
  end(): void {
    this.ended = true;
  }

  /**
   * Decodes until the next piece of output is available.
   *
   * @returns the next decompressed piece, or `null` when more input is needed (or, after
   *   {@link XzDecoder.end}, when the stream is complete: see {@link XzDecoder.finished})
   * @throws {@link XzFormatError} or `LzmaDataError` on corrupt, truncated or unsupported data
   */
  read(): Uint8Array | null {
    for (;;) {
      const piece = this.output.shift();
      if (piece !== undefined) return piece;
      if (this.done) return null;
      if (!this.step()) {
        if (this.ended) this.finishInput();
        return null;
      }
    }
  }

  private finishInput(): void {
    if (this.phase === 'stream-padding' && this.input.available === 0 && this.streamCount > 0) {
      this.done = true;
      return;
    }
    if (this.phase === 'stream-padding' && this.input.available > 0) {
      throw new XzFormatError('stream padding is not a multiple of four bytes');
    }
    if (this.streamCount === 0 && this.phase === 'stream-header' && this.input.available === 0) {
      throw new XzFormatError('empty input');
    }
    throw new XzFormatError(`unexpected end of input (truncated file) while reading the ${this.phase.replace('-', ' ')}`);
  }

  /** Runs one parsing step; false if it needs more input. */
  private step(): boolean {
    const cursor = new Cursor(this.input);
    try {
      switch (this.phase) {
        case 'stream-header':
          this.readStreamHeader(cursor);
          break;
        case 'block-or-index':
          if (this.input.byteAt(0) === 0) this.readIndex(cursor);
          else this.readBlockHeader(cursor);
          break;
        case 'lzma2':
          this.readLzma2Chunk(cursor);
          break;
        case 'block-end':
          this.readBlockEnd(cursor);
          break;
        case 'footer':
          this.readFooter(cursor);
          break;
        case 'stream-padding':
          this.readStreamPadding(cursor);
          break;
      }
    } catch (e) {
      if (e === NEED_MORE) return false;
      throw e;
    }
    this.input.consume(cursor.pos);
    return true;
  }

  private readStreamHeader(c: Cursor): void {
    const h = c.bytes(12);
    for (let i = 0; i < 6; i++) {
      if (h[i] !== STREAM_MAGIC[i]) {
        throw new XzFormatError(this.streamCount === 0 ? 'missing xz magic bytes (not an .xz file)' : 'garbage after the end of the stream');
      }
    }
    if (crc32(h.subarray(6, 8)) !== u32le(h, 8)) throw new XzFormatError('stream header CRC32 mismatch');
    if (h[6] !== 0 || (h[7]! & 0xf0) !== 0) throw new XzFormatError('reserved stream flags are set', true);
    this.streamFlags = (h[6]! << 8) | h[7]!;
    this.checkType = h[7]! & 0x0f;
    if (!(this.checkType in CHECK_NAMES)) {
      throw new XzFormatError(`integrity check type ${this.checkType} is not supported (only None, CRC32, CRC64 and SHA-256)`, true);
    }
    this.records = [];
    this.phase = 'block-or-index';
  }

  private readBlockHeader(c: Cursor): void {
    const size = (this.input.byteAt(0) + 1) * 4;
    const h = c.bytes(size);
    if (crc32(h.subarray(0, size - 4)) !== u32le(h, size - 4)) throw new XzFormatError('block header CRC32 mismatch');
    const flags = h[1]!;
    if ((flags & 0x3c) !== 0) throw new XzFormatError('reserved block flags are set', true);
    // Parse the rest from an in-memory cursor over the header.
    const q = new InputQueue();
    q.push(h.subarray(0, size - 4));
    const hc = new Cursor(q);
    hc.pos = 2;
    try {
      this.declaredCompressed = flags & 0x40 ? hc.vli('block compressed size') : -1;
      this.declaredUncompressed = flags & 0x80 ? hc.vli('block uncompressed size') : -1;
      if (this.declaredCompressed === 0) throw new XzFormatError('block compressed size is zero');
      const numFilters = (flags & 3) + 1;
      let dictSize = -1;
      for (let f = 0; f < numFilters; f++) {
        const id = hc.vli('filter id');
        const propSize = hc.vli('filter properties size');
        const props = hc.bytes(propSize);
        if (id !== FILTER_LZMA2) {
          const name = FILTER_NAMES[id] ?? `0x${id.toString(16)}`;
          throw new XzFormatError(`filter ${name} is not supported (only LZMA2)`, true);
        }
        if (f !== numFilters - 1) throw new XzFormatError('LZMA2 must be the last filter');
        if (propSize !== 1) throw new XzFormatError('LZMA2 filter properties must be one byte');
        const bits = props[0]! & 0x3f;
        if ((props[0]! & 0xc0) !== 0 || bits > 40) throw new XzFormatError('invalid LZMA2 dictionary size');
        dictSize = bits === 40 ? 0xffffffff : (2 | (bits & 1)) * 2 ** ((bits >>> 1) + 11);
      }
      for (let i = hc.pos; i < size - 4; i++) {
        if (h[i] !== 0) throw new XzFormatError('non-zero block header padding');
      }
      // The window never needs to exceed the block's decoded size (the dictionary resets per block).
      let windowSize = dictSize;
      if (this.declaredUncompressed >= 0) windowSize = Math.min(windowSize, this.declaredUncompressed);
      if (windowSize > this.maxWindowSize) {
        throw new XzFormatError(
          `dictionary of ${Math.round(dictSize / 1048576)} MiB exceeds the ${Math.round(this.maxWindowSize / 1048576)} MiB limit`,
          true,
        );
      }
      if (this.lzma === undefined || this.lzma.windowSize !== Math.max(4096, Math.ceil(windowSize / 4096) * 4096)) {
        this.lzma = new LzmaDecoder(windowSize);
      }
    } catch (e) {
      if (e === NEED_MORE) throw new XzFormatError('block header is too short for its fields');
      throw e;
    }
    this.blockHeaderSize = size;
    this.compressed = 0;
    this.uncompressed = 0;
    this.needDictReset = true;
    this.needProps = true;
    this.crc32 = 0;
    this.crc64 = this.checkType === 4 ? new Crc64() : undefined;
    this.sha256 = this.checkType === 10 ? createHash('sha256') : undefined;
    this.phase = 'lzma2';
  }

  private readLzma2Chunk(c: Cursor): void {
    const lzma = this.lzma!;
    const control = c.u8();
    let headerSize = 1;
    if (control === 0x00) {
      this.compressed += 1;
      this.checkBlockSizes(true);
      this.phase = 'block-end';
      return;
    }
    if (control === 0x01 || control === 0x02) {
      const size = ((c.u8() << 8) | c.u8()) + 1;
      headerSize = 3;
      const data = c.bytes(size);
      if (control === 0x01) {
        lzma.resetDictionary();
        this.needDictReset = false;
        this.needProps = true;
      } else if (this.needDictReset) {
        throw new XzFormatError('LZMA2 stream does not start with a dictionary reset');
      }
      lzma.appendUncompressed(data, 0, data.length);
      this.compressed += headerSize + size;
    } else if (control >= 0x80) {
      const outSize = (control & 0x1f) * 65536 + ((c.u8() << 8) | c.u8()) + 1;
      const inSize = ((c.u8() << 8) | c.u8()) + 1;
      headerSize = 5;
      let props = -1;
      if (control >= 0xc0) {
        props = c.u8();
        headerSize = 6;
      }
      const data = c.bytes(inSize);
      if (control >= 0xe0) {
        lzma.resetDictionary();
        this.needDictReset = false;
      } else if (this.needDictReset) {
        throw new XzFormatError('LZMA2 stream does not start with a dictionary reset');
      }
      if (props >= 0) {
        if (props > (4 * 5 + 4) * 9 + 8) throw new XzFormatError('invalid LZMA properties byte');
        const lc = props % 9;
        const rest = Math.floor(props / 9);
        lzma.setProperties(lc, rest % 5, Math.floor(rest / 5));
        lzma.resetState();
        this.needProps = false;
      } else if (this.needProps) {
        throw new XzFormatError('LZMA2 chunk lacks the properties it needs');
      } else if (control >= 0xa0) {
        lzma.resetState();
      }
      lzma.decodeChunk(data, 0, data.length, outSize);
      this.compressed += headerSize + inSize;
    } else {
      throw new XzFormatError(`invalid LZMA2 control byte 0x${control.toString(16)}`);
    }
    for (const piece of lzma.takeOutput()) this.emit(piece);
    this.checkBlockSizes(false);
  }

  private checkBlockSizes(atEnd: boolean): void {
    const dc = this.declaredCompressed;
    const du = this.declaredUncompressed;
    if (dc >= 0 && (this.compressed > dc || (atEnd && this.compressed !== dc))) {
      throw new XzFormatError(`block compressed size is ${this.compressed}, header says ${dc}`);
    }
    if (du >= 0 && (this.uncompressed > du || (atEnd && this.uncompressed !== du))) {
      throw new XzFormatError(`block uncompressed size is ${this.uncompressed}, header says ${du}`);
    }
  }

  private emit(piece: Uint8Array): void {
    this.uncompressed += piece.length;
    switch (this.checkType) {
      case 1:
        this.crc32 = crc32(piece, this.crc32);
        break;
      case 4:
        this.crc64!.update(piece);
        break;
      case 10:
        this.sha256!.update(piece);
        break;
    }
    this.output.push(piece);
  }

  private readBlockEnd(c: Cursor): void {
    const padding = (4 - (this.compressed % 4)) % 4;
    const pad = c.bytes(padding);
    for (const b of pad) if (b !== 0) throw new XzFormatError('non-zero block padding');
    const size = checkSize(this.checkType);
    const stored = c.bytes(size);
    let actual: Uint8Array;
    switch (this.checkType) {
      case 1: {
        actual = new Uint8Array(4);
        new DataView(actual.buffer).setUint32(0, this.crc32, true);
        break;
      }
      case 4:
        actual = this.crc64!.digest();
        break;
      case 10:
        actual = new Uint8Array(this.sha256!.digest());
        break;
      default:
        actual = new Uint8Array(0);
    }
    if (!equalBytes(stored, actual)) {
      throw new XzFormatError(
        `${CHECK_NAMES[this.checkType]} check of block ${this.records.length + 1} failed (stored ${hex(stored)}, computed ${hex(actual)}): the data is corrupt`,
      );
    }
    this.records.push({
      unpaddedSize: this.blockHeaderSize + this.compressed + size,
      uncompressedSize: this.uncompressed,
    });
    this.phase = 'block-or-index';
  }

  private readIndex(c: Cursor): void {
    c.u8(); // index indicator (0x00)
    const count = c.vli('index record count');
    if (count !== this.records.length) {
      throw new XzFormatError(`index lists ${count} blocks but the stream has ${this.records.length}`);
    }
    for (let i = 0; i < count; i++) {
      const unpadded = c.vli('index unpadded size');
      const uncompressed = c.vli('index uncompressed size');
      const r = this.records[i]!;
      if (unpadded !== r.unpaddedSize || uncompressed !== r.uncompressedSize) {
        throw new XzFormatError(`index record ${i + 1} does not match block ${i + 1}`);
      }
    }
    while (c.pos % 4 !== 0) {
      if (c.u8() !== 0) throw new XzFormatError('non-zero index padding');
    }
    const body = this.input.view(0, c.pos);
    const stored = c.bytes(4);
    if (crc32(body) !== u32le(stored, 0)) throw new XzFormatError('index CRC32 mismatch');
    this.indexSize = c.pos;
    this.phase = 'footer';
  }

  private indexSize = 0;

  private readFooter(c: Cursor): void {
    const f = c.bytes(12);
    if (f[10] !== FOOTER_MAGIC[0] || f[11] !== FOOTER_MAGIC[1]) throw new XzFormatError('missing stream footer magic');
    if (crc32(f.subarray(4, 10)) !== u32le(f, 0)) throw new XzFormatError('stream footer CRC32 mismatch');
    const backwardSize = (u32le(f, 4) + 1) * 4;
    if (backwardSize !== this.indexSize) throw new XzFormatError('stream footer backward size does not match the index');
    if (((f[8]! << 8) | f[9]!) !== this.streamFlags) throw new XzFormatError('stream footer flags differ from the header');
    this.streamCount++;
    this.phase = 'stream-padding';
  }

  private readStreamPadding(c: Cursor): void {
    if (this.input.byteAt(0) !== 0) {
      this.phase = 'stream-header';
      return;
    }
    const p = c.bytes(4);
    if (p[0] !== 0 || p[1] !== 0 || p[2] !== 0 || p[3] !== 0) {
      throw new XzFormatError('stream padding is not a multiple of four bytes');
    }
  }
}

/**
 * Decompresses a complete `.xz` buffer.
 *
 * @param data - the whole compressed file
 * @param options - resource limits
 * @returns the decompressed bytes
 * @throws {@link XzFormatError} or `LzmaDataError` on corrupt, truncated or unsupported data
 */
export function xzDecompress(data: Uint8Array, options?: XzDecoderOptions): Uint8Array {
  const decoder = new XzDecoder(options);
  decoder.write(data);
  decoder.end();
  const pieces: Uint8Array[] = [];
  let total = 0;
  for (let p = decoder.read(); p !== null; p = decoder.read()) {
    pieces.push(p);
    total += p.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Decompresses an `.xz` stream lazily: each decompressed piece (at most one LZMA2 chunk, 2 MiB)
 * is produced only when the consumer asks for it, so breaking out of the loop stops the work.
 *
 * @param source - the compressed bytes, in one or more chunks
 * @param options - resource limits
 * @throws {@link XzFormatError} or `LzmaDataError` on corrupt, truncated or unsupported data
 */
export async function* xzDecompressStream(
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  options?: XzDecoderOptions,
): AsyncGenerator<Uint8Array, void, undefined> {
  const decoder = new XzDecoder(options);
  for await (const chunk of source) {
    decoder.write(chunk);
    for (let p = decoder.read(); p !== null; p = decoder.read()) yield p;
  }
  decoder.end();
  for (let p = decoder.read(); p !== null; p = decoder.read()) yield p;
}
