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
    testTimeout: 20_000,
    // The JSON report feeds the one-line summary CI prints (scripts/test-summary.mjs).
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
