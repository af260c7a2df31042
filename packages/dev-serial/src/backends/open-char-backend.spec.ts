import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPopekError } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { NullCharBackend } from '../null-char-backend.js';
import { FileCharBackend } from './file-char-backend.js';
import { openCharBackend } from './open-char-backend.js';
import { TcpCharBackend } from './tcp-char-backend.js';

describe('openCharBackend', () => {
  it('makes the backend a spec names', async () => {
    expect(await openCharBackend('none')).toBeInstanceOf(NullCharBackend);
    const dir = mkdtempSync(join(tmpdir(), 'popek-serial-open-'));
    try {
      const file = await openCharBackend(`file:${join(dir, 'out.log')}`);
      expect(file).toBeInstanceOf(FileCharBackend);
      await (file as FileCharBackend).close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const tcp = await openCharBackend({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    expect(tcp).toBeInstanceOf(TcpCharBackend);
    await (tcp as TcpCharBackend).close();
  });

  it('passes on a bad spec as a PopekError', async () => {
    const error = await openCharBackend('serial0').catch((e: unknown) => e);
    expect(isPopekError(error) && error.code).toBe('serial-spec-invalid');
  });
});
