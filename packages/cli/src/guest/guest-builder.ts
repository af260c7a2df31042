import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from './atomic-file.js';
import { buildBusyboxInitramfs } from './busybox-initramfs.js';
import { DebianArchive, type DebianPackage, type DownloadProgress } from './debian-archive.js';
import { extractDebFiles } from './deb-package.js';
import { GuestImageError } from './guest-error.js';

/** Name of the default guest, also its cache directory's name. */
export const DEFAULT_GUEST_NAME = 'debian-bookworm-i386';

/** A step of {@link buildDefaultGuest}, for a progress display. */
export interface GuestBuildProgress {
  /**
   * `cached`: the cache was complete, nothing is downloaded; `index`: downloading package lists;
   * `download`: downloading a package; `extract`: unpacking; `initramfs`: building the initrd;
   * `done`: the guest is ready; `warning`: something is off but not fatal (an out-of-sync mirror).
   */
  readonly phase: 'cached' | 'index' | 'download' | 'extract' | 'initramfs' | 'done' | 'warning';
  /** A one-line human-readable description. */
  readonly message: string;
  /** Bytes done, for downloads. */
  readonly done?: number;
  /** Bytes expected, for downloads when known. */
  readonly total?: number;
}

/** Options of {@link buildDefaultGuest}. */
export interface BuildDefaultGuestOptions {
  /** Where to keep the guest (default {@link defaultGuestCacheDir}). */
  readonly cacheDir?: string;
  /** Debian mirror base URL (default `$POPEK_DEBIAN_MIRROR` or `http://deb.debian.org/debian`). */
  readonly mirror?: string;
  /**
   * Debian security mirror base URL, or `null` to use the main suite only (default
   * `$POPEK_DEBIAN_SECURITY_MIRROR` or `http://deb.debian.org/debian-security`).
   */
  readonly securityMirror?: string | null;
  /** Called as the build progresses. */
  readonly onProgress?: (progress: GuestBuildProgress) => void;
  /** Rebuild from the archive even if the cache is complete (picks up newer packages). */
  readonly refresh?: boolean;
  /** The `fetch` implementation (default: the global one). */
  readonly fetch?: typeof fetch;
  /** Environment for the `POPEK_*` variables and the home directory (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A ready-to-boot guest: kernel and initrd on disk, and what they were built from. */
export interface DefaultGuest {
  /** Path of the kernel (a bzImage). */
  readonly kernelPath: string;
  /** Path of the gzip-compressed newc initramfs. */
  readonly initrdPath: string;
  /** Debian version of the kernel image package, e.g. `6.1.190-1`. */
  readonly kernelVersion: string;
  /** The kernel release (`uname -r`), e.g. `6.1.0-54-686`. */
  readonly kernelRelease: string;
  /** The kernel image package, e.g. `linux-image-6.1.0-54-686`. */
  readonly kernelPackage: string;
  /** Debian version of busybox-static, e.g. `1:1.35.0-4+deb12u1+b1`. */
  readonly busyboxVersion: string;
  /** Path of the manifest describing the cache. */
  readonly manifestPath: string;
  /** True if everything came from the cache and nothing was downloaded. */
  readonly fromCache: boolean;
}

interface CachedFile {
  readonly file: string;
  readonly sha256: string;
  readonly size: number;
}

/** The cache manifest (`manifest.json`). */
interface GuestManifest {
  readonly format: 1;
  readonly guest: string;
  readonly createdAt: string;
  readonly sources: ReadonlyArray<{ readonly mirror: string; readonly suite: string }>;
  readonly kernel: CachedFile & {
    readonly metapackage: string;
    readonly metapackageVersion: string;
    readonly package: string;
    readonly version: string;
    readonly suite: string;
    readonly debSha256: string;
    readonly indexVerified: boolean;
    readonly release: string;
  };
  readonly busybox: {
    readonly package: string;
    readonly version: string;
    readonly suite: string;
    readonly debSha256: string;
    readonly indexVerified: boolean;
    readonly binarySha256: string;
  };
  readonly initrd: CachedFile;
}

const MANIFEST = 'manifest.json';
const KERNEL_FILE = 'vmlinuz';
const INITRD_FILE = 'initrd.cpio.gz';

/**
 * The default cache directory of the default guest: `$POPEK_CACHE_DIR/guests/debian-bookworm-i386`
 * if `POPEK_CACHE_DIR` is set, else `$XDG_CACHE_HOME/popek/guests/...`, else
 * `~/.cache/popek/guests/debian-bookworm-i386`.
 */
export function defaultGuestCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const popek = env['POPEK_CACHE_DIR']?.trim();
  if (popek) return join(popek, 'guests', DEFAULT_GUEST_NAME);
  const xdg = env['XDG_CACHE_HOME']?.trim();
  const base = xdg ? xdg : join(env['HOME']?.trim() || homedir(), '.cache');
  return join(base, 'popek', 'guests', DEFAULT_GUEST_NAME);
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function fileMatches(path: string, expected: CachedFile): Promise<boolean> {
  try {
    const data = await readFile(path);
    return data.length === expected.size && sha256(data) === expected.sha256;
  } catch {
    return false;
  }
}

/** Reads the manifest and checks that every file it names is present and intact. */
async function readCompleteCache(cacheDir: string): Promise<GuestManifest | undefined> {
  let manifest: GuestManifest;
  try {
    manifest = JSON.parse(await readFile(join(cacheDir, MANIFEST), 'utf8')) as GuestManifest;
  } catch {
    return undefined;
  }
  if (manifest?.format !== 1 || manifest.guest !== DEFAULT_GUEST_NAME || !manifest.kernel || !manifest.initrd) return undefined;
  if (manifest.kernel.file !== KERNEL_FILE || manifest.initrd.file !== INITRD_FILE) return undefined;
  if (!(await fileMatches(join(cacheDir, KERNEL_FILE), manifest.kernel))) return undefined;
  if (!(await fileMatches(join(cacheDir, INITRD_FILE), manifest.initrd))) return undefined;
  return manifest;
}

function result(cacheDir: string, manifest: GuestManifest, fromCache: boolean): DefaultGuest {
  return {
    kernelPath: join(cacheDir, KERNEL_FILE),
    initrdPath: join(cacheDir, INITRD_FILE),
    kernelVersion: manifest.kernel.version,
    kernelRelease: manifest.kernel.release,
    kernelPackage: manifest.kernel.package,
    busyboxVersion: manifest.busybox.version,
    manifestPath: join(cacheDir, MANIFEST),
    fromCache,
  };
}

/** Checks for the Linux x86 boot protocol header: "HdrS" at 0x202. */
function isBzImage(kernel: Uint8Array): boolean {
  return (
    kernel.length > 0x206 &&
    kernel[0x202] === 0x48 &&
    kernel[0x203] === 0x64 &&
    kernel[0x204] === 0x72 &&
    kernel[0x205] === 0x53
  );
}

/** Checks for a 32-bit little-endian x86 ELF executable. */
function isI386Elf(binary: Uint8Array): boolean {
  return (
    binary.length > 20 &&
    binary[0] === 0x7f &&
    binary[1] === 0x45 &&
    binary[2] === 0x4c &&
    binary[3] === 0x46 &&
    binary[4] === 1 && // ELFCLASS32
    binary[5] === 1 && // little-endian
    binary[18] === 3 && // EM_386
    binary[19] === 0
  );
}

async function saveFile(cacheDir: string, name: string, data: Uint8Array, mode?: number): Promise<void> {
  try {
    await writeFileAtomic(join(cacheDir, name), data, mode);
  } catch (e) {
    const code = (e as { code?: string }).code ?? (e as Error).message;
    throw new GuestImageError(
      'io',
      `cannot write the guest cache at ${cacheDir} (${code}); set POPEK_CACHE_DIR to a writable directory.`,
      { cause: e },
    );
  }
}

/**
 * Builds (or finds in the cache) Popek's default guest: Debian bookworm's stock i386 kernel
 * (`linux-image-686`, resolved to the concrete `linux-image-6.1.0-N-686` with the highest version
 * across bookworm and bookworm-security) and an initramfs around Debian's `busybox-static`.
 *
 * Downloads the package indexes and the two `.deb` files (about 55 MB) over HTTP, verifies them
 * against the archive's SHA-256 sums, unpacks them without any external tool (ar, tar, xz in
 * TypeScript; the kernel's data archive is decoded only up to `/boot/vmlinuz-*`), builds the
 * initramfs (see {@link buildBusyboxInitramfs}) and writes `vmlinuz`, `initrd.cpio.gz` and
 * `manifest.json` atomically into the cache directory. When the cache is complete and intact
 * (every file matching the manifest's SHA-256), nothing is downloaded.
 *
 * @throws {@link GuestImageError} with a message for the user on any failure (network, integrity,
 *   format, cache I/O)
 */
export async function buildDefaultGuest(options: BuildDefaultGuestOptions = {}): Promise<DefaultGuest> {
  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? defaultGuestCacheDir(env);
  const report = options.onProgress ?? ((): void => undefined);

  if (!options.refresh) {
    const cached = await readCompleteCache(cacheDir);
    if (cached !== undefined) {
      report({ phase: 'cached', message: `using the cached guest in ${cacheDir}` });
      return result(cacheDir, cached, true);
    }
  }

  const archive = new DebianArchive({
    ...(options.mirror !== undefined ? { mirror: options.mirror } : {}),
    ...(options.securityMirror !== undefined ? { securityMirror: options.securityMirror } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
    env,
    onWarning: (message: string) => report({ phase: 'warning', message }),
    architecture: 'i386',
    release: 'bookworm',
    onProgress: (p: DownloadProgress) =>
      report({
        phase: p.label.endsWith('.deb') ? 'download' : 'index',
        message: `downloading ${p.label}`,
        done: p.done,
        ...(p.total !== undefined ? { total: p.total } : {}),
      }),
  });

  await archive.loadIndexes();
  const { meta, image } = await archive.resolveKernel('linux-image-686');
  const busyboxPkg = await archive.resolve('busybox-static');
  const [kernelDeb, busyboxDeb] = await Promise.all([archive.download(image), archive.download(busyboxPkg)]);

  report({ phase: 'extract', message: `extracting /boot/vmlinuz-* from ${image.name} ${image.version}` });
  const [kernelFile] = await extractDebFiles(kernelDeb, (path) => /^boot\/vmlinuz-[^/]+$/.test(path));
  if (kernelFile === undefined) {
    throw new GuestImageError('not-found', `${image.name} ${image.version} contains no /boot/vmlinuz-* file`);
  }
  if (!isBzImage(kernelFile.data)) {
    throw new GuestImageError('format', `${kernelFile.header.path} in ${image.name} is not a bzImage (no "HdrS" at 0x202)`);
  }
  const kernelRelease = kernelFile.header.path.replace(/^.*\/vmlinuz-/, '');

  report({ phase: 'extract', message: `extracting /bin/busybox from ${busyboxPkg.name} ${busyboxPkg.version}` });
  const [busyboxFile] = await extractDebFiles(busyboxDeb, (path) => path === 'bin/busybox');
  if (busyboxFile === undefined) {
    throw new GuestImageError('not-found', `${busyboxPkg.name} ${busyboxPkg.version} contains no /bin/busybox`);
  }
  if (!isI386Elf(busyboxFile.data)) {
    throw new GuestImageError('format', `/bin/busybox in ${busyboxPkg.name} is not a 32-bit x86 ELF executable`);
  }

  report({ phase: 'initramfs', message: 'building the busybox initramfs' });
  const cpio = buildBusyboxInitramfs(busyboxFile.data, {
    banner: `Popek guest: Debian bookworm i386, ${image.name} ${image.version}, busybox-static ${busyboxPkg.version}`,
  });
  const initrd = new Uint8Array(gzipSync(cpio, { level: 9 }));

  const manifest: GuestManifest = {
    format: 1,
    guest: DEFAULT_GUEST_NAME,
    createdAt: new Date().toISOString(),
    sources: archive.sources.map((s) => ({ mirror: s.mirror, suite: s.suite })),
    kernel: {
      metapackage: meta.name,
      metapackageVersion: meta.version,
      package: image.name,
      version: image.version,
      suite: image.source.suite,
      debSha256: image.sha256,
      indexVerified: image.indexVerified,
      release: kernelRelease,
      file: KERNEL_FILE,
      sha256: sha256(kernelFile.data),
      size: kernelFile.data.length,
    },
    busybox: packageRecord(busyboxPkg, sha256(busyboxFile.data)),
    initrd: { file: INITRD_FILE, sha256: sha256(initrd), size: initrd.length },
  };
  await saveFile(cacheDir, KERNEL_FILE, kernelFile.data);
  await saveFile(cacheDir, INITRD_FILE, initrd);
  // The manifest goes last: a cache is complete only once it names files that all match.
  await saveFile(cacheDir, MANIFEST, new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
  report({ phase: 'done', message: `guest ready in ${cacheDir}` });
  return result(cacheDir, manifest, false);
}

function packageRecord(pkg: DebianPackage, binarySha256: string): GuestManifest['busybox'] {
  return {
    package: pkg.name,
    version: pkg.version,
    suite: pkg.source.suite,
    debSha256: pkg.sha256,
    indexVerified: pkg.indexVerified,
    binarySha256,
  };
}
