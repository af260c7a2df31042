// SeaBIOS ROMs from Debian's `seabios` package, downloaded once with Popek's own Debian archive
// client (@popek/cli: Packages index, SHA-256 check against it, ar/tar/xz unpacking) and cached.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DebianArchive, extractDebFiles, writeFileAtomic } from '@popek/cli';

/** The ROMs bench:compare uses, by their name in /usr/share/seabios of the package. */
export const SEABIOS_ROMS = ['bios-256k.bin', 'bios.bin', 'vgabios-stdvga.bin'];

const MANIFEST = 'manifest.json';

function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

async function readCached(dir) {
  let manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest?.format !== 1 || typeof manifest.files !== 'object') return undefined;
  for (const name of SEABIOS_ROMS) {
    const expected = manifest.files[name];
    if (typeof expected !== 'string') return undefined;
    try {
      if (sha256(await readFile(join(dir, name))) !== expected) return undefined;
    } catch {
      return undefined;
    }
  }
  return manifest;
}

/**
 * Returns the cached SeaBIOS ROMs, downloading Debian's `seabios` package first when the cache
 * is missing or damaged.
 *
 * @param {object} options
 * @param {string} options.cacheDir - e.g. ~/.cache/popek/bench/seabios
 * @param {string} [options.release] - the Debian release (default bookworm, the guest's)
 * @param {string} [options.mirror] - Debian mirror (default: the archive client's default)
 * @param {(line: string) => void} [options.onProgress]
 * @returns {Promise<{dir: string, package: string, version: string, debSha256: string, roms: Record<string, string>}>}
 *   `roms` maps each name of {@link SEABIOS_ROMS} to its path
 */
export async function ensureSeabios({ cacheDir, release = 'bookworm', mirror, onProgress = () => {} }) {
  let manifest = await readCached(cacheDir);
  if (manifest === undefined) {
    onProgress(`downloading Debian ${release}'s seabios package into ${cacheDir}`);
    // The seabios package lives in the main suite; the security suite is not needed.
    const archive = new DebianArchive({ release, securityMirror: null, ...(mirror !== undefined ? { mirror } : {}) });
    const pkg = await archive.resolve('seabios');
    const deb = await archive.download(pkg);
    const wanted = new Set(SEABIOS_ROMS.map((name) => `usr/share/seabios/${name}`));
    const found = await extractDebFiles(deb, (path) => wanted.has(path), wanted.size);
    const files = {};
    for (const file of found) {
      const name = file.header.path.slice(file.header.path.lastIndexOf('/') + 1);
      await writeFileAtomic(join(cacheDir, name), file.data);
      files[name] = sha256(file.data);
    }
    const missing = SEABIOS_ROMS.filter((name) => files[name] === undefined);
    if (missing.length > 0) {
      throw new Error(`Debian's seabios ${pkg.version} does not contain ${missing.map((n) => `/usr/share/seabios/${n}`).join(', ')}`);
    }
    manifest = {
      format: 1,
      package: pkg.name,
      version: pkg.version,
      suite: pkg.source.suite,
      url: `${pkg.source.mirror}/${pkg.filename}`,
      debSha256: pkg.sha256,
      indexVerified: pkg.indexVerified,
      files,
    };
    await writeFileAtomic(join(cacheDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    onProgress(`seabios ${pkg.version} cached`);
  }
  return {
    dir: cacheDir,
    package: manifest.package,
    version: manifest.version,
    debSha256: manifest.debSha256,
    roms: Object.fromEntries(SEABIOS_ROMS.map((name) => [name, join(cacheDir, name)])),
  };
}
