import { CORE_API_VERSION, definePlugin } from '@popek/core';
import { debugPortModule } from './debug-port-module.js';

/** The debug console plugin, as a profile lists it. */
export const plugin = definePlugin({
  id: 'popek-example-debug-port',
  kind: 'device',
  apiVersion: CORE_API_VERSION,
  provides: ['debug-console'],
  requires: ['bus'],
  description: 'Port 0xE9 debug console (Bochs/QEMU style).',
  module: debugPortModule,
});
