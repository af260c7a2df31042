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
import { DEV_SERIAL_PLUGIN_ID, charBackendModule, type SerialTiming } from '@popek/dev-serial';
import { BusOptions, PciIrqRouting } from '@popek/bus';
import { CpuOptions } from '@popek/cpu-x86';
import { CmosOptions, PicOptions } from '@popek/dev-pc';
import { AcpiOptions, BootOptions, type BootOptions as BootImage } from '@popek/firmware';
import { builtinSerialPlugin } from './builtin-serial.js';
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
  /**
   * How COM1 paces its line, for a built-in profile (default `fast`: a character written to THR is
   * on the wire at once, as in QEMU, v86 and Firecracker; see `BUILTIN_SERIAL_TIMING`).
   * `realistic` sends one character per character time at the programmed baud rate, with THRE and
   * TEMT behaving as on the chip. A profile object configures its serial plugin itself: giving
   * this option with one is an error.
   */
  readonly serialTiming?: SerialTiming;
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
 * @throws `PopekError` for an unknown profile, a memory size out of range, a serial timing that is
 *   not `fast` or `realistic` or that comes with a profile object (`serial-timing-invalid`), a bad
 *   boot image (from the firmware), or an invalid profile
 */
export function createMachine(config: MachineConfig): Machine {
  const { min, max } = MEMORY_LIMITS_MIB;
  if (!Number.isInteger(config.memoryMiB) || config.memoryMiB < min || config.memoryMiB > max) {
    throw new PopekError('memory-invalid', `Guest memory must be a whole number of MiB from ${min} to ${max}; ${config.memoryMiB} is not.`);
  }
  const builtin = typeof config.profile === 'string' ? findProfile(config.profile) : undefined;
  const base = builtin !== undefined ? withSerialTiming(builtin.profile, config.serialTiming) : checkNoSerialTiming(config);
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
      ...(mode?.defaults ?? []),
    ],
    identity: { memoryMiB: config.memoryMiB, acpi },
    onTripleFault: config.onTripleFault ?? 'reset',
  });
}

/** A built-in profile whose serial plugin has the timing asked for (the profile itself when none is). */
function withSerialTiming(profile: MachineProfile, timing: SerialTiming | undefined): MachineProfile {
  if (timing === undefined) return profile;
  if (timing !== 'fast' && timing !== 'realistic') {
    throw new PopekError('serial-timing-invalid', `The serial timing must be 'fast' or 'realistic'; '${String(timing)}' is neither.`);
  }
  const serial = builtinSerialPlugin(timing);
  return { ...profile, plugins: profile.plugins.map((p) => (p.id === DEV_SERIAL_PLUGIN_ID ? serial : p)) };
}

/** A profile object, provided the configuration does not also ask for a serial timing. */
function checkNoSerialTiming(config: MachineConfig): MachineProfile {
  const profile = config.profile as MachineProfile;
  if (config.serialTiming !== undefined) {
    throw new PopekError(
      'serial-timing-invalid',
      `The serialTiming option applies only to the built-in profiles (pc, microvm), not to the profile '${String(profile?.id)}'. ` +
        `A profile of your own configures its serial plugin itself, for example with serialPlugin({ ports: [{ index: 1 }], timing: '${String(config.serialTiming)}' }) from '@popek/dev-serial/plugin'.`,
    );
  }
  return profile;
}
