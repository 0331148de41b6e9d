import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

/**
 * The project's own vitest configuration (global setups included), aimed at the gate fixtures only.
 * Spread rather than mergeConfig: mergeConfig would append to `include` and run the whole suite.
 */
export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: { ...base.test, include: ['scripts/test-gate/fixtures/*.gate.ts'] },
});
