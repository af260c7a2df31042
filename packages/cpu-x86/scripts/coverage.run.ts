/** `npm run coverage`: writes docs/coverage.md from the opcode table. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { coverageMarkdown } from './coverage-table.js';

it('writes docs/coverage.md', () => {
  const docs = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, 'coverage.md'), coverageMarkdown());
  console.log(`wrote ${join(docs, 'coverage.md')}`);
});
