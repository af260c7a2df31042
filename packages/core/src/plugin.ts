import type { ContainerModule } from 'inversify';

/** What a plugin is, for listings and for validation messages. */
export type PluginKind =
  | 'cpu'
  | 'cpu-mode'
  | 'mmu'
  | 'bus'
  | 'chipset'
  | 'device'
  | 'backend'
  | 'firmware'
  | 'extension';

/**
 * The well-known capabilities that plugins provide and require. A capability is a plain string,
 * so third parties add their own; these are the ones Popek's packages use.
 */
export const Capability = {
  /** The virtual CPU and its execution engine (exactly one per machine). */
  Cpu: 'cpu',
  /**
   * A CPU virtualization technique (trap-and-emulate, binary translation, hardware assist): the
   * execution policy and engine the CPU runs under (at most one per machine; none means the CPU's
   * reference interpreter with native semantics).
   */
  CpuMode: 'cpu-mode',
  /** The MMU strategy (exactly one per machine). */
  Mmu: 'mmu',
  /** Guest-physical memory map, port I/O dispatch and resource assignment (exactly one). */
  Bus: 'bus',
  /** PCI configuration space and a host bridge. */
  Pci: 'pci',
  /** The interrupt controller that IRQ lines are routed to (exactly one). */
  InterruptController: 'interrupt-controller',
  /** Loads the guest (kernel, initrd) into memory and sets the initial CPU state (exactly one). */
  BootLoader: 'boot-loader',
  /** A programmable interval timer. */
  Timer: 'timer',
  /** A serial port. */
  Serial: 'serial',
} as const;

/**
 * Capabilities that at most one plugin of a machine may provide. A plugin may add its own with
 * {@link PluginDescriptor.exclusive}.
 */
export const EXCLUSIVE_CAPABILITIES: readonly string[] = [
  Capability.Cpu,
  Capability.CpuMode,
  Capability.Mmu,
  Capability.Bus,
  Capability.InterruptController,
  Capability.BootLoader,
];

/**
 * What a plugin package exports from its `plugin` entry point: enough to validate a profile
 * before anything is resolved, and the `ContainerModule` that contributes its bindings.
 */
export interface PluginDescriptor {
  /** Unique id, conventionally the npm package name (`@popek/dev-serial`). */
  readonly id: string;
  /** What kind of plugin this is. */
  readonly kind: PluginKind;
  /** The plugin API version (`major.minor`) it was written against; see `CORE_API_VERSION`. */
  readonly apiVersion: string;
  /** Capabilities this plugin provides. */
  readonly provides: readonly string[];
  /** Capabilities that some plugin of the same machine must provide. */
  readonly requires: readonly string[];
  /** Further capabilities that only one plugin per machine may provide. */
  readonly exclusive?: readonly string[];
  /** One line that says what the plugin adds. */
  readonly description?: string;
  /** The bindings this plugin contributes to a machine's container. */
  readonly module: ContainerModule;
}

/**
 * Declares a plugin descriptor, checking its shape at compile time and freezing it.
 *
 * @example
 * ```ts
 * export const plugin = definePlugin({
 *   id: '@acme/debug-port', kind: 'device', apiVersion: CORE_API_VERSION,
 *   provides: ['debug-console'], requires: ['bus'], module: debugPortModule,
 * });
 * ```
 */
export function definePlugin(descriptor: PluginDescriptor): PluginDescriptor {
  return Object.freeze({ ...descriptor });
}
