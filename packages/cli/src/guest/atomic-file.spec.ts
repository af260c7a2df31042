import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-file.js';

describe('writeFileAtomic', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('creates parents, writes, replaces, and leaves no temporary files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'popek-atomic-'));
    dirs.push(dir);
    const target = join(dir, 'a', 'b', 'file.bin');
    await writeFileAtomic(target, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(target)]).toEqual([1, 2, 3]);
    await writeFileAtomic(target, 'replaced', 0o600);
    expect(readFileSync(target, 'utf8')).toBe('replaced');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['file.bin']);
    await writeFileAtomic(join(dir, 'exec'), 'x', 0o755);
    expect(statSync(join(dir, 'exec')).mode & 0o111).not.toBe(0);
  });

  it('fails without leaving debris when the target cannot be replaced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'popek-atomic-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    await expect(writeFileAtomic(join(dir, 'not-a-dir', 'f'), 'y')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['not-a-dir']);
    // The rename fails when the target is a non-empty directory: the temporary file must go.
    mkdirSync(join(dir, 'busy', 'inner'), { recursive: true });
    await expect(writeFileAtomic(join(dir, 'busy'), 'y')).rejects.toThrow();
    expect(readdirSync(dir).sort()).toEqual(['busy', 'not-a-dir']);
  });
});
