import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * The vitest configuration every Popek package shares. Workspace packages resolve to their
 * TypeScript sources through the `@popek/source` export condition, so a package's tests never
 * run against another package's stale build output.
 */
export const sharedConfig = defineConfig({
  resolve: { conditions: ['@popek/source', ...defaultServerConditions] },
  ssr: { resolve: { conditions: ['@popek/source', ...defaultServerConditions] } },
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // A timeout catches a hang, not a slow machine: CI runs every package's suite at once on two
    // cores, where a test that takes 3 s alone can take ten times that.
    testTimeout: 60_000,
    // The JSON report feeds the one-line summary CI prints (scripts/test-summary.mjs). A package
    // that runs its suites again under another configuration names that run's report with
    // POPEK_TEST_REPORT (`.vitest-results.<configuration>.json`).
    reporters: ['default', ['json', { outputFile: process.env['POPEK_TEST_REPORT'] ?? '.vitest-results.json' }]],
  },
});
