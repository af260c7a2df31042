/**
 * The version of the plugin API that this build of `@popek/core` implements, as `major.minor`.
 *
 * A plugin declares the API version it was written against. It loads when the majors are equal
 * and its minor is not newer than core's: minors only add.
 */
export const CORE_API_VERSION = '1.0';

/** A parsed plugin API version. */
export interface ApiVersion {
  /** Incompatible changes bump it. */
  readonly major: number;
  /** Additions bump it. */
  readonly minor: number;
}

/** Parses a `major.minor` API version; `undefined` when malformed. */
export function parseApiVersion(text: string): ApiVersion | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(text);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** Whether a plugin written against `pluginApi` can load into a core implementing `coreApi`. */
export function isApiCompatible(pluginApi: string, coreApi: string = CORE_API_VERSION): boolean {
  const p = parseApiVersion(pluginApi);
  const c = parseApiVersion(coreApi);
  return p !== undefined && c !== undefined && p.major === c.major && p.minor <= c.minor;
}
