import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      // The guest-builder integration test downloads about 55 MB from the Debian archive.
      testTimeout: 300_000,
      hookTimeout: 60_000,
    },
  }),
);
