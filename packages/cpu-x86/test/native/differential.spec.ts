import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCases, type DiffCase } from './cases.js';
import { batchSource, buildBatch, canRunNative, compareRecords, runNative, runPopek, type Mismatch } from './harness.js';

const native = canRunNative();
const BATCH = 1500;

describe('host differential (integer ISA against the host CPU)', () => {
  if (!native.ok) {
    it.skip(`skipped: ${native.why}`, () => {});
    return;
  }
  it('matches the host on every generated case (registers, defined flags, memory)', { timeout: 600_000 }, async () => {
    const cases = generateCases();
    const dir = mkdtempSync(join(tmpdir(), 'popek-diff-'));
    const mismatches: Mismatch[] = [];
    try {
      const batches: DiffCase[][] = [];
      for (let i = 0; i < cases.length; i += BATCH) batches.push(cases.slice(i, i + BATCH));
      const paths: string[] = [];
      const parallel = Math.max(1, Math.min(4, cpus().length));
      for (let i = 0; i < batches.length; i += parallel) {
        const group = batches.slice(i, i + parallel).map((b, k) => buildBatch(dir, `b${i + k}`, batchSource(b, (i + k) * BATCH)));
        paths.push(...(await Promise.all(group)));
      }
      let retired = 0;
      for (let b = 0; b < batches.length; b++) {
        const host = await runNative(paths[b]!);
        const popek = runPopek(paths[b]!);
        retired += popek.retired;
        mismatches.push(...compareRecords(batches[b]!, host, popek.output));
      }
      const forms = new Set(cases.map((c) => c.form)).size;
      console.log(`host differential: ${cases.length} cases over ${forms} opcode forms, ${batches.length} binaries, ${retired} instructions in Popek, ${mismatches.length} mismatches`);
      const seen = new Map<string, number>();
      for (const m of mismatches) seen.set(m.name.replace(/ #\d+$/, ''), (seen.get(m.name.replace(/ #\d+$/, '')) ?? 0) + 1);
      console.log(`  by form: ${[...seen].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
      for (const m of mismatches.slice(0, 40)) console.log(`  ${m.name}: ${m.body.replace(/\n/g, ' ; ')} => ${m.detail}`);
    } finally {
      if (!process.env['POPEK_DIFF_KEEP']) rmSync(dir, { recursive: true, force: true });
    }
    expect(mismatches.map((m) => m.name)).toEqual([]);
  });
});
