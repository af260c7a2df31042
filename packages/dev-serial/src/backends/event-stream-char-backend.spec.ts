import { EventStream, type MachineEvent } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { TestReceiver } from '../../test/receivers.js';
import { EventStreamCharBackend } from './event-stream-char-backend.js';

describe('EventStreamCharBackend', () => {
  it('publishes guest output as console events on its channel, copied', () => {
    const events = new EventStream<MachineEvent>();
    const backend = new EventStreamCharBackend('com1', { events });
    backend.write(Uint8Array.of(1)); // nobody listens: skipped
    const seen: MachineEvent[] = [];
    events.subscribe((e) => seen.push(e));
    const bytes = Uint8Array.of(0x68, 0x69);
    backend.write(bytes);
    bytes.fill(0);
    expect(seen).toEqual([{ type: 'console', channel: 'com1', bytes: Uint8Array.of(0x68, 0x69) }]);
  });

  it('holds host input until the device takes it, up to its bound', () => {
    let wakes = 0;
    const backend = new EventStreamCharBackend('com1', { maxPendingInput: 8, onInput: () => wakes++ });
    const r = new TestReceiver(2);
    backend.connect(r);
    expect(backend.send('abcdefghijkl')).toBe(8);
    expect(r.text).toBe('ab');
    expect(backend.pendingInput).toBe(6);
    expect(wakes).toBe(1);
    backend.ready();
    expect(r.text).toBe('abcd');
    r.limit = 100;
    backend.ready();
    expect(r.text).toBe('abcdefgh');
    backend.dispose();
    expect(backend.send('z')).toBe(0);
  });
});
