import { CORE_API_VERSION, ContainerModule, HostArena, WasmHostArena, definePlugin } from '@popek/core';
import { CpuMode } from '@popek/cpu-x86';
import { BinaryTranslationMode } from './bt-mode.js';
import { BinaryTranslator } from './translator.js';

/**
 * The bindings: the translator and the mode once, the mode as the machine's `CpuMode`, and a
 * {@link WasmHostArena} as the machine's `HostArena` (guest RAM, the TLB and the registers in one
 * WebAssembly memory, for the translator's WebAssembly backend) unless the profile binds one.
 */
export const binaryTranslationModule = new ContainerModule(({ bind, isBound }) => {
  if (!isBound(HostArena)) bind(HostArena).toDynamicValue(() => new WasmHostArena()).inSingletonScope();
  bind(BinaryTranslator).toSelf().inSingletonScope();
  bind(BinaryTranslationMode).toSelf().inSingletonScope();
  bind(CpuMode).toService(BinaryTranslationMode);
});

/** The `@popek/cpu-binary-translation` plugin: the `bt` CPU mode. */
export const plugin = definePlugin({
  id: '@popek/cpu-binary-translation',
  kind: 'cpu-mode',
  apiVersion: CORE_API_VERSION,
  provides: ['cpu-mode'],
  requires: ['cpu', 'bus'],
  description: 'Binary translation: guest code translated block by block into cached WebAssembly and JavaScript functions (the fast CPU mode).',
  module: binaryTranslationModule,
});
