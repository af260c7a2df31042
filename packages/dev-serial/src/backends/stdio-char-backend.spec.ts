import { EventEmitter } from 'node:events';
import process from 'node:process';
import { describe, expect, it } from 'vitest';
import { TestReceiver } from '../../test/receivers.js';
import { StdioCharBackend, type StdioInput, type StdioOutput } from './stdio-char-backend.js';

class FakeInput extends EventEmitter implements StdioInput {
  readonly rawModes: boolean[] = [];
  paused = true;
  constructor(readonly isTTY: boolean) {
    super();
  }
  setRawMode(mode: boolean): this {
    this.rawModes.push(mode);
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  type(text: string | number[]): void {
    this.emit('data', typeof text === 'string' ? Buffer.from(text, 'latin1') : Buffer.from(text));
  }
}

class FakeOutput implements StdioOutput {
  readonly chunks: Uint8Array[] = [];
  writableLength = 0;
  write(chunk: Uint8Array): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.map((c) => Buffer.from(c).toString('latin1')).join('');
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('StdioCharBackend', () => {
  it('puts a terminal in raw mode on connect and restores it on dispose, with exit and signal hooks in between', () => {
    const input = new FakeInput(true);
    const before = ['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'].map((e) => process.listenerCount(e));
    const backend = new StdioCharBackend({ input, output: new FakeOutput() });
    backend.connect(new TestReceiver());
    expect(input.rawModes).toEqual([true]);
    expect(backend.rawMode).toBe(true);
    expect(input.paused).toBe(false);
    expect(['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'].map((e) => process.listenerCount(e))).toEqual(before.map((n) => n + 1));
    backend.dispose();
    expect(input.rawModes).toEqual([true, false]);
    expect(input.paused).toBe(true);
    expect(input.listenerCount('data')).toBe(0);
    expect(['exit', 'SIGINT', 'SIGTERM', 'SIGHUP'].map((e) => process.listenerCount(e))).toEqual(before);
  });

  it('restores the terminal when the process exits', () => {
    const input = new FakeInput(true);
    const existing = new Set(process.listeners('exit'));
    const backend = new StdioCharBackend({ input, output: new FakeOutput() });
    backend.connect(new TestReceiver());
    const hook = process.listeners('exit').find((l) => !existing.has(l))!;
    (hook as () => void)();
    expect(input.rawModes).toEqual([true, false]);
    expect(process.listeners('exit')).not.toContain(hook);
    backend.dispose();
    expect(input.rawModes).toEqual([true, false]);
  });

  it('reports Ctrl-A followed by a key to the escape hook, and sends Ctrl-A Ctrl-A as one Ctrl-A', () => {
    const input = new FakeInput(true);
    const keys: number[] = [];
    const backend = new StdioCharBackend({ input, output: new FakeOutput(), onEscape: (k) => keys.push(k), handleSignals: false });
    const r = new TestReceiver();
    backend.connect(r);
    input.type([0x61, 0x01, 0x78, 0x62]);
    input.type([0x01]);
    input.type([0x01, 0x63, 0x01]);
    input.type([0x73]);
    expect(keys).toEqual([0x78, 0x73]);
    expect(r.bytes).toEqual([0x61, 0x62, 0x01, 0x63]);
    backend.dispose();
  });

  it('passes every byte through when stdin is not a terminal, without touching its mode', () => {
    const input = new FakeInput(false);
    const keys: number[] = [];
    const before = process.listenerCount('exit');
    const backend = new StdioCharBackend({ input, output: new FakeOutput(), onEscape: (k) => keys.push(k) });
    const r = new TestReceiver();
    backend.connect(r);
    expect(process.listenerCount('exit')).toBe(before);
    input.type([0x01, 0x78, 0x03]);
    expect(keys).toEqual([]);
    expect(r.bytes).toEqual([0x01, 0x78, 0x03]);
    expect(input.rawModes).toEqual([]);
    backend.dispose();
  });

  it('holds input the device cannot take, pauses reading at its bound and resumes once drained', () => {
    const input = new FakeInput(false);
    let wakes = 0;
    const backend = new StdioCharBackend({ input, output: new FakeOutput(), maxPendingInput: 16, onInput: () => wakes++ });
    const r = new TestReceiver(1);
    backend.connect(r);
    input.type('abcdefghijklmnopqrstuvwxyz');
    expect(r.text).toBe('a');
    expect(wakes).toBe(1);
    expect(backend.pendingInput).toBe(25);
    expect(input.paused).toBe(true);
    r.limit = 20;
    backend.ready();
    expect(backend.pendingInput).toBe(5);
    expect(input.paused).toBe(false);
    r.limit = 100;
    backend.ready();
    expect(r.text).toBe('abcdefghijklmnopqrstuvwxyz');
    backend.dispose();
  });

  it('writes output once per turn of the event loop, and drops output past its bound', async () => {
    const output = new FakeOutput();
    const backend = new StdioCharBackend({ input: new FakeInput(false), output, maxPendingOutput: 8 });
    backend.write(Uint8Array.from(Buffer.from('abc')));
    backend.write(Uint8Array.from(Buffer.from('def')));
    backend.write(Uint8Array.from(Buffer.from('ghi')));
    expect(output.chunks).toHaveLength(0);
    await tick();
    expect(output.chunks).toHaveLength(1);
    expect(output.text).toBe('abcdef');
    expect(backend.droppedOutput).toBe(3);
    backend.write(Uint8Array.from(Buffer.from('xyz')));
    backend.dispose(); // flushes
    expect(output.text).toBe('abcdefxyz');
    backend.write(Uint8Array.of(1));
    await tick();
    expect(output.text).toBe('abcdefxyz');
  });
});
