import { ContainerModule, LifecycleContribution, SnapshotContribution } from '@popek/core';
import { BootFirmware } from './boot-firmware.js';

/**
 * The firmware's bindings: one {@link BootFirmware}, which takes part in the machine lifecycle
 * (plan at build, load at every reset) and in snapshots. The host binds `BootOptions` (and,
 * optionally, `AcpiOptions`); the bus binds `GuestMemory` and `MemoryLayout`; the CPU binds
 * `BootProcessorState`.
 */
export const firmwareModule = new ContainerModule(({ bind }) => {
  bind(BootFirmware).toSelf().inSingletonScope();
  bind(LifecycleContribution).toService(BootFirmware);
  bind(SnapshotContribution).toService(BootFirmware);
});
