import { describe, expect, it } from 'vitest';
import { StateDecodeError, decodeState, encodeState } from './state-codec.js';
import type { StateValue } from './state.js';

describe('state codec', () => {
  const sample: StateValue = {
    regs: new Uint32Array([0, 1, 0xffff_ffff]),
    name: 'com1 ✓',
    fifo: new Uint8Array([1, 2, 3]),
    nested: [null, true, false, -1, 2 ** 40, 1.5, -0, NaN, -(2 ** 31), 2 ** 31 - 1, 2 ** 31],
    big: [0n, -1n, 127n, 128n, -128n, -129n, 0xffff_ffff_ffff_ffffn, -(2n ** 70n)],
    typed: [new Uint16Array([65535]), new Int32Array([-5]), new Float64Array([Math.PI, -Infinity])],
  };

  it('round-trips every kind of state value exactly', () => {
    const decoded = decodeState(encodeState(sample));
    expect(decoded).toEqual(sample);
    expect(Object.is((decoded as { nested: number[] }).nested[6], -0)).toBe(true);
  });

  it('encodes canonically: key order does not matter and re-encoding is identical', () => {
    const a = encodeState({ a: 1, b: { y: 2, x: 3 } });
    const b = encodeState({ b: { x: 3, y: 2 }, a: 1 });
    expect(b).toEqual(a);
    expect(encodeState(decodeState(encodeState(sample)))).toEqual(encodeState(sample));
  });

  it('refuses values that are not plain state, naming the path', () => {
    expect(() => encodeState({ cpu: { fn: (() => 1) as unknown as StateValue } })).toThrow(/state\.cpu\.fn/);
    expect(() => encodeState({ when: new Date() as unknown as StateValue })).toThrow(/class instance/);
  });

  it('rejects truncated, trailing and unknown-tag input with a decode error', () => {
    const bytes = encodeState(sample);
    for (const cut of [0, 1, 5, bytes.length - 1]) expect(() => decodeState(bytes.subarray(0, cut))).toThrow(StateDecodeError);
    expect(() => decodeState(new Uint8Array([...bytes, 0]))).toThrow(/trailing/);
    expect(() => decodeState(new Uint8Array([99]))).toThrow(/unknown tag/);
    // A huge declared length must not allocate: it fails the bounds check first.
    expect(() => decodeState(new Uint8Array([12, 0xff, 0xff, 0xff, 0x7f]))).toThrow(StateDecodeError);
  });
});
