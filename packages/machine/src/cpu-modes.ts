import { PopekError, type PluginDescriptor } from '@popek/core';
import { plugin as binaryTranslation } from '@popek/cpu-binary-translation/plugin';

/** A CPU virtualization technique Popek ships, by the name `popek run --cpu-mode` takes. */
export interface BuiltinCpuMode {
  /** The mode's name. */
  readonly name: string;
  /** One line for `popek help`. */
  readonly description: string;
  /** The CPU-mode plugin added to the profile (none: the CPU's reference interpreter). */
  readonly plugin: PluginDescriptor | undefined;
}

/** The CPU modes, by name. */
export const BUILTIN_CPU_MODES: ReadonlyMap<string, BuiltinCpuMode> = new Map<string, BuiltinCpuMode>([
  ['interpreter', { name: 'interpreter', description: 'the reference interpreter, native semantics', plugin: undefined }],
  ['bt', { name: 'bt', description: 'binary translation into cached JavaScript functions (fastest)', plugin: binaryTranslation }],
]);

/**
 * The built-in CPU mode named `name`.
 *
 * @throws `PopekError` (`cpu-mode-unknown`) listing the modes there are
 */
export function findCpuMode(name: string): BuiltinCpuMode {
  const found = BUILTIN_CPU_MODES.get(name);
  if (found === undefined) {
    throw new PopekError('cpu-mode-unknown', `There is no CPU mode '${name}'. The CPU modes are: ${[...BUILTIN_CPU_MODES.keys()].join(', ')}.`);
  }
  return found;
}
