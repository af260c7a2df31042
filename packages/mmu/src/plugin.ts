import { CORE_API_VERSION, Capability, definePlugin } from '@popek/core';
import { mmuModule } from './mmu-module.js';

/** The `@popek/mmu` plugin: x86 paging with the direct strategy. */
export const plugin = definePlugin({
  id: '@popek/mmu',
  kind: 'mmu',
  apiVersion: CORE_API_VERSION,
  provides: [Capability.Mmu],
  requires: [Capability.Bus],
  description: 'x86 paging (32-bit and PAE), the software TLB and the direct MMU strategy',
  module: mmuModule,
});
