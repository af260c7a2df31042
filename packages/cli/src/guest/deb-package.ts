import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { readArArchive, type ArMember } from './ar-archive.js';
import { GuestImageError } from './guest-error.js';
import { normalizeTarPath, readTar, type TarEntry, type TarEntryHeader } from './tar-archive.js';
import { xzDecompressStream } from './xz-decoder.js';

/** One file taken out of a Debian package. */
export interface DebFile {
  /** The entry's metadata (path as stored, e.g. `./bin/busybox`). */
  readonly header: TarEntryHeader;
  /** The file's content. */
  readonly data: Uint8Array;
}

/** Which archive inside the package to read. */
export type DebMemberKind = 'data' | 'control';

function decompress(member: ArMember): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  const name = member.name;
  if (name.endsWith('.tar')) return [member.data];
  if (name.endsWith('.tar.xz')) return xzDecompressStream([member.data]);
  if (name.endsWith('.tar.gz')) {
    const gunzip = createGunzip();
    return Readable.from([member.data]).pipe(gunzip) as AsyncIterable<Uint8Array>;
  }
  const compression = name.slice(name.lastIndexOf('.') + 1);
  throw new GuestImageError(
    'unsupported',
    `package member ${name} uses ${compression} compression, which Popek cannot unpack (it supports .tar, .tar.xz and .tar.gz; Debian bookworm uses .tar.xz)`,
  );
}

/**
 * Opens the `data.tar.*` (or `control.tar.*`) archive of a `.deb` and iterates its entries,
 * decompressing lazily: stop iterating and the decompression stops too.
 *
 * @param deb - the whole `.deb` file
 * @param kind - which member to read
 * @throws {@link GuestImageError} if the file is not a Debian binary package version 2.x or its
 *   member uses an unsupported compression; {@link ArFormatError}, {@link TarFormatError} or
 *   {@link XzFormatError} for corrupt data
 */
export function readDebArchive(deb: Uint8Array, kind: DebMemberKind = 'data'): AsyncGenerator<TarEntry, void, undefined> {
  const members = readArArchive(deb);
  const version = members[0];
  if (version === undefined || version.name !== 'debian-binary') {
    throw new GuestImageError('format', 'not a Debian package: the first member is not "debian-binary"');
  }
  const versionText = new TextDecoder().decode(version.data).trim();
  if (!/^2\.[0-9]+$/.test(versionText)) {
    throw new GuestImageError('unsupported', `unsupported Debian package format version "${versionText}" (expected 2.x)`);
  }
  const member = members.find((m) => m.name.startsWith(`${kind}.tar`));
  if (member === undefined) {
    throw new GuestImageError('format', `Debian package has no ${kind}.tar member (members: ${members.map((m) => m.name).join(', ')})`);
  }
  return readTar(decompress(member));
}

/**
 * Finds files in a `.deb` and returns their contents, decoding the package's data archive only
 * as far as needed: once `count` matching regular files are found, decoding stops.
 *
 * @param deb - the whole `.deb` file
 * @param match - selects entries by their normalized path (`boot/vmlinuz-6.1.0-1-686`) and header
 * @param count - how many matches to collect before stopping (default 1)
 * @returns the matching regular files, in archive order (fewer than `count` if the archive ends)
 */
export async function extractDebFiles(
  deb: Uint8Array,
  match: (path: string, header: TarEntryHeader) => boolean,
  count = 1,
): Promise<DebFile[]> {
  const found: DebFile[] = [];
  if (count <= 0) return found;
  for await (const entry of readDebArchive(deb, 'data')) {
    if (entry.type !== 'file' || !match(normalizeTarPath(entry.path), entry)) continue;
    const data = await entry.read();
    const { read: _read, ...header } = entry;
    found.push({ header, data });
    if (found.length >= count) break;
  }
  return found;
}
