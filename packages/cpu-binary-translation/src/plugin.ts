import { CORE_API_VERSION, ContainerModule, definePlugin } from '@popek/core';
import { CpuMode } from '@popek/cpu-x86';
import { BinaryTranslationMode } from './bt-mode.js';
import { BinaryTranslator } from './translator.js';

/**
 * The bindings: the translator and the mode once, the mode as the machine's `CpuMode`. The
 * translator uses its WebAssembly backend when the machine has a `HostArena` (a profile binds one
 * with `defaultHostArenaModule` from `@popek/core`; `createMachine` does for the `bt` mode).
 */
export const binaryTranslationModule = new ContainerModule(({ bind }) => {
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
