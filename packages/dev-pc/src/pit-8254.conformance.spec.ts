import { encodeState } from '@popek/core';
import { attachForTest, createDeviceTestContext, describeDeviceConformance } from '@popek/testing';
import { describe, expect, it } from 'vitest';
import { Pit8254 } from './pit-8254.js';

describeDeviceConformance('Pit8254', (ctx) => new Pit8254(ctx.clock, ctx.metrics));

describe('8254 snapshot after a switch from binary to BCD counting', () => {
  it('round-trips the counts and latch left over from binary mode, exactly', () => {
    const ctx = createDeviceTestContext();
    const pit = new Pit8254(ctx.clock, ctx.metrics);
    const counters = attachForTest(pit).windows.find((w) => w.name === 'counters')!.handler;
    pit.reset();
    // Counter 0, LSB then MSB, mode 2, binary: a count of 60000 (0xEA60), beyond BCD's 9999.
    counters.write(3, 1, 0x34);
    counters.write(0, 1, 0x60);
    counters.write(0, 1, 0xea);
    ctx.advance(10_000);
    // Counter-latch command, and the latched count read out (both bytes).
    counters.write(3, 1, 0x00);
    counters.read(0, 1);
    counters.read(0, 1);
    // A new control word: counter 0, LSB then MSB, mode 1, BCD. No count written yet.
    counters.write(3, 1, 0x33);

    const saved = encodeState(pit.saveState());
    const other = createDeviceTestContext();
    const restored = new Pit8254(other.clock, other.metrics);
    attachForTest(restored);
    restored.reset();
    restored.loadState(pit.saveState());
    expect(encodeState(restored.saveState())).toEqual(saved);
  });
});
