import { ContainerModule, DeviceContribution } from '@popek/core';
import { DebugPort } from './debug-port.js';

/** Binds the debug console and contributes it as a device. */
export const debugPortModule = new ContainerModule(({ bind }) => {
  bind(DebugPort).toSelf().inSingletonScope();
  bind(DeviceContribution).toService(DebugPort);
});
