import { PopekError, defaultHostArenaModule, type ContainerModule, type PluginDescriptor } from '@popek/core';
import { plugin as binaryTranslation } from '@popek/cpu-binary-translation/plugin';
import { trapEmulateOptionsModule } from '@popek/cpu-trap-emulate';
import { plugin as trapEmulate } from '@popek/cpu-trap-emulate/plugin';

/** A CPU virtualization technique Popek ships, by the name `popek run --cpu-mode` takes. */
export interface BuiltinCpuMode {
  /** The mode's name. */
  readonly name: string;
  /** One line for `popek help`. */
  readonly description: string;
  /** The CPU-mode plugin added to the profile (none: the CPU's reference interpreter). */
  readonly plugin: PluginDescriptor | undefined;
  /** Bindings the mode needs from the host (its options). */
  readonly modules: readonly ContainerModule[];
  /**
   * Bindings loaded after the configuration's own modules, each made only where the
   * configuration has not bound the service itself (defaults it may override).
   */
  readonly defaults?: readonly ContainerModule[];
}

const VIRTUALIZABLE_HINT = "Run with '--cpu-mode trap-emulate-virtualizable' to model an x86 on which every sensitive instruction traps.";

/** The CPU modes, by name. */
export const BUILTIN_CPU_MODES: ReadonlyMap<string, BuiltinCpuMode> = new Map<string, BuiltinCpuMode>([
  ['interpreter', { name: 'interpreter', description: 'the reference interpreter, native semantics', plugin: undefined, modules: [] }],
  [
    'bt',
    {
      name: 'bt',
      description: 'binary translation into cached WebAssembly and JavaScript functions (fastest)',
      plugin: binaryTranslation,
      modules: [],
      // Guest RAM, the TLB and the registers in one WebAssembly memory: the translator's
      // WebAssembly backend.
      defaults: [defaultHostArenaModule],
    },
  ],
  [
    'trap-emulate',
    {
      name: 'trap-emulate',
      description: "classic deprivileged execution on the real x86: its virtualization holes break the guest, and the monitor says which",
      plugin: trapEmulate,
      modules: [trapEmulateOptionsModule({ virtualizable: false, hint: VIRTUALIZABLE_HINT })],
    },
  ],
  [
    'trap-emulate-virtualizable',
    {
      name: 'trap-emulate-virtualizable',
      description: 'trap-and-emulate on a hypothetical x86 where every sensitive instruction traps (Popek and Goldberg)',
      plugin: trapEmulate,
      modules: [trapEmulateOptionsModule({ virtualizable: true })],
    },
  ],
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
