import { defineConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

/** `npm run bench`: the shared configuration, running only the benchmark files. */
export default defineConfig({
  ...sharedConfig,
  test: { ...sharedConfig.test, include: ['bench/**/*.bench.ts'], testTimeout: 120_000 },
});
