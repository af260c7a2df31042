import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CpioFileType, parseCpioNewc } from './cpio-newc.js';
import { GuestImageError } from './guest-error.js';
import { buildDefaultGuest, defaultGuestCacheDir, type GuestBuildProgress } from './guest-builder.js';
import { buildDeb, pseudoRandomBytes, startFakeDebianArchive, type FakeDebianArchive, type TarFixtureEntry } from './test-fixtures.js';

function fakeBzImage(): Uint8Array {
  const k = pseudoRandomBytes(70_000, 42);
  k.set(new TextEncoder().encode('HdrS'), 0x202);
  return k;
}

function fakeBusybox(): Uint8Array {
  const b = pseudoRandomBytes(30_000, 43);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  b[18] = 3;
  b[19] = 0;
  return b;
}

const KERNEL = fakeBzImage();
const BUSYBOX = fakeBusybox();

function kernelDeb(vmlinuz: Uint8Array | null = KERNEL): Uint8Array {
  const entries: TarFixtureEntry[] = [
    { path: './', type: '5' },
    { path: './boot/', type: '5' },
    { path: './boot/System.map-6.1.0-99-686', data: 'ffffffff T _text\n' },
    ...(vmlinuz !== null ? [{ path: './boot/vmlinuz-6.1.0-99-686', data: vmlinuz }] : []),
    { path: './lib/modules/6.1.0-99-686/', type: '5' },
    ...Array.from({ length: 30 }, (_, i) => ({ path: `./lib/modules/6.1.0-99-686/m${i}.ko`, data: pseudoRandomBytes(5000, i + 100) })),
  ];
  return buildDeb(entries);
}

function busyboxDeb(): Uint8Array {
  return buildDeb([
    { path: './', type: '5' },
    { path: './bin/', type: '5' },
    { path: './bin/busybox', data: BUSYBOX, mode: 0o755 },
    { path: './usr/share/doc/busybox-static/copyright', data: 'GPL-2\n' },
  ]);
}

async function fakeArchive(kernel = kernelDeb()): Promise<FakeDebianArchive> {
  return startFakeDebianArchive([
    {
      prefix: '/debian',
      suite: 'bookworm',
      packages: [
        { name: 'linux-image-686', version: '6.1.99-1', deb: new Uint8Array(10), depends: 'linux-image-6.1.0-99-686 (= 6.1.99-1)' },
        { name: 'linux-image-6.1.0-99-686', version: '6.1.99-1', deb: kernel },
        { name: 'busybox-static', version: '1:1.35.0-4+deb12u1+b1', deb: busyboxDeb() },
      ],
    },
  ]);
}

describe('buildDefaultGuest (local mirror)', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  async function setup(kernel?: Uint8Array): Promise<{ fake: FakeDebianArchive; cacheDir: string }> {
    const fake = await fakeArchive(kernel);
    const dir = mkdtempSync(join(tmpdir(), 'popek-guest-'));
    cleanup.push(() => fake.close(), () => rmSync(dir, { recursive: true, force: true }));
    return { fake, cacheDir: join(dir, 'cache') };
  }

  it('builds the kernel and initramfs, then serves them from the cache without any download', async () => {
    const { fake, cacheDir } = await setup();
    const events: GuestBuildProgress[] = [];
    const options = { cacheDir, mirror: `${fake.url}/debian`, securityMirror: null, env: {}, onProgress: (p: GuestBuildProgress) => events.push(p) };
    const guest = await buildDefaultGuest(options);
    expect(guest).toMatchObject({
      kernelPath: join(cacheDir, 'vmlinuz'),
      initrdPath: join(cacheDir, 'initrd.cpio.gz'),
      kernelVersion: '6.1.99-1',
      kernelRelease: '6.1.0-99-686',
      kernelPackage: 'linux-image-6.1.0-99-686',
      busyboxVersion: '1:1.35.0-4+deb12u1+b1',
      fromCache: false,
    });
    expect(new Uint8Array(readFileSync(guest.kernelPath))).toEqual(KERNEL);
    const cpio = parseCpioNewc(new Uint8Array(gunzipSync(readFileSync(guest.initrdPath))));
    const byPath = new Map(cpio.map((e) => [e.path, e]));
    expect(byPath.get('bin/busybox')!.data).toEqual(BUSYBOX);
    expect(byPath.get('init')!.mode).toBe(CpioFileType.file | 0o755);
    expect(byPath.get('dev/console')).toMatchObject({ rdevMajor: 5, rdevMinor: 1 });
    const manifest = JSON.parse(readFileSync(guest.manifestPath, 'utf8'));
    expect(manifest).toMatchObject({
      format: 1,
      kernel: { package: 'linux-image-6.1.0-99-686', version: '6.1.99-1', metapackage: 'linux-image-686', release: '6.1.0-99-686' },
      busybox: { package: 'busybox-static', version: '1:1.35.0-4+deb12u1+b1' },
    });
    expect(readdirSync(cacheDir).sort()).toEqual(['initrd.cpio.gz', 'manifest.json', 'vmlinuz']);
    expect(events.map((e) => e.phase)).toEqual(expect.arrayContaining(['index', 'download', 'extract', 'initramfs', 'done']));

    const requestsBefore = fake.requests.length;
    let fetches = 0;
    const counting: typeof fetch = (...args) => {
      fetches++;
      return fetch(...args);
    };
    const again = await buildDefaultGuest({ ...options, fetch: counting });
    expect(again.fromCache).toBe(true);
    expect(again.kernelVersion).toBe('6.1.99-1');
    expect(fetches).toBe(0);
    expect(fake.requests.length).toBe(requestsBefore);
  });

  it('rebuilds when a cached file is damaged, or when asked to refresh', async () => {
    const { fake, cacheDir } = await setup();
    const options = { cacheDir, mirror: `${fake.url}/debian`, securityMirror: null, env: {} };
    await buildDefaultGuest(options);
    writeFileSync(join(cacheDir, 'vmlinuz'), 'truncated');
    const rebuilt = await buildDefaultGuest(options);
    expect(rebuilt.fromCache).toBe(false);
    expect(new Uint8Array(readFileSync(rebuilt.kernelPath))).toEqual(KERNEL);
    expect((await buildDefaultGuest(options)).fromCache).toBe(true);
    expect((await buildDefaultGuest({ ...options, refresh: true })).fromCache).toBe(false);
  });

  it('fails clearly when the kernel package has no bzImage', async () => {
    const noKernel = await setup(kernelDeb(null));
    await expect(
      buildDefaultGuest({ cacheDir: noKernel.cacheDir, mirror: `${noKernel.fake.url}/debian`, securityMirror: null, env: {} }),
    ).rejects.toThrow(/linux-image-6.1.0-99-686 6.1.99-1 contains no \/boot\/vmlinuz-\* file/);
    const notBz = await setup(kernelDeb(new Uint8Array(1000)));
    await expect(
      buildDefaultGuest({ cacheDir: notBz.cacheDir, mirror: `${notBz.fake.url}/debian`, securityMirror: null, env: {} }),
    ).rejects.toThrow(/is not a bzImage/);
  });

  it('reports an unwritable cache directory', async () => {
    const { fake, cacheDir } = await setup();
    writeFileSync(cacheDir, 'a file where the directory should be');
    const error = await buildDefaultGuest({ cacheDir, mirror: `${fake.url}/debian`, securityMirror: null, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuestImageError);
    expect((error as GuestImageError).code).toBe('io');
    expect((error as Error).message).toMatch(/cannot write the guest cache at .* set POPEK_CACHE_DIR/);
  });

  it('passes on the archive’s network error message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'popek-guest-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const mirror = `http://127.0.0.1:${port}/debian`;
    const error = await buildDefaultGuest({ cacheDir: dir, env: { POPEK_DEBIAN_MIRROR: mirror, POPEK_DEBIAN_SECURITY_MIRROR: 'none' } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GuestImageError);
    expect((error as Error).message).toBe(
      `cannot reach the Debian archive at ${mirror} (ECONNREFUSED). Popek needs it once to build the default guest; check your network or pass --kernel/--initrd with your own files.`,
    );
  });
});

describe('defaultGuestCacheDir', () => {
  it('prefers POPEK_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(defaultGuestCacheDir({ POPEK_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/c/guests/debian-bookworm-i386');
    expect(defaultGuestCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/popek/guests/debian-bookworm-i386');
    expect(defaultGuestCacheDir({ HOME: '/h' })).toBe('/h/.cache/popek/guests/debian-bookworm-i386');
  });
});
