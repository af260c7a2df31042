/**
 * Network integration test: builds the real default guest from the Debian archive (about 55 MB
 * of downloads). Set POPEK_SKIP_NETWORK_TESTS=1 to skip it on a machine without network access.
 * POPEK_DEBIAN_MIRROR and POPEK_DEBIAN_SECURITY_MIRROR are honoured.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CpioFileType, cpioFileType, parseCpioNewc } from './cpio-newc.js';
import { buildDefaultGuest, type DefaultGuest, type GuestBuildProgress } from './guest-builder.js';

const skip = process.env['POPEK_SKIP_NETWORK_TESTS'] === '1';

describe.skipIf(skip)('buildDefaultGuest from the Debian archive (network; POPEK_SKIP_NETWORK_TESTS=1 skips)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'popek-guest-int-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let guest: DefaultGuest | undefined;

  it('builds a bootable kernel and busybox initramfs', async () => {
    const warnings: string[] = [];
    const t0 = performance.now();
    guest = await buildDefaultGuest({
      cacheDir: dir,
      onProgress: (p: GuestBuildProgress) => {
        if (p.phase === 'warning') warnings.push(p.message);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `default guest built in ${seconds.toFixed(1)} s: ${guest.kernelPackage} ${guest.kernelVersion} (${guest.kernelRelease}), busybox-static ${guest.busyboxVersion}`,
    );
    for (const w of warnings) console.log(`warning: ${w}`);
    expect(guest.fromCache).toBe(false);
    expect(guest.kernelPackage).toMatch(/^linux-image-6\.1\.0-[0-9]+-686$/);
    expect(guest.kernelRelease).toBe(guest.kernelPackage.replace(/^linux-image-/, ''));

    const kernel = readFileSync(guest.kernelPath);
    expect(kernel.length).toBeGreaterThan(1_000_000);
    expect(kernel.toString('latin1', 0x202, 0x206)).toBe('HdrS');
    expect(kernel[0x1fe]).toBe(0x55);
    expect(kernel[0x1ff]).toBe(0xaa);

    const entries = parseCpioNewc(new Uint8Array(gunzipSync(readFileSync(guest.initrdPath))));
    const byPath = new Map(entries.map((e) => [e.path, e]));
    const init = byPath.get('init');
    expect(init).toBeDefined();
    expect(init!.mode & 0o111).not.toBe(0);
    const busybox = byPath.get('bin/busybox')!;
    expect(busybox.data.length).toBeGreaterThan(1_000_000);
    expect(Buffer.from(busybox.data.subarray(0, 4)).toString('latin1')).toBe('\x7fELF');
    const console_ = byPath.get('dev/console')!;
    expect(cpioFileType(console_.mode)).toBe(CpioFileType.characterDevice);
    expect([console_.rdevMajor, console_.rdevMinor]).toEqual([5, 1]);
  });

  it('serves the second build from the cache without touching the network', async () => {
    expect(guest).toBeDefined();
    let fetches = 0;
    const again = await buildDefaultGuest({
      cacheDir: dir,
      fetch: () => {
        fetches++;
        return Promise.reject(new Error('no network expected'));
      },
    });
    expect(again.fromCache).toBe(true);
    expect(again.kernelVersion).toBe(guest!.kernelVersion);
    expect(fetches).toBe(0);
  });
});
