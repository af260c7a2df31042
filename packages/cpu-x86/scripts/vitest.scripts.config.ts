import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../../vitest.shared.js';

/** Runs the package's scripts (benchmark, coverage table) through vitest, which compiles TypeScript. */
export default mergeConfig(
  sharedConfig,
  defineConfig({ test: { include: ['scripts/*.run.ts'], testTimeout: 600_000, reporters: ['default'] } }),
);
