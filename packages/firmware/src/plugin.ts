import { Capability, definePlugin } from '@popek/core';
import { firmwareModule } from './firmware-module.js';

/**
 * The `@popek/firmware` plugin: boot loaders (Linux boot protocol, Multiboot v1) and ACPI
 * tables, with no BIOS. It needs a bus (guest memory and the memory layout) and a CPU (its
 * boot-time state interface).
 */
export const plugin = definePlugin({
  id: '@popek/firmware',
  kind: 'firmware',
  apiVersion: '1.0',
  provides: [Capability.BootLoader, 'acpi-tables'],
  requires: [Capability.Bus, Capability.Cpu],
  description: 'Boots Linux bzImages (32-bit boot protocol) and Multiboot v1 kernels without a BIOS, with e820 and ACPI tables.',
  module: firmwareModule,
});
