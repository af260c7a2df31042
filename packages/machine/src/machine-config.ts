import {
  ContainerModule,
  Machine,
  PopekError,
  type CharBackend,
  type ClockMode,
  type ContainerModuleLoadOptions,
  type MachineProfile,
  type PluginDescriptor,
} from '@popek/core';
import { charBackendModule } from '@popek/dev-serial';
import { BusOptions, PciIrqRouting } from '@popek/bus';
import { CpuOptions } from '@popek/cpu-x86';
import { CmosOptions, PicOptions } from '@popek/dev-pc';
import { AcpiOptions, BootOptions, type BootOptions as BootImage } from '@popek/firmware';
import { findCpuMode } from './cpu-modes.js';
import { findProfile } from './profiles.js';

/** Everything that configures one machine run: the profile and the host-side choices. */
export interface MachineConfig {
  /** A built-in profile id (`pc`, `microvm`) or a profile object (a third party's). */
  readonly profile: string | MachineProfile;
  /** Guest RAM in MiB. */
  readonly memoryMiB: number;
  /** The boot image. */
  readonly boot: BootImage;
  /** How guest time advances (default realtime). */
  readonly clock?: ClockMode;
  /** Guest instructions per second of guest time, in deterministic mode (default 100 million). */
  readonly instructionsPerSecond?: number;
  /** The RTC's time at power-on, in seconds since the Unix epoch (default: a fixed date). */
  readonly startTimeSeconds?: number;
  /** COM1's backend (default: none — output discarded). */
  readonly serial?: CharBackend;
  /** Whether to write ACPI tables (default: what the profile says). */
  readonly acpi?: boolean;
  /** CPU options (CPUID model; a policy here overrides the CPU mode). */
  readonly cpu?: CpuOptions;
  /**
   * The CPU virtualization technique: a built-in mode's name (`interpreter`, `bt`, …; see
   * `BUILTIN_CPU_MODES`) or a third party's CPU-mode plugin. Default: the profile's choice (the
   * built-in profiles have none: the reference interpreter).
   */
  readonly cpuMode?: string | PluginDescriptor;
  /** What a triple fault does (default `reset`). */
  readonly onTripleFault?: 'reset' | 'stop';
  /** Further host bindings (backends of other devices, options of third-party plugins). */
  readonly modules?: readonly ContainerModule[];
}

/** The smallest and largest guest RAM Popek accepts, in MiB. */
export const MEMORY_LIMITS_MIB = {
  /** Below this, the default guest's kernel and initramfs do not fit. */
  min: 16,
  /** The bus keeps guest RAM under 2 GiB so host offsets fit in 31 bits. */
  max: 2000,
} as const;

/**
 * The host module of a configuration: the options every plugin of the built-in profiles reads,
 * the boot image and COM1's backend.
 */
export function hostModule(config: MachineConfig, acpi: boolean): ContainerModule {
  const memoryBytes = config.memoryMiB * 1024 * 1024;
  return new ContainerModule(({ bind }: ContainerModuleLoadOptions) => {
    bind(BusOptions).toConstantValue({ memoryBytes });
    bind(CmosOptions).toConstantValue({
      memoryBytes,
      ...(config.startTimeSeconds !== undefined ? { startTimeSeconds: config.startTimeSeconds } : {}),
    });
    // PCI interrupts are level-triggered and shared: the PIC's ELCR must say so for their IRQs.
    bind(PicOptions).toDynamicValue((context) => ({ levelTriggeredIrqs: context.get(PciIrqRouting).levelTriggeredIrqs }));
    bind(CpuOptions).toConstantValue(config.cpu ?? {});
    bind(BootOptions).toConstantValue(config.boot);
    bind(AcpiOptions).toConstantValue({ enabled: acpi });
  });
}

/**
 * Builds a machine from a configuration: validates the memory size, resolves the profile, binds
 * the host options and assembles the container.
 *
 * @throws `PopekError` for an unknown profile, a memory size out of range, a bad boot image
 *   (from the firmware), or an invalid profile
 */
export function createMachine(config: MachineConfig): Machine {
  const { min, max } = MEMORY_LIMITS_MIB;
  if (!Number.isInteger(config.memoryMiB) || config.memoryMiB < min || config.memoryMiB > max) {
    throw new PopekError('memory-invalid', `Guest memory must be a whole number of MiB from ${min} to ${max}; ${config.memoryMiB} is not.`);
  }
  const builtin = typeof config.profile === 'string' ? findProfile(config.profile) : undefined;
  const base = builtin?.profile ?? (config.profile as MachineProfile);
  const mode = typeof config.cpuMode === 'string' ? findCpuMode(config.cpuMode) : undefined;
  const modePlugin = mode !== undefined ? mode.plugin : (config.cpuMode as PluginDescriptor | undefined);
  const profile: MachineProfile = modePlugin === undefined ? base : { ...base, plugins: [...base.plugins, modePlugin] };
  const acpi = config.acpi ?? builtin?.acpi ?? true;
  return Machine.build(profile, {
    clock: {
      mode: config.clock ?? 'realtime',
      ...(config.instructionsPerSecond !== undefined ? { instructionsPerSecond: config.instructionsPerSecond } : {}),
    },
    modules: [
      hostModule(config, acpi),
      // COM1's backend; one that holds host resources is released when the machine is disposed.
      ...(config.serial !== undefined ? [charBackendModule('com1', config.serial)] : []),
      ...(mode?.modules ?? []),
      ...(config.modules ?? []),
    ],
    identity: { memoryMiB: config.memoryMiB, acpi },
    onTripleFault: config.onTripleFault ?? 'reset',
  });
}
