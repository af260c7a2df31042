import { CORE_API_VERSION, Capability, definePlugin } from '@popek/core';
import { busModule } from './bus-module.js';

/** The bus plugin: memory map with P2M, port I/O, PCI with i440FX/PIIX3 bridges, IRQ routing, DMA. */
export const plugin = definePlugin({
  id: '@popek/bus',
  kind: 'bus',
  apiVersion: CORE_API_VERSION,
  provides: [Capability.Bus, Capability.Pci],
  requires: [],
  description: 'PC bus: guest-physical memory map with P2M, port I/O, PCI (i440FX host bridge, PIIX3 ISA bridge), IRQ routing and DMA.',
  module: busModule,
});
