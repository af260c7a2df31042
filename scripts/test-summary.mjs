// Sums the vitest JSON reports every package writes (see vitest.shared.ts; a package that runs
// its suites twice writes `.vitest-results.<configuration>.json` too) into one closing line:
// "Tests: N passed, N failed, N skipped".
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const root of ['packages', 'examples']) {
  if (!existsSync(root)) continue;
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (!pkg.scripts?.test) continue;
    const report = join(dir, '.vitest-results.json');
    if (!existsSync(report)) {
      missing.push(pkg.name);
      continue;
    }
    // A package that runs its suites more than once (under several configurations) writes one
    // more report per extra run: `.vitest-results.<configuration>.json`.
    const extra = readdirSync(dir).filter((f) => /^\.vitest-results\..+\.json$/.test(f));
    for (const file of [report, ...extra.map((f) => join(dir, f))]) {
      const r = JSON.parse(readFileSync(file, 'utf8'));
      passed += r.numPassedTests ?? 0;
      failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
      skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    }
  }
}
for (const name of missing) console.log(`${name}: no test report (its tests did not run)`);
failed += missing.length;
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
