import { PopekError, type MachineProfile } from '@popek/core';
import { MICROVM_DEFAULT_CMDLINE, microvmProfile } from './microvm-profile.js';
import { PC_DEFAULT_CMDLINE, pcProfile } from './pc-profile.js';

/** A profile Popek ships, with what a host needs to run it. */
export interface BuiltinProfile {
  /** The profile. */
  readonly profile: MachineProfile;
  /** The kernel command line when the user gives none. */
  readonly defaultCmdline: string;
  /** Whether the profile writes ACPI tables. */
  readonly acpi: boolean;
}

/** The profiles Popek ships, by id. */
export const BUILTIN_PROFILES: ReadonlyMap<string, BuiltinProfile> = new Map([
  ['pc', { profile: pcProfile, defaultCmdline: PC_DEFAULT_CMDLINE, acpi: true }],
  ['microvm', { profile: microvmProfile, defaultCmdline: MICROVM_DEFAULT_CMDLINE, acpi: false }],
]);

/**
 * The built-in profile named `id`.
 *
 * @throws `PopekError` (`profile-unknown`) listing the profiles there are
 */
export function findProfile(id: string): BuiltinProfile {
  const found = BUILTIN_PROFILES.get(id);
  if (found === undefined) {
    throw new PopekError('profile-unknown', `There is no machine profile '${id}'. The profiles are: ${[...BUILTIN_PROFILES.keys()].join(', ')}.`);
  }
  return found;
}
