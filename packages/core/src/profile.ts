import { PopekError } from './errors.js';
import { EXCLUSIVE_CAPABILITIES, type PluginDescriptor } from './plugin.js';
import { CORE_API_VERSION, isApiCompatible, parseApiVersion } from './version.js';

/**
 * A machine profile: the composition root of one kind of machine, as readable data. The plugins
 * are listed in dependency order; their modules load in that order.
 */
export interface MachineProfile {
  /** Short name (`pc`, `microvm`), used on the command line and in snapshots. */
  readonly id: string;
  /** One line for listings. */
  readonly description: string;
  /** The plugins, in the order their modules load. */
  readonly plugins: readonly PluginDescriptor[];
  /** Capabilities the machine as a whole needs; defaults to {@link DEFAULT_MACHINE_REQUIREMENTS}. */
  readonly requires?: readonly string[];
}

/** What every machine needs unless its profile says otherwise: a CPU and a bus. */
export const DEFAULT_MACHINE_REQUIREMENTS: readonly string[] = ['cpu', 'bus'];

/**
 * Thrown when a profile's plugin set cannot make a machine. Its message lists every problem, one
 * per line, each saying which plugin and capability is involved.
 */
export class ProfileError extends PopekError {
  /** The individual problems, one sentence each. */
  readonly problems: readonly string[];

  /**
   * @param profileId - the profile that failed
   * @param problems - one sentence per problem
   */
  constructor(profileId: string, problems: readonly string[]) {
    super(
      'profile-invalid',
      `Profile '${profileId}' cannot build a machine:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'PopekError';
    this.problems = problems;
  }
}

/**
 * Lists what is wrong with a profile's plugin set, without resolving anything: duplicate plugin
 * ids, API versions this core cannot load, two providers of an exclusive capability, and
 * requirements that no plugin provides. An empty list means the profile is valid.
 *
 * @param coreApiVersion - the API version to check against (this core's, by default)
 */
export function profileProblems(profile: MachineProfile, coreApiVersion: string = CORE_API_VERSION): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const providers = new Map<string, string[]>();
  const exclusive = new Set(EXCLUSIVE_CAPABILITIES);

  const malformed = profile.plugins.findIndex((p) => typeof p !== 'object' || p === null || typeof p.id !== 'string' || !Array.isArray(p.provides) || !Array.isArray(p.requires));
  if (malformed >= 0) {
    return [`entry ${malformed + 1} of the plugin list is not a plugin descriptor (import it from the package's './plugin' entry point).`];
  }
  for (const plugin of profile.plugins) {
    if (seen.has(plugin.id)) problems.push(`plugin '${plugin.id}' is listed twice.`);
    seen.add(plugin.id);
    if (!isApiCompatible(plugin.apiVersion, coreApiVersion)) {
      const why = parseApiVersion(plugin.apiVersion) === undefined ? 'is not of the form major.minor' : 'is not supported';
      problems.push(
        `plugin '${plugin.id}' was written for plugin API ${plugin.apiVersion}, which ${why}; this core implements API ${coreApiVersion}.`,
      );
    }
    for (const capability of plugin.exclusive ?? []) exclusive.add(capability);
    for (const capability of plugin.provides) {
      const list = providers.get(capability) ?? [];
      list.push(plugin.id);
      providers.set(capability, list);
    }
  }

  for (const capability of [...exclusive].sort()) {
    const list = providers.get(capability);
    if (list !== undefined && list.length > 1) {
      problems.push(
        `${list.length} plugins provide '${capability}' (${list.map((id) => `'${id}'`).join(', ')}); a machine has exactly one.`,
      );
    }
  }

  const needed: Array<[string, string]> = (profile.requires ?? DEFAULT_MACHINE_REQUIREMENTS).map((c) => [
    `the machine`,
    c,
  ]);
  for (const plugin of profile.plugins) for (const c of plugin.requires) needed.push([`plugin '${plugin.id}'`, c]);
  for (const [who, capability] of needed) {
    if (!providers.has(capability)) {
      problems.push(`${who} requires '${capability}', which no plugin in the profile provides.`);
    }
  }
  return problems;
}

/**
 * Validates a profile before anything is resolved.
 *
 * @throws {@link ProfileError} listing every problem, when there is any
 */
export function validateProfile(profile: MachineProfile, coreApiVersion: string = CORE_API_VERSION): void {
  const problems = profileProblems(profile, coreApiVersion);
  if (problems.length > 0) throw new ProfileError(profile.id, problems);
}
