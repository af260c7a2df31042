import { Capability, definePlugin, type PluginDescriptor } from '@popek/core';
import { createDevSerialModule } from './dev-serial-module.js';
import type { SerialOptions } from './serial-options.js';

/** The plugin id. */
export const DEV_SERIAL_PLUGIN_ID = '@popek/dev-serial';

/**
 * The serial plugin for a machine with the given ports (default: COM1). A profile lists
 * {@link plugin}; a host that wants other ports puts `serialPlugin({ ports: [...] })` in its place.
 *
 * @throws `PopekError` (`serial-options-invalid`) for bad options
 */
export function serialPlugin(options?: SerialOptions): PluginDescriptor {
  return definePlugin({
    id: DEV_SERIAL_PLUGIN_ID,
    kind: 'device',
    apiVersion: '1.0',
    provides: [Capability.Serial],
    requires: [Capability.Bus],
    description: '16550A UARTs on the PC serial ports (COM1 by default)',
    module: createDevSerialModule(options),
  });
}

/** The serial plugin descriptor: a 16550A on COM1. */
export const plugin: PluginDescriptor = serialPlugin();
