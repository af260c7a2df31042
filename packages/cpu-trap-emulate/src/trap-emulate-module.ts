import { ContainerModule } from '@popek/core';
import { CpuMode } from '@popek/cpu-x86';
import { TrapEmulateMode } from './trap-emulate-mode.js';
import { TrapEmulateOptions } from './trap-emulate-options.js';

/**
 * The mode's bindings: the class once, then the CPU-mode role. `TrapEmulateOptions` is optional;
 * a host binds it with {@link trapEmulateOptionsModule}.
 */
export const trapEmulateModule = new ContainerModule(({ bind }) => {
  bind(TrapEmulateMode).toSelf().inSingletonScope();
  bind(CpuMode).toService(TrapEmulateMode);
});

/** A module that binds the mode's options, for hosts (`Machine.build(profile, { modules: [...] })`). */
export function trapEmulateOptionsModule(options: TrapEmulateOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TrapEmulateOptions).toConstantValue(options);
  });
}
