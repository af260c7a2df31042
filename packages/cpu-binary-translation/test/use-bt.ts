/**
 * Makes the shared CPU suites of `@popek/cpu-x86` (imported after this module) run under the
 * binary translator, with a hot threshold of 1 so that every block is translated.
 */
import { useTestCpuMode } from '../../cpu-x86/test/support/cpu-mode.js';
import { BinaryTranslationMode } from '../src/bt-mode.js';
import { BinaryTranslator } from '../src/translator.js';

useTestCpuMode((t) => new BinaryTranslationMode(new BinaryTranslator(t.bus, t.bus, t.metrics, { hotThreshold: 1 })));
