import { BufferCharBackend } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { GatedCharBackend } from './gated-char-backend.js';

describe('gated character backend', () => {
  it('holds input until opened, then delivers all of it; output always passes', () => {
    const inner = new BufferCharBackend();
    const gate = new GatedCharBackend(inner);
    const got: number[] = [];
    gate.connect({ canAccept: () => 16, accept: (b) => got.push(...b) });
    inner.type('uname -a\n');
    gate.ready();
    expect(got).toEqual([]);
    gate.write(new TextEncoder().encode('# '));
    expect(inner.text).toBe('# ');
    gate.open();
    expect(new TextDecoder().decode(Uint8Array.from(got))).toBe('uname -a\n');
  });

  it('releases the wrapped backend when disposed', () => {
    let disposed = 0;
    const inner = Object.assign(new BufferCharBackend(), { onDispose: () => void disposed++ });
    new GatedCharBackend(inner).onDispose();
    expect(disposed).toBe(1);
  });
});
