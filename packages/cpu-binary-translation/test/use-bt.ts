/**
 * Makes the shared CPU suites of `@popek/cpu-x86` (imported after this module) run under the
 * binary translator, with a hot threshold of 1 so that every block is translated, under its
 * WebAssembly backend (each test CPU has its RAM, TLB and registers in a host arena), or its
 * JavaScript backend with `POPEK_BT_BACKEND=js`.
 */
import { WasmHostArena } from '@popek/core';
import { useTestCpuMode } from '../../cpu-x86/test/support/cpu-mode.js';
import { BinaryTranslationMode } from '../src/bt-mode.js';
import { BinaryTranslator } from '../src/translator.js';

const wasm = process.env['POPEK_BT_BACKEND'] !== 'js';
let arena: WasmHostArena | undefined;

useTestCpuMode(
  (t) => new BinaryTranslationMode(new BinaryTranslator(t.bus, t.bus, t.metrics, { hotThreshold: 1, backend: wasm ? 'wasm' : 'js' }, arena)),
  wasm
    ? () => {
        arena = new WasmHostArena({ maximumPages: 4096 });
        return arena;
      }
    : undefined,
);
