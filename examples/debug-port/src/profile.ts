import type { MachineProfile, PluginDescriptor } from '@popek/core';
import { plugin as debugPort } from './plugin.js';

/**
 * A custom profile: any base profile's plugins plus the debug console. A third party writes
 * exactly this to extend a machine: a new list, validated before anything is resolved.
 */
export function withDebugPort(base: MachineProfile): MachineProfile {
  const plugins: PluginDescriptor[] = [...base.plugins, debugPort];
  return { id: `${base.id}+debugcon`, description: `${base.description}, with a port 0xE9 debug console`, plugins };
}
