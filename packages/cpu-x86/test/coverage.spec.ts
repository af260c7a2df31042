import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { coverageMarkdown } from '../scripts/coverage-table.js';

describe('docs/coverage.md', () => {
  it('is up to date with the opcode table (run npm run coverage)', () => {
    const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'coverage.md');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(coverageMarkdown());
  });
});
