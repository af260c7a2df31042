/**
 * Builders of small archives and a fake Debian archive server, for this package's tests only
 * (not part of the public API). Everything here is deliberately simple and independent of the
 * readers under test.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

const enc = new TextEncoder();

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** True if an executable is on the PATH. */
export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Deterministic pseudo-random bytes. */
export function pseudoRandomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** One entry for {@link buildTar}. */
export interface TarFixtureEntry {
  readonly path: string;
  /** Type flag character (default '0'). */
  readonly type?: string;
  readonly data?: Uint8Array | string;
  readonly linkPath?: string;
  readonly mode?: number;
  /** ustar prefix field. */
  readonly prefix?: string;
  /** 'ustar' (POSIX, default), 'gnu' or 'v7' (no magic). */
  readonly format?: 'ustar' | 'gnu' | 'v7';
  /** Overrides the size field (for pax size tests). */
  readonly sizeField?: number;
  /** Writes the size in GNU base-256. */
  readonly base256Size?: boolean;
  readonly uid?: number;
  readonly mtime?: number;
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

/** Builds one 512-byte tar header with a correct checksum. */
export function tarHeader(e: TarFixtureEntry, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (at: number, text: string): void => {
    h.set(enc.encode(text), at);
  };
  put(0, e.path);
  put(100, octal(e.mode ?? 0o644, 8));
  put(108, octal(e.uid ?? 0, 8));
  put(116, octal(0, 8));
  if (e.base256Size) {
    h[124] = 0x80;
    let v = size;
    for (let i = 135; i > 124; i--) {
      h[i] = v % 256;
      v = Math.floor(v / 256);
    }
  } else {
    put(124, octal(e.sizeField ?? size, 12));
  }
  put(136, octal(e.mtime ?? 1700000000, 12));
  put(156, e.type ?? '0');
  put(157, e.linkPath ?? '');
  const format = e.format ?? 'ustar';
  if (format === 'ustar') {
    put(257, 'ustar\0');
    put(263, '00');
  } else if (format === 'gnu') {
    put(257, 'ustar  \0');
  }
  if (format !== 'v7') {
    put(265, 'root');
    put(297, 'root');
  }
  if (e.prefix !== undefined) put(345, e.prefix);
  for (let i = 148; i < 156; i++) h[i] = 0x20;
  let sum = 0;
  for (const b of h) sum += b;
  put(148, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** Builds a tar archive (with the two zero blocks at the end). */
export function buildTar(entries: readonly TarFixtureEntry[], options: { trailer?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? enc.encode(e.data) : (e.data ?? new Uint8Array(0));
    parts.push(tarHeader(e, data.length));
    parts.push(data);
    const pad = (512 - (data.length % 512)) % 512;
    parts.push(new Uint8Array(pad));
  }
  if (options.trailer ?? true) parts.push(new Uint8Array(1024));
  return concatBytes(parts);
}

/** A pax extended header record: "<len> key=value\n". */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** One member for {@link buildAr}. */
export interface ArFixtureMember {
  readonly name: string;
  readonly data: Uint8Array | string;
}

function field(text: string, length: number): string {
  if (text.length > length) throw new Error(`ar field "${text}" too long`);
  return text.padEnd(length, ' ');
}

/**
 * Builds an ar archive. `style` 'deb' writes names as dpkg-deb does (no slash), 'gnu' with a
 * trailing slash and a `//` table for long names, 'bsd' with `#1/N` names.
 */
export function buildAr(members: readonly ArFixtureMember[], style: 'deb' | 'gnu' | 'bsd' = 'deb'): Uint8Array {
  const parts: Uint8Array[] = [enc.encode('!<arch>\n')];
  const header = (name: string, size: number): Uint8Array =>
    enc.encode(field(name, 16) + field('1700000000', 12) + field('0', 6) + field('0', 6) + field('100644', 8) + field(String(size), 10) + '`\n');
  const pushMember = (name: string, data: Uint8Array): void => {
    parts.push(header(name, data.length), data);
    if (data.length % 2 === 1) parts.push(enc.encode('\n'));
  };
  let longTable = '';
  const longOffsets = new Map<string, number>();
  if (style === 'gnu') {
    for (const m of members) {
      if (m.name.length > 15) {
        longOffsets.set(m.name, longTable.length);
        longTable += `${m.name}/\n`;
      }
    }
    if (longTable !== '') pushMember('//', enc.encode(longTable));
  }
  for (const m of members) {
    const data = typeof m.data === 'string' ? enc.encode(m.data) : m.data;
    if (style === 'deb') pushMember(m.name, data);
    else if (style === 'gnu') pushMember(longOffsets.has(m.name) ? `/${longOffsets.get(m.name)}` : `${m.name}/`, data);
    else {
      const nameBytes = enc.encode(m.name);
      const body = concatBytes([nameBytes, data]);
      parts.push(header(`#1/${nameBytes.length}`, body.length), body);
      if (body.length % 2 === 1) parts.push(enc.encode('\n'));
    }
  }
  return concatBytes(parts);
}

/** Builds a `.deb` whose data archive holds the given tar entries. */
export function buildDeb(
  dataEntries: readonly TarFixtureEntry[],
  options: { compression?: 'gz' | 'none' | 'zst'; version?: string } = {},
): Uint8Array {
  const control = gzipSync(buildTar([{ path: './control', data: 'Package: fake\nVersion: 1\n' }]));
  const tar = buildTar(dataEntries);
  const compression = options.compression ?? 'gz';
  const data = compression === 'gz' ? gzipSync(tar) : tar;
  const name = compression === 'gz' ? 'data.tar.gz' : compression === 'zst' ? 'data.tar.zst' : 'data.tar';
  return buildAr([
    { name: 'debian-binary', data: `${options.version ?? '2.0'}\n` },
    { name: 'control.tar.gz', data: new Uint8Array(control) },
    { name, data },
  ]);
}

/** SHA-256 as lower-case hex. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A package for {@link FakeDebianArchive}. */
export interface FakePackage {
  readonly name: string;
  readonly version: string;
  readonly deb: Uint8Array;
  readonly depends?: string;
  readonly architecture?: string;
  /** Lie about the hash in the index. */
  readonly wrongSha?: boolean;
}

/** A suite served by {@link FakeDebianArchive}. */
export interface FakeSuite {
  readonly prefix: string; // e.g. '/debian'
  readonly suite: string;
  readonly packages: readonly FakePackage[];
  /** Index compression(s) listed in Release and served (default ['gz']). */
  readonly indexFormats?: ReadonlyArray<'gz' | 'xz' | 'plain'>;
  /** Serve a different index than the Release file lists. */
  readonly staleIndex?: boolean;
  readonly byHash?: boolean;
}

/** A local HTTP server that looks like a Debian mirror. */
export interface FakeDebianArchive {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

function packagesIndex(suite: FakeSuite): string {
  return suite.packages
    .map((p) => {
      const filename = `pool/main/${p.name[0]}/${p.name}/${p.name}_${p.version.replace(/^[0-9]+:/, '')}_i386.deb`;
      return [
        `Package: ${p.name}`,
        `Version: ${p.version}`,
        `Architecture: ${p.architecture ?? 'i386'}`,
        ...(p.depends !== undefined ? [`Depends: ${p.depends}`] : []),
        'Description: a fake package',
        ' with a continuation line',
        `Filename: ${filename}`,
        `Size: ${p.deb.length}`,
        `SHA256: ${p.wrongSha ? sha256Hex('wrong') : sha256Hex(p.deb)}`,
        '',
      ].join('\n');
    })
    .join('\n');
}

/**
 * Starts a fake mirror on 127.0.0.1 serving `dists/<suite>/Release`, the package index and the
 * `.deb` files of each suite under its prefix. `xz` indexes need the `xz` command.
 */
export async function startFakeDebianArchive(suites: readonly FakeSuite[]): Promise<FakeDebianArchive> {
  const files = new Map<string, Uint8Array>();
  for (const s of suites) {
    const index = enc.encode(packagesIndex(s));
    const listed: Array<[string, Uint8Array]> = [];
    for (const f of s.indexFormats ?? ['gz']) {
      const body =
        f === 'gz' ? new Uint8Array(gzipSync(index)) : f === 'xz' ? new Uint8Array(execFileSync('xz', ['-c'], { input: index })) : index;
      listed.push([`main/binary-i386/Packages${f === 'gz' ? '.gz' : f === 'xz' ? '.xz' : ''}`, body]);
    }
    const release = [
      'Origin: Fake',
      `Suite: ${s.suite}`,
      ...(s.byHash ? ['Acquire-By-Hash: yes'] : []),
      'SHA256:',
      ...listed.map(([path, body]) => ` ${sha256Hex(body)} ${String(body.length).padStart(8)} ${path}`),
      '',
    ].join('\n');
    files.set(`${s.prefix}/dists/${s.suite}/Release`, enc.encode(release));
    for (const [path, body] of listed) {
      // A stale index has the same packages but other bytes than the Release file lists.
      let served = body;
      if (s.staleIndex) {
        served = path.endsWith('.gz')
          ? new Uint8Array(gzipSync(concatBytes([index, enc.encode('\n')])))
          : path.endsWith('.xz')
            ? new Uint8Array(execFileSync('xz', ['-0', '-c'], { input: concatBytes([index, enc.encode('\n')]) }))
            : concatBytes([index, enc.encode('\n')]);
      }
      files.set(`${s.prefix}/dists/${s.suite}/${path}`, served);
      if (s.byHash) files.set(`${s.prefix}/dists/${s.suite}/main/binary-i386/by-hash/SHA256/${sha256Hex(body)}`, body);
    }
    for (const p of s.packages) {
      files.set(`${s.prefix}/pool/main/${p.name[0]}/${p.name}/${p.name}_${p.version.replace(/^[0-9]+:/, '')}_i386.deb`, p.deb);
    }
  }
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const body = files.get(path);
    if (body === undefined) {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
