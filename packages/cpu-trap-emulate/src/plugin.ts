import { CORE_API_VERSION, Capability, definePlugin } from '@popek/core';
import { trapEmulateModule } from './trap-emulate-module.js';

/** The `@popek/cpu-trap-emulate` plugin: classic trap-and-emulate as the machine's CPU mode. */
export const plugin = definePlugin({
  id: '@popek/cpu-trap-emulate',
  kind: 'cpu-mode',
  apiVersion: CORE_API_VERSION,
  provides: [Capability.CpuMode],
  requires: [Capability.Cpu],
  description: 'Classic trap-and-emulate: the guest kernel runs deprivileged; privileged instructions trap; the x86 virtualization holes are recorded.',
  module: trapEmulateModule,
});
