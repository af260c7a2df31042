import { GuestImageError } from './guest-error.js';

/** A malformed, truncated or corrupt tar archive. */
export class TarFormatError extends GuestImageError {
  /**
   * @param message - what is wrong, including where
   */
  constructor(message: string) {
    super('format', `invalid tar archive: ${message}`);
  }
}

/** The kind of a tar entry. */
export type TarEntryType =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'hardlink'
  | 'character-device'
  | 'block-device'
  | 'fifo'
  | 'other';

/** The metadata of one tar entry, after GNU long-name and pax extended headers are applied. */
export interface TarEntryHeader {
  /** The entry's path as stored (Debian packages use `./bin/busybox`; see {@link normalizeTarPath}). */
  readonly path: string;
  /** The entry's kind. */
  readonly type: TarEntryType;
  /** The raw type flag character (`'0'`, `'5'`, ...; `'\0'` for old regular files). */
  readonly typeflag: string;
  /** Permission and mode bits (without the file-type bits). */
  readonly mode: number;
  /** Owner user id. */
  readonly uid: number;
  /** Owner group id. */
  readonly gid: number;
  /** Owner user name (may be empty). */
  readonly uname: string;
  /** Owner group name (may be empty). */
  readonly gname: string;
  /** Content size in bytes (0 for directories and links). */
  readonly size: number;
  /** Modification time, seconds since the epoch. */
  readonly mtime: number;
  /** Target of a symbolic or hard link, else empty. */
  readonly linkPath: string;
  /** Device major number (device entries). */
  readonly devMajor: number;
  /** Device minor number (device entries). */
  readonly devMinor: number;
}

/** A tar entry as produced by {@link readTar}. */
export interface TarEntry extends TarEntryHeader {
  /**
   * Reads the entry's content. Only valid until the iteration advances; content that is not read
   * is skipped without being kept in memory.
   */
  read(): Promise<Uint8Array>;
}

/** Options of {@link readTar}. */
export interface ReadTarOptions {
  /** Largest GNU long-name or pax extended header accepted, in bytes (default 1 MiB). */
  readonly maxMetadataSize?: number;
}

const BLOCK = 512;
const utf8 = new TextDecoder('utf-8');

/**
 * Strips a leading `./` or `/` and a trailing `/` from a tar path: `./boot/` becomes `boot`.
 *
 * @param path - a path as stored in the archive
 */
export function normalizeTarPath(path: string): string {
  let p = path;
  while (p.startsWith('./')) p = p.slice(2);
  while (p.startsWith('/')) p = p.slice(1);
  while (p.endsWith('/')) p = p.slice(0, -1);
  return p === '.' ? '' : p;
}

/** Pulls bytes from an iterator of chunks. */
class ChunkReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private off = 0;
  private eof = false;
  /** Bytes consumed so far. */
  offset = 0;

  constructor(private readonly iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>) {}

  private async more(): Promise<boolean> {
    while (!this.eof) {
      const r = await this.iterator.next();
      if (r.done) {
        this.eof = true;
        return false;
      }
      if (r.value.length > 0) {
        this.chunk = r.value;
        this.off = 0;
        return true;
      }
    }
    return false;
  }

  /**
   * Reads exactly `n` bytes; `null` if the input ends before the first byte. The result may be a
   * view into an input chunk when `copy` is false.
   */
  async read(n: number, copy: boolean): Promise<Uint8Array | null> {
    if (this.off === this.chunk.length && !(await this.more())) return n === 0 ? new Uint8Array(0) : null;
    if (this.chunk.length - this.off >= n) {
      const v = this.chunk.subarray(this.off, this.off + n);
      this.off += n;
      this.offset += n;
      return copy ? v.slice() : v;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.off === this.chunk.length && !(await this.more())) {
        throw new TarFormatError(`archive is truncated at offset ${this.offset} (wanted ${n - filled} more bytes)`);
      }
      const take = Math.min(n - filled, this.chunk.length - this.off);
      out.set(this.chunk.subarray(this.off, this.off + take), filled);
      this.off += take;
      this.offset += take;
      filled += take;
    }
    return out;
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.off === this.chunk.length && !(await this.more())) {
        throw new TarFormatError(`archive is truncated at offset ${this.offset} (wanted ${left} more bytes)`);
      }
      const take = Math.min(left, this.chunk.length - this.off);
      this.off += take;
      this.offset += take;
      left -= take;
    }
  }
}

function cString(block: Uint8Array, start: number, length: number): string {
  let end = start;
  const limit = start + length;
  while (end < limit && block[end] !== 0) end++;
  return utf8.decode(block.subarray(start, end));
}

function parseNumeric(block: Uint8Array, start: number, length: number, field: string, offset: number): number {
  const first = block[start]!;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement in the remaining bits.
    if (first === 0xff) throw new TarFormatError(`negative ${field} in header at offset ${offset}`);
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + block[start + i]!;
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`${field} too large in header at offset ${offset}`);
    return value;
  }
  let text = '';
  for (let i = start; i < start + length; i++) {
    const c = block[i]!;
    if (c === 0) break;
    text += String.fromCharCode(c);
  }
  text = text.trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`bad ${field} field "${text}" in header at offset ${offset}`);
  const value = Number.parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw new TarFormatError(`${field} too large in header at offset ${offset}`);
  return value;
}

function verifyChecksum(block: Uint8Array, offset: number): void {
  const stored = parseNumeric(block, 148, 8, 'checksum', offset);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b >= 128 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new TarFormatError(
      `header checksum mismatch at offset ${offset} (stored ${stored}, computed ${unsigned}): corrupt data or not a tar archive`,
    );
  }
}

function parsePax(data: Uint8Array, offset: number): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad with NULs
    let space = pos;
    while (space < data.length && data[space] !== 0x20) space++;
    const lenText = utf8.decode(data.subarray(pos, space));
    const len = Number.parseInt(lenText, 10);
    if (!/^[0-9]+$/.test(lenText) || len <= space - pos + 1 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw new TarFormatError(`malformed pax extended header record at offset ${offset + pos}`);
    }
    const record = utf8.decode(data.subarray(space + 1, pos + len - 1));
    const eq = record.indexOf('=');
    if (eq <= 0) throw new TarFormatError(`malformed pax extended header record at offset ${offset + pos}`);
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return records;
}

function typeOf(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'character-device';
    case '4':
      return 'block-device';
    case '5':
      return 'directory';
    case '6':
      return 'fifo';
    default:
      return 'other';
  }
}

function paxNumber(value: string | undefined, key: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new TarFormatError(`bad pax ${key} "${value}"`);
  return key === 'mtime' ? n : Math.floor(n);
}

/**
 * Reads a tar archive (POSIX ustar, GNU and pax formats) from a stream of chunks, one entry at a
 * time. GNU `L`/`K` long names and pax `x` (per-file) and `g` (global) headers are applied to
 * the entry they describe (`path`, `linkpath`, `size`, `uid`, `gid`, `uname`, `gname`, `mtime`).
 * Every header's checksum is verified. The archive ends at the first all-zero block or at the end
 * of the input on a header boundary.
 *
 * The source is read only as far as the consumer iterates: breaking out of the loop stops
 * reading (and calls the source iterator's `return`), so an expensive decompressor feeding it
 * stops too.
 *
 * @param source - the archive bytes in chunks of any size
 * @param options - limits
 * @throws {@link TarFormatError} on a bad checksum, a truncated entry or malformed metadata
 */
export async function* readTar(
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  options: ReadTarOptions = {},
): AsyncGenerator<TarEntry, void, undefined> {
  const maxMeta = options.maxMetadataSize ?? 1024 * 1024;
  const iterator =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : (source as Iterable<Uint8Array>)[Symbol.iterator]();
  const reader = new ChunkReader(iterator);
  const globals = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  try {
    for (;;) {
      const offset = reader.offset;
      const block = await reader.read(BLOCK, false);
      if (block === null) return;
      if (block.length < BLOCK) throw new TarFormatError(`archive is truncated at offset ${offset}`);
      if (block.every((b) => b === 0)) return;
      verifyChecksum(block, offset);
      const typeflag = String.fromCharCode(block[156]!);
      let size = parseNumeric(block, 124, 12, 'size', offset);
      const padded = Math.ceil(size / BLOCK) * BLOCK;

      if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
        if (size > maxMeta) throw new TarFormatError(`metadata entry of ${size} bytes at offset ${offset} is too large`);
        const data = (await reader.read(size, false)) ?? new Uint8Array(0);
        if (data.length < size) throw new TarFormatError(`archive is truncated at offset ${reader.offset}`);
        await reader.skip(padded - size);
        if (typeflag === 'L') longName = cString(data, 0, data.length);
        else if (typeflag === 'K') longLink = cString(data, 0, data.length);
        else if (typeflag === 'x') pax = parsePax(data, offset + BLOCK);
        else for (const [k, v] of parsePax(data, offset + BLOCK)) globals.set(k, v);
        continue;
      }

      const magic = cString(block, 257, 6);
      const version = String.fromCharCode(block[263]!, block[264]!);
      let path = cString(block, 0, 100);
      if (magic === 'ustar' && version === '00') {
        const prefix = cString(block, 345, 155);
        if (prefix !== '') path = `${prefix}/${path}`;
      }
      let linkPath = cString(block, 157, 100);
      let uid = parseNumeric(block, 108, 8, 'uid', offset);
      let gid = parseNumeric(block, 116, 8, 'gid', offset);
      let mtime = parseNumeric(block, 136, 12, 'mtime', offset);
      let uname = cString(block, 265, 32);
      let gname = cString(block, 297, 32);
      const attrs = new Map([...globals, ...(pax ?? [])]);
      if (longName !== undefined) path = longName;
      if (longLink !== undefined) linkPath = longLink;
      path = attrs.get('path') ?? path;
      linkPath = attrs.get('linkpath') ?? linkPath;
      uname = attrs.get('uname') ?? uname;
      gname = attrs.get('gname') ?? gname;
      uid = paxNumber(attrs.get('uid'), 'uid') ?? uid;
      gid = paxNumber(attrs.get('gid'), 'gid') ?? gid;
      mtime = paxNumber(attrs.get('mtime'), 'mtime') ?? mtime;
      size = paxNumber(attrs.get('size'), 'size') ?? size;
      longName = longLink = pax = undefined;

      const type = typeOf(typeflag);
      // Links, devices, FIFOs and directories carry no data, whatever the size field says.
      const dataSize = type === 'file' || type === 'other' ? size : 0;
      const dataPadded = Math.ceil(dataSize / BLOCK) * BLOCK;
      let consumed = false;
      let valid = true;
      let pending: Promise<Uint8Array> | undefined;
      const entry: TarEntry = {
        path,
        type,
        typeflag,
        mode: parseNumeric(block, 100, 8, 'mode', offset) & 0o7777,
        uid,
        gid,
        uname,
        gname,
        size: dataSize,
        mtime,
        linkPath,
        devMajor: parseNumeric(block, 329, 8, 'devmajor', offset),
        devMinor: parseNumeric(block, 337, 8, 'devminor', offset),
        read(): Promise<Uint8Array> {
          if (pending !== undefined) return pending;
          if (!valid) return Promise.reject(new Error(`TarEntry.read() for ${path} called after the iteration advanced`));
          consumed = true;
          pending = (async () => {
            if (dataSize > 0x7fffffff) throw new TarFormatError(`entry ${path} is too large to read into memory`);
            const data = (await reader.read(dataSize, true)) ?? new Uint8Array(0);
            if (data.length < dataSize) throw new TarFormatError(`archive is truncated inside ${path}`);
            await reader.skip(dataPadded - dataSize);
            return data;
          })();
          return pending;
        },
      };
      yield entry;
      valid = false;
      if (pending !== undefined) await pending;
      if (!consumed) await reader.skip(dataPadded);
    }
  } finally {
    await iterator.return?.();
  }
}
