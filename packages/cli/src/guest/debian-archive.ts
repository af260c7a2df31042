import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { controlField, parseControlStanzas, parseRelationField, type ControlStanza, type DebianDependency } from './debian-control.js';
import { compareDebianVersions, satisfiesRelation } from './debian-version.js';
import { GuestImageError, type GuestImageErrorCode } from './guest-error.js';
import { xzDecompress } from './xz-decoder.js';

/** The default Debian mirror. */
export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/** The default Debian security mirror. */
export const DEFAULT_DEBIAN_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';

/** A failure to talk to the Debian archive or to trust what it sent. */
export class DebianArchiveError extends GuestImageError {
  /**
   * @param code - the category (`network`, `integrity`, `not-found`, `format`)
   * @param message - a complete, actionable message
   * @param options - the underlying cause
   */
  constructor(code: GuestImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** One suite of one archive to search for packages. */
export interface DebianSuiteSource {
  /** The archive's base URL, e.g. `http://deb.debian.org/debian` (http or https). */
  readonly mirror: string;
  /** The suite (codename), e.g. `bookworm` or `bookworm-security`. */
  readonly suite: string;
  /** The component (default `main`). */
  readonly component?: string;
}

/** Progress of one download. */
export interface DownloadProgress {
  /** What is being downloaded, for display (`Packages index of bookworm`, `linux-image-...deb`). */
  readonly label: string;
  /** The URL. */
  readonly url: string;
  /** Bytes received so far. */
  readonly done: number;
  /** Expected size, when known. */
  readonly total: number | undefined;
}

/** Options of {@link DebianArchive}. */
export interface DebianArchiveOptions {
  /**
   * Base URL of the main archive. Default: `$POPEK_DEBIAN_MIRROR`, else {@link DEFAULT_DEBIAN_MIRROR}.
   */
  readonly mirror?: string;
  /**
   * Base URL of the security archive, or `null` to leave the security suite out. Default:
   * `$POPEK_DEBIAN_SECURITY_MIRROR` (`none` leaves it out), else {@link DEFAULT_DEBIAN_SECURITY_MIRROR}.
   */
  readonly securityMirror?: string | null;
  /** The release codename (default `bookworm`). */
  readonly release?: string;
  /** Replaces the suites derived from the options above. */
  readonly sources?: readonly DebianSuiteSource[];
  /** Debian architecture (default `i386`). */
  readonly architecture?: string;
  /** Called as downloads progress. */
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Called with a message when something is off but not fatal (an out-of-sync mirror). */
  readonly onWarning?: (message: string) => void;
  /** Abort a download when no data arrives for this long (default 30 s). */
  readonly idleTimeoutMs?: number;
  /** The `fetch` implementation (default: the global one). */
  readonly fetch?: typeof fetch;
  /** Environment to read `POPEK_DEBIAN_MIRROR`/`POPEK_DEBIAN_SECURITY_MIRROR` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A binary package as listed in a `Packages` index. */
export interface DebianPackage {
  /** Package name. */
  readonly name: string;
  /** Version. */
  readonly version: string;
  /** Architecture (`i386` or `all`). */
  readonly architecture: string;
  /** Path of the `.deb` relative to the mirror (`pool/main/...`). */
  readonly filename: string;
  /** Size of the `.deb` in bytes. */
  readonly size: number;
  /** SHA-256 of the `.deb`, lower-case hexadecimal. */
  readonly sha256: string;
  /** The suite the package was found in. */
  readonly source: DebianSuiteSource;
  /** Whether the index listing this package matched the suite's Release file. */
  readonly indexVerified: boolean;
  /** The full index entry. */
  readonly stanza: ControlStanza;
}

/**
 * The suites searched by default: `<release>` from the main mirror and `<release>-security` from
 * the security mirror, honouring `POPEK_DEBIAN_MIRROR` and `POPEK_DEBIAN_SECURITY_MIRROR`.
 */
export function defaultDebianSources(options: DebianArchiveOptions = {}): DebianSuiteSource[] {
  if (options.sources !== undefined) return [...options.sources];
  const env = options.env ?? process.env;
  const release = options.release ?? 'bookworm';
  const mirror = trimSlash(options.mirror ?? nonEmpty(env['POPEK_DEBIAN_MIRROR']) ?? DEFAULT_DEBIAN_MIRROR);
  const sources: DebianSuiteSource[] = [{ mirror, suite: release }];
  let security: string | null =
    options.securityMirror !== undefined
      ? options.securityMirror
      : (nonEmpty(env['POPEK_DEBIAN_SECURITY_MIRROR']) ?? DEFAULT_DEBIAN_SECURITY_MIRROR);
  if (security !== null && security.toLowerCase() === 'none') security = null;
  if (security !== null) sources.push({ mirror: trimSlash(security), suite: `${release}-security` });
  return sources;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

class IdleTimeout extends Error {}

function networkReason(e: unknown): string {
  if (e instanceof IdleTimeout) return 'timed out';
  const err = e as { name?: string; code?: string; message?: string; cause?: unknown } | undefined;
  const cause = err?.cause as { code?: string; errors?: Array<{ code?: string }>; message?: string } | undefined;
  return (
    cause?.code ??
    cause?.errors?.find((x) => x.code !== undefined)?.code ??
    err?.code ??
    cause?.message ??
    err?.message ??
    String(e)
  );
}

function unreachable(mirror: string, e: unknown): DebianArchiveError {
  return new DebianArchiveError(
    'network',
    `cannot reach the Debian archive at ${mirror} (${networkReason(e)}). Popek needs it once to build the default guest; check your network or pass --kernel/--initrd with your own files.`,
    { cause: e },
  );
}

interface ReleaseEntry {
  readonly sha256: string;
  readonly size: number;
}

interface GetOptions {
  /** Expected size, for progress. */
  readonly total?: number;
  /** Abort with an integrity error past this many bytes. */
  readonly limit?: number;
  /** Return `null` instead of throwing on HTTP 404. */
  readonly allowNotFound?: boolean;
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function decodeIndex(data: Uint8Array, ext: string, url: string): string {
  let raw: Uint8Array;
  try {
    raw = ext === '.gz' ? gunzipSync(data) : ext === '.xz' ? xzDecompress(data) : data;
  } catch (e) {
    if (e instanceof GuestImageError) throw e;
    throw new DebianArchiveError('format', `cannot decompress ${url}: ${(e as Error).message}`, { cause: e });
  }
  return new TextDecoder().decode(raw);
}

interface LoadedSuite {
  readonly source: DebianSuiteSource;
  readonly indexVerified: boolean;
  /** Package name → raw stanza texts. */
  readonly stanzas: Map<string, string[]>;
}

/** A kernel metapackage and the image package it depends on. */
export interface ResolvedKernel {
  /** The metapackage (`linux-image-686`). */
  readonly meta: DebianPackage;
  /** The concrete image package (`linux-image-6.1.0-54-686`). */
  readonly image: DebianPackage;
}

/**
 * A client for a Debian archive (`http://deb.debian.org/debian` and the security archive by
 * default): downloads each suite's `Release` file and `Packages` index, resolves packages to
 * the highest version across suites, follows metapackages, and downloads `.deb` files verified
 * against the SHA-256 the index lists. The index is fetched by hash when the suite supports it and
 * checked against the `Release` file; an index that does not match (a mirror caught mid-update or
 * behind a stale cache) is used with a warning. The `Release` file's OpenPGP signature is not
 * checked: use an https mirror if the network path is not trusted.
 *
 * Every failure is a {@link DebianArchiveError} with a message meant for the user.
 */
export class DebianArchive {
  /** The suites searched, in order of preference for equal versions. */
  readonly sources: readonly DebianSuiteSource[];
  /** The Debian architecture. */
  readonly architecture: string;
  private readonly fetchImpl: typeof fetch;
  private readonly onProgress: ((progress: DownloadProgress) => void) | undefined;
  private readonly onWarning: ((message: string) => void) | undefined;
  private readonly idleTimeoutMs: number;
  private suites: Promise<LoadedSuite[]> | undefined;

  /**
   * @param options - mirrors, architecture, progress and transport
   */
  constructor(options: DebianArchiveOptions = {}) {
    this.sources = defaultDebianSources(options);
    if (this.sources.length === 0) throw new DebianArchiveError('not-found', 'no Debian suites to search');
    for (const s of this.sources) {
      if (!/^https?:\/\//i.test(s.mirror)) {
        throw new DebianArchiveError('network', `Debian mirror URL "${s.mirror}" must start with http:// or https://`);
      }
    }
    this.architecture = options.architecture ?? 'i386';
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.onProgress = options.onProgress;
    this.onWarning = options.onWarning;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  }

  /**
   * Downloads a URL into memory, reporting progress, with an idle timeout.
   *
   * @param mirror - the archive the URL belongs to (for error messages)
   * @returns the body, or `null` for a 404 when `allowNotFound` is set
   */
  private async get(mirror: string, url: string, label: string, how: GetOptions = {}): Promise<Uint8Array | null> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new IdleTimeout('idle timeout')), this.idleTimeoutMs);
    };
    arm();
    try {
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          signal: controller.signal,
          headers: { 'user-agent': 'popek-guest-builder' },
        });
      } catch (e) {
        throw unreachable(mirror, controller.signal.aborted ? controller.signal.reason : e);
      }
      if (!response.ok || response.body === null) {
        await response.body?.cancel().catch(() => undefined);
        if (response.status === 404 && how.allowNotFound) return null;
        const hint =
          response.status === 404
            ? ' The mirror may be incomplete or out of date; try again later or choose another mirror with POPEK_DEBIAN_MIRROR.'
            : '';
        throw new DebianArchiveError(
          'network',
          `the Debian archive at ${mirror} answered HTTP ${response.status} ${response.statusText} for ${url}.${hint}`,
        );
      }
      const header = Number(response.headers.get('content-length'));
      const total = how.total ?? (Number.isFinite(header) && header > 0 ? header : undefined);
      const limit = how.limit ?? 1024 * 1024 * 1024;
      const chunks: Uint8Array[] = [];
      let done = 0;
      this.onProgress?.({ label, url, done, total });
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done: finished, value } = await reader.read();
          if (finished) break;
          arm();
          chunks.push(value);
          done += value.length;
          if (done > limit) {
            throw new DebianArchiveError(
              'integrity',
              `${url} is larger than the ${limit} bytes expected; the mirror may be out of sync, try again later.`,
            );
          }
          this.onProgress?.({ label, url, done, total });
        }
      } catch (e) {
        if (e instanceof DebianArchiveError) throw e;
        throw unreachable(mirror, controller.signal.aborted ? controller.signal.reason : e);
      } finally {
        reader.releaseLock();
      }
      const out = new Uint8Array(done);
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    } finally {
      clearTimeout(timer);
      if (!controller.signal.aborted) controller.abort();
    }
  }

  private verify(url: string, data: Uint8Array, sha256: string, size: number): void {
    if (data.length !== size) {
      throw new DebianArchiveError(
        'integrity',
        `${url} is ${data.length} bytes but the archive index lists ${size}; the download was cut short or the mirror is out of sync. Try again.`,
      );
    }
    const actual = sha256Hex(data);
    if (actual !== sha256.toLowerCase()) {
      throw new DebianArchiveError(
        'integrity',
        `${url} does not match the SHA-256 the archive index lists (expected ${sha256}, got ${actual}); the mirror may be out of sync or the download corrupted. Try again or choose another mirror with POPEK_DEBIAN_MIRROR.`,
      );
    }
  }

  private async loadSuite(source: DebianSuiteSource): Promise<LoadedSuite> {
    const component = source.component ?? 'main';
    const base = `${source.mirror}/dists/${source.suite}`;
    const releaseUrl = `${base}/Release`;
    const releaseBytes = await this.get(source.mirror, releaseUrl, `Release file of ${source.suite}`, { limit: 64 << 20 });
    let release: ControlStanza | undefined;
    try {
      release = parseControlStanzas(new TextDecoder().decode(releaseBytes!))[0];
    } catch (e) {
      throw new DebianArchiveError('format', `${releaseUrl} is not a Debian Release file`, { cause: e });
    }
    const hashes = new Map<string, ReleaseEntry>();
    const sums = release === undefined ? undefined : controlField(release, 'SHA256');
    for (const line of sums?.split('\n') ?? []) {
      const parts = line.trim().split(/\s+/);
      if (parts.length === 3 && /^[0-9a-f]{64}$/i.test(parts[0]!) && /^[0-9]+$/.test(parts[1]!)) {
        hashes.set(parts[2]!, { sha256: parts[0]!.toLowerCase(), size: Number(parts[1]) });
      }
    }
    const byHash = release !== undefined && controlField(release, 'Acquire-By-Hash')?.toLowerCase() === 'yes';
    const dir = `${component}/binary-${this.architecture}`;
    const listed = (['.gz', '.xz', ''] as const).filter((ext) => hashes.has(`${dir}/Packages${ext}`));
    if (listed.length === 0) {
      throw new DebianArchiveError(
        'not-found',
        `the Debian archive at ${source.mirror} does not list ${dir}/Packages(.gz|.xz) for ${source.suite} in ${releaseUrl}; is it a Debian mirror with the ${this.architecture} architecture?`,
      );
    }
    const label = `package index of ${source.suite}`;
    let unverified: { data: Uint8Array; ext: string; url: string; expected: ReleaseEntry } | undefined;
    for (const ext of listed) {
      const expected = hashes.get(`${dir}/Packages${ext}`)!;
      const how: GetOptions = { total: expected.size, limit: Math.max(expected.size * 4, 256 << 20), allowNotFound: true };
      // apt's way around a Release file and an index caught mid-update: fetch the index by its hash.
      const urls = [...(byHash ? [`${base}/${dir}/by-hash/SHA256/${expected.sha256}`] : []), `${base}/${dir}/Packages${ext}`];
      for (const url of urls) {
        const data = await this.get(source.mirror, url, label, how);
        if (data === null) continue;
        if (data.length === expected.size && sha256Hex(data) === expected.sha256) {
          return { source, stanzas: indexPackages(decodeIndex(data, ext, url)), indexVerified: true };
        }
        unverified ??= { data, ext, url, expected };
      }
    }
    if (unverified === undefined) {
      throw new DebianArchiveError(
        'not-found',
        `the Debian archive at ${source.mirror} lists ${dir}/Packages for ${source.suite} in its Release file but serves none of ${listed.map((e) => `Packages${e}`).join(', ')} (HTTP 404); the mirror may be mid-update, try again later.`,
      );
    }
    // The index differs from what the Release file lists: the mirror (or a cache in front of it)
    // is out of sync. Without an OpenPGP check of the Release file that check only guards
    // consistency, not authenticity; the .deb files are still verified against this index.
    this.onWarning?.(
      `the ${source.suite} package index at ${unverified.url} does not match its Release file (the mirror is out of sync); using it anyway, the packages are still verified against it.`,
    );
    return {
      source,
      stanzas: indexPackages(decodeIndex(unverified.data, unverified.ext, unverified.url)),
      indexVerified: false,
    };
  }

  /** Downloads and indexes every suite's package list (once; later calls reuse it). */
  async loadIndexes(): Promise<void> {
    await this.loadedSuites();
  }

  private loadedSuites(): Promise<LoadedSuite[]> {
    if (this.suites === undefined) {
      this.suites = Promise.all(this.sources.map((s) => this.loadSuite(s)));
      this.suites.catch(() => {
        this.suites = undefined;
      });
    }
    return this.suites;
  }

  /**
   * Finds the highest version of a package across all suites (for this architecture or `all`).
   *
   * @param name - the package name
   * @param constraint - an optional version constraint the result must satisfy
   * @throws {@link DebianArchiveError} (`not-found`) if no suite has a matching version
   */
  async resolve(name: string, constraint?: Pick<DebianDependency, 'relation' | 'version'>): Promise<DebianPackage> {
    const suites = await this.loadedSuites();
    let best: DebianPackage | undefined;
    for (const suite of suites) {
      for (const text of suite.stanzas.get(name) ?? []) {
        const stanza = parseControlStanzas(text)[0];
        if (stanza === undefined) continue;
        const pkg = toPackage(stanza, suite.source, suite.indexVerified);
        if (pkg.architecture !== this.architecture && pkg.architecture !== 'all') continue;
        if (constraint?.relation !== undefined && constraint.version !== undefined) {
          if (!satisfiesRelation(pkg.version, constraint.relation, constraint.version)) continue;
        }
        if (best === undefined || compareDebianVersions(pkg.version, best.version) > 0) best = pkg;
      }
    }
    if (best === undefined) {
      const what = constraint?.relation !== undefined ? `${name} (${constraint.relation} ${constraint.version})` : name;
      throw new DebianArchiveError(
        'not-found',
        `package ${what} is not in ${this.sources.map((s) => `${s.suite}`).join(' or ')} for ${this.architecture} at ${this.sources[0]!.mirror}`,
      );
    }
    return best;
  }

  /**
   * Resolves a kernel metapackage (default `linux-image-686`) to the concrete image package it
   * depends on, such as `linux-image-6.1.0-54-686`.
   *
   * @returns both the metapackage and the image package
   */
  async resolveKernel(metapackage = 'linux-image-686'): Promise<ResolvedKernel> {
    const meta = await this.resolve(metapackage);
    const depends = controlField(meta.stanza, 'Depends') ?? '';
    const dep = parseRelationField(depends)
      .map((group) => group[0]!)
      .find((d) => /^linux-image-[0-9]/.test(d.name));
    if (dep === undefined) {
      throw new DebianArchiveError('format', `${metapackage} ${meta.version} does not depend on a linux-image-<version> package (Depends: ${depends})`);
    }
    const image = await this.resolve(dep.name, dep);
    return { meta, image };
  }

  /**
   * Downloads a package's `.deb` and verifies its size and SHA-256 against the index.
   *
   * @throws {@link DebianArchiveError} on network failure or a hash mismatch
   */
  async download(pkg: DebianPackage): Promise<Uint8Array> {
    const url = `${pkg.source.mirror}/${pkg.filename}`;
    const base = pkg.filename.slice(pkg.filename.lastIndexOf('/') + 1);
    const data = await this.get(pkg.source.mirror, url, base, { total: pkg.size, limit: pkg.size });
    this.verify(url, data!, pkg.sha256, pkg.size);
    return data!;
  }
}

function toPackage(stanza: ControlStanza, source: DebianSuiteSource, indexVerified: boolean): DebianPackage {
  const get = (field: string): string => {
    const v = controlField(stanza, field);
    if (v === undefined || v === '') {
      throw new DebianArchiveError('format', `package index entry ${controlField(stanza, 'Package') ?? '?'} in ${source.suite} lacks the ${field} field`);
    }
    return v;
  };
  const name = get('Package');
  const filename = get('Filename');
  if (!/^pool\/[A-Za-z0-9+._~/-]+\.deb$/.test(filename) || filename.includes('..')) {
    throw new DebianArchiveError('format', `package ${name} in ${source.suite} has a suspicious Filename "${filename}"`);
  }
  const sha256 = get('SHA256').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new DebianArchiveError('format', `package ${name} in ${source.suite} has a malformed SHA256`);
  const sizeText = get('Size');
  if (!/^[0-9]+$/.test(sizeText)) throw new DebianArchiveError('format', `package ${name} in ${source.suite} has a malformed Size`);
  return {
    name,
    version: get('Version'),
    architecture: get('Architecture'),
    filename,
    size: Number(sizeText),
    sha256,
    source,
    indexVerified,
    stanza,
  };
}

/**
 * Splits a `Packages` index into its entries, grouped by package name, without parsing the
 * fields of the tens of thousands of entries that are never looked at.
 */
export function indexPackages(text: string): Map<string, string[]> {
  const index = new Map<string, string[]>();
  const packageField = /^Package:[ \t]*(\S+)/im;
  for (const stanza of text.split(/\n[ \t]*\r?\n/)) {
    const m = packageField.exec(stanza);
    if (m === null) continue;
    const list = index.get(m[1]!);
    if (list === undefined) index.set(m[1]!, [stanza]);
    else list.push(stanza);
  }
  return index;
}
