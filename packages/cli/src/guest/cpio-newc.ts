import { GuestImageError } from './guest-error.js';

/** File-type bits of a cpio `mode` field (the same as `st_mode`). */
export const CpioFileType = {
  /** Regular file. */
  file: 0o100000,
  /** Directory. */
  directory: 0o040000,
  /** Symbolic link. */
  symlink: 0o120000,
  /** Character device. */
  characterDevice: 0o020000,
  /** Block device. */
  blockDevice: 0o060000,
  /** FIFO. */
  fifo: 0o010000,
} as const;

const S_IFMT = 0o170000;
const MAGIC = '070701';
const HEADER_SIZE = 110;
const TRAILER = 'TRAILER!!!';

/** Ownership and time of a new cpio entry. */
export interface CpioEntryOptions {
  /** Permission bits (default 0o755 for directories, 0o644 for files, 0o777 for symlinks, 0o600 for devices). */
  readonly mode?: number;
  /** Owner user id (default 0). */
  readonly uid?: number;
  /** Owner group id (default 0). */
  readonly gid?: number;
  /** Modification time in seconds since the epoch (default 0, for reproducible archives). */
  readonly mtime?: number;
}

/** One entry of a newc cpio archive, as read by {@link parseCpioNewc}. */
export interface CpioEntry {
  /** Path as stored (no leading `/` for an initramfs). */
  readonly path: string;
  /** Full mode: file-type bits ({@link CpioFileType}) plus permission bits. */
  readonly mode: number;
  /** Owner user id. */
  readonly uid: number;
  /** Owner group id. */
  readonly gid: number;
  /** Number of links. */
  readonly nlink: number;
  /** Modification time, seconds since the epoch. */
  readonly mtime: number;
  /** Inode number. */
  readonly ino: number;
  /** Device major of a device node. */
  readonly rdevMajor: number;
  /** Device minor of a device node. */
  readonly rdevMinor: number;
  /** File content, or the target of a symlink. A view into the archive. */
  readonly data: Uint8Array;
}

/** A malformed or truncated cpio archive, or an entry that cannot be written. */
export class CpioFormatError extends GuestImageError {
  /**
   * @param message - what is wrong
   */
  constructor(message: string) {
    super('format', `cpio: ${message}`);
  }
}

const encoder = new TextEncoder();

function checkU32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new CpioFormatError(`${what} ${value} does not fit the 32-bit newc field`);
  }
  return value;
}

/**
 * Writes a cpio archive in the SVR4 "newc" format (magic `070701`, no CRC) — the format the Linux
 * kernel unpacks as an initramfs.
 *
 * Each entry is a 110-byte ASCII header (13 eight-digit hexadecimal fields), the NUL-terminated
 * name padded so that header plus name is a multiple of 4 bytes, then the content padded to a
 * multiple of 4. The archive ends with a `TRAILER!!!` entry. Parent directories must be added
 * before their contents; paths are stored as given, so pass them without a leading `/`.
 * Every entry gets its own inode number with a link count of 1 (2 for directories), so the
 * kernel never mistakes two files for hard links of each other.
 */
export class CpioNewcWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  private nextIno = 1;
  private finished = false;
  private readonly paths = new Set<string>();

  /** Adds a directory. */
  addDirectory(path: string, options: CpioEntryOptions = {}): this {
    return this.add(path, CpioFileType.directory, options.mode ?? 0o755, options, new Uint8Array(0), 0, 0, 2);
  }

  /** Adds a regular file with the given content. */
  addFile(path: string, data: Uint8Array | string, options: CpioEntryOptions = {}): this {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    return this.add(path, CpioFileType.file, options.mode ?? 0o644, options, bytes, 0, 0, 1);
  }

  /** Adds a symbolic link pointing at `target`. */
  addSymlink(path: string, target: string, options: CpioEntryOptions = {}): this {
    if (target === '') throw new CpioFormatError(`symlink ${path} has an empty target`);
    return this.add(path, CpioFileType.symlink, options.mode ?? 0o777, options, encoder.encode(target), 0, 0, 1);
  }

  /** Adds a character device node, such as `dev/console` (5, 1). */
  addCharacterDevice(path: string, major: number, minor: number, options: CpioEntryOptions = {}): this {
    return this.add(path, CpioFileType.characterDevice, options.mode ?? 0o600, options, new Uint8Array(0), major, minor, 1);
  }

  /** Adds a block device node. */
  addBlockDevice(path: string, major: number, minor: number, options: CpioEntryOptions = {}): this {
    return this.add(path, CpioFileType.blockDevice, options.mode ?? 0o600, options, new Uint8Array(0), major, minor, 1);
  }

  /** Appends the trailer and returns the whole archive. The writer cannot be used afterwards. */
  finish(): Uint8Array {
    if (this.finished) throw new CpioFormatError('archive already finished');
    this.writeEntry(TRAILER, 0, 0, 0, 0, 1, 0, new Uint8Array(0), 0, 0);
    this.finished = true;
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private add(
    path: string,
    type: number,
    perm: number,
    options: CpioEntryOptions,
    data: Uint8Array,
    rdevMajor: number,
    rdevMinor: number,
    nlink: number,
  ): this {
    if (this.finished) throw new CpioFormatError('archive already finished');
    if (path === '' || path.includes('\0') || path === TRAILER) throw new CpioFormatError(`invalid path "${path}"`);
    if (this.paths.has(path)) throw new CpioFormatError(`duplicate path "${path}"`);
    if (!Number.isInteger(perm) || perm < 0 || perm > 0o7777) throw new CpioFormatError(`invalid permission bits for ${path}`);
    this.paths.add(path);
    this.writeEntry(
      path,
      this.nextIno++,
      type | perm,
      options.uid ?? 0,
      options.gid ?? 0,
      nlink,
      options.mtime ?? 0,
      data,
      rdevMajor,
      rdevMinor,
    );
    return this;
  }

  private writeEntry(
    path: string,
    ino: number,
    mode: number,
    uid: number,
    gid: number,
    nlink: number,
    mtime: number,
    data: Uint8Array,
    rdevMajor: number,
    rdevMinor: number,
  ): void {
    const name = encoder.encode(path);
    const fields = [
      ino,
      mode,
      checkU32(uid, 'uid'),
      checkU32(gid, 'gid'),
      nlink,
      checkU32(mtime, 'mtime'),
      checkU32(data.length, 'file size'),
      0, // devmajor
      0, // devminor
      checkU32(rdevMajor, 'device major'),
      checkU32(rdevMinor, 'device minor'),
      name.length + 1,
      0, // check (newc has none)
    ];
    let header = MAGIC;
    for (const f of fields) header += f.toString(16).toUpperCase().padStart(8, '0');
    const headLen = HEADER_SIZE + name.length + 1;
    const headPadded = (headLen + 3) & ~3;
    const head = new Uint8Array(headPadded);
    head.set(encoder.encode(header), 0);
    head.set(name, HEADER_SIZE);
    this.push(head);
    if (data.length > 0) {
      this.push(data);
      const pad = ((data.length + 3) & ~3) - data.length;
      if (pad > 0) this.push(new Uint8Array(pad));
    }
  }

  private push(part: Uint8Array): void {
    this.parts.push(part);
    this.size += part.length;
  }
}

/**
 * Reads a newc cpio archive (magic `070701` or `070702`) up to its `TRAILER!!!` entry.
 * Every field and length is checked against the buffer.
 *
 * @param archive - the whole (uncompressed) archive
 * @returns the entries before the trailer
 * @throws {@link CpioFormatError} if it is malformed or truncated
 */
export function parseCpioNewc(archive: Uint8Array): CpioEntry[] {
  const entries: CpioEntry[] = [];
  const decoder = new TextDecoder();
  let pos = 0;
  for (;;) {
    if (pos + HEADER_SIZE > archive.length) throw new CpioFormatError(`truncated header at offset ${pos} (no trailer)`);
    const head = decoder.decode(archive.subarray(pos, pos + HEADER_SIZE));
    const magic = head.slice(0, 6);
    if (magic !== '070701' && magic !== '070702') throw new CpioFormatError(`bad magic "${magic}" at offset ${pos}`);
    const f: number[] = [];
    for (let i = 0; i < 13; i++) {
      const text = head.slice(6 + i * 8, 14 + i * 8);
      if (!/^[0-9A-Fa-f]{8}$/.test(text)) throw new CpioFormatError(`bad header field "${text}" at offset ${pos}`);
      f.push(Number.parseInt(text, 16));
    }
    const [ino, mode, uid, gid, nlink, mtime, fileSize, , , rdevMajor, rdevMinor, nameSize] = f as [
      number, number, number, number, number, number, number, number, number, number, number, number,
    ];
    if (nameSize === 0 || pos + HEADER_SIZE + nameSize > archive.length) {
      throw new CpioFormatError(`bad name size at offset ${pos}`);
    }
    const nameBytes = archive.subarray(pos + HEADER_SIZE, pos + HEADER_SIZE + nameSize);
    if (nameBytes[nameSize - 1] !== 0) throw new CpioFormatError(`name at offset ${pos} is not NUL-terminated`);
    const path = decoder.decode(nameBytes.subarray(0, nameSize - 1));
    const dataStart = (pos + HEADER_SIZE + nameSize + 3) & ~3;
    const dataEnd = dataStart + fileSize;
    if (dataEnd > archive.length) throw new CpioFormatError(`entry ${path} runs past the end of the archive`);
    if (path === TRAILER) return entries;
    entries.push({
      path,
      mode,
      uid,
      gid,
      nlink,
      mtime,
      ino,
      rdevMajor,
      rdevMinor,
      data: archive.subarray(dataStart, dataEnd),
    });
    pos = (dataEnd + 3) & ~3;
  }
}

/** The file-type bits of a cpio mode. */
export function cpioFileType(mode: number): number {
  return mode & S_IFMT;
}
