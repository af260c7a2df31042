import { CORE_API_VERSION, definePlugin } from '@popek/core';
import { cpuX86Module } from './cpu-x86-module.js';

/** The `@popek/cpu-x86` plugin: the i686 CPU with the reference interpreter. */
export const plugin = definePlugin({
  id: '@popek/cpu-x86',
  kind: 'cpu',
  apiVersion: CORE_API_VERSION,
  provides: ['cpu'],
  requires: ['bus', 'mmu', 'interrupt-controller'],
  description: 'An i686-class x86 CPU (P6 integer and system ISA) with a reference interpreter.',
  module: cpuX86Module,
});
