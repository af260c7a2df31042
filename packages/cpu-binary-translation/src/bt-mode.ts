import { inject, injectable } from '@popek/core';
import type { ExecutionPolicy } from '@popek/cpu-x86';
import { BinaryTranslator } from './translator.js';

/**
 * The `bt` CPU mode: native semantics (no instruction class is intercepted: privileged and
 * sensitive instructions in translated code become monitor calls into the CPU's own emulation)
 * and the {@link BinaryTranslator} as the engine.
 */
@injectable()
export class BinaryTranslationMode implements ExecutionPolicy {
  /** The mode's name. */
  readonly name = 'bt';
  /** Nothing is intercepted: the translator decides what becomes a monitor call. */
  readonly intercept = 0;
  /** The translator. */
  readonly engine: BinaryTranslator;

  /** @param engine - the translator */
  constructor(@inject(BinaryTranslator) engine: BinaryTranslator) {
    this.engine = engine;
  }
}
