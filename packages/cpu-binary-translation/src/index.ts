/**
 * `@popek/cpu-binary-translation`: the `bt` CPU mode. Guest x86 code is translated block by block
 * into JavaScript functions, cached by guest-physical address and mode, chained directly, and
 * invalidated when the code is written.
 *
 * @packageDocumentation
 */
export { BinaryTranslator, BinaryTranslationOptions } from './translator.js';
export { BinaryTranslationMode } from './bt-mode.js';
export { BlockCompiler, ExitKind, MAX_BLOCK_INSTRUCTIONS, ModeBit, scanBlock, type CompiledSource, type ExitSpec } from './block-compiler.js';
export { binaryTranslationModule } from './plugin.js';
