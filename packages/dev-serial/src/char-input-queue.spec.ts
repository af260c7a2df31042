import { describe, expect, it } from 'vitest';
import { TestReceiver } from '../test/receivers.js';
import { CharInputQueue } from './char-input-queue.js';

describe('CharInputQueue', () => {
  it('delivers across chunk boundaries, in order, no more than the receiver takes', () => {
    const q = new CharInputQueue();
    q.push(Uint8Array.of(1, 2, 3));
    q.push(Uint8Array.of(4));
    q.push(Uint8Array.of(5, 6));
    const r = new TestReceiver(4);
    expect(q.deliver(r)).toBe(4);
    expect(q.length).toBe(2);
    r.limit = 0;
    expect(q.deliver(r)).toBe(0);
    r.limit = 10;
    expect(q.deliver(r)).toBe(2);
    expect(r.bytes).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('does not ask the receiver when empty', () => {
    const q = new CharInputQueue();
    let asked = 0;
    q.deliver({ canAccept: () => ++asked, accept: () => {} });
    expect(asked).toBe(0);
  });

  it('bounds pushBounded and copies what it keeps', () => {
    const q = new CharInputQueue();
    const src = Uint8Array.of(1, 2, 3, 4, 5);
    expect(q.pushBounded(src, 3)).toBe(3);
    expect(q.pushBounded(src, 3)).toBe(0);
    src.fill(9);
    expect([...q.take(10)]).toEqual([1, 2, 3]);
  });
});
