import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      // The bench is plain Node ESM: its tests are .mjs files next to the code.
      include: ['src/**/*.spec.mjs'],
    },
  }),
);
