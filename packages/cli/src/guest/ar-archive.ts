import { GuestImageError } from './guest-error.js';

/** A malformed, truncated or unsupported `ar` archive. */
export class ArFormatError extends GuestImageError {
  /**
   * @param message - what is wrong, including where
   */
  constructor(message: string) {
    super('format', `invalid ar archive: ${message}`);
  }
}

/** One member of an `ar` archive. */
export interface ArMember {
  /** The member's name, with GNU (`name/`, `/N`) and BSD (`#1/N`) forms resolved. */
  readonly name: string;
  /** Modification time, seconds since the epoch. */
  readonly mtime: number;
  /** Owner user id. */
  readonly uid: number;
  /** Owner group id. */
  readonly gid: number;
  /** File mode bits (octal in the header). */
  readonly mode: number;
  /** The member's content: a view into the archive buffer, not a copy. */
  readonly data: Uint8Array;
  /** Byte offset of the member's header in the archive. */
  readonly offset: number;
}

const GLOBAL_MAGIC = '!<arch>\n';
const HEADER_SIZE = 60;

function ascii(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

function parseNumber(
  buf: Uint8Array,
  start: number,
  length: number,
  radix: 8 | 10,
  field: string,
  offset: number,
): number {
  const text = ascii(buf, start, start + length).trim();
  if (text === '') return 0;
  const pattern = radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!pattern.test(text)) {
    throw new ArFormatError(`member header at offset ${offset} has a bad ${field} field "${text}"`);
  }
  const value = Number.parseInt(text, radix);
  if (!Number.isSafeInteger(value)) {
    throw new ArFormatError(`member header at offset ${offset} has an out-of-range ${field}`);
  }
  return value;
}

/**
 * Reads every member of an `ar` archive (the container of a Debian `.deb`).
 *
 * Supports the common System V/GNU layout (`name/`, the `//` long-name table and `/N` references
 * into it; the `/` symbol table is skipped) and the BSD `#1/N` form, where the name precedes the
 * data. Each member's data must lie inside the buffer; a missing padding byte after the very last
 * member is tolerated, as several writers omit it.
 *
 * @param archive - the whole archive
 * @returns the members in archive order; their `data` views share the archive's memory
 * @throws {@link ArFormatError} on a bad magic, a malformed header or a member that runs past the end
 */
export function readArArchive(archive: Uint8Array): ArMember[] {
  if (archive.length < GLOBAL_MAGIC.length || ascii(archive, 0, GLOBAL_MAGIC.length) !== GLOBAL_MAGIC) {
    throw new ArFormatError('missing "!<arch>" magic (not an ar archive or a .deb)');
  }
  const members: ArMember[] = [];
  let longNames: Uint8Array | undefined;
  let pos = GLOBAL_MAGIC.length;
  while (pos < archive.length) {
    // Tolerate a trailing newline written as padding by some tools.
    if (archive.length - pos === 1 && archive[pos] === 0x0a) break;
    if (archive.length - pos < HEADER_SIZE) {
      throw new ArFormatError(
        `truncated member header at offset ${pos} (${archive.length - pos} of ${HEADER_SIZE} bytes)`,
      );
    }
    if (archive[pos + 58] !== 0x60 || archive[pos + 59] !== 0x0a) {
      throw new ArFormatError(`member header at offset ${pos} lacks its "\`\\n" terminator`);
    }
    const rawName = ascii(archive, pos, pos + 16).replace(/ +$/, '');
    const mtime = parseNumber(archive, pos + 16, 12, 10, 'mtime', pos);
    const uid = parseNumber(archive, pos + 28, 6, 10, 'uid', pos);
    const gid = parseNumber(archive, pos + 34, 6, 10, 'gid', pos);
    const mode = parseNumber(archive, pos + 40, 8, 8, 'mode', pos);
    const size = parseNumber(archive, pos + 48, 10, 10, 'size', pos);
    let dataStart = pos + HEADER_SIZE;
    const dataEnd = dataStart + size;
    if (dataEnd > archive.length) {
      throw new ArFormatError(
        `member "${rawName}" at offset ${pos} claims ${size} bytes but only ${archive.length - dataStart} remain (truncated download?)`,
      );
    }

    let name: string;
    let special = false;
    if (rawName.startsWith('#1/')) {
      // BSD: the name is stored at the start of the data area.
      const nameLength = Number.parseInt(rawName.slice(3), 10);
      if (!/^[0-9]+$/.test(rawName.slice(3)) || nameLength > size) {
        throw new ArFormatError(`member at offset ${pos} has a bad BSD long name "${rawName}"`);
      }
      name = ascii(archive, dataStart, dataStart + nameLength).replace(/\0+$/, '');
      dataStart += nameLength;
    } else if (rawName === '/' || rawName === '/SYM64/') {
      special = true; // symbol table
      name = rawName;
    } else if (rawName === '//') {
      special = true;
      name = rawName;
      longNames = archive.subarray(dataStart, dataEnd);
    } else if (/^\/[0-9]+$/.test(rawName)) {
      if (longNames === undefined) {
        throw new ArFormatError(`member at offset ${pos} refers to a long name but there is no "//" table`);
      }
      const at = Number.parseInt(rawName.slice(1), 10);
      if (at >= longNames.length) {
        throw new ArFormatError(`member at offset ${pos} has a long-name offset ${at} past the table`);
      }
      let end = at;
      while (end < longNames.length && longNames[end] !== 0x0a && longNames[end] !== 0) end++;
      name = ascii(longNames, at, end).replace(/\/$/, '');
    } else {
      name = rawName.endsWith('/') ? rawName.slice(0, -1) : rawName;
    }
    if (!special) {
      members.push({ name, mtime, uid, gid, mode, data: archive.subarray(dataStart, dataEnd), offset: pos });
    }
    pos = dataEnd + (size & 1);
  }
  return members;
}
