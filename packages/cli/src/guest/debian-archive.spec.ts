import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_DEBIAN_MIRROR,
  DEFAULT_DEBIAN_SECURITY_MIRROR,
  DebianArchive,
  DebianArchiveError,
  defaultDebianSources,
  indexPackages,
  type DownloadProgress,
} from './debian-archive.js';
import { hasCommand, pseudoRandomBytes, startFakeDebianArchive, type FakeDebianArchive, type FakeSuite } from './test-fixtures.js';

const deb = (seed: number, size = 5000): Uint8Array => pseudoRandomBytes(size, seed);

function suites(overrides: Partial<Record<'main' | 'security', Partial<FakeSuite>>> = {}): FakeSuite[] {
  return [
    {
      prefix: '/debian',
      suite: 'bookworm',
      packages: [
        { name: 'linux-image-686', version: '6.1.176-1', deb: deb(1, 100), depends: 'linux-image-6.1.0-50-686 (= 6.1.176-1)' },
        { name: 'linux-image-6.1.0-50-686', version: '6.1.176-1', deb: deb(2) },
        { name: 'busybox-static', version: '1:1.35.0-4+deb12u1+b1', deb: deb(3) },
        { name: 'busybox-static', version: '1:1.35.0-4', deb: deb(4) },
        { name: 'amd64-only', version: '1.0', deb: deb(5), architecture: 'amd64' },
        { name: 'arch-all', version: '1.0', deb: deb(6), architecture: 'all' },
      ],
      ...overrides.main,
    },
    {
      prefix: '/debian-security',
      suite: 'bookworm-security',
      packages: [
        { name: 'linux-image-686', version: '6.1.190-1', deb: deb(7, 100), depends: 'linux-image-6.1.0-54-686 (= 6.1.190-1)' },
        { name: 'linux-image-6.1.0-54-686', version: '6.1.190-1', deb: deb(8, 200_000) },
        { name: 'linux-image-6.1.0-54-686', version: '6.1.190-2', deb: deb(9) },
        { name: 'busybox-static', version: '1:1.35.0-4+deb12u1', deb: deb(10) },
      ],
      ...overrides.security,
    },
  ];
}

describe('DebianArchive with a local mirror', () => {
  let fake: FakeDebianArchive | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  async function open(s: FakeSuite[], extra: Partial<ConstructorParameters<typeof DebianArchive>[0]> = {}): Promise<DebianArchive> {
    fake = await startFakeDebianArchive(s);
    return new DebianArchive({ mirror: `${fake.url}/debian`, securityMirror: `${fake.url}/debian-security`, env: {}, ...extra });
  }

  it('picks the highest version across suites and follows the kernel metapackage', async () => {
    const archive = await open(suites());
    const { meta, image } = await archive.resolveKernel();
    expect(meta).toMatchObject({ name: 'linux-image-686', version: '6.1.190-1' });
    expect(meta.source.suite).toBe('bookworm-security');
    // The "= 6.1.190-1" constraint wins over the newer 6.1.190-2.
    expect(image).toMatchObject({ name: 'linux-image-6.1.0-54-686', version: '6.1.190-1', size: 200_000, indexVerified: true });
    const busybox = await archive.resolve('busybox-static');
    expect(busybox.version).toBe('1:1.35.0-4+deb12u1+b1');
    expect(busybox.source.suite).toBe('bookworm');
    expect((await archive.resolve('arch-all')).architecture).toBe('all');
    await expect(archive.resolve('amd64-only')).rejects.toThrow(/package amd64-only is not in bookworm or bookworm-security for i386/);
    await expect(archive.resolve('busybox-static', { relation: '>>', version: '2:0' })).rejects.toThrow(/busybox-static \(>> 2:0\)/);
  });

  it('downloads the index once and verifies .deb files, reporting progress', async () => {
    const progress: DownloadProgress[] = [];
    const archive = await open(suites(), { onProgress: (p) => progress.push(p) });
    const { image } = await archive.resolveKernel();
    const data = await archive.download(image);
    expect(data).toEqual(deb(8, 200_000));
    await archive.resolve('busybox-static');
    expect(fake!.requests.filter((r) => r.endsWith('/Release'))).toHaveLength(2);
    const debProgress = progress.filter((p) => p.label === 'linux-image-6.1.0-54-686_6.1.190-1_i386.deb');
    expect(debProgress.length).toBeGreaterThan(1);
    expect(debProgress.at(-1)).toMatchObject({ done: 200_000, total: 200_000 });
    for (let i = 1; i < debProgress.length; i++) expect(debProgress[i]!.done).toBeGreaterThanOrEqual(debProgress[i - 1]!.done);
  });

  it('rejects a .deb whose SHA-256 does not match the index', async () => {
    const s = suites();
    const archive = await open([
      { ...s[0]!, packages: [{ name: 'busybox-static', version: '1.0', deb: deb(3), wrongSha: true }] },
    ], { securityMirror: null });
    const pkg = await archive.resolve('busybox-static');
    const error = await archive.download(pkg).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DebianArchiveError);
    expect((error as DebianArchiveError).code).toBe('integrity');
    expect((error as Error).message).toMatch(/does not match the SHA-256 the archive index lists/);
  });

  it('fetches indexes by hash when the suite offers it', async () => {
    const archive = await open(suites({ main: { byHash: true } }));
    await archive.loadIndexes();
    expect(fake!.requests.some((r) => r.includes('/debian/dists/bookworm/main/binary-i386/by-hash/SHA256/'))).toBe(true);
    expect(fake!.requests).not.toContain('/debian/dists/bookworm/main/binary-i386/Packages.gz');
  });

  it('uses an out-of-sync index with a warning', async () => {
    const warnings: string[] = [];
    const archive = await open(suites({ security: { staleIndex: true } }), { onWarning: (w) => warnings.push(w) });
    const { image } = await archive.resolveKernel();
    expect(image.indexVerified).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/bookworm-security package index .* does not match its Release file/);
  });

  it.skipIf(!hasCommand('xz'))('reads an xz-compressed index (bookworm-security only has Packages.xz)', async () => {
    const archive = await open(suites({ security: { indexFormats: ['xz'] } }));
    const { image } = await archive.resolveKernel();
    expect(image.version).toBe('6.1.190-1');
    expect(fake!.requests).toContain('/debian-security/dists/bookworm-security/main/binary-i386/Packages.xz');
  });

  it('reports a suite the mirror does not have', async () => {
    const archive = await open(suites(), { release: 'trixie' });
    const error = await archive.loadIndexes().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DebianArchiveError);
    expect((error as Error).message).toMatch(/answered HTTP 404 .*dists\/trixie\/Release/);
  });

  it('reports an index missing from the Release file', async () => {
    const archive = await open(suites(), { architecture: 'sparc' });
    await expect(archive.loadIndexes()).rejects.toThrow(/does not list main\/binary-sparc\/Packages/);
  });
});

describe('DebianArchive network failures', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise((r) => server!.close(r));
      server = undefined;
    }
  });

  async function freePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { port } = s.address() as AddressInfo;
    await new Promise((r) => s.close(r));
    return port;
  }

  it('gives one clear message when the mirror refuses connections', async () => {
    const mirror = `http://127.0.0.1:${await freePort()}/debian`;
    const archive = new DebianArchive({ mirror, securityMirror: null, env: {} });
    const error = await archive.loadIndexes().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DebianArchiveError);
    expect((error as DebianArchiveError).code).toBe('network');
    expect((error as Error).message).toBe(
      `cannot reach the Debian archive at ${mirror} (ECONNREFUSED). Popek needs it once to build the default guest; check your network or pass --kernel/--initrd with your own files.`,
    );
  });

  it('names the DNS failure for an unknown host', async () => {
    const archive = new DebianArchive({ mirror: 'http://popek-no-such-host.invalid/debian', securityMirror: null, env: {} });
    await expect(archive.loadIndexes()).rejects.toThrow(
      /^cannot reach the Debian archive at http:\/\/popek-no-such-host\.invalid\/debian \((ENOTFOUND|EAI_AGAIN)\)\. Popek needs it once/,
    );
  });

  it('times out a stalled download', async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      // ...and never finishes.
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const archive = new DebianArchive({ mirror: `http://127.0.0.1:${port}/debian`, securityMirror: null, env: {}, idleTimeoutMs: 300 });
    await expect(archive.loadIndexes()).rejects.toThrow(/cannot reach the Debian archive at .* \(timed out\)/);
  });

  it('rejects mirror URLs that are not http(s)', () => {
    expect(() => new DebianArchive({ mirror: 'ftp://example.org/debian', env: {} })).toThrow(/must start with http/);
  });
});

describe('defaultDebianSources', () => {
  it('uses deb.debian.org by default', () => {
    expect(defaultDebianSources({ env: {} })).toEqual([
      { mirror: DEFAULT_DEBIAN_MIRROR, suite: 'bookworm' },
      { mirror: DEFAULT_DEBIAN_SECURITY_MIRROR, suite: 'bookworm-security' },
    ]);
  });

  it('honours POPEK_DEBIAN_MIRROR and POPEK_DEBIAN_SECURITY_MIRROR, options first', () => {
    const env = { POPEK_DEBIAN_MIRROR: 'http://mirror.example/debian/', POPEK_DEBIAN_SECURITY_MIRROR: 'none' };
    expect(defaultDebianSources({ env })).toEqual([{ mirror: 'http://mirror.example/debian', suite: 'bookworm' }]);
    expect(defaultDebianSources({ env, mirror: 'https://other/debian', securityMirror: 'https://sec/debian-security' })).toEqual([
      { mirror: 'https://other/debian', suite: 'bookworm' },
      { mirror: 'https://sec/debian-security', suite: 'bookworm-security' },
    ]);
  });
});

describe('indexPackages', () => {
  it('groups raw entries by package name', () => {
    const index = indexPackages('Package: a\nVersion: 1\n\nPackage: b\nVersion: 1\n\nPackage: a\nVersion: 2\n');
    expect([...index.keys()]).toEqual(['a', 'b']);
    expect(index.get('a')).toHaveLength(2);
  });
});
