import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPopekError } from '@popek/core';
import { afterAll, describe, expect, it } from 'vitest';
import { FileCharBackend } from './file-char-backend.js';

const dir = mkdtempSync(join(tmpdir(), 'popek-serial-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FileCharBackend', () => {
  it('appends guest output to the file and closes it', async () => {
    const path = join(dir, 'console.log');
    writeFileSync(path, 'before\n');
    const backend = new FileCharBackend(path);
    backend.write(new TextEncoder().encode('boot '));
    backend.write(new TextEncoder().encode('log\n'));
    await backend.close();
    expect(readFileSync(path, 'utf8')).toBe('before\nboot log\n');
    backend.write(new TextEncoder().encode('late'));
    expect(backend.droppedOutput).toBe(4);
  });

  it('gives no input', () => {
    const backend = new FileCharBackend(join(dir, 'quiet.log'));
    let asked = false;
    backend.connect({ canAccept: () => ((asked = true), 16), accept: () => {} });
    backend.ready();
    expect(asked).toBe(false);
    backend.dispose();
  });

  it('fails at once with a serial-file-unavailable error for a file it cannot open', () => {
    let error: unknown;
    try {
      new FileCharBackend(join(dir, 'missing', 'dir', 'x.log'));
    } catch (e) {
      error = e;
    }
    expect(isPopekError(error) && error.code).toBe('serial-file-unavailable');
    expect((error as Error).message).toContain('missing');
  });

  it('drops output past its bound instead of queueing without limit', async () => {
    const path = join(dir, 'bounded.log');
    const backend = new FileCharBackend(path, { maxPendingOutput: 8 });
    backend.write(new Uint8Array(6).fill(0x61));
    backend.write(new Uint8Array(6).fill(0x62));
    await backend.close();
    expect(backend.droppedOutput).toBe(6);
    expect(readFileSync(path, 'utf8')).toBe('aaaaaa');
  });
});
